import { hostNameProblem, checkDestination } from '../../router/client/addressbook.js';
import { sha256 } from '../../router/crypto/hash.js';
import { b32FromHash, parseB32Address } from '../../router/data/b32.js';
import type { Destination } from '../../router/data/keys-and-cert.js';

/**
 * The URLs anon-fetch reads: `http://` and a host on I2P only — a b32 address, an address-book
 * name ending in `.i2p`, or a full base64 destination (bare, or with `.i2p` after it, as the
 * Java router's proxy accepts it). Anything else is refused here, so no clearnet name ever
 * reaches a resolver. Parsed by hand, not with WHATWG URL: that would lower-case the host
 * (ruining base64) and apply IDNA and DNS-oriented rules that mean nothing on I2P.
 */

export type FetchUrlErrorCode = 'MALFORMED' | 'NOT_I2P' | 'UNSUPPORTED';

export class FetchUrlError extends Error {
  override readonly name = 'FetchUrlError';
  constructor(
    readonly code: FetchUrlErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export type FetchHost =
  | { readonly kind: 'b32'; readonly host: string; readonly hash: Uint8Array; readonly b32: string }
  | { readonly kind: 'name'; readonly host: string }
  | { readonly kind: 'base64'; readonly host: string; readonly destination: Destination; readonly hash: Uint8Array; readonly b32: string };

export interface FetchUrl {
  readonly host: FetchHost;
  /** The streaming destination port: the URL's, else 80 (as i2pd's HTTP proxy does). */
  readonly port: number;
  readonly portExplicit: boolean;
  /** Origin-form request target: path and query, percent-encoded, never empty. */
  readonly path: string;
  /** What goes in the Host header: the name or b32 (a base64 host is sent as its b32). */
  readonly hostHeader: string;
  /** The URL as we will request it, for messages and -v. */
  readonly href: string;
}

export const MAX_URL_LENGTH = 8192;
export const DEFAULT_PORT = 80;
const B32_LABEL = 52;
/** Longer base32 labels are b33 (encrypted LeaseSet) addresses. */
const MIN_B33_LABEL = 56;
/** naming.html: a full destination is 516 to 616 base64 characters. */
const MIN_BASE64_HOST = 516;
const MAX_BASE64_HOST = 616;

const malformed = (why: string): FetchUrlError => new FetchUrlError('MALFORMED', why);

/** Percent-encodes what may not appear raw in a request target (WHATWG's path/query sets, and non-ASCII). */
function encodeTarget(text: string): string {
  let out = '';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c < 0x21 || c === 0x7f) throw malformed('the URL contains spaces or control characters');
    if (c > 0x7e || '"<>\\^`{|}'.includes(ch)) {
      for (const b of Buffer.from(ch, 'utf8')) out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
    } else {
      out += ch;
    }
  }
  return out;
}

/** Classifies a host, refusing anything that is not on I2P. */
export function parseFetchHost(host: string): FetchHost {
  if (host === '') throw malformed('the URL has no host');
  const bare = host.endsWith('.i2p') ? host.slice(0, -4) : host;
  if (bare.length >= MIN_BASE64_HOST && /^[A-Za-z0-9~=-]+$/.test(bare)) {
    if (bare.length > MAX_BASE64_HOST) throw malformed(`a base64 destination is at most ${MAX_BASE64_HOST} characters, this host has ${bare.length}`);
    const r = checkDestination(bare);
    if ('problem' in r) throw malformed(`the host is not a valid base64 destination: ${r.problem}`);
    const hash = sha256(r.bytes);
    return { kind: 'base64', host: bare, destination: r.destination, hash, b32: b32FromHash(hash) };
  }
  const lower = host.toLowerCase();
  if (!lower.endsWith('.i2p')) {
    throw new FetchUrlError('NOT_I2P', `${host} is not an .i2p address: anon-fetch reads only I2P sites (no DNS, no outproxy)`);
  }
  if (lower.endsWith('.b32.i2p')) {
    const label = lower.slice(0, -'.b32.i2p'.length);
    if (label.length >= MIN_B33_LABEL && /^[a-z2-7]+$/.test(label)) {
      throw new FetchUrlError('UNSUPPORTED', `${host}: encrypted LeaseSet (b33) addresses are not supported`);
    }
    if (label.length !== B32_LABEL) throw malformed(`${host}: a b32 address has ${B32_LABEL} base32 characters before .b32.i2p, not ${label.length}`);
    let hash: Uint8Array;
    try {
      hash = parseB32Address(lower);
    } catch (err) {
      throw malformed(`${host} is not a valid b32 address (${(err as Error).message})`);
    }
    return { kind: 'b32', host: lower, hash, b32: lower };
  }
  const problem = hostNameProblem(lower);
  if (problem !== undefined) throw malformed(`${host} is not a valid .i2p name: ${problem}`);
  return { kind: 'name', host: lower };
}

