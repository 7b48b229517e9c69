import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/router/runtime/index.js';
import { IvReplayFilter } from '../../../src/router/tunnel/iv-filter.js';

const iv = (n: number) => {
  const b = new Uint8Array(1024);
  new DataView(b.buffer).setUint32(0, n);
  return b;
};

describe('IvReplayFilter', () => {
  it('drops a repeated IV on the same tunnel, not on another tunnel', () => {
    const clock = new ManualClock(1_000);
    const f = new IvReplayFilter(() => clock.now());
    expect(f.check(7, iv(1))).toBe(true);
    expect(f.check(7, iv(1))).toBe(false);
    expect(f.check(8, iv(1))).toBe(true);
    expect(f.check(7, iv(2))).toBe(true);
    expect(f.duplicates).toBe(1);
  });

  it('remembers an IV for at least one window, and forgets it after two', () => {
    const clock = new ManualClock(1_000);
    const f = new IvReplayFilter(() => clock.now(), 60_000);
    expect(f.check(1, iv(9))).toBe(true);
    clock.advance(60_000);
    expect(f.check(1, iv(10))).toBe(true); // rotates: iv 9 now in the previous generation
    expect(f.check(1, iv(9))).toBe(false);
    clock.advance(60_000);
    expect(f.check(1, iv(11))).toBe(true); // rotates again: iv 9 is gone
    expect(f.check(1, iv(9))).toBe(true);
  });

  it('stays bounded under any traffic: at most two generations', () => {
    const clock = new ManualClock(0);
    const f = new IvReplayFilter(() => clock.now(), 60_000, 1_000);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50_000 }), { minLength: 1, maxLength: 3_000 }), (ns) => {
        for (const n of ns) f.check(1, iv(n));
        return f.size <= 2_000;
      }),
      { numRuns: 20 },
    );
  });
});
