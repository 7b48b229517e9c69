import { constants as fsc, realpathSync, statSync, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import { fileEtag, httpDate, ifRangeAllows, isNotModified, lastModifiedSeconds } from './conditional.js';
import { SiteError } from './errors.js';
import { SERVER_HEADER, errorPage, sendErrorPage } from './html.js';
import { listingPage, readListing } from './listing.js';
import { contentTypeFor } from './mime.js';
import { parseRange } from './range.js';
import { checkRequestPath, resolveInside } from './safe-path.js';

export interface StaticOptions {
  /** The directory to serve; must exist. Symlinks inside it may point only inside it. */
  readonly dir: string;
  /** Serve an HTML listing for a directory without an index file (default: 404). */
  readonly list?: boolean;
  /** Index files tried in order for a directory. */
  readonly index?: readonly string[];
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export const DEFAULT_INDEX = ['index.html', 'index.htm'] as const;
/** A site may provide its own not-found page under this name at its root. */
export const NOT_FOUND_PAGE = '404.html';
/** The custom 404 page is read whole into memory; anything bigger is ignored. */
const MAX_NOT_FOUND_PAGE = 256 * 1024;

/** Checks `dir` now, so a missing directory is one clear line at start rather than 404s later. */
export function realSiteDir(dir: string): string {
  let st: Stats;
  try {
    st = statSync(dir);
  } catch (err) {
    throw new SiteError('NO_DIR', `${dir} does not exist`, { cause: err });
  }
  if (!st.isDirectory()) throw new SiteError('NOT_A_DIRECTORY', `${dir} is not a directory`);
  return realpathSync(dir);
}

/**
 * A request handler serving a directory: GET and HEAD, index files, ETag/Last-Modified with
 * 304s, single byte ranges (206/416), bodies streamed from the file. Never throws; every
 * failure is a response (or, once headers are out, a destroyed response).
 */
export function createStaticHandler(opts: StaticOptions): RequestHandler {
  const root = realSiteDir(opts.dir);
  const index = opts.index ?? DEFAULT_INDEX;
  const list = opts.list ?? false;

  async function notFound(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const page = await readNotFoundPage(root);
    if (page === undefined) return sendErrorPage(res, req.method, 404, 'Nothing here.');
    baseHeaders(res);
    res.statusCode = 404;
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Content-Length', page.length);
    res.setHeader('Cache-Control', 'no-store');
    res.end(req.method === 'HEAD' ? undefined : page);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.sendDate = false; // the Date header tells every visitor this host's clock skew
    const method = req.method ?? '';
    if (method !== 'GET' && method !== 'HEAD') {
      return sendErrorPage(res, method, 405, `${method} is not supported here.`, { Allow: 'GET, HEAD' });
    }
    const verdict = checkRequestPath(req.url ?? '');
    if (!verdict.ok) {
      if (verdict.status === 404) return notFound(req, res);
      return sendErrorPage(res, method, verdict.status, verdict.reason);
    }
    const target = await resolveInside(root, verdict.segments);
    if (!target.ok) return target.status === 404 ? notFound(req, res) : sendErrorPage(res, method, 403, 'Forbidden.');
    const opened = await openRegular(target.real);
    if (opened === 'dir') {
      if (!verdict.trailingSlash) {
        // Relative links in the index page resolve against the directory only with the slash.
        // Rebuilt from the checked segments, never from the raw path: "//host/dir" must not
        // become a Location that points at another site.
        const q = (req.url ?? '').indexOf('?');
        const location = '/' + verdict.segments.map((s) => encodeURIComponent(s) + '/').join('') + (q >= 0 ? (req.url ?? '').slice(q) : '');
        return redirect(res, method, location);
      }
      for (const name of index) {
        const idx = await resolveInside(root, [...verdict.segments, name]);
        if (!idx.ok) continue;
        const f = await openRegular(idx.real);
        if (typeof f === 'object') return sendFile(req, res, f.handle, f.stat, name);
      }
      if (!list) return notFound(req, res);
      const { entries, truncated } = await readListing(target.real);
      const body = Buffer.from(listingPage('/' + verdict.segments.map((s) => s + '/').join(''), entries, truncated), 'utf8');
      baseHeaders(res);
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.setHeader('Content-Length', body.length);
      res.setHeader('Cache-Control', 'no-cache');
      res.end(method === 'HEAD' ? undefined : body);
      return;
    }
    if (opened === 'missing') return notFound(req, res);
    return sendFile(req, res, opened.handle, opened.stat, target.real);
  }

  return (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendErrorPage(res, req.method, 500, 'The site could not answer this request.');
      else res.destroy(err instanceof Error ? err : new Error(String(err)));
    });
  };
}

