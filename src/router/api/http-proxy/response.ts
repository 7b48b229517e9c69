import { HttpProxyError } from './errors.js';
import { headLines, MAX_HEAD_BYTES, parseHeaderLines, type Header } from './request.js';

/**
 * The head of the site's answer: parsed only so the proxy can say `Connection: close` (one
 * request per browser connection, as the stream to the site is one request long) and drop
 * hop-by-hop headers. The body passes through untouched, whatever its framing.
 */

export interface ResponseHead {
  version: '1.0' | '1.1';
  status: number;
  reason: string;
  headers: Header[];
}

const CRLF2 = Buffer.from('\r\n\r\n');
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'upgrade', 'proxy-authenticate']);

/** Finds the end of the site's response head in what arrived so far. */
export class ResponseHeadReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): { head: Buffer; rest: Buffer } | undefined {
    const from = Math.max(0, this.buf.length - 3);
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const end = this.buf.indexOf(CRLF2, from);
    if (end === -1 || end + 4 > MAX_HEAD_BYTES) {
      if (this.buf.length > MAX_HEAD_BYTES) throw new HttpProxyError('BAD_RESPONSE', `the site's response head is longer than ${MAX_HEAD_BYTES} bytes`);
      return undefined;
    }
    const head = this.buf.subarray(0, end + 4);
    const rest = this.buf.subarray(end + 4);
    this.buf = Buffer.alloc(0);
    return { head, rest };
  }

  /** Bytes held after a push that returned nothing (for a 1xx followed by more). */
  get pending(): number {
    return this.buf.length;
  }
}

export function parseResponseHead(head: Buffer): ResponseHead {
  let lines: string[];
  let headers: Header[];
  try {
    lines = headLines(head, 'response');
    headers = parseHeaderLines(lines.slice(1));
  } catch (e) {
    throw new HttpProxyError('BAD_RESPONSE', `the site sent a malformed response head: ${(e as Error).message}`);
  }
  const m = /^HTTP\/1\.([01]) (\d{3})(?: ([\t\x20-\x7e\x80-\xff]*))?$/.exec(lines[0]);
  if (!m) throw new HttpProxyError('BAD_RESPONSE', 'the site did not answer with an HTTP/1.x status line');
  const status = Number(m[2]);
  if (status < 100) throw new HttpProxyError('BAD_RESPONSE', `status ${status} is not an HTTP status`);
  return { version: m[1] === '1' ? '1.1' : '1.0', status, reason: m[3] ?? '', headers };
}

/** An informational answer (100, 103 …) that another head follows. 101 is not one: Upgrade is never forwarded. */
export function isInterim(head: ResponseHead): boolean {
  return head.status >= 100 && head.status < 200 && head.status !== 101;
}

/** The head for the browser: the site's, minus hop-by-hop headers, plus `Connection: close` on a final answer. */
export function rewriteResponseHead(r: ResponseHead): Buffer {
  const lines = [`HTTP/1.1 ${r.status} ${r.reason}`.trimEnd()];
  for (const [name, value] of r.headers) if (!HOP_BY_HOP.has(name.toLowerCase())) lines.push(`${name}: ${value}`);
  if (!isInterim(r)) lines.push('Connection: close');
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}
