import { realpath } from 'node:fs/promises';
import { join, sep } from 'node:path';

/**
 * From a request target to a file strictly inside the site's directory. Two steps: a pure
 * check of the decoded path (no `..`, no backslash, no NUL, no encoded slash) and then a
 * realpath of the candidate that must stay under the real root, so a symlink placed in the
 * directory cannot point the site at the rest of the disk.
 */

/** A request path longer than this is refused before decoding. */
export const MAX_PATH_LENGTH = 4096;
/** Deeper paths than this are not a site's. */
export const MAX_SEGMENTS = 64;
/** NAME_MAX on Linux. */
const MAX_SEGMENT_BYTES = 255;

export type PathVerdict =
  | { readonly ok: true; readonly segments: readonly string[]; readonly trailingSlash: boolean; readonly rawPath: string }
  | { readonly ok: false; readonly status: 400 | 403 | 404; readonly reason: string };

/**
 * The decoded segments of `target` (origin-form `/a/b?q`, or absolute-form `http://h/a/b`).
 * `.` and empty segments vanish; `..`, backslashes, NUL and encoded `/` are refused (403)
 * rather than normalised away, since no honest link contains them. Dotfiles other than
 * `.well-known` are 404: a site directory that is also a git checkout should not serve `.git/`.
 */
export function checkRequestPath(target: string): PathVerdict {
  if (target.length > MAX_PATH_LENGTH) return { ok: false, status: 400, reason: 'request path too long' };
  let path = target;
  const abs = /^https?:\/\/[^/?#]*/i.exec(path);
  if (abs) path = path.slice(abs[0].length) || '/';
  const cut = path.search(/[?#]/);
  if (cut >= 0) path = path.slice(0, cut);
  if (!path.startsWith('/')) return { ok: false, status: 400, reason: 'the request path must start with /' };
  if (path.includes('\\')) return { ok: false, status: 403, reason: 'backslashes are not allowed in paths' };
  const raw = path.split('/');
  if (raw.length > MAX_SEGMENTS + 2) return { ok: false, status: 404, reason: 'path too deep' };
  const segments: string[] = [];
  for (const r of raw) {
    let s: string;
    try {
      s = decodeURIComponent(r);
    } catch {
      return { ok: false, status: 400, reason: 'malformed percent-encoding' };
    }
    if (s.includes('\0')) return { ok: false, status: 403, reason: 'NUL in path' };
    if (s.includes('/') || s.includes('\\')) return { ok: false, status: 403, reason: 'encoded path separator' };
    if (s === '..') return { ok: false, status: 403, reason: 'path escapes the site directory' };
    if (s === '' || s === '.') continue;
    if (s.startsWith('.') && s !== '.well-known') return { ok: false, status: 404, reason: 'hidden file' };
    if (Buffer.byteLength(s, 'utf8') > MAX_SEGMENT_BYTES) return { ok: false, status: 404, reason: 'name too long' };
    segments.push(s);
  }
  return { ok: true, segments, trailingSlash: path.endsWith('/'), rawPath: path };
}

export type Resolved =
  | { readonly ok: true; readonly real: string }
  | { readonly ok: false; readonly status: 403 | 404 };

/** `rootReal/…segments` with every symlink resolved, if that still lies under `rootReal`. */
export async function resolveInside(rootReal: string, segments: readonly string[]): Promise<Resolved> {
  let real: string;
  try {
    real = await realpath(join(rootReal, ...segments));
  } catch (err) {
    const code = (err as { code?: string }).code;
    return { ok: false, status: code === 'EACCES' ? 403 : 404 };
  }
  if (!isInside(rootReal, real)) return { ok: false, status: 404 };
  return { ok: true, real };
}

/** True if `real` is `root` or below it (both already real paths). */
export function isInside(root: string, real: string): boolean {
  if (real === root) return true;
  const prefix = root.endsWith(sep) ? root : root + sep;
  return real.startsWith(prefix);
}
