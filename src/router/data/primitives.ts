import { ByteReader, ByteWriter } from './bytes.js';
import { EncodeError } from './errors.js';

/** I2P Integer: 1 to 8 bytes, big-endian, unsigned. Returned as bigint so all 8 bytes fit. */
export function readInteger(r: ByteReader, field: string, length: number): bigint {
  checkIntegerLength(length);
  const b = r.view(field, length);
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

export function writeInteger(w: ByteWriter, field: string, value: bigint | number, length: number): void {
  checkIntegerLength(length);
  const v = BigInt(value);
  if (v < 0n || v >= 1n << BigInt(8 * length)) {
    throw new EncodeError(field, `value ${value} does not fit in ${length} byte(s)`);
  }
  const out = new Uint8Array(length);
  let x = v;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  w.bytes(out);
}

function checkIntegerLength(length: number): void {
  if (!Number.isInteger(length) || length < 1 || length > 8) {
    throw new RangeError(`I2P Integer length must be 1..8, got ${length}`);
  }
}

/** I2P Date: 8-byte milliseconds since the epoch; 0 means undefined. A safe JS number. */
export function readDate(r: ByteReader, field: string): number {
  return r.u64Number(field);
}

export function writeDate(w: ByteWriter, field: string, ms: number): void {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new EncodeError(field, `date ${ms} is not a non-negative safe integer`);
  w.u64(field, ms);
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();
// In 'u' mode a surrogate pair is one code point, so this matches only unpaired halves.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * I2P String: a length byte then up to 255 bytes of UTF-8. Invalid UTF-8 is refused: a string
 * that does not survive decode/encode unchanged would break the signature on re-encoding.
 */
export function readString(r: ByteReader, field: string): string {
  const len = r.u8(`${field}.length`);
  const at = r.offset;
  const bytes = r.view(field, len);
  try {
    return utf8.decode(bytes);
  } catch {
    return r.fail(field, 'is not valid UTF-8', at);
  }
}

export function stringBytes(field: string, s: string): Uint8Array {
  const b = utf8Encoder.encode(s);
  if (b.length > 255) throw new EncodeError(field, `is ${b.length} bytes of UTF-8, the limit is 255`);
  // A lone surrogate would encode as U+FFFD and not decode back to the same string.
  if (LONE_SURROGATE.test(s)) throw new EncodeError(field, 'contains a lone surrogate');
  return b;
}

export function writeString(w: ByteWriter, field: string, s: string): void {
  const b = stringBytes(field, s);
  w.u8(`${field}.length`, b.length);
  w.bytes(b);
}

export function decodeString(bytes: Uint8Array, field = 'string'): string {
  const r = new ByteReader(bytes);
  const s = readString(r, field);
  r.end(field);
  return s;
}

export function encodeString(s: string, field = 'string'): Uint8Array {
  const w = new ByteWriter(s.length + 1);
  writeString(w, field, s);
  return w.finish();
}
