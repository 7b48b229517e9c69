import { randomInt } from 'node:crypto';
import { readdirSync, unlinkSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ensurePrivateDir } from '../../state/home.js';
import { readKeyFile, writeKeyFile } from '../../state/key-file.js';
import { routerStatus } from '../api/control/client.js';
import { ControlError, RouterNotRunningError, type RouterStatus } from '../api/control/protocol.js';
import { decodeRouterInfo, i2pBase64Encode, ntcp2Options, routerInfoHash, routerInfoNetId } from '../data/index.js';
import { routerPaths } from '../home.js';
import { MAIN_NET_ID } from '../identity/version.js';
import { stopRouter } from './down.js';
import { TestnetError } from './errors.js';
import { manifestPath, readManifest, writeManifest, type TestnetManifest, type TestnetRouterRecord } from './manifest.js';
import { isOurRouter, lastLogLine, sleep, spawnDetachedRouter } from './processes.js';
import {
  httpProxyPortFor,
  I2PD_PORT_OFFSET,
  i2pdDown,
  i2pdUnavailable,
  i2pdUp,
  inNamespace,
  isOurI2pd,
  MAX_TESTNET_I2PD,
  MIN_TESTNET_I2PD,
  mixedTopPort,
  NAMESPACE_HOST_PREFIX,
  seedFromI2pd,
  thisHost,
  type I2pdHost,
} from './i2pd.js';


/** Shared bandwidth of testnet routers, KBytes/s (class X, like the i2pd test network's). */
export const TESTNET_BANDWIDTH_KBPS = 20_480;
export const MAX_TESTNET_ROUTERS = 50;
export const DEFAULT_HOST_PREFIX = '127.0.1.';
/** Router k's SAM ports are basePort + SAM_PORT_OFFSET + k (NTCP2 uses basePort + k). */
export const SAM_PORT_OFFSET = 100;

/** basePort + SAM_PORT_OFFSET + k, wrapped into 1024..65535 for a base port near the top. */
export function samPortFor(basePort: number, k: number): number {
  return 1024 + ((basePort + SAM_PORT_OFFSET + k - 1024) % (65536 - 1024));
}

export interface TestnetUpOptions {
  routers: number;
  /** Created 0700; holds r<k>/ (one anon home per router), reseed/ and testnet.json. */
  dir: string;
  /** Default: random 10..250 (never 2, the main network). */
  netId?: number;
  /** Routers 1..floodfills run as floodfills (LeaseSets need some). Default min(2, routers). */
  floodfills?: number;
  /** Router k listens on basePort + k. Default: 20000 + random(12000). */
  basePort?: number;
  /** Router k binds <hostPrefix>k; must be loopback (127.x.y.). */
  hostPrefix?: string;
  /** Path of bin/anon-router.js. */
  bin: string;
  /** The node binary; default this one. */
  node?: string;
  /** Per router: from spawn until its control socket answers and its RouterInfo is copied. */
  readyTimeoutMs?: number;
  random?: (maxExclusive: number) => number;
  env?: NodeJS.ProcessEnv;
  /** Told as each router comes up, for progress output. */
  onRouterUp?: (r: TestnetRouterRecord, status: RouterStatus) => void;
  /**
   * M > 0: a mixed testnet. M i2pd routers from i2pd-testnet.sh (`i2pdScript`) come up first in
   * its network namespace, on our netId; then ours, inside the same namespace on 198.18.1.k,
   * bootstrapping from the i2pd RouterInfos and from each other.
   */
  i2pd?: number;
  i2pdScript?: string;
  /** Told once the i2pd routers run. */
  onI2pdUp?: (section: NonNullable<TestnetManifest['i2pd']>) => void;
  /** For tests: the host as i2pdUnavailable sees it. */
  i2pdHost?: I2pdHost;
}

