/**
 * Garlic (11) and Data (20) share one layout: a 4-byte length and exactly that many opaque bytes.
 * The length must account for the whole payload: a mismatch is an error, not padding.
 */
import { ByteReader, ByteWriter } from '../data/bytes.js';

export function encodeLengthPrefixed(data: Uint8Array): Uint8Array {
  return new ByteWriter(4 + data.length).u32('length', data.length).bytes(data).finish();
}

export function decodeLengthPrefixed(payload: Uint8Array, base: number, what: string): Uint8Array {
  const r = new ByteReader(payload, base);
  const lengthAt = r.offset;
  const length = r.u32('length');
  if (length !== r.remaining) r.fail('length', `says ${length} bytes but ${r.remaining} follow`, lengthAt);
  const data = r.bytesOf('data', length);
  r.end(what);
  return data;
}
