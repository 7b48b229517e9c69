import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from './static-handler.js';

/**
 * One line per request: time, method, path, status, body bytes, duration. No visitor identity
 * unless asked (`--log-visitors`): a log of who read what is exactly what a site behind an
 * anonymous network should not keep by accident. The query string is left out for the same
 * reason (tokens, searches).
 */

export interface AccessRecord {
  /** ms since the epoch, when the request arrived. */
  readonly time: number;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** Body bytes written to the visitor. */
  readonly bytes: number;
  readonly ms: number;
  /** False if the visitor or the stream went away before the response was complete. */
  readonly completed: boolean;
  readonly visitor?: string;
}

/** Paths longer than this are cut in the log (the request itself is not affected). */
export const MAX_LOGGED_PATH = 512;

/** The path without query, control characters escaped so a request cannot forge log lines. */
export function loggablePath(url: string | undefined): string {
  let p = url ?? '';
  const q = p.search(/[?#]/);
  if (q >= 0) p = p.slice(0, q);
  if (p.length > MAX_LOGGED_PATH) p = p.slice(0, MAX_LOGGED_PATH) + '…';
  // eslint-disable-next-line no-control-regex
  return p.replace(/[\x00-\x20\x7f"\\]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`) || '-';
}

/** `2026-11-26T04:41:41.000Z GET /index.html 200 1234 5ms [visitor] [aborted]` */
export function formatAccessLine(r: AccessRecord): string {
  const method = /^[A-Za-z-]{1,16}$/.test(r.method) ? r.method : '-';
  let line = `${new Date(r.time).toISOString()} ${method} ${r.path} ${r.status} ${r.bytes} ${Math.round(r.ms)}ms`;
  if (r.visitor !== undefined) line += ` ${r.visitor}`;
  if (!r.completed) line += ' aborted';
  return line;
}

export interface AccessLogOptions {
  readonly write: (line: string) => void;
  /** Add the visitor's b32 to each line. */
  readonly visitors?: boolean;
  readonly visitorOf?: (req: IncomingMessage) => string | undefined;
  /** Wall clock for the timestamp and a monotonic one for the duration; injectable for tests. */
  readonly now?: () => number;
  readonly monotonic?: () => number;
}

/** Wraps `handler` so each response, when it finishes or is cut, writes one line. */
export function withAccessLog(handler: RequestHandler, opts: AccessLogOptions): RequestHandler {
  const now = opts.now ?? Date.now;
  const mono = opts.monotonic ?? (() => performance.now());
  return (req, res) => {
    const time = now();
    const started = mono();
    const counter = countBody(res);
    let done = false;
    const finish = (completed: boolean): void => {
      if (done) return;
      done = true;
      opts.write(
        formatAccessLine({
          time,
          method: req.method ?? '-',
          path: loggablePath(req.url),
          status: res.statusCode,
          bytes: counter.bytes,
          ms: mono() - started,
          completed,
          ...(opts.visitors ? { visitor: opts.visitorOf?.(req) ?? '-' } : {}),
        }),
      );
    };
    res.on('finish', () => finish(true));
    res.on('close', () => finish(res.writableFinished));
    handler(req, res);
  };
}

/** Counts what the handler writes as body (whatever the framing), by wrapping write and end. */
function countBody(res: ServerResponse): { bytes: number } {
  const counter = { bytes: 0 };
  const add = (chunk: unknown, encoding?: unknown): void => {
    if (typeof chunk === 'string') counter.bytes += Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
    else if (chunk instanceof Uint8Array) counter.bytes += chunk.length;
  };
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.write = ((...args: unknown[]) => {
    add(args[0], args[1]);
    return write(...args);
  }) as ServerResponse['write'];
  res.end = ((...args: unknown[]) => {
    if (typeof args[0] !== 'function') add(args[0], args[1]);
    return end(...args);
  }) as ServerResponse['end'];
  return counter;
}