/** Checks the options a user gives; a bad one is an INVALID_ARGUMENT TestnetError (exit 2). */
export function validateTestnetOptions(o: { routers: number; netId?: number; basePort?: number; hostPrefix?: string; floodfills?: number; i2pd?: number }): void {
  const bad = (m: string): never => {
    throw new TestnetError('INVALID_ARGUMENT', m);
  };
  if (!Number.isInteger(o.routers) || o.routers < 1 || o.routers > MAX_TESTNET_ROUTERS) bad(`--routers must be 1..${MAX_TESTNET_ROUTERS}, got ${o.routers}`);
  if (o.floodfills !== undefined && (!Number.isInteger(o.floodfills) || o.floodfills < 0 || o.floodfills > o.routers)) bad(`--floodfills must be 0..${o.routers}, got ${o.floodfills}`);
  if (o.netId !== undefined) {
    if (!Number.isInteger(o.netId) || o.netId < 1 || o.netId > 255) bad(`--netid must be 1..255, got ${o.netId}`);
    if (o.netId === MAIN_NET_ID) bad('--netid 2 is the main I2P network; a testnet needs another id');
  }
  if (o.basePort !== undefined) {
    if (!Number.isInteger(o.basePort) || o.basePort < 1024 || o.basePort + o.routers > 65535) {
      bad(`--base-port must be 1024..${65535 - o.routers} for ${o.routers} routers (router k uses base + k), got ${o.basePort}`);
    }
  }
  if (o.i2pd !== undefined && o.i2pd !== 0) {
    if (!Number.isInteger(o.i2pd) || o.i2pd < MIN_TESTNET_I2PD || o.i2pd > MAX_TESTNET_I2PD) bad(`--i2pd must be 0 or ${MIN_TESTNET_I2PD}..${MAX_TESTNET_I2PD} (i2pd-testnet.sh needs at least ${MIN_TESTNET_I2PD}), got ${o.i2pd}`);
    if (o.basePort !== undefined && mixedTopPort(o.basePort, o.i2pd) > 65535) bad(`--base-port must be at most ${65535 - (mixedTopPort(0, o.i2pd))} with --i2pd ${o.i2pd} (the i2pd routers take ports up to base + ${mixedTopPort(0, o.i2pd)}), got ${o.basePort}`);
    if (o.hostPrefix !== undefined) bad('a host prefix cannot be given with --i2pd: every router runs in the i2pd namespace, ours on 198.18.1.k');
  }
  if (o.hostPrefix !== undefined && !/^127\.(25[0-5]|2[0-4]\d|1?\d?\d)\.(25[0-5]|2[0-4]\d|1?\d?\d)\.$/.test(o.hostPrefix)) {
    bad(`host prefix must be loopback, like 127.0.1., got ${o.hostPrefix}`);
  }
}

/**
 * Starts a private network of `routers` anon-routers, one after the other: router k starts
 * with reseed/ holding the RouterInfos of routers 1..k-1, so each bootstraps from those
 * already up. Every pid is recorded durably in testnet.json as soon as it exists, so `down`
 * can stop them even if this process dies; on any failure, what was started is stopped.
 */
