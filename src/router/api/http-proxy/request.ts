import { HttpProxyError } from './errors.js';

/**
 * The head of a request a browser sends to its HTTP proxy (RFC 9112): the request line in
 * absolute form (`GET http://host/path HTTP/1.1`) or, for CONNECT, authority form
 * (`CONNECT host:port HTTP/1.1`), then header lines. Parsed from bytes, every length bounded;
 * anything malformed throws an HttpProxyError that becomes a 4xx page.
 */

/** The whole head (request line, headers, blank line). */
export const MAX_HEAD_BYTES = 64 * 1024;
/** One line of it. */
export const MAX_LINE_BYTES = 8 * 1024;
export const MAX_HEADERS = 100;

export type Header = readonly [name: string, value: string];

export interface ProxyRequest {
  method: string;
  version: '1.0' | '1.1';
  /** CONNECT: a tunnel to host:port; otherwise an HTTP request for `path` on host:port. */
  connect: boolean;
  /** Lower case, without a trailing dot; IPv6 literals keep their brackets. */
  host: string;
  port: number;
  /** Origin form: starts with '/', query kept, fragment dropped ('' for CONNECT). */
  path: string;
  /** Names as sent (case kept), in order. */
  headers: Header[];
}

/** RFC 9110 token characters (method and header names). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Visible ASCII: what a request target may hold once the browser percent-encoded it. */
const VISIBLE = /^[\x21-\x7e]*$/;
/** Field values: visible ASCII, obs-text, spaces and tabs; no other control characters. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

const CRLF2 = Buffer.from('\r\n\r\n');

/**
 * Collects what the browser sends until the blank line that ends the head. `push` returns the
 * head and whatever came after it (the start of a body), or undefined while more is needed.
 */
export class RequestHeadReader {
  private chunks: Buffer[] = [];
  private size = 0;

  push(chunk: Buffer): { head: Buffer; rest: Buffer } | undefined {
    // Search from 3 bytes back: the terminator may straddle two chunks.
    const from = Math.max(0, this.size - 3);
    this.chunks.push(chunk);
    this.size += chunk.length;
    const all = this.chunks.length === 1 ? chunk : Buffer.concat(this.chunks, this.size);
    this.chunks = [all];
    const end = all.indexOf(CRLF2, from);
    if (end === -1) {
      if (this.size > MAX_HEAD_BYTES) throw new HttpProxyError('HEAD_TOO_LARGE', `the request head is longer than ${MAX_HEAD_BYTES} bytes`);
      return undefined;
    }
    if (end + 4 > MAX_HEAD_BYTES) throw new HttpProxyError('HEAD_TOO_LARGE', `the request head is longer than ${MAX_HEAD_BYTES} bytes`);
    return { head: all.subarray(0, end + 4), rest: Buffer.from(all.subarray(end + 4)) };
  }
}

/** Splits a head (ending in CRLF CRLF, or without it) into its lines, bounded in number and length. */
export function headLines(head: Buffer, what: 'request' | 'response'): string[] {
  if (head.length > MAX_HEAD_BYTES) throw new HttpProxyError('HEAD_TOO_LARGE', `the ${what} head is longer than ${MAX_HEAD_BYTES} bytes`);
  let text = head.toString('latin1');
  if (text.endsWith('\r\n\r\n')) text = text.slice(0, -4);
  const lines = text.split('\r\n');
  if (lines.length - 1 > MAX_HEADERS) throw new HttpProxyError('TOO_MANY_HEADERS', `more than ${MAX_HEADERS} header lines`);
  for (const l of lines) if (l.length > MAX_LINE_BYTES) throw new HttpProxyError('LINE_TOO_LONG', `a ${what} line is longer than ${MAX_LINE_BYTES} bytes`);
  return lines;
}

/** Header lines to [name, value] pairs: no obsolete folding, no whitespace before the colon. */
export function parseHeaderLines(lines: readonly string[]): Header[] {
  const headers: Header[] = [];
  for (const line of lines) {
    if (line === '') throw new HttpProxyError('BAD_HEADER', 'an empty line inside the head');
    if (line[0] === ' ' || line[0] === '\t') throw new HttpProxyError('BAD_HEADER', 'folded header lines (obs-fold) are not accepted');
    const colon = line.indexOf(':');
    if (colon <= 0) throw new HttpProxyError('BAD_HEADER', `a header line without a name and ':' (${JSON.stringify(line.slice(0, 40))})`);
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) throw new HttpProxyError('BAD_HEADER', `${JSON.stringify(name.slice(0, 40))} is not a header name`);
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (!FIELD_VALUE.test(value)) throw new HttpProxyError('BAD_HEADER', `the ${name} header holds control characters`);
    headers.push([name, value]);
  }
  return headers;
}

