import { rm } from 'node:fs/promises';
import { callControl } from '../api/control/client.js';
import { routerPaths } from '../home.js';
import { TestnetError } from './errors.js';
import { manifestPath, readManifest, type TestnetRouterRecord } from './manifest.js';
import { isOurRouter, signalOurRouter, waitForExit } from './processes.js';
import { i2pdDown, type I2pdStopReport } from './i2pd.js';

export interface StopTimeouts {
  /** After `stop` over the control socket, before SIGTERM. */
  gracefulMs?: number;
  /** After SIGTERM, before SIGKILL. */
  termMs?: number;
  /** After SIGKILL, before giving up. */
  killMs?: number;
}

export type StopOutcome =
  | 'stopped' // it answered `stop` and exited
  | 'terminated' // it exited on SIGTERM
  | 'killed' // it exited on SIGKILL
  | 'already-gone' // it was not running (or its pid now belongs to another process, left alone)
  | 'still-running'; // it survived SIGKILL: should not happen; reported, manifest kept

export interface RouterStopReport {
  k: number;
  pid: number;
  home: string;
  outcome: StopOutcome;
  /** Why it took a signal, e.g. the control socket's error. */
  detail?: string;
}

export interface TestnetDownReport {
  dir: string;
  routers: RouterStopReport[];
  /** A mixed testnet's i2pd routers, stopped with i2pd-testnet.sh down after ours. */
  i2pd?: I2pdStopReport[];
  /** Why the script's `down` did not do it all (its pids were then checked and killed here). */
  i2pdDetail?: string;
  allGone: boolean;
  /** testnet.json is removed only when every recorded router is gone. */
  manifestRemoved: boolean;
}

/**
 * Stops one recorded router: `stop` (graceful) over its control socket, then SIGTERM, then
 * SIGKILL, each after a bounded wait, and each signal only after checking the pid still runs
 * anon-router for that home.
 */
export async function stopRouter(r: Pick<TestnetRouterRecord, 'k' | 'pid' | 'home'>, t: StopTimeouts = {}): Promise<RouterStopReport> {
  const base = { k: r.k, pid: r.pid, home: r.home };
  if (!isOurRouter(r.pid, r.home)) return { ...base, outcome: 'already-gone' };
  let detail: string | undefined;
  try {
    await callControl(routerPaths(r.home).controlSocket, 'stop', { graceful: true }, { timeoutMs: 2_000, home: r.home });
  } catch (err) {
    detail = `stop over the control socket failed: ${(err as Error).message}`;
  }
  if (await waitForExit(r.pid, r.home, t.gracefulMs ?? 10_000)) return { ...base, outcome: 'stopped', ...(detail ? { detail } : {}) };
  detail ??= `did not exit within ${(t.gracefulMs ?? 10_000) / 1000} s of stop`;
  let outcome: StopOutcome = 'stopped';
  for (const [signal, ms, next] of [
    ['SIGTERM', t.termMs ?? 5_000, 'terminated'],
    ['SIGKILL', t.killMs ?? 2_000, 'killed'],
  ] as const) {
    // Not sent: it exited (or its pid changed hands) since the last look; the last step did it.
    if (signalOurRouter(r.pid, r.home, signal) !== 'sent') return { ...base, outcome, detail };
    outcome = next;
    if (await waitForExit(r.pid, r.home, ms)) return { ...base, outcome, detail };
  }
  return { ...base, outcome: 'still-running', detail };
}

/** Stops every router recorded in `dir`, concurrently; removes testnet.json when all are gone. */
export async function testnetDown(dir: string, t: StopTimeouts = {}): Promise<TestnetDownReport> {
  const m = await readManifest(dir);
  if (m === undefined) throw new TestnetError('NO_TESTNET', `no testnet in ${dir} (no testnet.json)`);
  const routers = await Promise.all(m.routers.map((r) => stopRouter(r, t)));
  // Ours first: they live in the i2pd namespace, which the script's down takes away.
  const i2pd = m.i2pd ? await i2pdDown(m.i2pd) : undefined;
  const allGone = routers.every((r) => r.outcome !== 'still-running') && (i2pd?.routers.every((r) => r.outcome !== 'still-running') ?? true);
  if (allGone) await rm(manifestPath(dir), { force: true });
  return { dir, routers, ...(i2pd ? { i2pd: i2pd.routers, ...(i2pd.scriptError ? { i2pdDetail: i2pd.scriptError } : {}) } : {}), allGone, manifestRemoved: allGone };
}