export async function testnetUp(o: TestnetUpOptions): Promise<TestnetManifest> {
  validateTestnetOptions(o);
  const i2pdCount = o.i2pd ?? 0;
  // Refused before anything starts: one line saying what is missing.
  const i2pdScript = o.i2pdScript ?? '';
  if (i2pdCount > 0) {
    const why = i2pdUnavailable(o.i2pdHost ?? thisHost(i2pdScript));
    if (why !== undefined) throw new TestnetError('I2PD_UNAVAILABLE', why);
  }
  const random = o.random ?? ((n: number) => randomInt(n));
  const netId = o.netId ?? 10 + random(241);
  // Below 32768, where Linux starts handing out ephemeral ports: a clash there would be random.
  const basePort = o.basePort ?? 20000 + random(12000);
  const mixed = i2pdCount > 0;
  const hostPrefix = mixed ? NAMESPACE_HOST_PREFIX : (o.hostPrefix ?? DEFAULT_HOST_PREFIX);
  const readyTimeoutMs = o.readyTimeoutMs ?? 20_000;

  ensurePrivateDir(o.dir);
  const previous = await readManifest(o.dir);
  const stillUp = [
    ...(previous?.routers.filter((r) => isOurRouter(r.pid, r.home)) ?? []),
    ...(previous?.i2pd?.routers.filter((r) => isOurI2pd(r.pid, r.dataDir)) ?? []),
  ];
  if (stillUp.length > 0) {
    throw new TestnetError('ALREADY_RUNNING', `a testnet is already running in ${o.dir} (pids ${stillUp.map((r) => r.pid).join(', ')}); stop it with anon-router testnet down`);
  }
  const reseedDir = join(o.dir, 'reseed');
  ensurePrivateDir(reseedDir);
  // A previous testnet's RouterInfos would point the new routers at ports nobody listens on.
  for (const f of readdirSync(reseedDir)) if (/^routerInfo-.*\.dat$/.test(f)) unlinkSync(join(reseedDir, f));

  const floodfills = Math.min(o.floodfills ?? 2, o.routers);
  const manifest: TestnetManifest = { version: 1, dir: o.dir, netId, basePort, reseedDir, createdAt: new Date().toISOString(), routers: [] };
  let prefix: string[] | undefined;
  try {
    if (mixed) {
      // The script records its own pids and cleans up after itself if its `up` fails.
      manifest.i2pd = await i2pdUp({ script: i2pdScript, dir: join(o.dir, 'i2pd'), basePort: basePort + I2PD_PORT_OFFSET, netId, routers: i2pdCount, ...(o.env ? { env: o.env } : {}) });
      await writeManifest(manifest);
      await seedFromI2pd(manifest.i2pd, netId, reseedDir);
      o.onI2pdUp?.(manifest.i2pd);
    }
    for (let k = 1; k <= o.routers; k++) {
      const home = join(o.dir, `r${k}`);
      ensurePrivateDir(home);
      // SAM on the router's own address with ports of its own, so no two routers (nor a router
      // outside the testnet, on 127.0.0.1:7656) collide; TCP and UDP share the number.
      const samPort = samPortFor(basePort, k);
      const rec: TestnetRouterRecord = { k, pid: 0, home, host: `${hostPrefix}${k}`, port: basePort + k, hash: null, netId, log: join(home, 'router.log'), samPort };
      // Outside a namespace each router's HTTP proxy and SAM listen on its own loopback address
      // (127.0.1.k; the proxy on 4444), so no two collide. Inside the i2pd namespace they listen
      // on its 127.0.0.1, next to i2pd's proxies and SAM bridges, so every port is its own.
      if (mixed) {
        rec.clientHost = '127.0.0.1';
        rec.httpProxyPort = httpProxyPortFor(basePort, k);
        prefix ??= inNamespace(manifest.i2pd!);
      }
      const clientHost = rec.clientHost ?? rec.host;
      const child = spawnDetachedRouter({
        node: o.node ?? process.execPath,
        bin: o.bin,
        args: ['start', '--home', home, '--host', rec.host, '--port', String(rec.port), '--netid', String(netId), '--testnet', '--reseed', reseedDir, k <= floodfills ? '--floodfill' : '--no-floodfill',
          // Loopback has room: a class-X share, as i2pd-testnet.sh gives its routers, so the
          // buckets of a 128 KB/s home router do not throttle every stream of the testnet.
          '--bandwidth', String(TESTNET_BANDWIDTH_KBPS), '--share', '100',
          '--http-proxy-host', clientHost, ...(rec.httpProxyPort !== undefined ? ['--http-proxy-port', String(rec.httpProxyPort)] : []),
          '--sam-host', clientHost, '--sam-port', String(samPort), '--sam-udp-port', String(samPort)],
        logPath: rec.log,
        ...(o.env ? { env: o.env } : {}),
        ...(prefix ? { prefix } : {}),
      });
      let exited: string | undefined;
      const spawnError = new Promise<Error>((r) => child.once('error', r));
      child.on('error', (err) => (exited ??= `could not run: ${err.message}`));
      child.once('exit', (code, signal) => (exited ??= signal ? `was killed by ${signal}` : `exited with code ${code}`));
      if (child.pid === undefined) {
        const err = await spawnError;
        throw new TestnetError('ROUTER_FAILED', `router ${k} could not be started: ${err.message}`, { cause: err });
      }
      rec.pid = child.pid;
      manifest.routers.push(rec);
      await writeManifest(manifest);

      const status = await waitReady(rec, reseedDir, () => exited, readyTimeoutMs);
      rec.hash = status.identity.hash;
      await writeManifest(manifest);
      o.onRouterUp?.(rec, status);
    }
  } catch (err) {
    await Promise.all(manifest.routers.map((r) => stopRouter(r, { gracefulMs: 3_000, termMs: 3_000 })));
    const i2pdLeft = manifest.i2pd ? (await i2pdDown(manifest.i2pd, o.env)).routers.some((r) => r.outcome === 'still-running') : false;
    // Kept when something survived, so that `testnet down` can try again.
    if (!i2pdLeft && manifest.routers.every((r) => !isOurRouter(r.pid, r.home))) await rm(manifestPath(o.dir), { force: true });
    throw err;
  }
  return manifest;
}

