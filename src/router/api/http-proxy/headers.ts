import { HttpProxyError } from './errors.js';
import { headerValues, type Header, type ProxyRequest } from './request.js';

/**
 * What the site sees of the browser. The request line goes to origin form; headers that name
 * the user, the proxy or the page they came from are dropped (as i2pd's SanitizeHTTPRequest
 * does, and a little more); the User-Agent is the fixed one i2pd and Java I2P send; the
 * connection is one request long (`Connection: close`).
 */

/** i2pd's and Java I2P's User-Agent: every user looks the same. */
export const FIXED_USER_AGENT = 'MYOB/6.66 (AN/ON)';

/** Hop-by-hop (RFC 9110 7.6.1) or meant for the proxy: never forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'http2-settings', 'expect']);

/**
 * Identifying: who the user is (From), where they came from (Via, Forwarded, X-Forwarded-*,
 * X-Real-IP), their language (Accept-Language, Accept-Charset), their browser (User-Agent is
 * replaced; Accept goes too, as i2pd drops it), and headers only a server tunnel may set.
 */
const DROPPED = new Set(['via', 'from', 'forwarded', 'x-real-ip', 'client-ip', 'true-client-ip', 'dnt', 'accept', 'accept-language', 'accept-charset', 'user-agent', 'host']);
const DROPPED_PREFIXES = ['proxy-', 'x-forwarded', 'x-i2p-'];

export interface BodyFraming {
  /** none: nothing after the head belongs to this request. */
  kind: 'none' | 'length' | 'chunked';
  length: number;
}

/** How the request body is delimited (RFC 9112 6); both or a bad value: refused (request smuggling). */
export function requestBodyFraming(headers: readonly Header[]): BodyFraming {
  const te = headerValues(headers, 'transfer-encoding');
  const cl = headerValues(headers, 'content-length');
  if (te.length > 0) {
    if (cl.length > 0) throw new HttpProxyError('BAD_BODY_FRAMING', 'both Transfer-Encoding and Content-Length');
    const codings = te.join(',').split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
    if (codings.length !== 1 || codings[0] !== 'chunked') throw new HttpProxyError('BAD_BODY_FRAMING', `Transfer-Encoding ${JSON.stringify(te.join(', ').slice(0, 60))}: only chunked is forwarded`);
    return { kind: 'chunked', length: 0 };
  }
  if (cl.length > 0) {
    const values = new Set(cl.join(',').split(',').map((s) => s.trim()));
    if (values.size !== 1) throw new HttpProxyError('BAD_BODY_FRAMING', 'conflicting Content-Length values');
    const v = [...values][0];
    if (!/^\d{1,15}$/.test(v)) throw new HttpProxyError('BAD_BODY_FRAMING', `Content-Length ${JSON.stringify(v.slice(0, 20))} is not a number`);
    const length = Number(v);
    return length === 0 ? { kind: 'none', length: 0 } : { kind: 'length', length };
  }
  return { kind: 'none', length: 0 };
}

/** scheme://host[:port] of a URL as the site would see it, or undefined when it is not one. */
function originOf(url: string): string | undefined {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#@]*)/i.exec(url);
  if (!m) return undefined;
  const scheme = m[1].toLowerCase();
  let hostPort = m[2].toLowerCase();
  const defaultPort = scheme === 'https' ? ':443' : scheme === 'http' ? ':80' : undefined;
  if (defaultPort && hostPort.endsWith(defaultPort)) hostPort = hostPort.slice(0, -defaultPort.length);
  return `${scheme}://${hostPort}`;
}

export function hostHeader(host: string, port: number): string {
  return port === 80 ? host : `${host}:${port}`;
}

/**
 * The head sent into the stream: origin-form request line, the kept headers in their order,
 * then Host, User-Agent and Connection: close. `expect100` tells the caller the browser waits
 * for a 100 Continue (the proxy answers it itself: the Expect header is not forwarded).
 */
export function rewriteRequestHead(req: ProxyRequest): { head: Buffer; framing: BodyFraming; expect100: boolean } {
  const framing = requestBodyFraming(req.headers);
  const own = `http://${hostHeader(req.host, req.port)}`;
  // Headers the browser lists in Connection are hop-by-hop too (RFC 9110 7.6.1).
  const listed = new Set(headerValues(req.headers, 'connection').flatMap((v) => v.split(',').map((s) => s.trim().toLowerCase())));
  const lines = [`${req.method} ${req.path} HTTP/1.1`, `Host: ${hostHeader(req.host, req.port)}`];
  for (const [name, value] of req.headers) {
    const n = name.toLowerCase();
    if (HOP_BY_HOP.has(n) || DROPPED.has(n) || listed.has(n) || DROPPED_PREFIXES.some((p) => n.startsWith(p))) continue;
    // Referer only within the same site (i2pd and Java I2P ticket #1862 keep a same-origin one):
    // it tells the site nothing it did not serve itself. Any other is dropped.
    if (n === 'referer') {
      if (originOf(value) === own) lines.push(`${name}: ${value}`);
      continue;
    }
    // A cross-site Origin names the page the user is on; "null" hides it and still fails a
    // server's CSRF check (no origin is trusted), where dropping it might pass one.
    if (n === 'origin') {
      lines.push(`${name}: ${originOf(value) === own ? value : 'null'}`);
      continue;
    }
    // Android WebView sends its application id here; keep only the AJAX marker (i2pd PR #1816).
    if (n === 'x-requested-with' && !value.includes('HttpRequest')) continue;
    lines.push(`${name}: ${value}`);
  }
  lines.push(`User-Agent: ${FIXED_USER_AGENT}`, 'Connection: close');
  const expect100 = headerValues(req.headers, 'expect').some((v) => v.toLowerCase() === '100-continue');
  return { head: Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), framing, expect100 };
}
