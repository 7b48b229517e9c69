import { chacha20 as nobleChacha20, chacha20poly1305 } from '@noble/ciphers/chacha.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  chacha20,
  chacha20Poly1305Decrypt,
  chacha20Poly1305DecryptN,
  chacha20Poly1305Encrypt,
  chacha20Poly1305EncryptN,
  CryptoError,
  noiseNonce,
} from '../../../src/router/crypto/index.js';
import vectors from '../../vectors/rfc7539.json' with { type: 'json' };
import { hex, seeded, toHex } from './helpers.js';

describe('RFC 7539 vectors', () => {
  it('block function (§2.3.2, A.1): keystream from the given counter', () => {
    for (const v of vectors.block) {
      expect(toHex(chacha20(hex(v.key), hex(v.nonce), new Uint8Array(64), v.counter))).toBe(v.keystream);
    }
  });

  it('cipher (§2.4.2, A.2)', () => {
    for (const v of vectors.cipher) {
      expect(toHex(chacha20(hex(v.key), hex(v.nonce), hex(v.plaintext), v.counter))).toBe(v.ciphertext);
      expect(toHex(chacha20(hex(v.key), hex(v.nonce), hex(v.ciphertext), v.counter))).toBe(v.plaintext);
    }
  });

  it('AEAD (§2.8.2)', () => {
    for (const v of vectors.aead) {
      const out = chacha20Poly1305Encrypt(hex(v.key), hex(v.nonce), hex(v.plaintext), hex(v.aad));
      expect(toHex(out)).toBe(v.ciphertext + v.tag);
      expect(toHex(chacha20Poly1305Decrypt(hex(v.key), hex(v.nonce), out, hex(v.aad)))).toBe(v.plaintext);
    }
  });
});

describe('ChaCha20 / ChaCha20-Poly1305 differential against @noble/ciphers', () => {
  it('matches noble on 1000 random inputs each', () => {
    const rnd = seeded(0xc4a);
    for (let i = 0; i < 1000; i++) {
      const key = rnd(32);
      const nonce = rnd(12);
      const data = rnd(i % 300);
      const ad = rnd(i % 40);
      const counter = i % 5 === 0 ? 0xfffffff0 : i;
      expect(chacha20(key, nonce, data, counter)).toEqual(nobleChacha20(key, nonce, data, undefined, counter));
      const sealed = chacha20Poly1305Encrypt(key, nonce, data, ad);
      expect(sealed).toEqual(chacha20poly1305(key, nonce, ad).encrypt(data));
      expect(chacha20Poly1305Decrypt(key, nonce, sealed, ad)).toEqual(data);
    }
  });
});

describe('ChaCha20-Poly1305 failures', () => {
  const key = new Uint8Array(32).fill(1);
  const nonce = new Uint8Array(12);
  const sealed = chacha20Poly1305Encrypt(key, nonce, new TextEncoder().encode('garlic'), Uint8Array.of(9));

  it('any flipped bit, wrong AD, short input → AUTH_FAILED', () => {
    for (let bit = 0; bit < sealed.length * 8; bit++) {
      const t = sealed.slice();
      t[bit >> 3] ^= 1 << (bit & 7);
      expect(() => chacha20Poly1305Decrypt(key, nonce, t, Uint8Array.of(9))).toThrow(
        expect.objectContaining({ code: 'AUTH_FAILED' }),
      );
    }
    expect(() => chacha20Poly1305Decrypt(key, nonce, sealed, Uint8Array.of(8))).toThrow(
      expect.objectContaining({ code: 'AUTH_FAILED' }),
    );
    expect(() => chacha20Poly1305Decrypt(key, nonce, sealed.subarray(0, 15))).toThrow(
      expect.objectContaining({ code: 'AUTH_FAILED' }),
    );
  });

  it('arbitrary ciphertexts give plaintext or CryptoError, never another exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          chacha20Poly1305Decrypt(key, nonce, bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(CryptoError);
        }
      }),
    );
  });

  it('checks key, nonce and counter ranges', () => {
    expect(() => chacha20(new Uint8Array(31), nonce, new Uint8Array(1))).toThrow(CryptoError);
    expect(() => chacha20(key, new Uint8Array(8), new Uint8Array(1))).toThrow(CryptoError);
    expect(() => chacha20(key, nonce, new Uint8Array(65), 0xffffffff)).toThrow(CryptoError);
    expect(() => chacha20(key, nonce, new Uint8Array(1), -1)).toThrow(CryptoError);
    expect(() => chacha20Poly1305Encrypt(key, new Uint8Array(24), new Uint8Array(1))).toThrow(CryptoError);
  });
});

describe('Noise nonce', () => {
  it('is 4 zero bytes then the little-endian 64-bit counter', () => {
    expect(toHex(noiseNonce(0))).toBe('000000000000000000000000');
    expect(toHex(noiseNonce(0x0102030405))).toBe('000000000504030201000000');
    expect(toHex(noiseNonce(2n ** 64n - 2n))).toBe('00000000feffffffffffffff');
    expect(() => noiseNonce(2n ** 64n - 1n)).toThrow(CryptoError);
    expect(() => noiseNonce(-1)).toThrow(CryptoError);
    expect(() => noiseNonce(1.5)).toThrow(CryptoError);
  });

  it('counter helpers equal the explicit nonce', () => {
    const key = new Uint8Array(32).fill(3);
    const pt = Uint8Array.of(1, 2, 3);
    const sealed = chacha20Poly1305EncryptN(key, 7, pt, Uint8Array.of(4));
    expect(sealed).toEqual(chacha20Poly1305Encrypt(key, noiseNonce(7), pt, Uint8Array.of(4)));
    expect(chacha20Poly1305DecryptN(key, 7n, sealed, Uint8Array.of(4))).toEqual(pt);
    expect(() => chacha20Poly1305DecryptN(key, 8, sealed, Uint8Array.of(4))).toThrow(CryptoError);
  });
});