/**
 * Waits (bounded) until router `rec` answers `status` on its control socket and its
 * router.info names it with our netId, host and port; then copies that RouterInfo into
 * reseed/ for the routers after it.
 */
async function waitReady(rec: TestnetRouterRecord, reseedDir: string, exited: () => string | undefined, timeoutMs: number): Promise<RouterStatus> {
  const deadline = Date.now() + timeoutMs;
  const paths = routerPaths(rec.home);
  const fail = (why: string, cause?: unknown): never => {
    const last = lastLogLine(rec.log);
    throw new TestnetError('ROUTER_FAILED', `router ${rec.k} (pid ${rec.pid}, ${rec.host}:${rec.port}) ${why}; see ${rec.log}${last ? ` (last line: ${last})` : ''}`, cause === undefined ? undefined : { cause });
  };
  let status: RouterStatus | undefined;
  let lastProblem = 'its control socket never answered';
  let lastError: unknown;
  for (;;) {
    const why = exited();
    if (why !== undefined) return fail(`${why} before it was ready`);
    if (Date.now() >= deadline) return fail(`was not ready within ${timeoutMs / 1000} s: ${lastProblem}`, lastError);
    try {
      status ??= await routerStatus(paths.controlSocket, { timeoutMs: Math.max(100, Math.min(1_000, deadline - Date.now())), home: rec.home });
      if (status.netId !== rec.netId) return fail(`runs on netId ${status.netId}, not ${rec.netId}`);
      const problem = await copyRouterInfo(paths.routerInfo, status.identity.hash, rec, reseedDir);
      if (problem === undefined) return status;
      lastProblem = problem;
    } catch (err) {
      // Not listening yet, or busy starting: keep asking. A malformed answer will not get better.
      if (err instanceof ControlError && err.code === 'BAD_RESPONSE') return fail(`answered a malformed status: ${err.message}`, err);
      lastError = err;
      if (!(err instanceof RouterNotRunningError)) lastProblem = (err as Error).message;
    }
    await sleep(100);
  }
}

/**
 * Copies the router's RouterInfo to reseed/routerInfo-<hash>.dat if it is the current one
 * (its hash, netId, host and port); else says what is wrong, to retry until the deadline.
 */
async function copyRouterInfo(file: string, hash: string, rec: TestnetRouterRecord, reseedDir: string): Promise<string | undefined> {
  const bytes = await readKeyFile(file, { maxBytes: 64 * 1024 }).catch((err: Error) => err);
  if (bytes instanceof Error) return `cannot read ${file}: ${bytes.message}`;
  if (bytes === undefined) return `${file} does not exist`;
  let ri;
  try {
    ri = decodeRouterInfo(bytes);
  } catch (err) {
    return `${file} does not decode: ${(err as Error).message}`;
  }
  const fileHash = i2pBase64Encode(routerInfoHash(ri));
  if (fileHash !== hash) return `${file} is for router ${fileHash.slice(0, 6)}, but the router says it is ${hash.slice(0, 6)}`;
  if (routerInfoNetId(ri) !== rec.netId) return `${file} has netId ${routerInfoNetId(ri)}, not ${rec.netId}`;
  const published = ri.addresses.filter((a) => a.transportStyle === 'NTCP2').map((a) => ntcp2Options(a));
  if (!published.some((a) => a.host === rec.host && a.port === rec.port)) {
    return `${file} publishes no NTCP2 address ${rec.host}:${rec.port} (has ${published.map((a) => `${a.host}:${a.port}`).join(', ') || 'none'})`;
  }
  if (!/^[A-Za-z0-9~-]{43}=$/.test(hash)) return `router hash ${JSON.stringify(hash)} is not I2P base64`;
  await writeKeyFile(join(reseedDir, `routerInfo-${hash}.dat`), bytes);
  return undefined;
}
