import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  closest,
  closestToTarget,
  compareByDistance,
  compareDistance,
  routingKey,
  routingKeyDate,
  xorDistance,
} from '../../../src/router/netdb/routing-key.js';

const hash32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('routing key', () => {
  it('formats the UTC date as yyyyMMdd, switching at midnight UTC', () => {
    expect(routingKeyDate(Date.UTC(2026, 10, 25, 23, 59, 59, 999))).toBe('20261125');
    expect(routingKeyDate(Date.UTC(2026, 10, 26, 0, 0, 0))).toBe('20261126');
    expect(routingKeyDate(Date.UTC(2001, 0, 2))).toBe('20010102');
    expect(() => routingKeyDate(Number.NaN)).toThrow(RangeError);
  });

  it('is SHA-256 of the hash followed by the ASCII date', () => {
    const h = new Uint8Array(32).map((_, i) => i);
    const now = Date.UTC(2026, 10, 25, 12);
    const expected = createHash('sha256').update(h).update('20261125', 'ascii').digest();
    expect(hex(routingKey(h, now))).toBe(expected.toString('hex'));
    expect(hex(routingKey(h, now + 86_400_000))).not.toBe(expected.toString('hex'));
    expect(() => routingKey(new Uint8Array(31), now)).toThrow(RangeError);
  });
});

describe('XOR distance', () => {
  it('is symmetric, zero only to itself, and obeys the XOR triangle identity', () => {
    fc.assert(
      fc.property(hash32, hash32, hash32, (a, b, c) => {
        expect(xorDistance(a, b)).toEqual(xorDistance(b, a));
        expect(xorDistance(a, a).every((x) => x === 0)).toBe(true);
        // d(a,c) = d(a,b) XOR d(b,c)
        expect(xorDistance(xorDistance(a, b), xorDistance(b, c))).toEqual(xorDistance(a, c));
      }),
    );
  });

  it('compares as a big-endian number', () => {
    const a = new Uint8Array(32);
    const b = new Uint8Array(32);
    a[31] = 0xff;
    b[0] = 0x01;
    expect(compareDistance(a, b)).toBe(-1);
    expect(compareDistance(b, a)).toBe(1);
    expect(compareDistance(a, Uint8Array.from(a))).toBe(0);
    expect(compareByDistance(new Uint8Array(32), a, b)).toBe(-1);
  });
});

describe('closest', () => {
  it('returns the n nearest, nearest first, matching a full sort (property)', () => {
    fc.assert(
      fc.property(hash32, fc.array(hash32, { maxLength: 40 }), fc.nat(45), (key, hashes, n) => {
        const got = closest(key, hashes, n);
        const expected = [...hashes]
          .sort((x, y) => compareDistance(xorDistance(key, x), xorDistance(key, y)))
          .slice(0, n);
        expect(got.map(hex)).toEqual(expected.map(hex));
      }),
    );
  });

  it('finds the exact key first and handles n = 0 and bad n', () => {
    const key = new Uint8Array(32).fill(0xaa);
    const far = new Uint8Array(32).fill(0x55);
    const near = Uint8Array.from(key);
    near[31] ^= 1;
    expect(closest(key, [far, near, key], 2)).toEqual([key, near]);
    expect(closest(key, [far], 0)).toEqual([]);
    expect(() => closest(key, [far], -1)).toThrow(RangeError);
    expect(() => closest(key, [new Uint8Array(5)], 1)).toThrow(RangeError);
  });

  it('closestToTarget compares the target routing key with plain peer hashes', () => {
    const now = Date.UTC(2026, 10, 25, 12);
    const target = new Uint8Array(32).fill(7);
    const rk = routingKey(target, now);
    const peers = [new Uint8Array(32).fill(1), Uint8Array.from(rk), new Uint8Array(32).fill(9)];
    expect(closestToTarget(target, peers, 1, now)).toEqual([rk]);
    expect(closestToTarget(target, peers, 3, now)).toEqual(closest(rk, peers, 3));
  });
});
