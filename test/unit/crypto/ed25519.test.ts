import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import {
  CryptoError,
  ed25519Generate,
  ed25519PublicKey,
  ed25519Sign,
  ed25519Verify,
} from '../../../src/router/crypto/index.js';
import vectors from '../../vectors/rfc8032.json' with { type: 'json' };
import { hex, seeded, toHex } from './helpers.js';

describe('RFC 8032 Ed25519 (§7.1)', () => {
  for (const v of vectors.vectors) {
    it(v.name, () => {
      expect(toHex(ed25519PublicKey(hex(v.secretKey)))).toBe(v.publicKey);
      expect(toHex(ed25519Sign(hex(v.secretKey), hex(v.message)))).toBe(v.signature);
      expect(ed25519Verify(hex(v.publicKey), hex(v.message), hex(v.signature))).toBe(true);
      const bad = hex(v.signature);
      bad[0] ^= 1;
      expect(ed25519Verify(hex(v.publicKey), hex(v.message), bad)).toBe(false);
    });
  }
});

describe('Ed25519 differential against @noble/curves (strict verification)', () => {
  it('signs identical bytes and verifies alike on 1000 random inputs', () => {
    const rnd = seeded(0xed);
    for (let i = 0; i < 1000; i++) {
      const seed = rnd(32);
      const msg = rnd(i % 200);
      const pub = ed25519PublicKey(seed);
      expect(pub).toEqual(ed25519.getPublicKey(seed));
      const sig = ed25519Sign(seed, msg);
      expect(sig).toEqual(ed25519.sign(msg, seed));
      // mutate sometimes: both must agree on rejection too
      const s = sig.slice();
      if (i % 3 === 0) s[i % 64] ^= 1 << (i % 8);
      const noble = ed25519.verify(s, msg, pub, { zip215: false });
      expect(ed25519Verify(pub, msg, s)).toBe(noble);
    }
  });

  it('generated keys sign and verify', () => {
    const { privateKey, publicKey } = ed25519Generate();
    const msg = Uint8Array.of(1, 2, 3);
    expect(ed25519Verify(publicKey, msg, ed25519Sign(privateKey, msg))).toBe(true);
  });

  it('malformed keys and signatures: false or CryptoError, never another exception', () => {
    expect(ed25519Verify(new Uint8Array(32).fill(0xff), Uint8Array.of(1), new Uint8Array(64))).toBe(false);
    expect(ed25519Verify(new Uint8Array(32), Uint8Array.of(1), new Uint8Array(63))).toBe(false);
    expect(() => ed25519Verify(new Uint8Array(31), Uint8Array.of(1), new Uint8Array(64))).toThrow(CryptoError);
  });
});
