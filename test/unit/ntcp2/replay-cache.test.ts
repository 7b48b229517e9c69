import { describe, expect, it } from 'vitest';
import { ReplayCache } from '../../../src/router/transport/ntcp2/index.js';

describe('ReplayCache', () => {
  it('refuses a value seen within its lifetime and forgets it afterwards', () => {
    let t = 1000;
    const c = new ReplayCache({ now: () => t, ttlMs: 120_000 });
    const x = new Uint8Array(32).fill(1);
    expect(c.checkAndAdd(x)).toBe(true);
    expect(c.checkAndAdd(x.slice())).toBe(false);
    t += 119_999;
    expect(c.checkAndAdd(x)).toBe(false);
    t += 1;
    expect(c.checkAndAdd(x)).toBe(true);
  });

  it('stays within maxEntries, dropping the oldest', () => {
    const c = new ReplayCache({ now: () => 0, maxEntries: 3 });
    const v = (i: number) => new Uint8Array(32).fill(i);
    for (let i = 0; i < 10; i++) expect(c.checkAndAdd(v(i))).toBe(true);
    expect(c.size).toBe(3);
    expect(c.checkAndAdd(v(9))).toBe(false);
    expect(c.checkAndAdd(v(0))).toBe(true);
  });

  it('expires entries as time passes, so its size follows the traffic', () => {
    let t = 0;
    const c = new ReplayCache({ now: () => t, ttlMs: 1000 });
    for (let i = 0; i < 100; i++) {
      c.checkAndAdd(Uint8Array.of(i));
      t += 100;
    }
    expect(c.size).toBeLessThanOrEqual(11);
  });
});
