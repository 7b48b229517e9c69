import { hkdf as nobleHkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { hkdf, hmacSha256, Sha256Stream, sha256 } from '../../../src/router/crypto/index.js';
import vectors from '../../vectors/rfc5869.json' with { type: 'json' };
import { hex, seeded, toHex } from './helpers.js';

describe('RFC 5869 HKDF-SHA256', () => {
  for (const v of vectors.vectors) {
    it(`test case ${v.name}`, () => {
      // PRK = HMAC(salt, IKM), an empty salt meaning 32 zero bytes
      const salt = v.salt ? hex(v.salt) : new Uint8Array(32);
      expect(toHex(hmacSha256(salt, hex(v.ikm)))).toBe(v.prk);
      expect(toHex(hkdf(hex(v.salt), hex(v.ikm), hex(v.info), v.length))).toBe(v.okm);
    });
  }

  it('accepts a string info label', () => {
    const salt = new Uint8Array(32).fill(1);
    const ikm = Uint8Array.of(2);
    expect(hkdf(salt, ikm, 'ask', 32)).toEqual(hkdf(salt, ikm, new TextEncoder().encode('ask'), 32));
  });

  it('refuses an output length RFC 5869 does not allow (0, fractions, more than 255 blocks)', () => {
    const salt = new Uint8Array(32);
    for (const bad of [0, -1, 1.5, 255 * 32 + 1]) expect(() => hkdf(salt, salt, 'x', bad)).toThrow(RangeError);
    expect(hkdf(salt, salt, 'x', 255 * 32)).toHaveLength(255 * 32);
  });
});

describe('hashes differential against @noble/hashes', () => {
  it('SHA-256, HMAC-SHA256 and HKDF match noble on 1000 random inputs each', () => {
    const rnd = seeded(0x5a);
    for (let i = 0; i < 1000; i++) {
      const a = rnd(i % 150);
      const b = rnd(i % 7);
      const key = rnd(1 + (i % 80));
      expect(sha256(a, b)).toEqual(nobleSha256(new Uint8Array([...a, ...b])));
      expect(hmacSha256(key, a, b)).toEqual(hmac(nobleSha256, key, new Uint8Array([...a, ...b])));
      const len = 1 + (i % 96);
      expect(hkdf(key, a, b, len)).toEqual(nobleHkdf(nobleSha256, a, key, b, len));
    }
  });

  it('Sha256Stream equals the one-shot hash', () => {
    const rnd = seeded(3);
    const parts = [rnd(10), rnd(100), rnd(0), rnd(1000)];
    const s = new Sha256Stream();
    for (const p of parts) s.update(p);
    expect(s.digest()).toEqual(sha256(...parts));
    expect(() => s.update(parts[0])).toThrow();
  });
});
