/**
 * Validators and conditional requests (RFC 9110 §8.8, §13) for files: an ETag from size and
 * mtime, Last-Modified at one-second resolution, and the checks for If-None-Match,
 * If-Modified-Since and If-Range. Pure functions of header text and file metadata.
 */

/** Longer conditional headers are treated as absent rather than scanned. */
export const MAX_CONDITION_HEADER = 8192;
const MAX_TAGS = 64;

/** A strong ETag: any change of size or mtime (ms) changes it. Strong, so If-Range can use it. */
export function fileEtag(size: number, mtimeMs: number): string {
  return `"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`;
}

/** HTTP dates carry whole seconds; comparisons use the mtime truncated the same way. */
export function lastModifiedSeconds(mtimeMs: number): number {
  return Math.floor(mtimeMs / 1000) * 1000;
}

export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

function opaque(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}

/** If-None-Match with weak comparison (§13.1.2): `*` or any listed tag equal to ours. */
export function noneMatchHit(header: string | undefined, etag: string): boolean {
  if (header === undefined || header.length > MAX_CONDITION_HEADER) return false;
  const h = header.trim();
  if (h === '*') return true;
  const tags = h.split(',', MAX_TAGS);
  const ours = opaque(etag);
  return tags.some((t) => opaque(t.trim()) === ours);
}

/** If-Modified-Since (§13.1.3): true if the file did not change after the given date. */
export function notModifiedSince(header: string | undefined, mtimeMs: number): boolean {
  if (header === undefined || header.length > 64) return false;
  const since = Date.parse(header);
  if (Number.isNaN(since)) return false;
  return lastModifiedSeconds(mtimeMs) <= since;
}

/**
 * If-Range (§13.1.5): whether the Range may be honoured. An entity tag must match strongly
 * (a weak one never does); a date must equal Last-Modified exactly.
 */
export function ifRangeAllows(header: string | undefined, etag: string, mtimeMs: number): boolean {
  if (header === undefined) return true;
  const h = header.trim();
  if (h.startsWith('W/')) return false;
  if (h.startsWith('"')) return h === etag && !etag.startsWith('W/');
  const date = Date.parse(h);
  return !Number.isNaN(date) && date === lastModifiedSeconds(mtimeMs);
}

/**
 * Whether a GET/HEAD gets 304: If-None-Match decides when present (§13.2.2 step 3), else
 * If-Modified-Since.
 */
export function isNotModified(
  headers: { 'if-none-match'?: string | undefined; 'if-modified-since'?: string | undefined },
  etag: string,
  mtimeMs: number,
): boolean {
  if (headers['if-none-match'] !== undefined) return noneMatchHit(headers['if-none-match'], etag);
  return notModifiedSince(headers['if-modified-since'], mtimeMs);
}
