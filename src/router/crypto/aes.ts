import { createCipheriv, createDecipheriv, type Cipher, type Decipher } from 'node:crypto';
import { CryptoError, checkLength } from './errors.js';

/*
 * AES-256 without padding, as every I2P use of AES is on whole blocks (NTCP2 key obfuscation,
 * tunnel layers, long build records). Inputs that are not a multiple of 16 bytes are rejected
 * with a typed error instead of OpenSSL's generic one.
 */
const BLOCK = 16;

function checkBlocks(what: string, data: Uint8Array): void {
  if (!(data instanceof Uint8Array)) throw new CryptoError('BAD_LENGTH', `${what}: expected bytes`);
  if (data.length % BLOCK !== 0) {
    throw new CryptoError('BAD_LENGTH', `${what}: length ${data.length} is not a multiple of 16`);
  }
}

function run(c: Cipher | Decipher, data: Uint8Array): Uint8Array {
  const out = c.update(data);
  // No padding and whole blocks: final() has nothing left to emit.
  c.final();
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

export function aes256CbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  checkLength('AES-256 key', key, 32);
  checkLength('AES-CBC IV', iv, 16);
  checkBlocks('AES-CBC plaintext', data);
  return run(createCipheriv('aes-256-cbc', key, iv).setAutoPadding(false), data);
}

export function aes256CbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  checkLength('AES-256 key', key, 32);
  checkLength('AES-CBC IV', iv, 16);
  checkBlocks('AES-CBC ciphertext', data);
  return run(createDecipheriv('aes-256-cbc', key, iv).setAutoPadding(false), data);
}

/** ECB on one or more blocks (the tunnel layer encrypts its IV this way). */
export function aes256EcbEncrypt(key: Uint8Array, data: Uint8Array): Uint8Array {
  checkLength('AES-256 key', key, 32);
  checkBlocks('AES-ECB plaintext', data);
  return run(createCipheriv('aes-256-ecb', key, null).setAutoPadding(false), data);
}

export function aes256EcbDecrypt(key: Uint8Array, data: Uint8Array): Uint8Array {
  checkLength('AES-256 key', key, 32);
  checkBlocks('AES-ECB ciphertext', data);
  return run(createDecipheriv('aes-256-ecb', key, null).setAutoPadding(false), data);
}

/**
 * A CBC stream whose chaining carries over between calls: NTCP2 encrypts message 2's ephemeral
 * key with the CBC state left by message 1 (IV = message 1's last ciphertext block).
 */
export class Aes256CbcStream {
  private readonly cipher: Cipher | Decipher;
  private lastBlock: Uint8Array;

  constructor(
    readonly direction: 'encrypt' | 'decrypt',
    key: Uint8Array,
    iv: Uint8Array,
  ) {
    checkLength('AES-256 key', key, 32);
    checkLength('AES-CBC IV', iv, 16);
    this.cipher =
      direction === 'encrypt'
        ? createCipheriv('aes-256-cbc', key, iv).setAutoPadding(false)
        : createDecipheriv('aes-256-cbc', key, iv).setAutoPadding(false);
    this.lastBlock = iv.slice();
  }

  /** Encrypts or decrypts whole blocks, continuing the chain from the previous call. */
  update(data: Uint8Array): Uint8Array {
    checkBlocks(`AES-CBC ${this.direction} input`, data);
    if (data.length === 0) return new Uint8Array(0);
    const out = this.cipher.update(data);
    const ciphertext = this.direction === 'encrypt' ? out : data;
    this.lastBlock = new Uint8Array(ciphertext.subarray(ciphertext.length - BLOCK));
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  }

  /** The IV the next block will be chained to (the last ciphertext block so far). */
  get iv(): Uint8Array {
    return this.lastBlock.slice();
  }
}
