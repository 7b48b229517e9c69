import { ByteReader } from './bytes.js';

/** What every decodeX accepts: a reader positioned inside a larger structure, or whole bytes. */
export type DecodeInput = ByteReader | Uint8Array;

/**
 * Runs a decoder. Given whole bytes, the structure must use them all (trailing bytes are an
 * error, never silently ignored); given a reader, it reads its part and leaves the rest.
 */
export function decodeFrom<T>(input: DecodeInput, what: string, read: (r: ByteReader) => T): T {
  if (input instanceof ByteReader) return read(input);
  const r = new ByteReader(input);
  const value = read(r);
  r.end(what);
  return value;
}
