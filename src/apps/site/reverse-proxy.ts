import http, { type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { SiteError } from './errors.js';
import { SERVER_HEADER, sendErrorPage } from './html.js';
import type { RequestHandler } from './static-handler.js';

/** Where a reverse proxy forwards to: always a loopback IP literal, never a name. */
export interface ProxyTarget {
  readonly host: string;
  readonly port: number;
  /** A path prefix the app lives under ('' for the root). */
  readonly basePath: string;
}

/** The header that carries the visitor's b32, as i2pd's HTTP server tunnels name it. */
export const VISITOR_HEADER = 'X-I2P-DestB32';

/**
 * Parses `--proxy` (http://127.0.0.1:PORT[/prefix], or http://[::1]:PORT). Anything but a
 * loopback IP literal is refused here, at configuration time: a site must not become an
 * open relay to the LAN, and names are never resolved (no DNS anywhere).
 */
export function parseProxyTarget(text: string): ProxyTarget {
  const bad = (why: string): SiteError => new SiteError('BAD_PROXY_TARGET', `--proxy ${JSON.stringify(text)}: ${why}`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw bad('not a URL; expected http://127.0.0.1:PORT');
  }
  if (url.protocol !== 'http:') throw bad(`only http:// is supported (the app runs on this machine), not ${url.protocol}//`);
  if (url.username !== '' || url.password !== '') throw bad('credentials in the URL are not supported');
  if (url.search !== '' || url.hash !== '') throw bad('no query or fragment allowed');
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (host === 'localhost' || isIP(host) === 0) {
    throw bad(`${host} is not an IP address; use 127.0.0.1 (names are never resolved)`);
  }
  if (!isLoopbackIp(host)) throw bad(`${host} is not a loopback address; the app must listen on 127.0.0.1 (or ::1)`);
  if (url.port === '') throw bad('the port is missing; expected http://127.0.0.1:PORT');
  const port = Number(url.port);
  const basePath = url.pathname === '/' ? '' : url.pathname.replace(/\/+$/, '');
  return { host, port, basePath };
}

/** 127.0.0.0/8 and ::1 (also as ::ffff:127.x.y.z); the argument is already an IP literal. */
export function isLoopbackIp(ip: string): boolean {
  if (isIP(ip) === 4) return ip.split('.')[0] === '127';
  const lower = ip.toLowerCase();
  if (lower === '::1' || lower === '0:0:0:0:0:0:0:1') return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  return mapped !== null && mapped[1].split('.')[0] === '127';
}

export interface ReverseProxyOptions {
  readonly target: ProxyTarget;
  /** Add X-I2P-DestB32 with the visitor's b32 (off by default: the app learns nothing). */
  readonly visitorHeader?: boolean;
  /** The visitor's b32 for a request; from the stream the request arrived on. */
  readonly visitorOf?: (req: IncomingMessage) => string | undefined;
  /** Answer 504 if the app sends no response head within this time (default: no limit). */
  readonly headersTimeoutMs?: number;
}

/** RFC 9110 §7.6.1 hop-by-hop fields, never forwarded either way. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Fields from the app that would say what runs behind the site, or read its clock. */
const APP_IDENTIFYING = new Set(['server', 'x-powered-by', 'x-aspnet-version', 'x-aspnetmvc-version', 'x-runtime', 'date', 'via']);

/** Headers of the visitor's request as the app will see them. Pure; exported for tests. */
export function forwardRequestHeaders(incoming: IncomingHttpHeaders, visitorB32: string | undefined): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  const listed = connectionListed(incoming['connection']);
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined) continue;
    const n = name.toLowerCase();
    if (HOP_BY_HOP.has(n) || listed.has(n)) continue;
    // Anything X-I2P-* from the visitor is a spoofing attempt: only we may set those.
    if (n.startsWith('x-i2p-')) continue;
    out[n] = value;
  }
  if (visitorB32 !== undefined) out[VISITOR_HEADER.toLowerCase()] = visitorB32;
  return out;
}

/** Headers of the app's response as the visitor will see them. Pure; exported for tests. */
export function forwardResponseHeaders(incoming: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  const listed = connectionListed(incoming['connection']);
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined) continue;
    const n = name.toLowerCase();
    if (HOP_BY_HOP.has(n) || listed.has(n) || APP_IDENTIFYING.has(n)) continue;
    out[n] = value;
  }
  out['server'] = SERVER_HEADER;
  return out;
}

/** The request target as a path: absolute-form loses its scheme and authority; anything else is `/`. */
export function originForm(url: string | undefined): string {
  const u = url ?? '/';
  if (u.startsWith('/')) return u;
  const abs = /^https?:\/\/[^/?#]*/i.exec(u);
  if (abs) {
    const rest = u.slice(abs[0].length);
    return rest.startsWith('/') ? rest : '/' + rest;
  }
  return '/';
}

function connectionListed(value: string | string[] | undefined): Set<string> {
  const text = Array.isArray(value) ? value.join(',') : (value ?? '');
  return new Set(text.split(',', 64).map((s) => s.trim().toLowerCase()).filter((s) => s !== ''));
}

/**
 * A handler that forwards each request to the local app and streams both bodies. The app being
 * down gives a 502 page; a visitor who goes away aborts the app request.
 */
export function createReverseProxy(opts: ReverseProxyOptions): RequestHandler & { close(): void } {
  const { target } = opts;
  // Keep-alive to the app: visitors' streams are expensive, the loopback connections are not.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 16 });
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    res.sendDate = false;
    const visitor = opts.visitorHeader ? opts.visitorOf?.(req) : undefined;
    const upstream = http.request({
      host: target.host,
      port: target.port,
      family: isIP(target.host),
      method: req.method,
      path: target.basePath + originForm(req.url),
      headers: forwardRequestHeaders(req.headers, visitor),
      agent,
      setHost: false,
    });
    let timer: NodeJS.Timeout | undefined;
    if (opts.headersTimeoutMs !== undefined) {
      timer = setTimeout(() => {
        upstream.destroy();
        if (!res.headersSent) sendErrorPage(res, req.method, 504, 'The web application behind this site did not answer in time.');
      }, opts.headersTimeoutMs);
      timer.unref();
    }
    upstream.on('response', (appRes) => {
      if (timer) clearTimeout(timer);
      if (res.headersSent) {
        appRes.destroy();
        return;
      }
      res.writeHead(appRes.statusCode ?? 502, appRes.statusMessage, forwardResponseHeaders(appRes.headers));
      appRes.pipe(res);
      appRes.on('error', () => res.destroy());
      // An app that dies mid-body must not leave the visitor waiting for the rest.
      appRes.on('aborted', () => res.destroy());
    });
    upstream.on('error', () => {
      if (timer) clearTimeout(timer);
      if (!res.headersSent) sendErrorPage(res, req.method, 502, 'The web application behind this site is not answering.');
      else res.destroy();
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.on('error', () => upstream.destroy());
    req.pipe(upstream);
  };
  return Object.assign(handler, { close: () => agent.destroy() });
}
