import { open, readFile as fsReadFile, stat } from 'node:fs/promises';
import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import type { Duplex, Writable } from 'node:stream';
import { FetchExit, exitCodeForConnectError, type FetchExitCode } from './exit-codes.js';
import { buildRequestBody, FetchUsageError, type FetchOptions } from './options.js';
import { FetchUrlError, resolveRedirect, type FetchHost, type FetchUrl } from './url.js';

/**
 * One fetch, curl-style, over whatever transport `connect` gives: HTTP/1.1 written straight
 * onto the stream (no proxy in between), `Connection: close`, a fixed User-Agent. Never throws
 * for anything the network or the site does: every outcome is a FetchResult with an exit code.
 */

/** The User-Agent i2pd's HTTP proxy sends for everyone, so ours does not stand out. */
export const FETCH_USER_AGENT = 'MYOB/6.66 (AN/ON)';
/** A Location header longer than this is not followed. */
const MAX_LOCATION = 8192;

export interface FetchProgress {
  /** Body bytes received in this run (not counting a resumed file's earlier part). */
  readonly received: number;
  /** Expected body bytes in this run, when the site said (Content-Length). */
  readonly total: number | undefined;
  /** Bytes already in the file before this run (-C). */
  readonly resumedFrom: number;
}

export interface FetchDeps {
  /** Opens a stream to the site. `host` is the URL's host as given (b32, name or base64). */
  connect(host: string, port: number, target: FetchHost): Promise<Duplex>;
  /** Resolves the host ahead of connect, so -v can time the lookup apart. Optional. */
  lookup?(host: string, target: FetchHost): Promise<unknown>;
  /**
   * Whether to call `lookup` for this host (default yes). No: connect resolves it (a b32 on a
   * SAM bridge that is not ours; i2pd 2.45 crashes on NAMING LOOKUP with its address book off).
   */
  lookupWanted?(target: FetchHost): boolean;
  /** Where the body goes without -o/-O. Never ended here. */
  readonly stdout: Writable;
  /** -v lines (the command writes them to stderr). */
  readonly verboseLog?: (line: string) => void;
  readonly onProgress?: (p: FetchProgress) => void;
  /** For -d @file. */
  readonly readFile?: (path: string) => Promise<Uint8Array>;
  /** A monotonic clock in ms, for timings. */
  readonly now?: () => number;
}

/** Each time is ms since the fetch started, for the last request made (after redirects). */
export interface FetchTimings {
  lookupMs?: number;
  connectMs?: number;
  firstByteMs?: number;
  totalMs: number;
}

export interface FetchResult {
  readonly exitCode: FetchExitCode;
  /** The last HTTP status received, if any. */
  readonly status?: number;
  /** One line for the user when exitCode is not 0 (or a note, e.g. "already complete"). */
  readonly message?: string;
  readonly timings: FetchTimings;
  /** Body bytes written in this run. */
  readonly bytes: number;
  /** The URL of the last request. */
  readonly url: string;
  readonly redirects: number;
}

