import { describe, expect, it } from 'vitest';
import { formatBytes, formatProgressLine } from '../../../src/apps/fetch/progress.js';

describe('progress line', () => {
  it('formats sizes in binary units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(10 * 1024 * 1024)).toBe('10.0 MiB');
  });

  it('a bar, the percentage, bytes of total and the rate, within the width', () => {
    const line = formatProgressLine({ received: 512 * 1024, total: 1024 * 1024, resumedFrom: 0 }, 1000, 80);
    expect(line.length).toBeLessThanOrEqual(80);
    expect(line).toMatch(/^\[#+-+\]   50%  512\.0 KiB \/ 1\.0 MiB  512\.0 KiB\/s$/);
    const hashes = (line.match(/#/g) ?? []).length;
    const dashes = (line.match(/-/g) ?? []).length;
    expect(Math.abs(hashes - dashes)).toBeLessThanOrEqual(1);
  });

  it('counts a resumed part in the progress but not in the rate', () => {
    const line = formatProgressLine({ received: 1024, total: 1024, resumedFrom: 3072 }, 1000, 80);
    expect(line).toContain('100%  4.0 KiB / 4.0 KiB  1.0 KiB/s');
  });

  it('without a total: bytes and rate; a narrow terminal drops the bar', () => {
    expect(formatProgressLine({ received: 2048, total: undefined, resumedFrom: 0 }, 2000)).toBe('2.0 KiB  1.0 KiB/s');
    expect(formatProgressLine({ received: 1, total: 2, resumedFrom: 0 }, 0, 20)).not.toContain('[');
    expect(formatProgressLine({ received: 0, total: 0, resumedFrom: 0 }, 0, 80)).toContain('100%');
  });
});
