import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { withAccessLog } from './access-log.js';
import { createReverseProxy, parseProxyTarget } from './reverse-proxy.js';
import { createStaticHandler, type RequestHandler } from './static-handler.js';

/**
 * A site on a transport it is given: whatever delivers incoming streams (the garlic session's
 * listen, or a TCP server in tests) hands each one to an HTTP server that never listens on a
 * socket of its own. Everything here is independent of how the streams arrived.
 */

/** What stops accepting streams: a function, or an object with close(). */
export type StopListening = (() => void | Promise<void>) | { close(): void | Promise<void> };

/**
 * Registers `onStream` for incoming streams; returns (or resolves to) what stops accepting
 * them. A GarlicSession fits as `(h) => session.listen({}, h)`.
 */
export type ListenFn = (onStream: (stream: Duplex) => void) => StopListening | Promise<StopListening>;

export interface ServeSiteOptions {
  readonly listen: ListenFn;
  /** Exactly one of `dir` (a static site) or `proxy` (http://127.0.0.1:PORT). */
  readonly dir?: string;
  readonly proxy?: string;
  readonly list?: boolean;
  /** Add X-I2P-DestB32 to proxied requests. */
  readonly visitorHeader?: boolean;
  /** One line per request; absent = no access log. */
  readonly log?: (line: string) => void;
  /** Put the visitor's b32 in access log lines. */
  readonly logVisitors?: boolean;
  /** The visitor's b32 for a stream; default: its `remoteB32` property (as I2pStream has). */
  readonly visitorOf?: (stream: Duplex) => string | undefined;
  /** close() waits this long for requests in flight before cutting them (default 5 s). */
  readonly graceMs?: number;
  /** Bound on concurrent visitor streams; more are closed at once (default 512). */
  readonly maxStreams?: number;
  /**
   * A stream with no request in flight and nothing received for this long is closed (default
   * 30 s). node's own headersTimeout is checked only for servers that listen, which this one
   * never does.
   */
  readonly idleTimeoutMs?: number;
}

export interface SiteCounters {
  streams: number;
  active: number;
  requests: number;
  refused: number;
}

export interface SiteHandle {
  readonly counters: Readonly<SiteCounters>;
  /** Stop accepting, let requests in flight finish (bounded by graceMs), then cut the rest. */
  close(): Promise<void>;
}

export const DEFAULT_GRACE_MS = 5000;
export const DEFAULT_MAX_STREAMS = 512;
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

function defaultVisitorOf(stream: Duplex): string | undefined {
  const b32 = (stream as { remoteB32?: unknown }).remoteB32;
  return typeof b32 === 'string' ? b32 : undefined;
}

/** Builds the request handler for the options (static or proxy), checking them now. */
export function siteHandler(
  opts: Pick<ServeSiteOptions, 'dir' | 'proxy' | 'list' | 'visitorHeader'>,
  visitorOfReq: (req: IncomingMessage) => string | undefined,
): RequestHandler & { close?: () => void } {
  if ((opts.dir === undefined) === (opts.proxy === undefined)) {
    throw new TypeError('serveSite needs exactly one of dir or proxy');
  }
  if (opts.proxy !== undefined) {
    return createReverseProxy({ target: parseProxyTarget(opts.proxy), visitorHeader: opts.visitorHeader ?? false, visitorOf: visitorOfReq });
  }
  return createStaticHandler({ dir: opts.dir!, list: opts.list ?? false });
}

export async function serveSite(opts: ServeSiteOptions): Promise<SiteHandle> {
  const visitorOf = opts.visitorOf ?? defaultVisitorOf;
  const visitors = new WeakMap<object, string | undefined>();
  const visitorOfReq = (req: IncomingMessage): string | undefined => visitors.get(req.socket);
  const inner = siteHandler(opts, visitorOfReq);
  const handler = opts.log ? withAccessLog(inner, { write: opts.log, visitors: opts.logVisitors ?? false, visitorOf: visitorOfReq }) : inner;

  const counters: SiteCounters = { streams: 0, active: 0, requests: 0, refused: 0 };
  const maxStreams = opts.maxStreams ?? DEFAULT_MAX_STREAMS;
  /** Open streams and how many of their requests are unanswered. */
  const open = new Map<Duplex, number>();
  const idleTimers = new WeakMap<Duplex, NodeJS.Timeout>();
  let closing = false;

  const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    counters.requests++;
    const stream = req.socket as unknown as Duplex;
    open.set(stream, (open.get(stream) ?? 0) + 1);
    if (closing) res.shouldKeepAlive = false;
    res.on('close', () => {
      const n = (open.get(stream) ?? 1) - 1;
      if (open.has(stream)) open.set(stream, n);
      if (closing && n === 0) stream.end();
      idleTimers.get(stream)?.refresh();
    });
    handler(req, res);
  });
  // Garbage from a visitor ends that stream only, and gently: a response already being
  // written (the garbage may be an unframed body after it) is flushed first, not cut.
  server.on('clientError', (_err, socket) => {
    const s = socket as unknown as Duplex & { _httpMessage?: { headersSent?: boolean } };
    if (!s.writable) return void s.destroy();
    if (s._httpMessage?.headersSent) s.end();
    else s.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });

  const accept = (stream: Duplex): void => {
    if (closing || open.size >= maxStreams) {
      counters.refused++;
      stream.destroy();
      return;
    }
    counters.streams++;
    visitors.set(stream, visitorOf(stream));
    open.set(stream, 0);
    counters.active = open.size;
    stream.on('error', () => undefined);
    const idleMs = opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    const idle = setTimeout(function check() {
      if ((open.get(stream) ?? 0) === 0) stream.destroy();
      else idle.refresh();
    }, idleMs);
    idle.unref();
    idleTimers.set(stream, idle);
    stream.once('close', () => {
      clearTimeout(idle);
      open.delete(stream);
      counters.active = open.size;
    });
    server.emit('connection', stream);
    // After the server's own listener, so it sees every byte first.
    stream.on('data', () => idle.refresh());
  };
  let stop: StopListening;
  try {
    stop = await opts.listen(accept);
  } catch (err) {
    inner.close?.();
    throw err;
  }

  return {
    counters,
    async close(): Promise<void> {
      if (closing) return;
      closing = true;
      await (typeof stop === 'function' ? stop() : stop.close());
      for (const [stream, inFlight] of open) if (inFlight === 0) stream.destroy();
      await waitUntil(() => open.size === 0, opts.graceMs ?? DEFAULT_GRACE_MS);
      for (const stream of open.keys()) stream.destroy();
      inner.close?.();
      server.close(() => undefined);
    },
  };
}

/** Resolves when `done()` holds (checked every 25 ms) or after `ms`. */
function waitUntil(done: () => boolean, ms: number): Promise<void> {
  return new Promise((resolve) => {
    if (done()) return resolve();
    const deadline = setTimeout(finish, ms);
    const poll = setInterval(() => {
      if (done()) finish();
    }, 25);
    function finish(): void {
      clearTimeout(deadline);
      clearInterval(poll);
      resolve();
    }
  });
}