class FetchFailure extends Error {
  constructor(
    readonly exitCode: FetchExitCode,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export async function fetchUrl(opts: FetchOptions, deps: FetchDeps): Promise<FetchResult> {
  const now = deps.now ?? (() => performance.now());
  const t0 = now();
  const timings: FetchTimings = { totalMs: 0 };
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  if (opts.maxTimeMs !== undefined) {
    timer = setTimeout(() => ac.abort(new FetchFailure(FetchExit.TIMEOUT, `timed out after ${opts.maxTimeMs} ms (--max-time)`)), opts.maxTimeMs);
  }
  const progress = { url: opts.url, redirects: 0, bytes: 0, status: undefined as number | undefined };
  const finish = (exitCode: FetchExitCode, message?: string): FetchResult => {
    timings.totalMs = now() - t0;
    if (opts.verbose) deps.verboseLog?.(`* timings: ${describeTimings(timings)}`);
    return {
      exitCode,
      ...(progress.status !== undefined ? { status: progress.status } : {}),
      ...(message !== undefined ? { message } : {}),
      timings,
      bytes: progress.bytes,
      url: progress.url.href,
      redirects: progress.redirects,
    };
  };
  try {
    const message = await run(opts, deps, ac.signal, progress, timings, () => now() - t0);
    return finish(FetchExit.OK, message);
  } catch (err) {
    const e = ac.signal.aborted ? (ac.signal.reason as FetchFailure) : err;
    if (e instanceof FetchFailure) return finish(e.exitCode, e.message);
    if (e instanceof FetchUrlError) return finish(FetchExit.BAD_URL, e.message);
    if (e instanceof FetchUsageError) return finish(FetchExit.USAGE, e.message);
    return finish(FetchExit.FAILURE, (e as Error)?.message ?? String(e));
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/**
 * A stream to the URL's host and port. A transport that carries no stream ports at all (a SAM
 * 3.1 bridge, as i2pd 2.45's: every stream of its clients arrives on port 0) refuses at once
 * with UNSUPPORTED: the 80 the URL only implied is dropped then, as those clients do. A port
 * written in the URL is never dropped.
 */
async function openStream(url: FetchUrl, deps: FetchDeps, signal: AbortSignal, vlog: (line: string) => void): Promise<{ stream: Duplex; port: number }> {
  const connect = (port: number) => abortable(deps.connect(url.host.host, port, url.host), signal, (late) => late.destroy());
  const failure = (err: unknown, port: number) =>
    signal.aborted ? err : new FetchFailure(exitCodeForConnectError(err), `cannot connect to ${url.hostHeader}${port === 0 ? '' : ` port ${port}`}: ${(err as Error).message}`);
  try {
    return { stream: await connect(url.port), port: url.port };
  } catch (err) {
    if (signal.aborted || url.portExplicit || url.port === 0 || (err as { code?: unknown }).code !== 'UNSUPPORTED') throw failure(err, url.port);
    vlog(`* ${(err as Error).message}: connecting without a port`);
  }
  try {
    return { stream: await connect(0), port: 0 };
  } catch (err) {
    throw failure(err, 0);
  }
}

export function describeTimings(t: FetchTimings): string {
  const f = (v: number | undefined): string => (v === undefined ? '-' : `${v.toFixed(1)} ms`);
  return `lookup ${f(t.lookupMs)}, connect ${f(t.connectMs)}, first byte ${f(t.firstByteMs)}, total ${f(t.totalMs)}`;
}

/** `p`, or a rejection with the abort reason as soon as `signal` fires. */
function abortable<T>(p: Promise<T>, signal: AbortSignal, onLate?: (v: T) => void): Promise<T> {
  if (signal.aborted) {
    p.then((v) => onLate?.(v), () => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      p.then((v) => onLate?.(v), () => undefined);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) onLate?.(v);
        else resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

async function outputFileSize(path: string): Promise<number> {
  try {
    const st = await stat(path);
    return st.isFile() ? st.size : 0;
  } catch {
    return 0;
  }
}

async function run(
  opts: FetchOptions,
  deps: FetchDeps,
  signal: AbortSignal,
  progress: { url: FetchUrl; redirects: number; bytes: number; status: number | undefined },
  timings: FetchTimings,
  elapsed: () => number,
): Promise<string | undefined> {
  const vlog = (line: string): void => {
    if (opts.verbose) deps.verboseLog?.(line);
  };
  let body = await buildRequestBody(opts.data, deps.readFile ?? ((p) => fsReadFile(p)));
  let method = opts.method;
  let resumeFrom = 0;
  if (opts.resume === 'auto' && opts.output.kind === 'file') resumeFrom = await outputFileSize(opts.output.path);
  else if (typeof opts.resume === 'number') resumeFrom = opts.resume;

  for (;;) {
    const url = progress.url;
    const { res, stream } = await exchange(url, method, body, resumeFrom, opts, deps, signal, timings, elapsed, vlog);
    try {
      const status = res.statusCode ?? 0;
      progress.status = status;
      const location = header(res, 'location');
      if (opts.followRedirects && REDIRECTS.has(status) && location !== undefined) {
        res.resume();
        if (progress.redirects >= opts.maxRedirects) {
          throw new FetchFailure(FetchExit.REDIRECTS, `more than ${opts.maxRedirects} redirects (--max-redirs)`, status);
        }
        if (location.length > MAX_LOCATION) throw new FetchFailure(FetchExit.BAD_URL, 'the redirect Location is too long');
        let next: FetchUrl;
        try {
          next = resolveRedirect(url, location);
        } catch (err) {
          const why = err instanceof FetchUrlError ? err.message : String(err);
          throw new FetchFailure(FetchExit.BAD_URL, `redirect refused: ${why}`, status);
        }
        progress.redirects++;
        progress.url = next;
        vlog(`* following the redirect to ${next.href}`);
        // curl's rules: 303 always becomes GET; 301 and 302 turn a POST into a GET.
        if ((status === 303 && method !== 'HEAD') || ((status === 301 || status === 302) && method === 'POST')) {
          method = 'GET';
          body = undefined;
        }
        continue;
      }
      const resuming = resumeFrom > 0;
      if (resuming && status === 416) {
        res.resume();
        return 'the file is already complete: nothing to resume';
      }
      if (opts.failOnHttpError && status >= 400) {
        res.resume();
        throw new FetchFailure(FetchExit.HTTP_ERROR, `the requested URL returned error: ${status}`, status);
      }
      if (opts.head) {
        await writeOutput(opts, deps, false, [Buffer.from(headBlock(res), 'latin1')], progress);
        res.resume();
        return undefined;
      }
      let append = false;
      if (resuming && status < 300) {
        if (status !== 206) {
          res.resume();
          throw new FetchFailure(FetchExit.RANGE, 'the site does not support byte ranges: cannot resume', status);
        }
        const start = contentRangeStart(header(res, 'content-range'));
        if (start !== resumeFrom) {
          res.resume();
          throw new FetchFailure(FetchExit.RANGE, `the site answered a different range (${header(res, 'content-range') ?? 'none'}): cannot resume`, status);
        }
        append = true;
      }
      await receiveBody(res, method, opts, deps, append, append ? resumeFrom : 0, progress);
      return undefined;
    } finally {
      // Once the response is read, end our side; on failure, cut the stream.
      if (res.complete) stream.end();
      else stream.destroy();
    }
  }
}

async function exchange(
  url: FetchUrl,
  method: string,
  body: Buffer | undefined,
  resumeFrom: number,
  opts: FetchOptions,
  deps: FetchDeps,
  signal: AbortSignal,
  timings: FetchTimings,
  elapsed: () => number,
  vlog: (line: string) => void,
): Promise<{ res: IncomingMessage; stream: Duplex }> {
  const target = url.host;
  delete timings.lookupMs;
  delete timings.connectMs;
  delete timings.firstByteMs;
  if (deps.lookup && deps.lookupWanted?.(target) === false) {
    vlog(`* not looking ${url.hostHeader} up: the bridge resolves it as it connects`);
  } else if (deps.lookup) {
    try {
      await abortable(deps.lookup(target.host, target), signal);
    } catch (err) {
      if (signal.aborted) throw err;
      throw new FetchFailure(exitCodeForConnectError(err), `cannot resolve ${url.hostHeader}: ${(err as Error).message}`);
    }
    timings.lookupMs = elapsed();
    vlog(`* resolved ${url.hostHeader}`);
  }
  const { stream, port } = await openStream(url, deps, signal, vlog);
  timings.connectMs = elapsed();
  vlog(`* connected to ${url.hostHeader} port ${port}`);
  // Whatever the site does to the stream later must not become an unhandled 'error' event;
  // the request and response report it where it matters.
  stream.on('error', () => undefined);
  const onAbort = (): void => {
    stream.destroy();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  stream.once('close', () => signal.removeEventListener('abort', onAbort));

  const headers = requestHeaders(url, method, body, resumeFrom, opts);
  const req = http.request({ method, path: url.path, headers, setHost: false, createConnection: () => stream });
  req.on('error', () => undefined);
  vlog(`> ${method} ${url.path} HTTP/1.1`);
  for (const [k, v] of Object.entries(headers)) vlog(`> ${k}: ${String(v)}`);
  vlog('>');
  try {
    const res = await abortable(
      new Promise<IncomingMessage>((resolve, reject) => {
        req.once('response', resolve);
        req.once('error', reject);
        req.end(body);
      }),
      signal,
    );
    timings.firstByteMs = elapsed();
    vlog(`< HTTP/${res.httpVersion} ${res.statusCode} ${res.statusMessage}`);
    for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) vlog(`< ${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
    vlog('<');
    return { res, stream };
  } catch (err) {
    stream.destroy();
    if (signal.aborted) throw err;
    const code = (err as { code?: string }).code ?? '';
    if (code.startsWith('HPE_')) throw new FetchFailure(FetchExit.WEIRD_REPLY, `${url.hostHeader} did not answer with HTTP (${(err as Error).message})`);
    throw new FetchFailure(FetchExit.RECV, `${url.hostHeader} closed the stream without an answer (${(err as Error).message})`);
  }
}

function requestHeaders(url: FetchUrl, method: string, body: Buffer | undefined, resumeFrom: number, opts: FetchOptions): OutgoingHttpHeaders {
  // Keyed by lower-case name so -H replaces ours whatever its case; the value keeps its name.
  const byName = new Map<string, [string, string]>();
  const set = (name: string, value: string): void => void byName.set(name.toLowerCase(), [name, value]);
  set('Host', url.hostHeader);
  set('User-Agent', FETCH_USER_AGENT);
  set('Accept', '*/*');
  if (resumeFrom > 0) set('Range', `bytes=${resumeFrom}-`);
  if (body !== undefined) {
    set('Content-Type', 'application/x-www-form-urlencoded');
    set('Content-Length', String(body.length));
  } else if (method === 'POST' || method === 'PUT') {
    set('Content-Length', '0');
  }
  for (const [name, value] of opts.headers) set(name, value);
  for (const name of opts.removeHeaders) byName.delete(name);
  // Every request is the only one on its stream: a stream is expensive to keep, cheap to close.
  set('Connection', 'close');
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of byName.values()) out[name] = value;
  return out;
}

function header(res: IncomingMessage, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function contentRangeStart(value: string | undefined): number | undefined {
  const m = value === undefined ? null : /^bytes\s+([0-9]{1,15})-([0-9]{1,15})\/([0-9]{1,15}|\*)$/i.exec(value.trim());
  return m ? Number(m[1]) : undefined;
}

/** What -I prints: the status line and the headers as received. */
function headBlock(res: IncomingMessage): string {
  let s = `HTTP/${res.httpVersion} ${res.statusCode} ${res.statusMessage}\r\n`;
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) s += `${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}\r\n`;
  return s + '\r\n';
}

/** An output opened when the first bytes are ready, so a failed fetch leaves no empty file behind. */
interface Sink {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

async function openSink(opts: FetchOptions, deps: FetchDeps, append: boolean): Promise<Sink> {
  if (opts.output.kind === 'stdout') return writableSink(deps.stdout, false);
  const path = opts.output.path;
  try {
    const handle = await open(path, append ? 'a' : 'w');
    return writableSink(handle.createWriteStream(), true);
  } catch (err) {
    throw new FetchFailure(FetchExit.WRITE, `cannot write ${path}: ${(err as Error).message}`);
  }
}

function writableSink(w: Writable, endAtClose: boolean): Sink {
  let failed: Error | undefined;
  const onError = (e: Error): void => {
    failed = e;
  };
  w.on('error', onError);
  const check = (): void => {
    if (failed) throw new FetchFailure(FetchExit.WRITE, `cannot write the output: ${failed.message}`);
  };
  return {
    async write(chunk) {
      check();
      if (!w.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            w.off('drain', done);
            w.off('error', done);
            w.off('close', done);
            resolve();
          };
          w.on('drain', done);
          w.on('error', done);
          w.on('close', done);
        });
      }
      check();
    },
    async close() {
      if (endAtClose) {
        await new Promise<void>((resolve) => {
          w.once('close', resolve);
          w.end();
        });
      }
      w.off('error', onError);
      check();
    },
  };
}

async function writeOutput(opts: FetchOptions, deps: FetchDeps, append: boolean, chunks: Uint8Array[], progress: { bytes: number }): Promise<void> {
  const sink = await openSink(opts, deps, append);
  try {
    for (const c of chunks) {
      await sink.write(c);
      progress.bytes += c.length;
    }
  } finally {
    await sink.close();
  }
}

async function receiveBody(
  res: IncomingMessage,
  method: string,
  opts: FetchOptions,
  deps: FetchDeps,
  append: boolean,
  resumedFrom: number,
  progress: { bytes: number },
): Promise<void> {
  const lengthHeader = header(res, 'content-length');
  // HEAD, 204 and 304 carry no body whatever Content-Length says (RFC 9112 §6.3).
  const bodyless = method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304;
  const total = !bodyless && lengthHeader !== undefined && /^[0-9]{1,15}$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
  const sink = await openSink(opts, deps, append);
  let received = 0;
  let closed = false;
  try {
    deps.onProgress?.({ received, total, resumedFrom });
    try {
      for await (const chunk of res) {
        const c = chunk as Buffer;
        await sink.write(c);
        received += c.length;
        progress.bytes += c.length;
        deps.onProgress?.({ received, total, resumedFrom });
      }
    } catch (err) {
      if (err instanceof FetchFailure) throw err;
      if (total !== undefined && received < total) {
        throw new FetchFailure(FetchExit.PARTIAL, `the stream ended after ${received} of ${total} bytes`, res.statusCode);
      }
      throw new FetchFailure(FetchExit.RECV, `the stream broke while receiving: ${(err as Error).message}`, res.statusCode);
    }
    closed = true;
    await sink.close();
    if (total !== undefined && received !== total) {
      throw new FetchFailure(FetchExit.PARTIAL, `the stream ended after ${received} of ${total} bytes`, res.statusCode);
    }
  } finally {
    if (!closed) await sink.close().catch(() => undefined);
  }
}
