import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sparkline } from '../../../src/ui/sparkline.js';

const BARS = '▁▂▃▄▅▆▇█';

describe('sparkline', () => {
  it('scales to the largest value shown, lowest bar for nothing', () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7, 8], 9)).toBe('▁▁▂▃▄▅▆▇█');
    expect(sparkline([8, 4, 0], 3)).toBe('█▄▁');
    expect(sparkline([0, 0, 0], 3)).toBe('▁▁▁');
    expect(sparkline([5], 1)).toBe('█');
  });

  it('keeps the last `width` values and right-aligns a short history', () => {
    expect(sparkline([100, 1, 2], 2)).toBe('▄█');
    expect(sparkline([1, 2], 5)).toBe('   ▄█');
    expect(sparkline([], 3)).toBe('   ');
    expect(sparkline([1, 2, 3], 0)).toBe('');
    expect(sparkline([1, 2, 3], -4)).toBe('');
    expect(sparkline([1, 2, 3], 2.9)).toBe('▆█');
  });

  it('treats negative and non-finite samples as nothing moved', () => {
    expect(sparkline([-5, Number.NaN, Number.POSITIVE_INFINITY, 4], 4)).toBe('▁▁▁█');
    expect(sparkline([Number.MIN_VALUE, 2], 2)).toBe('▁█');
  });

  it('is always `width` characters of bars or blanks, the largest a full bar', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: false })), fc.integer({ min: 0, max: 100 }), (values, width) => {
        const s = [...sparkline(values, width)];
        expect(s).toHaveLength(width);
        for (const c of s) expect(c === ' ' || BARS.includes(c)).toBe(true);
        const shown = values.slice(-width).filter((v) => Number.isFinite(v) && v > 0);
        if (width > 0 && shown.length > 0) expect(s).toContain('█');
        expect(s.filter((c) => c === ' ')).toHaveLength(width - Math.min(width, values.length));
      }),
    );
  });

  it('is monotone: a larger sample never gets a lower bar', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 1_000_000 }), { minLength: 1, maxLength: 60 }), (values) => {
        const s = [...sparkline(values, values.length)];
        for (let i = 0; i < values.length; i++)
          for (let j = 0; j < values.length; j++) if (values[i]! < values[j]!) expect(BARS.indexOf(s[i]!)).toBeLessThanOrEqual(BARS.indexOf(s[j]!));
      }),
    );
  });
});
