import { DecodeError } from './errors.js';

/** I2P Base64: RFC 4648 with '-' and '~' in place of '+' and '/', '=' padded. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-~';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

export function i2pBase64Encode(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 3 <= bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += ALPHABET[n >>> 18] + ALPHABET[(n >>> 12) & 63] + ALPHABET[(n >>> 6) & 63] + ALPHABET[n & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i] << 16;
    out += ALPHABET[n >>> 18] + ALPHABET[(n >>> 12) & 63] + '==';
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += ALPHABET[n >>> 18] + ALPHABET[(n >>> 12) & 63] + ALPHABET[(n >>> 6) & 63] + '=';
  }
  return out;
}

/**
 * Strict: the length is a multiple of 4, '=' only as the final one or two characters, no
 * characters outside the alphabet (no whitespace, no '+' or '/'), and unused bits zero — so each
 * byte string has exactly one accepted text and a key can't be smuggled in two spellings.
 * The DecodeError offset is the character position.
 */
export function i2pBase64Decode(text: string, field = 'base64'): Uint8Array {
  if (text.length % 4 !== 0) {
    throw new DecodeError(field, text.length, `length ${text.length} is not a multiple of 4`);
  }
  let pad = 0;
  if (text.endsWith('==')) pad = 2;
  else if (text.endsWith('=')) pad = 1;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  const sextet = (pos: number): number => {
    const c = text.charCodeAt(pos);
    const v = c < 128 ? LOOKUP[c] : -1;
    if (v < 0) throw new DecodeError(field, pos, `invalid character ${JSON.stringify(text[pos])}`);
    return v;
  };
  let o = 0;
  const full = text.length - (pad ? 4 : 0);
  for (let i = 0; i < full; i += 4) {
    const n = (sextet(i) << 18) | (sextet(i + 1) << 12) | (sextet(i + 2) << 6) | sextet(i + 3);
    out[o++] = n >>> 16;
    out[o++] = (n >>> 8) & 0xff;
    out[o++] = n & 0xff;
  }
  if (pad) {
    const i = full;
    const a = sextet(i);
    const b = sextet(i + 1);
    if (pad === 2) {
      if (b & 0x0f) throw new DecodeError(field, i + 1, 'non-zero unused bits before padding');
      out[o++] = (a << 2) | (b >>> 4);
    } else {
      const c = sextet(i + 2);
      if (c & 0x03) throw new DecodeError(field, i + 2, 'non-zero unused bits before padding');
      out[o++] = (a << 2) | (b >>> 4);
      out[o++] = ((b & 0x0f) << 4) | (c >>> 2);
    }
  }
  return out;
}
