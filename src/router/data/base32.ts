import { DecodeError } from './errors.js';

/** RFC 4648 base32, lowercase and unpadded, as I2P's b32 addresses use it. */
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const LOOKUP = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = ((acc << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(acc >>> bits) & 31];
    }
  }
  if (bits > 0) out += ALPHABET[(acc << (5 - bits)) & 31];
  return out;
}

/**
 * Strict: lowercase alphabet only, no padding, a length some byte count encodes to, and zero
 * trailing bits (one text per byte string). The DecodeError offset is the character position.
 */
export function base32Decode(text: string, field = 'base32'): Uint8Array {
  const tail = text.length % 8;
  if (tail === 1 || tail === 3 || tail === 6) {
    throw new DecodeError(field, text.length, `length ${text.length} is not a valid unpadded base32 length`);
  }
  const out = new Uint8Array(Math.floor((text.length * 5) / 8));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? LOOKUP[c] : -1;
    if (v < 0) throw new DecodeError(field, i, `invalid character ${JSON.stringify(text[i])}`);
    acc = ((acc << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >>> bits) & 0xff;
    }
  }
  if (bits > 0 && (acc & ((1 << bits) - 1)) !== 0) {
    throw new DecodeError(field, text.length - 1, 'non-zero trailing bits');
  }
  return out;
}
