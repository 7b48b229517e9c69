import { describe, expect, it } from 'vitest';
import { EphemeralReplayCache, GarlicError, OneTimeTagStore } from '../../../src/router/garlic/index.js';
import { ManualClock } from '../../../src/router/runtime/index.js';

const tagOf = (i: number) => Uint8Array.of(0, 0, 0, 0, 0, 0, i >> 8, i & 0xff);
const keyOf = (i: number) => new Uint8Array(32).fill(i & 0xff);

describe('OneTimeTagStore', () => {
  it('hands out a key once (take) and expires tags after the TTL', () => {
    const clock = new ManualClock(1000);
    const store = new OneTimeTagStore({ clock, ttlMs: 10_000 });
    store.add(tagOf(1), keyOf(1));
    expect(store.peek(tagOf(1))).toEqual(keyOf(1));
    expect(store.take(tagOf(1))).toEqual(keyOf(1));
    expect(store.take(tagOf(1))).toBeUndefined();
    store.add(tagOf(2), keyOf(2));
    clock.advance(9_999);
    expect(store.peek(tagOf(2))).toEqual(keyOf(2));
    clock.advance(1);
    expect(store.peek(tagOf(2))).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it('defaults to i2pd’s 180 s and is bounded, dropping the oldest', () => {
    const clock = new ManualClock(0);
    const store = new OneTimeTagStore({ clock, maxEntries: 3 });
    expect(store.ttlMs).toBe(180_000);
    for (let i = 0; i < 5; i++) store.add(tagOf(i), keyOf(i));
    expect(store.size).toBe(3);
    expect(store.peek(tagOf(0))).toBeUndefined();
    expect(store.peek(tagOf(1))).toBeUndefined();
    expect(store.peek(tagOf(4))).toEqual(keyOf(4));
  });

  it('copies what it keeps and checks sizes', () => {
    const store = new OneTimeTagStore({ clock: new ManualClock(0) });
    const key = keyOf(1);
    store.add(tagOf(1), key);
    key.fill(0);
    expect(store.peek(tagOf(1))).toEqual(keyOf(1));
    expect(() => store.add(new Uint8Array(7), keyOf(1))).toThrow(GarlicError);
    expect(() => store.add(tagOf(1), new Uint8Array(31))).toThrow(GarlicError);
    expect(store.peek(new Uint8Array(7))).toBeUndefined();
    expect(() => new OneTimeTagStore({ clock: new ManualClock(0), maxEntries: 0 })).toThrow(RangeError);
  });
});

describe('EphemeralReplayCache', () => {
  it('remembers keys for the TTL (default 7 min) and is bounded', () => {
    const clock = new ManualClock(0);
    const cache = new EphemeralReplayCache({ clock, maxEntries: 2 });
    expect(cache.ttlMs).toBe(7 * 60_000);
    const k = (i: number) => new Uint8Array(32).fill(i);
    cache.add(k(1));
    expect(cache.has(k(1))).toBe(true);
    expect(cache.has(k(2))).toBe(false);
    cache.add(k(2));
    cache.add(k(3));
    expect(cache.size).toBe(2);
    expect(cache.has(k(1))).toBe(false);
    clock.advance(7 * 60_000 - 1);
    expect(cache.has(k(3))).toBe(true);
    clock.advance(1);
    expect(cache.has(k(3))).toBe(false);
    expect(cache.size).toBe(0);
  });
});