/** Every value of a header (names compare case-insensitively). */
export function headerValues(headers: readonly Header[], name: string): string[] {
  const n = name.toLowerCase();
  return headers.filter(([k]) => k.toLowerCase() === n).map(([, v]) => v);
}

export function parseRequestHead(head: Buffer): ProxyRequest {
  const lines = headLines(head, 'request');
  const requestLine = lines[0];
  const parts = requestLine.split(' ');
  if (parts.length !== 3) throw new HttpProxyError('BAD_REQUEST_LINE', 'the request line is not "METHOD target HTTP/1.x"');
  const [method, target, proto] = parts;
  if (!TOKEN.test(method)) throw new HttpProxyError('BAD_REQUEST_LINE', 'the method is not a token');
  if (proto !== 'HTTP/1.1' && proto !== 'HTTP/1.0') {
    if (/^HTTP\/\d\.\d$/.test(proto)) throw new HttpProxyError('BAD_VERSION', `${proto} is not supported (HTTP/1.0 and 1.1 are)`);
    throw new HttpProxyError('BAD_REQUEST_LINE', 'the request line does not end in HTTP/1.x');
  }
  if (target.length === 0 || !VISIBLE.test(target)) throw new HttpProxyError('BAD_TARGET', 'the request target is empty or holds characters that must be percent-encoded');
  const headers = parseHeaderLines(lines.slice(1));
  const version = proto === 'HTTP/1.1' ? '1.1' : '1.0';
  if (method === 'CONNECT') {
    const { host, port } = parseAuthority(target, undefined);
    return { method, version, connect: true, host, port, path: '', headers };
  }
  if (target.startsWith('/')) {
    throw new HttpProxyError('NOT_A_PROXY_REQUEST', 'the request names no host (origin form): this is an HTTP proxy, set it as the proxy of your browser');
  }
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(target);
  if (!m) throw new HttpProxyError('BAD_TARGET', 'the request target is not an absolute http:// URL');
  const scheme = m[1].toLowerCase();
  if (scheme !== 'http') throw new HttpProxyError('BAD_TARGET', `${scheme}:// URLs are not proxied this way (https goes through CONNECT)`);
  const rest = target.slice(m[0].length);
  const end = rest.search(/[/?#]/);
  const authority = end === -1 ? rest : rest.slice(0, end);
  let path = end === -1 ? '/' : rest.slice(end);
  const hash = path.indexOf('#');
  if (hash !== -1) path = path.slice(0, hash);
  if (path === '' || path.startsWith('?')) path = `/${path}`;
  const { host, port } = parseAuthority(authority, 80);
  return { method, version, connect: false, host, port, path, headers };
}

/** `host[:port]` (IPv6 in brackets); no user info. `defaultPort` undefined: the port is required. */
export function parseAuthority(authority: string, defaultPort: number | undefined): { host: string; port: number } {
  if (authority.includes('@')) throw new HttpProxyError('BAD_TARGET', 'user names and passwords in the URL are not forwarded');
  let host: string;
  let portText: string | undefined;
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close === -1) throw new HttpProxyError('BAD_TARGET', 'an IPv6 address without its closing bracket');
    host = authority.slice(0, close + 1);
    const after = authority.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) throw new HttpProxyError('BAD_TARGET', 'characters after an IPv6 address');
    portText = after === '' ? undefined : after.slice(1);
  } else {
    const colon = authority.lastIndexOf(':');
    host = colon === -1 ? authority : authority.slice(0, colon);
    portText = colon === -1 ? undefined : authority.slice(colon + 1);
  }
  host = host.toLowerCase();
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host === '') throw new HttpProxyError('BAD_TARGET', 'the URL names no host');
  let port: number;
  if (portText === undefined || portText === '') {
    if (defaultPort === undefined) throw new HttpProxyError('BAD_TARGET', 'CONNECT needs host:port');
    port = defaultPort;
  } else {
    if (!/^\d{1,5}$/.test(portText)) throw new HttpProxyError('BAD_TARGET', `${JSON.stringify(portText.slice(0, 10))} is not a port`);
    port = Number(portText);
    if (port < 1 || port > 65535) throw new HttpProxyError('BAD_TARGET', `port ${port} is out of range`);
  }
  return { host, port };
}
