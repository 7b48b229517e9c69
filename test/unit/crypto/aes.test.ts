import { cbc, ecb } from '@noble/ciphers/aes.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Aes256CbcStream,
  aes256CbcDecrypt,
  aes256CbcEncrypt,
  aes256EcbDecrypt,
  aes256EcbEncrypt,
  CryptoError,
} from '../../../src/router/crypto/index.js';
import { seeded } from './helpers.js';

describe('AES-256 differential against @noble/ciphers', () => {
  it('CBC and ECB match noble on 1000 random inputs', () => {
    const rnd = seeded(0xae5);
    for (let i = 0; i < 1000; i++) {
      const key = rnd(32);
      const iv = rnd(16);
      const data = rnd(16 * (i % 8));
      const ct = aes256CbcEncrypt(key, iv, data);
      expect(ct).toEqual(cbc(key, iv, { disablePadding: true }).encrypt(data));
      expect(aes256CbcDecrypt(key, iv, ct)).toEqual(data);
      const e = aes256EcbEncrypt(key, data);
      expect(e).toEqual(ecb(key, { disablePadding: true }).encrypt(data));
      expect(aes256EcbDecrypt(key, e)).toEqual(data);
    }
  });
});

describe('AES-256 input checks', () => {
  it('rejects partial blocks and bad key/IV sizes with CryptoError', () => {
    const key = new Uint8Array(32);
    const iv = new Uint8Array(16);
    expect(() => aes256CbcEncrypt(key, iv, new Uint8Array(15))).toThrow(CryptoError);
    expect(() => aes256CbcDecrypt(key, iv, new Uint8Array(17))).toThrow(CryptoError);
    expect(() => aes256EcbEncrypt(key, new Uint8Array(1))).toThrow(CryptoError);
    expect(() => aes256EcbDecrypt(new Uint8Array(16), new Uint8Array(16))).toThrow(CryptoError);
    expect(() => aes256CbcEncrypt(key, new Uint8Array(12), new Uint8Array(16))).toThrow(CryptoError);
    expect(() => new Aes256CbcStream('encrypt', key, iv).update(new Uint8Array(8))).toThrow(CryptoError);
  });

  it('only ever throws CryptoError, whatever the lengths', () => {
    fc.assert(
      fc.property(fc.nat(40), fc.nat(20), fc.nat(70), (k, v, d) => {
        try {
          aes256CbcDecrypt(new Uint8Array(k), new Uint8Array(v), new Uint8Array(d));
        } catch (e) {
          expect(e).toBeInstanceOf(CryptoError);
        }
      }),
    );
  });
});

describe('Aes256CbcStream (NTCP2 message 1 → message 2 chaining)', () => {
  it('continues the chain across calls exactly like one CBC pass', () => {
    const rnd = seeded(7);
    for (let i = 0; i < 50; i++) {
      const key = rnd(32);
      const iv = rnd(16);
      const m1 = rnd(32);
      const m2 = rnd(32);
      const enc = new Aes256CbcStream('encrypt', key, iv);
      const c1 = enc.update(m1);
      expect(enc.iv).toEqual(c1.subarray(16));
      const c2 = enc.update(m2);
      const whole = aes256CbcEncrypt(key, iv, new Uint8Array([...m1, ...m2]));
      expect(new Uint8Array([...c1, ...c2])).toEqual(whole);
      // message 2 alone is CBC with message 1's last ciphertext block as IV
      expect(c2).toEqual(aes256CbcEncrypt(key, c1.subarray(16), m2));
      const dec = new Aes256CbcStream('decrypt', key, iv);
      expect(dec.update(c1)).toEqual(m1);
      expect(dec.iv).toEqual(c1.subarray(16));
      expect(dec.update(c2)).toEqual(m2);
      expect(dec.update(new Uint8Array(0))).toEqual(new Uint8Array(0));
    }
  });
});
