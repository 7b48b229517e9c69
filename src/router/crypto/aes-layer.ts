import { createCipheriv, createDecipheriv, createSecretKey, type Cipher, type Decipher, type KeyObject } from 'node:crypto';
import { CryptoError, checkLength } from './errors.js';

/*
 * A tunnel hop uses its two AES keys on every 1 KiB message for the tunnel's lifetime, so the
 * one-shot functions in aes.ts (a fresh cipher context and key schedule per call) would dominate
 * a relay's cost. Here the key is imported once as a KeyObject and the ECB contexts are kept:
 * ECB without padding carries no state between whole-block updates, so one context serves every
 * call. CBC encryption is inherently sequential and needs a context per IV; CBC decryption is
 * done as one ECB pass plus an XOR with the shifted ciphertext, which needs no new context.
 */
const BLOCK = 16;

function checkBlocks(what: string, data: Uint8Array): void {
  if (!(data instanceof Uint8Array)) throw new CryptoError('BAD_LENGTH', `${what}: expected bytes`);
  // A partial block would stay buffered in a cached context and corrupt every later call.
  if (data.length % BLOCK !== 0) {
    throw new CryptoError('BAD_LENGTH', `${what}: length ${data.length} is not a multiple of 16`);
  }
}

/** One AES-256 key, scheduled once, for in-place ECB and CBC (no padding) on whole blocks. */
export class Aes256Key {
  readonly #key: KeyObject;
  #ecbEncrypt: Cipher | undefined;
  #ecbDecrypt: Decipher | undefined;

  constructor(raw: Uint8Array) {
    checkLength('AES-256 key', raw, 32);
    this.#key = createSecretKey(raw);
  }

  ecbEncryptInPlace(data: Uint8Array): void {
    checkBlocks('AES-ECB plaintext', data);
    this.#ecbEncrypt ??= createCipheriv('aes-256-ecb', this.#key, null).setAutoPadding(false);
    data.set(this.#ecbEncrypt.update(data));
  }

  ecbDecryptInPlace(data: Uint8Array): void {
    checkBlocks('AES-ECB ciphertext', data);
    this.#ecbDecrypt ??= createDecipheriv('aes-256-ecb', this.#key, null).setAutoPadding(false);
    data.set(this.#ecbDecrypt.update(data));
  }

  cbcEncryptInPlace(iv: Uint8Array, data: Uint8Array): void {
    checkLength('AES-CBC IV', iv, BLOCK);
    checkBlocks('AES-CBC plaintext', data);
    // final() would emit nothing (no padding, whole blocks); skipping it saves a native call.
    data.set(createCipheriv('aes-256-cbc', this.#key, iv).setAutoPadding(false).update(data));
  }

  cbcDecryptInPlace(iv: Uint8Array, data: Uint8Array): void {
    checkLength('AES-CBC IV', iv, BLOCK);
    checkBlocks('AES-CBC ciphertext', data);
    if (data.length === 0) return;
    this.#ecbDecrypt ??= createDecipheriv('aes-256-ecb', this.#key, null).setAutoPadding(false);
    // P[i] = D(C[i]) xor C[i-1], with C[-1] = IV; `data` still holds the ciphertext until set().
    const out = this.#ecbDecrypt.update(data);
    for (let i = 0; i < BLOCK; i++) out[i] ^= iv[i];
    for (let i = BLOCK; i < out.length; i++) out[i] ^= data[i - BLOCK];
    data.set(out);
  }
}
