import { createHash } from 'node:crypto';
import { chacha20 } from '@noble/ciphers/chacha.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RuntimeError } from '../../../src/router/runtime/errors.js';
import { SeededRandom, cryptoRandom, seededRandom } from '../../../src/router/runtime/random.js';

describe('seeded random', () => {
  it('is reproducible from its seed and differs between seeds', () => {
    const a = seededRandom('sim-1');
    const b = seededRandom('sim-1');
    const c = seededRandom('sim-2');
    const ax = [a.bytes(10), a.bytes(33), a.int(1000)];
    expect([b.bytes(10), b.bytes(33), b.int(1000)]).toEqual(ax);
    expect(c.bytes(10)).not.toEqual(ax[0]);
    expect(seededRandom(new TextEncoder().encode('sim-1')).bytes(10)).toEqual(ax[0]);
  });

  it('is the ChaCha20 keystream under SHA-256("anon seeded random v1" || seed) (differential vs noble)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 6 }), (seed, sizes) => {
        const key = new Uint8Array(createHash('sha256').update('anon seeded random v1').update(seed).digest());
        const total = sizes.reduce((x, y) => x + y, 0);
        const want = chacha20(key, new Uint8Array(12), new Uint8Array(total));
        const r = new SeededRandom(seed);
        const got = new Uint8Array(total);
        let off = 0;
        for (const n of sizes) {
          got.set(r.bytes(n), off);
          off += n;
        }
        expect(got).toEqual(want);
      }),
      { numRuns: 100 },
    );
  });

  it('draws integers in range', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 2 ** 48 }), (seed, max) => {
        const r = seededRandom(seed);
        for (let i = 0; i < 5; i++) {
          const v = r.int(max);
          expect(Number.isInteger(v) && v >= 0 && v < max).toBe(true);
        }
      }),
    );
  });

  it('covers a small range roughly evenly', () => {
    const r = seededRandom('dist');
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) counts[r.int(3)]!++;
    for (const c of counts) expect(c).toBeGreaterThan(850);
  });

  it('forks independent, reproducible streams that do not depend on the parent position', () => {
    const p1 = seededRandom('net');
    const p2 = seededRandom('net');
    p2.bytes(100);
    const f1 = p1.fork('router-1').bytes(16);
    expect(p2.fork('router-1').bytes(16)).toEqual(f1);
    expect(p1.fork('router-2').bytes(16)).not.toEqual(f1);
    expect(seededRandom('net').bytes(16)).not.toEqual(f1);
  });

  it('rejects bad arguments with RuntimeError', () => {
    const r = seededRandom('x');
    expect(() => r.int(0)).toThrow(RuntimeError);
    expect(() => r.int(2 ** 48 + 1)).toThrow(RuntimeError);
    expect(() => r.int(1.5)).toThrow(RuntimeError);
    expect(() => r.bytes(-1)).toThrow(RuntimeError);
    expect(r.int(1)).toBe(0);
  });
});

describe('cryptoRandom', () => {
  it('gives fresh plain arrays of the asked length and integers in range', () => {
    const a = cryptoRandom.bytes(32);
    expect(a.length).toBe(32);
    expect(Object.getPrototypeOf(a)).toBe(Uint8Array.prototype);
    expect(a.buffer.byteLength).toBe(32);
    expect(cryptoRandom.bytes(32)).not.toEqual(a);
    expect(cryptoRandom.bytes(0).length).toBe(0);
    for (let i = 0; i < 100; i++) {
      const v = cryptoRandom.int(7);
      expect(v >= 0 && v < 7).toBe(true);
    }
    expect(cryptoRandom.int(1)).toBe(0);
    expect(() => cryptoRandom.int(0)).toThrow(RuntimeError);
    expect(() => cryptoRandom.bytes(1.5)).toThrow(RuntimeError);
  });
});
