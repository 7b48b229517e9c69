import type { FetchProgress } from './client.js';

/**
 * One line of a TTY progress bar for a download, pure so the command only decides when to
 * redraw (e.g. at most every 100 ms, and never when stderr is not a TTY or with -s).
 */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${UNITS[u]}`;
}

/**
 * `[#########-----------]  45%  1.2 MiB / 2.7 MiB  310.0 KiB/s` within `width` columns; without
 * a known total, the bytes and rate only. `elapsedMs` is since this run's body began.
 */
export function formatProgressLine(p: FetchProgress, elapsedMs: number, width = 80): string {
  const done = p.resumedFrom + p.received;
  const rate = elapsedMs > 0 ? (p.received * 1000) / elapsedMs : 0;
  const rateText = `${formatBytes(Math.round(rate))}/s`;
  if (p.total === undefined) return `${formatBytes(done)}  ${rateText}`.slice(0, width);
  const total = p.resumedFrom + p.total;
  const fraction = total === 0 ? 1 : Math.min(1, done / total);
  const pct = `${Math.floor(fraction * 100)}%`.padStart(4);
  const tail = `${pct}  ${formatBytes(done)} / ${formatBytes(total)}  ${rateText}`;
  const barWidth = Math.max(0, width - tail.length - 4);
  if (barWidth < 5) return tail.slice(0, width);
  const filled = Math.round(fraction * barWidth);
  return `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]  ${tail}`;
}
