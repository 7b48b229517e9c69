import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_RANGE_HEADER, parseRange } from '../../../src/apps/site/range.js';

describe('parseRange', () => {
  it('reads the three forms of a single byte range', () => {
    expect(parseRange('bytes=0-4', 11)).toEqual({ kind: 'partial', start: 0, end: 4 });
    expect(parseRange('bytes=6-', 11)).toEqual({ kind: 'partial', start: 6, end: 10 });
    expect(parseRange('bytes=-5', 11)).toEqual({ kind: 'partial', start: 6, end: 10 });
    expect(parseRange('bytes=-50', 11)).toEqual({ kind: 'partial', start: 0, end: 10 });
    expect(parseRange('bytes=3-999', 11)).toEqual({ kind: 'partial', start: 3, end: 10 });
    expect(parseRange('Bytes = 1-2 ', 11)).toEqual({ kind: 'partial', start: 1, end: 2 });
    expect(parseRange('bytes=1-2, ', 11)).toEqual({ kind: 'partial', start: 1, end: 2 });
  });

  it('ignores what it need not serve: absent, malformed, other units, several ranges, huge headers', () => {
    expect(parseRange(undefined, 11)).toEqual({ kind: 'full', reason: 'absent' });
    expect(parseRange('bytes', 11)).toEqual({ kind: 'full', reason: 'malformed' });
    expect(parseRange('bytes=', 11)).toEqual({ kind: 'full', reason: 'malformed' });
    expect(parseRange('bytes=a-b', 11)).toEqual({ kind: 'full', reason: 'malformed' });
    expect(parseRange('bytes=5-1', 11)).toEqual({ kind: 'full', reason: 'malformed' });
    expect(parseRange('bytes=1-2-3', 11)).toEqual({ kind: 'full', reason: 'malformed' });
    expect(parseRange('bytes=-', 11)).toEqual({ kind: 'full', reason: 'malformed' });
    expect(parseRange('bytes=+1-2', 11)).toEqual({ kind: 'full', reason: 'malformed' });
    expect(parseRange('bytes=1234567890123456-', 11)).toEqual({ kind: 'full', reason: 'malformed' });
    expect(parseRange('items=0-1', 11)).toEqual({ kind: 'full', reason: 'unit' });
    expect(parseRange('bytes=0-1,4-5', 11)).toEqual({ kind: 'full', reason: 'multiple' });
    expect(parseRange('bytes=' + '0-1,'.repeat(40), 11)).toEqual({ kind: 'full', reason: 'multiple' });
    expect(parseRange('bytes=0-' + '0'.repeat(MAX_RANGE_HEADER), 11)).toEqual({ kind: 'full', reason: 'too-long' });
  });

  it('unsatisfiable: a start at or past the end, a zero suffix, any range of an empty file', () => {
    expect(parseRange('bytes=11-', 11)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=11-20', 11)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-0', 11)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-1', 0)).toEqual({ kind: 'unsatisfiable' });
  });

  it('refuses a nonsense size (a caller bug, not input)', () => {
    expect(() => parseRange('bytes=0-1', -1)).toThrow(RangeError);
    expect(() => parseRange('bytes=0-1', 1.5)).toThrow(RangeError);
  });
});

describe('parseRange properties (fast-check)', () => {
  const size = fc.integer({ min: 0, max: 2 ** 40 });

  it('never throws on any header, and a partial range always lies inside the file', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.stringMatching(/^bytes=[0-9, -]{0,40}$/)), size, (h, n) => {
        const v = parseRange(h, n);
        if (v.kind === 'partial') {
          expect(v.start).toBeGreaterThanOrEqual(0);
          expect(v.start).toBeLessThanOrEqual(v.end);
          expect(v.end).toBeLessThan(n);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with a reference model on well-formed single ranges', () => {
    const spec = fc.oneof(
      fc.tuple(fc.nat({ max: 5000 }), fc.option(fc.nat({ max: 5000 }), { nil: undefined })).map(([a, b]) => ({ first: a, last: b === undefined ? undefined : a + b })),
      fc.nat({ max: 5000 }).map((s) => ({ suffix: s })),
    );
    fc.assert(
      fc.property(spec, fc.nat({ max: 6000 }), (s, n) => {
        const text = 'suffix' in s ? `bytes=-${s.suffix}` : `bytes=${s.first}-${s.last ?? ''}`;
        const v = parseRange(text, n);
        if ('suffix' in s) {
          if (s.suffix === 0 || n === 0) expect(v).toEqual({ kind: 'unsatisfiable' });
          else expect(v).toEqual({ kind: 'partial', start: Math.max(0, n - s.suffix), end: n - 1 });
        } else if (s.first >= n) {
          expect(v).toEqual({ kind: 'unsatisfiable' });
        } else {
          expect(v).toEqual({ kind: 'partial', start: s.first, end: Math.min(s.last ?? n - 1, n - 1) });
        }
      }),
      { numRuns: 2000 },
    );
  });
});
