import { createCipheriv, createDecipheriv, createSecretKey, type Cipher, type Decipher, type KeyObject } from 'node:crypto';
import { CryptoError, checkLength } from './errors.js';

/*
 * A tunnel hop uses its two AES keys on every 1 KiB message for the tunnel's lifetime, so the
 * one-shot functions in aes.ts (a fresh cipher context and key schedule per call) would dominate
 * a relay's cost. Here each key is scheduled once and its contexts are kept:
 * - ECB without padding carries no state between whole-block updates: one context per direction.
 * - CBC encryption reuses one context too. Its chaining value after a call is the last
 *   ciphertext block, which we track; XORing (iv ^ chain) into the first plaintext block makes
 *   the next call start from `iv` as if the context were new.
 * - CBC decryption likewise: the context XORs the first block with its chain (the last
 *   ciphertext block it was given); XORing (chain ^ iv) into the first output block fixes it.
 * Every input is whole blocks (checked), so no context ever holds a partial block.
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
  #cbcEncrypt: Cipher | undefined;
  #cbcDecrypt: Decipher | undefined;
  /** The CBC contexts' chaining values: the last ciphertext block each has seen. */
  readonly #chain = new Uint8Array(BLOCK);
  readonly #decryptChain = new Uint8Array(BLOCK);
  readonly #fold = new Uint8Array(BLOCK);

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
    if (data.length === 0) return;
    // The context starts from a zero chain, which #chain holds until the first call.
    this.#cbcEncrypt ??= createCipheriv('aes-256-cbc', this.#key, this.#chain).setAutoPadding(false);
    const fold = this.#fold; // iv may alias data: read all of it before data changes
    for (let i = 0; i < BLOCK; i++) fold[i] = iv[i] ^ this.#chain[i];
    for (let i = 0; i < BLOCK; i++) data[i] ^= fold[i];
    const out = this.#cbcEncrypt.update(data);
    data.set(out);
    this.#chain.set(out.subarray(out.length - BLOCK));
  }

  cbcDecryptInPlace(iv: Uint8Array, data: Uint8Array): void {
    checkLength('AES-CBC IV', iv, BLOCK);
    checkBlocks('AES-CBC ciphertext', data);
    if (data.length === 0) return;
    this.#cbcDecrypt ??= createDecipheriv('aes-256-cbc', this.#key, this.#decryptChain).setAutoPadding(false);
    const out = this.#cbcDecrypt.update(data);
    // iv may alias data: it is read before data changes.
    for (let i = 0; i < BLOCK; i++) out[i] ^= this.#decryptChain[i] ^ iv[i];
    this.#decryptChain.set(data.subarray(data.length - BLOCK));
    data.set(out);
  }
}
