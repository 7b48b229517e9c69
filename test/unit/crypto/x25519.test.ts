import { x25519 as nobleX25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { CryptoError, x25519, x25519Generate, x25519Once, x25519PublicKey, x25519PublicKeyOnce } from '../../../src/router/crypto/index.js';
import vectors from '../../vectors/rfc7748.json' with { type: 'json' };
import { hex, seeded, toHex } from './helpers.js';

describe('RFC 7748 X25519', () => {
  it('§5.2 scalar multiplication vectors', () => {
    for (const v of vectors.scalarMult) expect(toHex(x25519(hex(v.scalar), hex(v.u)))).toBe(v.output);
  });

  it('§5.2 iterated vector (1 iteration; 1000 iterations)', () => {
    for (const v of vectors.iterated) {
      let k = hex('09'.padEnd(64, '0'));
      let u = k;
      for (let i = 0; i < v.iterations; i++) [k, u] = [x25519(k, u), k];
      expect(toHex(k)).toBe(v.result);
    }
  });

  it('§6.1 Diffie-Hellman', () => {
    const d = vectors.diffieHellman;
    expect(toHex(x25519PublicKey(hex(d.alicePrivate)))).toBe(d.alicePublic);
    expect(toHex(x25519PublicKey(hex(d.bobPrivate)))).toBe(d.bobPublic);
    expect(toHex(x25519(hex(d.alicePrivate), hex(d.bobPublic)))).toBe(d.shared);
    expect(toHex(x25519(hex(d.bobPrivate), hex(d.alicePublic)))).toBe(d.shared);
  });
});

describe('X25519 differential against @noble/curves', () => {
  it('public keys and shared secrets match noble on 1000 random keys', () => {
    const rnd = seeded(0x255);
    for (let i = 0; i < 1000; i++) {
      const a = rnd(32);
      const b = rnd(32);
      const pubB = x25519PublicKey(b);
      expect(x25519PublicKey(a)).toEqual(nobleX25519.getPublicKey(a));
      expect(x25519(a, pubB)).toEqual(nobleX25519.getSharedSecret(a, pubB));
    }
  });

  it('generated pairs agree', () => {
    const a = x25519Generate();
    const b = x25519Generate();
    expect(x25519(a.privateKey, b.publicKey)).toEqual(x25519(b.privateKey, a.publicKey));
  });
});

describe('X25519 errors', () => {
  it('a low-order peer key is a LOW_ORDER_POINT CryptoError', () => {
    const priv = x25519Generate().privateKey;
    const lowOrder = [
      '0000000000000000000000000000000000000000000000000000000000000000',
      '0100000000000000000000000000000000000000000000000000000000000000',
      'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
      'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    ];
    for (const p of lowOrder) {
      expect(() => x25519(priv, hex(p))).toThrow(expect.objectContaining({ code: 'LOW_ORDER_POINT' }));
    }
  });

  it('wrong key sizes are BAD_LENGTH', () => {
    expect(() => x25519(new Uint8Array(31), new Uint8Array(32).fill(9))).toThrow(CryptoError);
    expect(() => x25519(new Uint8Array(32), new Uint8Array(33))).toThrow(CryptoError);
  });

  it('the one-time forms (no key cache) agree with the cached ones and with noble', () => {
    const rand = seeded(77);
    for (let i = 0; i < 20; i++) {
      const a = rand(32);
      const b = x25519Generate();
      expect(x25519PublicKeyOnce(a)).toEqual(x25519PublicKey(a));
      expect(x25519Once(a, b.publicKey)).toEqual(new Uint8Array(nobleX25519.getSharedSecret(a, b.publicKey)));
    }
    expect(() => x25519Once(new Uint8Array(32).fill(1), new Uint8Array(32))).toThrow(CryptoError);
  });
});