function baseHeaders(res: ServerResponse): void {
  res.setHeader('Server', SERVER_HEADER);
  res.setHeader('X-Content-Type-Options', 'nosniff');
}

function redirect(res: ServerResponse, method: string, location: string): void {
  const body = Buffer.from(errorPage(301, `Moved to ${location}`), 'utf8');
  baseHeaders(res);
  res.statusCode = 301;
  res.setHeader('Location', location);
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Length', body.length);
  res.end(method === 'HEAD' ? undefined : body);
}

/**
 * Open a real path (already checked to be inside the root). O_NOFOLLOW so that a last
 * component swapped for a symlink after the realpath check is refused, not followed.
 */
async function openRegular(real: string): Promise<{ handle: FileHandle; stat: Stats } | 'dir' | 'missing'> {
  let handle: FileHandle;
  try {
    handle = await open(real, fsc.O_RDONLY | (fsc.O_NOFOLLOW ?? 0));
  } catch {
    return 'missing';
  }
  let keep = false;
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) return 'dir';
    if (!stat.isFile()) return 'missing'; // fifos, sockets, devices: never read from a site
    keep = true;
    return { handle, stat };
  } finally {
    if (!keep) await handle.close().catch(() => undefined);
  }
}

async function readNotFoundPage(root: string): Promise<Buffer | undefined> {
  const r = await resolveInside(root, [NOT_FOUND_PAGE]);
  if (!r.ok) return undefined;
  const f = await openRegular(r.real);
  if (typeof f !== 'object') return undefined;
  try {
    if (f.stat.size > MAX_NOT_FOUND_PAGE) return undefined;
    return await f.handle.readFile();
  } finally {
    await f.handle.close().catch(() => undefined);
  }
}

/** Answer from an open file; takes ownership of `handle` (closed on every path). */
function sendFile(req: IncomingMessage, res: ServerResponse, handle: FileHandle, stat: Stats, name: string): void {
  let handedOff = false;
  try {
    const method = req.method ?? 'GET';
    const size = stat.size;
    const etag = fileEtag(size, stat.mtimeMs);
    baseHeaders(res);
    res.setHeader('ETag', etag);
    res.setHeader('Last-Modified', httpDate(lastModifiedSeconds(stat.mtimeMs)));
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('Accept-Ranges', 'bytes');
    if (isNotModified(req.headers, etag, stat.mtimeMs)) {
      res.statusCode = 304;
      res.end();
      return;
    }
    res.setHeader('Content-Type', contentTypeFor(name));
    const rangeHeader = ifRangeAllows(header(req, 'if-range'), etag, stat.mtimeMs) ? header(req, 'range') : undefined;
    const range = parseRange(rangeHeader, size);
    if (range.kind === 'unsatisfiable') {
      res.removeHeader('Content-Type');
      sendErrorPage(res, method, 416, `The file has ${size} bytes.`, { 'Content-Range': `bytes */${size}` });
      return;
    }
    let start = 0;
    let end = size - 1;
    if (range.kind === 'partial') {
      ({ start, end } = range);
      res.statusCode = 206;
      res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
    } else {
      res.statusCode = 200;
    }
    const length = size === 0 ? 0 : end - start + 1;
    res.setHeader('Content-Length', length);
    if (method === 'HEAD' || length === 0) {
      res.end();
      return;
    }
    const body = handle.createReadStream({ start, end, autoClose: true });
    handedOff = true;
    // pipeline destroys the file stream (closing the handle) if the visitor goes away.
    pipeline(body, res, () => undefined);
  } finally {
    if (!handedOff) handle.close().catch(() => undefined);
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}
