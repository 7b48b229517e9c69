const BARS = '▁▂▃▄▅▆▇█';

/**
 * The last `width` values as bars, scaled to the largest of them (so a quiet minute still shows
 * its shape); fewer values than `width` are right-aligned, the missing past left blank.
 * Zero, negative and non-finite values are the lowest bar: a sample that says nothing moved.
 */
export function sparkline(values: readonly number[], width: number): string {
  const w = Number.isFinite(width) ? Math.max(0, Math.floor(width)) : 0;
  if (w === 0) return '';
  const shown = values.slice(-w).map((v) => (Number.isFinite(v) && v > 0 ? v : 0));
  const max = Math.max(0, ...shown);
  const top = BARS.length - 1;
  // Clamped both ways: v / max can underflow to 0 for a denormal v.
  const bars = shown.map((v) => (max === 0 ? BARS[0] : BARS[Math.min(top, Math.max(0, Math.ceil((v / max) * BARS.length) - 1))]));
  return ' '.repeat(w - shown.length) + bars.join('');
}
