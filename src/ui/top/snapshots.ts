import type { RouterStatus } from '../../router/api/control/protocol.js';
import { dashboardRows, frameLines } from './frame.js';

export interface SnapshotOptions {
  /** The answer already fetched (the command asks once before choosing a mode): frame one. */
  first: RouterStatus;
  /** Asks the router again; its errors end the run (the command reports them in one line). */
  fetch: () => Promise<RouterStatus>;
  /** Called once per printed line. */
  writeLine: (line: string) => void;
  /** Frames in all, at least 1. */
  count: number;
  intervalMs: number;
  sleep?: (ms: number) => Promise<void>;
  sparkWidth?: number;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * `top` without a terminal to redraw (a pipe, CI): the dashboard as plain text, one frame every
 * interval, frames apart by a blank line.
 */
export async function printSnapshots(o: SnapshotOptions): Promise<void> {
  const sleep = o.sleep ?? realSleep;
  let status = o.first;
  for (let i = 0; i < o.count; i++) {
    if (i > 0) {
      await sleep(o.intervalMs);
      status = await o.fetch();
      o.writeLine('');
    }
    for (const line of frameLines(dashboardRows(status, { sparkWidth: o.sparkWidth }))) o.writeLine(line);
  }
}
