import { routerStatus } from '../api/control/client.js';
import type { RouterStatus } from '../api/control/protocol.js';
import { routerPaths } from '../home.js';
import { TestnetError } from './errors.js';
import { readManifest, type TestnetRouterRecord } from './manifest.js';
import { isOurRouter } from './processes.js';
import { i2pdStatus, type I2pdRouterStatus } from './i2pd.js';

/** A router as `up` recorded it (hash included), and what it says now. */
export interface TestnetRouterStatus extends Pick<TestnetRouterRecord, 'k' | 'pid' | 'home' | 'host' | 'port' | 'hash'> {
  /** Always 'anon' (optional only for reports built by hand). */
  kind?: 'anon';
  /** The pid still runs anon-router for this home. */
  alive: boolean;
  /** What the router answered on its control socket. */
  status?: RouterStatus;
  /** Why there is no status. */
  error?: string;
}

export interface TestnetStatusReport {
  dir: string;
  netId: number;
  createdAt: string;
  routers: TestnetRouterStatus[];
  /** A mixed testnet's i2pd routers. */
  i2pd?: I2pdRouterStatus[];
}

/** Each recorded router: alive or not, and its own status (asked concurrently, bounded). */
export async function testnetStatus(dir: string, opts: { timeoutMs?: number } = {}): Promise<TestnetStatusReport> {
  const m = await readManifest(dir);
  if (m === undefined) throw new TestnetError('NO_TESTNET', `no testnet in ${dir} (no testnet.json); start one with anon-router testnet up`);
  const routers = await Promise.all(
    m.routers.map(async (r): Promise<TestnetRouterStatus> => {
      const base = { kind: 'anon' as const, k: r.k, pid: r.pid, home: r.home, host: r.host, port: r.port, hash: r.hash };
      if (!isOurRouter(r.pid, r.home)) return { ...base, alive: false, error: 'not running' };
      try {
        const status = await routerStatus(routerPaths(r.home).controlSocket, { timeoutMs: opts.timeoutMs ?? 2_000, home: r.home });
        return { ...base, alive: true, status };
      } catch (err) {
        return { ...base, alive: true, error: (err as Error).message };
      }
    }),
  );
  const i2pd = m.i2pd ? await i2pdStatus(m.i2pd, opts.timeoutMs ?? 3_000) : undefined;
  return { dir, netId: m.netId, createdAt: m.createdAt, routers, ...(i2pd ? { i2pd } : {}) };
}
