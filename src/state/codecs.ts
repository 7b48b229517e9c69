import type { KeyCodec, ValueCodec } from './store.js';

const utf8Encoder = new TextEncoder();
// fatal: a stored string that is not UTF-8 is corruption, not something to paper over.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** Raw bytes, copied both ways so neither the caller nor the store can alias the other's. */
export const bytesCodec: ValueCodec<Uint8Array> = {
  name: 'bytes',
  encode: (value) => new Uint8Array(value),
  decode: (bytes) => new Uint8Array(bytes),
};

export const utf8Codec: ValueCodec<string> = {
  name: 'utf8',
  encode: (value) => utf8Encoder.encode(value),
  decode: (bytes) => utf8Decoder.decode(bytes),
};

/**
 * JSON records. `validate` checks the parsed shape (and may upgrade it) so a damaged or
 * foreign record is rejected at the store, not deep in the router. Uint8Array and bigint do not
 * survive JSON: hex or base64 them, or use a byte codec.
 */
export function jsonCodec<V>(validate?: (parsed: unknown) => V): ValueCodec<V> {
  return {
    name: 'json',
    encode: (value) => utf8Encoder.encode(JSON.stringify(value)),
    decode: (bytes) => {
      const parsed: unknown = JSON.parse(utf8Decoder.decode(bytes));
      return validate ? validate(parsed) : (parsed as V);
    },
  };
}

/** Strings as UTF-8: byte order equals code point order, so ranges behave as expected. */
export const stringKeys: KeyCodec<string> = {
  encode: (key) => utf8Encoder.encode(key),
  decode: (bytes) => utf8Decoder.decode(bytes),
};

/** Binary keys (router hashes, destination hashes), in byte order. */
export const bytesKeys: KeyCodec<Uint8Array> = {
  encode: (key) => new Uint8Array(key),
  decode: (bytes) => new Uint8Array(bytes),
};
