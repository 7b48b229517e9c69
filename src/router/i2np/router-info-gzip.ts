/**
 * The gzip framing of a RouterInfo inside DatabaseStore. Compression matches the Java router's
 * header (i2np.rst: mtime 0, XFL 2, OS 0xFF -> 1F 8B 08 00 00 00 00 00 02 FF) so the bytes do not
 * reveal our implementation or OS. Decompression is always bounded: a few hundred bytes of gzip
 * can inflate to megabytes.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { DecodeError } from '../data/errors.js';

/** A RouterInfo is a few KiB at most; anything past this is hostile. */
export const DEFAULT_MAX_ROUTER_INFO_LENGTH = 64 * 1024;

const GZIP_XFL_OFFSET = 8;
const GZIP_OS_OFFSET = 9;

export function gzipRouterInfo(routerInfo: Uint8Array): Uint8Array {
  const out = new Uint8Array(gzipSync(routerInfo, { level: 9 }));
  // node writes mtime 0 already; XFL and OS are outside the CRC, so setting them is safe.
  out[GZIP_XFL_OFFSET] = 0x02;
  out[GZIP_OS_OFFSET] = 0xff;
  return out;
}

/**
 * Inflates at most `maxLength` bytes. Corrupt, truncated or oversized input becomes a
 * DecodeError (`base` is the offset of the gzip data in the message, for the report).
 */
export function gunzipRouterInfo(gzipped: Uint8Array, maxLength = DEFAULT_MAX_ROUTER_INFO_LENGTH, base = 0): Uint8Array {
  if (!Number.isSafeInteger(maxLength) || maxLength < 1) {
    throw new RangeError(`maxLength must be a positive integer, got ${maxLength}`);
  }
  let out: Buffer;
  try {
    out = gunzipSync(gzipped, { maxOutputLength: maxLength });
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw new DecodeError('routerInfo', base, `inflates past ${maxLength} bytes`);
    }
    throw new DecodeError('routerInfo', base, `bad gzip data: ${(e as Error).message ?? String(e)}`);
  }
  if (out.length === 0) throw new DecodeError('routerInfo', base, 'gzip data inflates to nothing');
  // Copy out of node's buffer so a kept RouterInfo never pins a pooled slab.
  return new Uint8Array(out);
}