function build(host: FetchHost, port: number, portExplicit: boolean, path: string): FetchUrl {
  const shown = host.kind === 'base64' ? host.b32 : host.host;
  const portPart = port !== DEFAULT_PORT ? `:${port}` : '';
  return { host, port, portExplicit, path, hostHeader: shown + portPart, href: `http://${shown}${portPart}${path}` };
}

/** Parses what the user typed. A missing scheme means http://, as curl assumes. */
export function parseFetchUrl(input: string): FetchUrl {
  if (typeof input !== 'string') throw malformed('the URL must be a string');
  const text = input.trim();
  if (text === '') throw malformed('the URL is empty');
  if (text.length > MAX_URL_LENGTH) throw malformed(`the URL is longer than ${MAX_URL_LENGTH} characters`);
  let rest = text;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(text);
  if (scheme) {
    const s = scheme[1].toLowerCase();
    if (s === 'https') throw new FetchUrlError('UNSUPPORTED', 'https:// is not used for .i2p sites (the tunnels encrypt end to end); use http://');
    if (s !== 'http') throw new FetchUrlError('UNSUPPORTED', `${s}:// is not supported; anon-fetch reads http:// URLs of .i2p sites`);
    rest = text.slice(scheme[0].length);
  }
  const authEnd = rest.search(/[/?#]/);
  const authority = authEnd < 0 ? rest : rest.slice(0, authEnd);
  let target = authEnd < 0 ? '' : rest.slice(authEnd);
  if (authority.includes('@')) throw malformed('user names and passwords in URLs are not supported');
  if (authority.startsWith('[')) throw new FetchUrlError('NOT_I2P', `${authority} is an IP address, not an .i2p address: anon-fetch reads only I2P sites`);
  let host = authority;
  let port = DEFAULT_PORT;
  let portExplicit = false;
  const colon = authority.lastIndexOf(':');
  if (colon >= 0) {
    host = authority.slice(0, colon);
    const p = authority.slice(colon + 1);
    if (p !== '') {
      if (!/^[0-9]{1,5}$/.test(p) || Number(p) < 1 || Number(p) > 65535) throw malformed(`port ${JSON.stringify(p)} is not a number from 1 to 65535`);
      port = Number(p);
      portExplicit = true;
    }
  }
  const parsedHost = parseFetchHost(host);
  const hash = target.indexOf('#');
  if (hash >= 0) target = target.slice(0, hash);
  if (target === '' || target.startsWith('?')) target = '/' + target;
  return build(parsedHost, port, portExplicit, encodeTarget(target));
}

/** RFC 3986 §5.2.4: removes `.` and `..` segments from an absolute path. */
export function removeDotSegments(path: string): string {
  const out: string[] = [];
  const segs = path.split('/');
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i];
    const last = i === segs.length - 1;
    if (s === '.' || s === '..') {
      if (s === '..' && out.length > 1) out.pop();
      if (last) out.push('');
    } else {
      out.push(s);
    }
  }
  const joined = out.join('/');
  return joined.startsWith('/') ? joined : '/' + joined;
}

/**
 * Where a Location header points, relative to `base`. Absolute URLs go through parseFetchUrl
 * (so a redirect off I2P is refused like a typed URL); relative ones keep base's host and port.
 */
export function resolveRedirect(base: FetchUrl, location: string): FetchUrl {
  const loc = location.trim();
  if (loc === '') throw malformed('the redirect has an empty Location');
  if (loc.length > MAX_URL_LENGTH) throw malformed(`the redirect Location is longer than ${MAX_URL_LENGTH} characters`);
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(loc)) {
    if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(loc)) throw new FetchUrlError('UNSUPPORTED', `redirect to ${loc.split(':')[0]}: is not supported`);
    return parseFetchUrl(loc);
  }
  if (loc.startsWith('//')) return parseFetchUrl('http:' + loc);
  let ref = loc;
  const hash = ref.indexOf('#');
  if (hash >= 0) ref = ref.slice(0, hash);
  const basePathOnly = base.path.split('?')[0];
  let path: string;
  if (ref === '') path = base.path;
  else if (ref.startsWith('?')) path = basePathOnly + ref;
  else {
    const q = ref.indexOf('?');
    const refPath = q >= 0 ? ref.slice(0, q) : ref;
    const query = q >= 0 ? ref.slice(q) : '';
    const merged = refPath.startsWith('/') ? refPath : basePathOnly.slice(0, basePathOnly.lastIndexOf('/') + 1) + refPath;
    path = removeDotSegments(merged) + query;
  }
  return build(base.host, base.port, base.portExplicit, encodeTarget(path));
}
