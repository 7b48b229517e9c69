import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CryptoError,
  SipHashLengthMask,
  sipHashKeyWords,
  siphash24,
  siphash24Words,
} from '../../../src/router/crypto/index.js';
import vectors from '../../vectors/siphash.json' with { type: 'json' };
import { hex, seeded, toHex } from './helpers.js';

/** Plain BigInt SipHash-2-4, written from the paper, as the reference for the limb version. */
function referenceSipHash(key: Uint8Array, m: Uint8Array): bigint {
  const M = (1n << 64n) - 1n;
  const rotl = (x: bigint, b: bigint) => ((x << b) | (x >> (64n - b))) & M;
  const u64 = (b: Uint8Array, o: number) => {
    let x = 0n;
    for (let i = 7; i >= 0; i--) x = (x << 8n) | BigInt(b[o + i]);
    return x;
  };
  const k0 = u64(key, 0);
  const k1 = u64(key, 8);
  let v0 = k0 ^ 0x736f6d6570736575n;
  let v1 = k1 ^ 0x646f72616e646f6dn;
  let v2 = k0 ^ 0x6c7967656e657261n;
  let v3 = k1 ^ 0x7465646279746573n;
  const round = () => {
    v0 = (v0 + v1) & M; v1 = rotl(v1, 13n); v1 ^= v0; v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & M; v3 = rotl(v3, 16n); v3 ^= v2;
    v0 = (v0 + v3) & M; v3 = rotl(v3, 21n); v3 ^= v0;
    v2 = (v2 + v1) & M; v1 = rotl(v1, 17n); v1 ^= v2; v2 = rotl(v2, 32n);
  };
  const padded = new Uint8Array(Math.floor(m.length / 8) * 8 + 8);
  padded.set(m);
  padded[padded.length - 1] = m.length & 0xff;
  for (let o = 0; o < padded.length; o += 8) {
    const w = u64(padded, o);
    v3 ^= w; round(); round(); v0 ^= w;
  }
  v2 ^= 0xffn;
  round(); round(); round(); round();
  return v0 ^ v1 ^ v2 ^ v3;
}

const leHex = (x: bigint) => toHex(Uint8Array.from({ length: 8 }, (_, i) => Number((x >> BigInt(8 * i)) & 0xffn)));

describe('SipHash-2-4', () => {
  it('the 64 reference vectors of the SipHash paper', () => {
    expect(vectors.vectors).toHaveLength(64);
    const key = hex(vectors.key);
    for (const v of vectors.vectors) {
      expect(toHex(siphash24(key, hex(v.message)))).toBe(v.output);
      const [lo, hi] = siphash24Words(sipHashKeyWords(key), hex(v.message));
      expect(leHex((BigInt(hi) << 32n) | BigInt(lo))).toBe(v.output);
    }
  });

  it('matches a BigInt reference on 1000 random keys and messages', () => {
    const rnd = seeded(0x51f);
    for (let i = 0; i < 1000; i++) {
      const key = rnd(16);
      const msg = rnd(i % 70);
      expect(toHex(siphash24(key, msg))).toBe(leHex(referenceSipHash(key, msg)));
    }
  });

  it('rejects bad key sizes with CryptoError', () => {
    expect(() => siphash24(new Uint8Array(15), new Uint8Array(1))).toThrow(CryptoError);
    expect(() => new SipHashLengthMask(new Uint8Array(16), new Uint8Array(7))).toThrow(CryptoError);
  });
});

describe('SipHashLengthMask (NTCP2 frame lengths)', () => {
  it('chains IV[n] = SipHash(k, IV[n-1]) and masks with its low 16 bits (little-endian)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 8, maxLength: 8 }), (key, iv) => {
        const mask = new SipHashLengthMask(key, iv);
        let expected: Uint8Array = iv;
        for (let n = 0; n < 5; n++) {
          expected = siphash24(key, expected);
          const m = mask.next();
          expect(mask.iv).toEqual(expected);
          expect(m).toBe(expected[0] | (expected[1] << 8));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('sender and receiver with the same keys recover every length', () => {
    const key = hex('000102030405060708090a0b0c0d0e0f');
    const iv = hex('1011121314151617');
    const send = new SipHashLengthMask(key, iv);
    const receive = new SipHashLengthMask(key, iv);
    for (const len of [16, 1000, 65535, 0, 42]) {
      const wire = (len ^ send.next()) & 0xffff;
      expect((wire ^ receive.next()) & 0xffff).toBe(len);
    }
  });
});
