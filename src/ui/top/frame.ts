import {
  formatBuilds,
  formatDuration,
  formatRate,
  formatTransit,
  formatTransitRate,
  formatTunnels,
  formatTunnelTests,
} from '../../router/api/control/format.js';
import type { RouterStatus } from '../../router/api/control/protocol.js';
import { sparkline } from '../sparkline.js';

/** One line of the dashboard: a label, its value, and for a rate the recent history as bars. */
export interface DashboardRow {
  label: string;
  value: string;
  spark?: string;
}

export interface FrameOptions {
  /** Columns given to each sparkline; the router keeps a minute of one-second samples. */
  sparkWidth?: number;
}

export const DEFAULT_SPARK_WIDTH = 60;

const NOT_REPORTED = '(not reported)';

function samples(v: unknown): number[] {
  return Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number') : [];
}

/**
 * What `anon-router top` shows for one status answer, in both its live (ink) and its text form.
 * Pure, so that a frame can be checked without a terminal.
 */
export function dashboardRows(s: RouterStatus, opts: FrameOptions = {}): DashboardRow[] {
  const width = opts.sparkWidth ?? DEFAULT_SPARK_WIDTH;
  const rows: DashboardRow[] = [
    {
      label: 'router',
      value: `${s.identity.shortId}, up ${formatDuration(s.uptimeMs)}, caps ${s.caps || '-'}${s.floodfill ? ' (floodfill)' : ''}, netId ${s.netId}${s.testnet ? ' (testnet)' : ''}`,
    },
    { label: 'peers', value: `${s.peers.known} known, ${s.peers.connected} connected` },
  ];
  // Checked here because a router that predates tunnels answers without them.
  const t = s.tunnels as RouterStatus['tunnels'] | undefined;
  if (t && typeof t === 'object') {
    rows.push(
      { label: 'tunnels', value: formatTunnels(t) },
      { label: 'builds', value: formatBuilds(t.builds) },
      { label: 'transit', value: formatTransit(t) },
      { label: 'tunnel tests', value: formatTunnelTests(t.tests) },
    );
  } else rows.push({ label: 'tunnels', value: NOT_REPORTED });
  const b = s.bandwidth as RouterStatus['bandwidth'] | undefined;
  if (b && typeof b === 'object') {
    const h = b.history ?? { in: [], out: [], transit: [] };
    rows.push(
      { label: 'bw in', value: formatRate(b.inBps), spark: sparkline(samples(h.in), width) },
      { label: 'bw out', value: formatRate(b.outBps), spark: sparkline(samples(h.out), width) },
      { label: 'bw transit', value: formatTransitRate(b), spark: sparkline(samples(h.transit), width) },
    );
  } else rows.push({ label: 'bandwidth', value: NOT_REPORTED });
  return rows;
}

/** Label and value column widths: values of rows with a sparkline are padded so the bars line up. */
export function columnWidths(rows: readonly DashboardRow[]): { label: number; value: number } {
  return {
    label: Math.max(0, ...rows.map((r) => r.label.length)),
    value: Math.max(0, ...rows.filter((r) => r.spark !== undefined).map((r) => r.value.length)),
  };
}

/** The frame as aligned text lines: what `top` prints when there is no terminal to redraw. */
export function frameLines(rows: readonly DashboardRow[]): string[] {
  const w = columnWidths(rows);
  return rows.map((r) => {
    const head = `${r.label.padEnd(w.label)}  `;
    return r.spark === undefined ? head + r.value : `${head}${r.value.padEnd(w.value)}  ${r.spark}`.trimEnd();
  });
}

/** Sparkline columns that fit a terminal `columns` wide beside the labels and values. */
export function sparkWidthFor(columns: number | undefined, rows: readonly DashboardRow[]): number {
  if (!columns || columns <= 0) return DEFAULT_SPARK_WIDTH;
  const w = columnWidths(rows);
  return Math.max(0, Math.min(DEFAULT_SPARK_WIDTH, columns - w.label - w.value - 5));
}
