import { _map_to_curve_elligator2_curve25519, ed25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CryptoError,
  elligator2Decode,
  elligator2Encode,
  elligator2Generate,
  Elligator2KeyPool,
  x25519Generate,
  x25519PublicKey,
} from '../../../src/router/crypto/index.js';
import vectors from '../../vectors/elligator2.json' with { type: 'json' };
import { hex, random, toHex } from './helpers.js';

const Fp = ed25519.Point.Fp;
const le = (b: Uint8Array) => BigInt('0x' + toHex(b.slice().reverse()) || '0');

describe('Elligator2 (i2pd / Java vectors)', () => {
  it('encodes both representatives of the vector key', () => {
    for (const v of vectors.encode) {
      const rep = elligator2Encode(hex(v.publicKey), { alternative: v.highY, highBits: 0 });
      expect(rep && toHex(rep)).toBe(v.representative);
    }
  });

  it('decodes the vector representatives', () => {
    for (const v of vectors.decode) expect(toHex(elligator2Decode(hex(v.representative)))).toBe(v.publicKey);
  });

  it('decodes the encoded vectors back to the key (reduced mod p)', () => {
    for (const v of vectors.encode) {
      const x = Fp.create(le(hex(v.publicKey)));
      expect(le(elligator2Decode(hex(v.representative)))).toBe(x);
    }
  });

  it('reports the vector key that has no representative', () => {
    for (const k of vectors.notEncodable) expect(elligator2Encode(hex(k))).toBeNull();
  });

  it('ignores the two random high bits when decoding', () => {
    const v = vectors.decode[0];
    const rep = hex(v.representative);
    for (const bits of [0x40, 0x80, 0xc0]) {
      const r = rep.slice();
      r[31] |= bits;
      expect(toHex(elligator2Decode(r))).toBe(v.publicKey);
    }
  });

  it('rejects representatives above (p-1)/2 with a typed error', () => {
    const r = new Uint8Array(32).fill(0xff);
    r[31] = 0x3f; // 2^254 - 1 > (p-1)/2
    expect(() => elligator2Decode(r)).toThrow(CryptoError);
    const edge = hex('f7ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff3f');
    expect(() => elligator2Decode(edge)).toThrow(CryptoError);
    expect(() => elligator2Decode(new Uint8Array(31))).toThrow(CryptoError);
  });
});

describe('Elligator2 properties', () => {
  it('round-trips generated keys, both representatives, any high bits', () => {
    for (let i = 0; i < 40; i++) {
      const pair = elligator2Generate();
      expect(x25519PublicKey(pair.privateKey)).toEqual(pair.publicKey);
      expect(elligator2Decode(pair.representative)).toEqual(pair.publicKey);
      for (const alternative of [false, true]) {
        const rep = elligator2Encode(pair.publicKey, { alternative, highBits: i * 64 })!;
        expect(rep[31] & 0xc0).toBe((i * 64) & 0xc0);
        expect(elligator2Decode(rep)).toEqual(pair.publicKey);
        const bare = rep.slice();
        bare[31] &= 0x3f;
        expect(le(bare) <= (Fp.ORDER - 1n) / 2n).toBe(true);
      }
    }
  });

  it('finds a representative for roughly half of random keys', () => {
    let ok = 0;
    for (let i = 0; i < 200; i++) if (elligator2Encode(x25519Generate().publicKey)) ok++;
    expect(ok).toBeGreaterThan(60);
    expect(ok).toBeLessThan(140);
  });

  it('forward map agrees with noble (RFC 9380 map_to_curve_elligator2) on random inputs', () => {
    for (let i = 0; i < 300; i++) {
      const r = random(32);
      r[31] &= 0x3f;
      const n = le(r);
      if (n > (Fp.ORDER - 1n) / 2n) continue;
      const { xMn, xMd } = _map_to_curve_elligator2_curve25519(n);
      expect(le(elligator2Decode(r))).toBe(Fp.div(xMn, xMd));
    }
  });

  it('decode(encode(decode(r))) is stable: every valid representative maps to an encodable point', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        let x: Uint8Array;
        try {
          x = elligator2Decode(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(CryptoError);
          return;
        }
        const rep = elligator2Encode(x, { alternative: false, highBits: 0 });
        if (rep === null) return; // only the degenerate points u = 0 / u = -A
        expect(elligator2Decode(rep)).toEqual(x);
      }),
      { numRuns: 200 },
    );
  });

  it('never throws anything but CryptoError on arbitrary input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 40 }), (bytes) => {
        for (const f of [() => elligator2Decode(bytes), () => elligator2Encode(bytes)]) {
          try {
            f();
          } catch (e) {
            expect(e).toBeInstanceOf(CryptoError);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('Elligator2KeyPool', () => {
  it('fills to capacity and hands out distinct encodable keys', async () => {
    const pool = new Elligator2KeyPool(4);
    pool.fill();
    expect(pool.size).toBe(4);
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const k = pool.take();
      expect(elligator2Decode(k.representative)).toEqual(k.publicKey);
      seen.add(toHex(k.publicKey));
    }
    expect(seen.size).toBe(6);
    expect(pool.size).toBe(0);
    await pool.fillAsync();
    expect(pool.size).toBe(4);
  });

  it('stops async filling when aborted', async () => {
    const pool = new Elligator2KeyPool(100);
    const ac = new AbortController();
    ac.abort();
    await pool.fillAsync(ac.signal);
    expect(pool.size).toBe(0);
    expect(() => new Elligator2KeyPool(0)).toThrow(RangeError);
  });
});
