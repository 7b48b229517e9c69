// A private network of our routers for the benches that need real processes (fetch, site):
// the testnet up with exploratory tunnels everywhere, a site served by `anon-site serve`, the
// HTTP proxy of a router, and the teardown of what was started.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { callControl } from '../src/router/api/control/client.js';
import type { RouterStatus } from '../src/router/api/control/protocol.js';
import { testnetUp } from '../src/router/testnet/index.js';

/** The repository root: this file runs as dist/bench/our-network.js. */
export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const routerHome = (tn: string, k: number) => join(tn, `r${k}`);

export const routerStatus = (tn: string, k: number) => callControl(join(routerHome(tn, k), 'router', 'control.sock'), 'status', undefined, { timeoutMs: 30_000 }) as Promise<RouterStatus>;

/** `routers` of ours in `tn` (`onUp` once they run), resolved once every one has an exploratory tunnel each way. */
export async function ourTestnetUp(tn: string, routers: number, onUp?: () => void): Promise<void> {
  // A host prefix of its own: other testnets on this machine use 127.0.1.x, and each router's
  // HTTP proxy listens on its own address at the fixed port 4444.
  await testnetUp({ routers, dir: tn, bin: resolve(ROOT, 'bin/anon-router.js'), hostPrefix: `127.0.${100 + randomInt(100)}.` });
  onUp?.();
  const all = Array.from({ length: routers }, (_, i) => i + 1);
  for (let i = 0; ; i++) {
    const st = await Promise.all(all.map((k) => routerStatus(tn, k)));
    if (st.every((s) => s.tunnels.inbound > 0 && s.tunnels.outbound > 0)) return;
    if (i > 300) throw new Error('exploratory tunnels not built on every router within 90 s');
    await sleep(300);
  }
}

export interface SpawnedSite {
  child: ChildProcess;
  b32: string;
  /** The last 8 KB of its stderr. */
  stderr(): string;
}

/** `anon-site serve DIR --home HOME --hops N` (access log discarded), once it printed its address. */
export async function spawnSite(siteDir: string, home: string, hops: number): Promise<SpawnedSite> {
  const child = spawn(process.execPath, [resolve(ROOT, 'bin/anon-site.js'), 'serve', siteDir, '--home', home, '--hops', String(hops)], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err = (err + d).slice(-8192)));
  try {
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`anon-site serve exited ${child.exitCode}: ${err}`);
      if (i > 450) throw new Error(`anon-site serve printed no address within 90 s: ${err}`);
      const b32 = /at http:\/\/([a-z2-7]{52}\.b32\.i2p)\//.exec(err)?.[1];
      if (b32) return { child, b32, stderr: () => err };
      await sleep(200);
    }
  } catch (e) {
    await stopChild(child);
    throw e;
  }
}

/** SIGTERM, then SIGKILL after 5 s; resolves once it is gone. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', () => r(true)));
  child.kill('SIGTERM');
  const gone = await Promise.race([exited, sleep(5_000).then(() => false)]);
  if (!gone) {
    child.kill('SIGKILL');
    await Promise.race([exited, sleep(5_000)]);
  }
}

/** A router's HTTP proxy (host is an IP literal), or why it cannot be used. */
export function httpProxyOf(st: RouterStatus, k: number): { host: string; port: number; url: string } {
  const proxy = st.httpProxy;
  if (!proxy?.listening) throw new Error(`router ${k}'s HTTP proxy is not listening: ${proxy?.error ?? 'no httpProxy in status'}`);
  return { host: proxy.host, port: proxy.port, url: `http://${proxy.host}:${proxy.port}` };
}
