import { createCipheriv, createDecipheriv } from 'node:crypto';
import { CryptoError, checkLength } from './errors.js';

/* ChaCha20 and ChaCha20-Poly1305 (RFC 7539) through OpenSSL. */

export const AEAD_TAG_LENGTH = 16;
const EMPTY = new Uint8Array(0);
const MAX_NONCE = 2n ** 64n - 1n;

function view(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/**
 * The 12-byte nonce Noise uses for ChaChaPoly: 4 zero bytes, then the 64-bit counter n
 * little-endian. 2^64 - 1 is reserved by Noise and refused here.
 */
export function noiseNonce(n: number | bigint): Uint8Array {
  const big = typeof n === 'bigint' ? n : Number.isSafeInteger(n) ? BigInt(n) : -1n;
  if (big < 0n || big >= MAX_NONCE) throw new CryptoError('BAD_LENGTH', `Noise nonce out of range: ${String(n)}`);
  const out = new Uint8Array(12);
  new DataView(out.buffer).setBigUint64(4, big, true);
  return out;
}

/** Returns ciphertext || 16-byte tag. */
export function chacha20Poly1305Encrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  associatedData: Uint8Array = EMPTY,
): Uint8Array {
  checkLength('ChaCha20-Poly1305 key', key, 32);
  checkLength('ChaCha20-Poly1305 nonce', nonce, 12);
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: AEAD_TAG_LENGTH });
  c.setAAD(associatedData, { plaintextLength: plaintext.length });
  const body = c.update(plaintext);
  c.final();
  const out = new Uint8Array(body.length + AEAD_TAG_LENGTH);
  out.set(body, 0);
  out.set(c.getAuthTag(), body.length);
  return out;
}

/** Takes ciphertext || tag; throws CryptoError('AUTH_FAILED') when the tag does not match. */
export function chacha20Poly1305Decrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  ciphertext: Uint8Array,
  associatedData: Uint8Array = EMPTY,
): Uint8Array {
  checkLength('ChaCha20-Poly1305 key', key, 32);
  checkLength('ChaCha20-Poly1305 nonce', nonce, 12);
  if (!(ciphertext instanceof Uint8Array) || ciphertext.length < AEAD_TAG_LENGTH) {
    throw new CryptoError('AUTH_FAILED', 'ChaCha20-Poly1305: ciphertext shorter than the tag');
  }
  const bodyLength = ciphertext.length - AEAD_TAG_LENGTH;
  const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: AEAD_TAG_LENGTH });
  d.setAAD(associatedData, { plaintextLength: bodyLength });
  d.setAuthTag(ciphertext.subarray(bodyLength));
  const body = d.update(ciphertext.subarray(0, bodyLength));
  try {
    d.final();
  } catch {
    throw new CryptoError('AUTH_FAILED', 'ChaCha20-Poly1305: authentication failed');
  }
  return view(body);
}

/** AEAD with the Noise nonce built from counter n. */
export function chacha20Poly1305EncryptN(
  key: Uint8Array,
  n: number | bigint,
  plaintext: Uint8Array,
  associatedData: Uint8Array = EMPTY,
): Uint8Array {
  return chacha20Poly1305Encrypt(key, noiseNonce(n), plaintext, associatedData);
}

export function chacha20Poly1305DecryptN(
  key: Uint8Array,
  n: number | bigint,
  ciphertext: Uint8Array,
  associatedData: Uint8Array = EMPTY,
): Uint8Array {
  return chacha20Poly1305Decrypt(key, noiseNonce(n), ciphertext, associatedData);
}

/**
 * Raw ChaCha20 keystream XOR (RFC 7539 §2.4), starting at block `counter`. The 32-bit block
 * counter must not wrap: OpenSSL would carry into the nonce, RFC 7539 forbids it.
 */
export function chacha20(key: Uint8Array, nonce: Uint8Array, data: Uint8Array, counter = 0): Uint8Array {
  checkLength('ChaCha20 key', key, 32);
  checkLength('ChaCha20 nonce', nonce, 12);
  if (!Number.isInteger(counter) || counter < 0 || counter > 0xffffffff) {
    throw new CryptoError('BAD_LENGTH', `ChaCha20: counter out of range: ${counter}`);
  }
  const blocks = Math.ceil(data.length / 64);
  if (counter + blocks > 0x100000000) throw new CryptoError('BAD_LENGTH', 'ChaCha20: block counter would wrap');
  // OpenSSL's 16-byte IV is the little-endian block counter followed by the nonce.
  const iv = new Uint8Array(16);
  new DataView(iv.buffer).setUint32(0, counter, true);
  iv.set(nonce, 4);
  const c = createCipheriv('chacha20', key, iv);
  const out = c.update(data);
  c.final();
  return view(out);
}
