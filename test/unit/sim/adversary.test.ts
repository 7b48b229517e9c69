import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exposure, nestedAdversaries, type TunnelEnds } from '../../../src/router/sim/adversary.js';

describe('exposure', () => {
  const sets: TunnelEnds[] = [
    { owner: 'A', outboundFirstHops: ['x', 'y'], inboundLastHops: ['x', 'z'] },
    { owner: 'B', outboundFirstHops: ['z'], inboundLastHops: ['y', 'y', 'w'] },
    { owner: 'C', outboundFirstHops: [], inboundLastHops: ['x'] },
  ];

  it('counts (outbound first hop of A, inbound last hop of B != A) pairs by hand', () => {
    // Pairs: A→B 2·3, A→C 2·1, B→A 1·2, B→C 1·1, C→* 0 = 11; same destination: A 2·2, B 1·3 = 7.
    const e = exposure(sets, new Set(['x', 'y']));
    // Seen: A's bad outs {x,y}=2 × B's bad ins {y,y}=2 → 4; × C's {x}=1 → 2; B's bad outs 0.
    expect(e.betweenDestinations).toEqual({ pairs: 11, seen: 6, share: 6 / 11 });
    // A: 2 bad outs × 1 bad in (x) = 2; B: 0.
    expect(e.sameDestination).toEqual({ pairs: 7, seen: 2, share: 2 / 7 });
  });

  it('is 0 for an empty adversary, 1 for one holding every hop, and 0 pairs for no tunnels', () => {
    expect(exposure(sets, new Set()).betweenDestinations.share).toBe(0);
    const all = exposure(sets, new Set(['x', 'y', 'z', 'w']));
    expect(all.betweenDestinations.share).toBe(1);
    expect(all.sameDestination.share).toBe(1);
    expect(exposure([], new Set(['x'])).betweenDestinations).toEqual({ pairs: 0, seen: 0, share: 0 });
  });

  it('matches a brute-force count, and never shrinks when the adversary grows', () => {
    const hop = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
    const ends = fc.array(fc.record({ outboundFirstHops: fc.array(hop, { maxLength: 4 }), inboundLastHops: fc.array(hop, { maxLength: 4 }) }), { maxLength: 6 });
    fc.assert(
      fc.property(ends, fc.subarray(['a', 'b', 'c', 'd', 'e', 'f']), fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), (raw, adv, extra) => {
        const list = raw.map((r, i) => ({ owner: String(i), ...r }));
        const bad = new Set(adv);
        let pairs = 0;
        let seen = 0;
        for (const a of list)
          for (const b of list) {
            if (a === b) continue;
            for (const o of a.outboundFirstHops)
              for (const i of b.inboundLastHops) {
                pairs++;
                if (bad.has(o) && bad.has(i)) seen++;
              }
          }
        const e = exposure(list, bad);
        expect(e.betweenDestinations.pairs).toBe(pairs);
        expect(e.betweenDestinations.seen).toBe(seen);
        expect(e.betweenDestinations.share).toBeGreaterThanOrEqual(0);
        expect(e.betweenDestinations.share).toBeLessThanOrEqual(1);
        const more = exposure(list, new Set([...adv, extra]));
        expect(more.betweenDestinations.seen).toBeGreaterThanOrEqual(seen);
        expect(more.sameDestination.seen).toBeGreaterThanOrEqual(e.sameDestination.seen);
      }),
    );
  });
});

describe('nestedAdversaries', () => {
  it('cuts one order at round(f·n): smaller fractions are subsets of larger ones', () => {
    const order = Array.from({ length: 40 }, (_, i) => `r${i}`);
    const sets = nestedAdversaries(order, 50, [0, 0.1, 0.2, 0.5, 1]);
    expect(sets.get(0)!.size).toBe(0);
    expect(sets.get(0.1)!.size).toBe(5);
    expect(sets.get(0.2)!.size).toBe(10);
    expect(sets.get(0.5)!.size).toBe(25);
    // Only 40 routers are eligible out of 50.
    expect(sets.get(1)!.size).toBe(40);
    for (const r of sets.get(0.1)!) expect(sets.get(0.2)!.has(r)).toBe(true);
    for (const r of sets.get(0.2)!) expect(sets.get(0.5)!.has(r)).toBe(true);
  });

  it('refuses fractions outside [0, 1]', () => {
    expect(() => nestedAdversaries(['a'], 1, [1.5])).toThrow(RangeError);
    expect(() => nestedAdversaries(['a'], 1, [-0.1])).toThrow(RangeError);
    expect(() => nestedAdversaries(['a'], 1, [Number.NaN])).toThrow(RangeError);
  });
});
