import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BandwidthMeter, ManualClock, TokenBucket } from '../../../src/router/runtime/index.js';

const T0 = 1_700_000_000_000;

describe('TokenBucket', () => {
  it('grants a full burst, then refills at the rate', () => {
    const clock = new ManualClock(T0);
    const b = new TokenBucket({ clock, ratePerSecond: 10, burst: 5 });
    for (let i = 0; i < 5; i++) expect(b.take()).toBe(true);
    expect(b.take()).toBe(false);
    clock.advance(100);
    expect(b.available()).toBeCloseTo(1);
    expect(b.take()).toBe(true);
    expect(b.take()).toBe(false);
    clock.advance(60_000);
    expect(b.available()).toBe(5); // capped at the burst
  });

  it('takes all or nothing, and never more than the burst at once', () => {
    const clock = new ManualClock(T0);
    const b = new TokenBucket({ clock, ratePerSecond: 1000, burst: 1500, initial: 1000 });
    expect(b.take(1200)).toBe(false);
    expect(b.available()).toBe(1000);
    expect(b.take(1000)).toBe(true);
    expect(b.take(1501)).toBe(false);
    expect(b.waitMs(1501)).toBe(Infinity);
    expect(b.waitMs(500)).toBe(500);
    clock.advance(500);
    expect(b.waitMs(500)).toBe(0);
  });

  it('setRate keeps what was earned at the old rate and clamps to a new burst', () => {
    const clock = new ManualClock(T0);
    const b = new TokenBucket({ clock, ratePerSecond: 10, burst: 100, initial: 0 });
    clock.advance(2000);
    b.setRate(100);
    expect(b.available()).toBeCloseTo(20);
    clock.advance(500);
    expect(b.available()).toBeCloseTo(70);
    b.setRate(100, 30);
    expect(b.available()).toBe(30);
    expect(b.burst).toBe(30);
    b.setRate(0);
    expect(b.waitMs(31)).toBe(Infinity);
    expect(() => b.setRate(-1)).toThrow(RangeError);
  });

  it('a clock that steps back neither adds nor removes tokens', () => {
    const clock = new ManualClock(T0);
    const b = new TokenBucket({ clock, ratePerSecond: 10, burst: 10, initial: 5 });
    expect(b.available(T0 - 10_000)).toBe(5);
    expect(b.available(T0 + 100)).toBeCloseTo(6);
  });

  it('never grants more than burst + rate × elapsed (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 500 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 600 })), { maxLength: 60 }),
        (rate, burst, steps) => {
          const clock = new ManualClock(T0);
          const b = new TokenBucket({ clock, ratePerSecond: rate, burst });
          let granted = 0;
          for (const [dt, n] of steps) {
            clock.advance(dt);
            if (b.take(n)) granted += n;
          }
          expect(granted).toBeLessThanOrEqual(burst + (rate * (clock.now() - T0)) / 1000 + 1e-6);
          expect(b.available()).toBeLessThanOrEqual(burst);
        },
      ),
    );
  });
});

describe('BandwidthMeter', () => {
  it('reports bytes per second over the completed samples of the window', () => {
    const clock = new ManualClock(T0);
    const m = new BandwidthMeter({ clock, windowBuckets: 4 });
    m.record('in', 1000);
    m.record('in', 500);
    m.record('out', 200);
    expect(m.rate('in')).toBe(0); // nothing completed yet
    clock.advance(1000);
    expect(m.rate('in')).toBe(1500);
    expect(m.rate('out')).toBe(200);
    expect(m.rate('transit')).toBe(0);
    m.record('in', 500);
    clock.advance(1000);
    expect(m.rate('in')).toBe(1000); // (1500 + 500) / 2 s: a young meter divides by its age
    clock.advance(3000);
    expect(m.rate('in')).toBe(125); // only the 500 is still in the 4-sample window
    clock.advance(10_000);
    expect(m.rate('in')).toBe(0);
    expect(m.total('in')).toBe(2000);
  });

  it('gives a fixed-length history for a sparkline, oldest first', () => {
    const clock = new ManualClock(T0);
    const m = new BandwidthMeter({ clock, historyBuckets: 60 });
    m.record('transit', 3000);
    clock.advance(2000);
    m.record('transit', 1000);
    clock.advance(1000);
    const h = m.history('transit', 60);
    expect(h).toHaveLength(60);
    expect(h.slice(-3)).toEqual([3000, 0, 1000]);
    expect(h.slice(0, -3).every((v) => v === 0)).toBe(true);
    expect(m.history('transit', 2)).toEqual([0, 1000]);
    expect(() => m.history('transit', 61)).toThrow(RangeError);
  });

  it('clears samples skipped over, even after a gap longer than the ring', () => {
    const clock = new ManualClock(T0);
    const m = new BandwidthMeter({ clock, historyBuckets: 5, windowBuckets: 5 });
    for (let i = 0; i < 5; i++) {
      m.record('out', 100);
      clock.advance(1000);
    }
    expect(m.history('out', 5)).toEqual([100, 100, 100, 100, 100]);
    clock.advance(17_000);
    m.record('out', 7);
    clock.advance(1000);
    expect(m.history('out', 5)).toEqual([0, 0, 0, 0, 7]);
    expect(m.rate('out')).toBeCloseTo(7 / 5);
  });

  it('uses the sample width given', () => {
    const clock = new ManualClock(T0);
    const m = new BandwidthMeter({ clock, bucketMs: 250, windowBuckets: 4 });
    for (let i = 0; i < 4; i++) {
      m.record('in', 100);
      clock.advance(250);
    }
    expect(m.rate('in')).toBe(400);
    expect(m.history('in', 2)).toEqual([400, 400]);
    expect(() => m.record('in', -1)).toThrow(RangeError);
  });
});
