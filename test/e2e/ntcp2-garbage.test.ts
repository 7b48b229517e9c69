import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callControl, routerStatus } from '../../src/router/api/control/client.js';
import { decodeRouterInfo, encodeRouterInfo, ntcp2Address, routerInfoHash } from '../../src/router/data/index.js';
import { routerPaths } from '../../src/router/home.js';
import { createNtcp2Keys } from '../../src/router/identity/ntcp2-keys.js';
import { buildRouterInfo } from '../../src/router/identity/router-info-builder.js';
import { createRouterKeys } from '../../src/router/identity/router-keys.js';
import { silentLogger } from '../../src/router/log.js';
import { cryptoRandom, nodeNetwork, systemClock } from '../../src/router/runtime/index.js';
import { TransportManager, type TransportStats } from '../../src/router/transport/manager.js';
import { ROOT } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';

/*
 * A real router under a connection flood: 500 TCP connections from 127.0.0.1, a third sending
 * random garbage, a third nothing, a third one byte a second. Meanwhile a good peer (a second
 * real router, on another address) stays connected, a fresh peer can still complete a
 * handshake, and the flooded router's memory stays within 50 MB of what it was before.
 */

const tmp = mkdtempSync(join(tmpdir(), 'anon-e2e-ntcp2-garbage-'));
const NET_ID = 10 + Math.floor(Math.random() * 200);
const X = 20 + Math.floor(Math.random() * 150); // 127.0.1.X: clear of testnet (1..) and status (200)
const PORT = 30000 + Math.floor(Math.random() * 20000);
const FLOOD = 500;
const CONCURRENCY = 100;
const SLOW_MS = 20_000;

interface Running {
  child: ChildProcess;
  home: string;
  host: string;
  port: number;
  hash: string;
  output: () => string;
  exited: Promise<void>;
}

const running: Running[] = [];

async function startRouter(name: string, host: string, port: number, extra: string[] = []): Promise<Running> {
  const home = join(tmp, name);
  const child = spawn(
    process.execPath,
    [resolve(ROOT, 'bin/anon-router.js'), 'start', '--testnet', '--netid', String(NET_ID), '--host', host, '--port', String(port), '--home', home, ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
  );
  // Keep only the tail of the log: the flood makes it long.
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const r: Running = { child, home, host, port, hash: '', output: () => out, exited };
  running.push(r);
  const status = await waitFor(
    `${name} to answer status`,
    async () => {
      if (child.exitCode !== null) throw new Error(`${name} exited ${child.exitCode}: ${out}`);
      return routerStatus(routerPaths(home).controlSocket, { timeoutMs: 1_000 });
    },
    20_000,
    100,
  );
  r.hash = status.identity.hash;
  return r;
}

const control = (r: Running, method: string) => callControl(routerPaths(r.home).controlSocket, method, {}, { timeoutMs: 5_000 });
const connectedPeers = async (r: Running) => ((await control(r, 'peers')) as { connected: string[] }).connected;
const transportStats = async (r: Running) => (await control(r, 'transport')) as TransportStats & { sessionList: unknown[] };

function rssKb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]);
}

type Kind = 'garbage' | 'silent' | 'slow';
interface Outcome {
  kind: Kind;
  connected: boolean;
  /** The router ended it (refused, timed out, probe done) before we gave up. */
  closedByRouter: boolean;
  ms: number;
}

/** One flood connection; always ends with the socket destroyed, within SLOW_MS + a little. */
function floodOne(kind: Kind, host: string, port: number): Promise<Outcome> {
  const start = Date.now();
  return new Promise((done) => {
    const socket: Socket = connect({ host, port, localAddress: '127.0.0.1' });
    let connected = false;
    let timers: NodeJS.Timeout[] = [];
    let finished = false;
    const finish = (closedByRouter: boolean) => {
      if (finished) return;
      finished = true;
      for (const t of timers) clearTimeout(t);
      timers = [];
      socket.destroy();
      done({ kind, connected, closedByRouter, ms: Date.now() - start });
    };
    socket.on('error', () => undefined); // ECONNRESET from a refusal: 'close' follows
    socket.on('close', () => finish(true));
    socket.on('data', () => undefined); // the router must not answer garbage; read and drop
    socket.on('connect', () => {
      connected = true;
      if (kind === 'garbage') {
        socket.write(cryptoRandom.bytes(64 + cryptoRandom.int(1024)));
        timers.push(setTimeout(() => finish(false), 6_000));
      } else if (kind === 'silent') {
        timers.push(setTimeout(() => finish(false), SLOW_MS));
      } else {
        const drip = setInterval(() => {
          if (!socket.destroyed) socket.write(cryptoRandom.bytes(1));
        }, 1_000);
        timers.push(drip as unknown as NodeJS.Timeout, setTimeout(() => (clearInterval(drip), finish(false)), SLOW_MS));
      }
    });
  });
}

afterAll(async () => {
  // Stop exactly the routers this file started, by pid; SIGKILL if SIGTERM is not enough.
  for (const r of running) {
    if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGTERM');
  }
  for (const r of running) {
    const killed = await Promise.race([r.exited.then(() => true), new Promise<boolean>((ok) => setTimeout(() => ok(false), 10_000))]);
    if (!killed && r.child.exitCode === null) {
      r.child.kill('SIGKILL');
      await r.exited;
    }
  }
  rmSync(tmp, { recursive: true, force: true });
}, 30_000);

describe('a router under a connection flood', () => {
  let target: Running;
  let good: Running;

  beforeAll(async () => {
    target = await startRouter('target', `127.0.1.${X}`, PORT);
    // The good peer bootstraps from the target's RouterInfo, as from a reseed folder.
    const reseed = join(tmp, 'reseed');
    mkdirSync(reseed);
    copyFileSync(routerPaths(target.home).routerInfo, join(reseed, `routerInfo-${target.hash}.dat`));
    good = await startRouter('good', `127.0.1.${X + 1}`, PORT + 1, ['--reseed', reseed]);
    await waitFor('the good peer to connect to the target', async () => (await connectedPeers(target)).includes(good.hash), 30_000);
  }, 60_000);

  it('keeps its good peer, lets a new one in, refuses the flood, and stays within 50 MB', async () => {
    const pid = target.child.pid!;
    const rssBefore = rssKb(pid);
    let rssMax = rssBefore;
    const goodSamples: boolean[] = [];
    let sampling = true;
    const sampler = (async () => {
      // Bounded: ends with the flood (at most SLOW_MS + a little).
      for (let i = 0; i < 60 && sampling; i++) {
        rssMax = Math.max(rssMax, rssKb(pid));
        goodSamples.push((await connectedPeers(target)).includes(good.hash));
        await new Promise((r) => setTimeout(r, 1_000));
      }
    })();

    // The flood: a pool of CONCURRENCY workers over FLOOD connections.
    const kinds: Kind[] = ['garbage', 'silent', 'slow'];
    const outcomes: Outcome[] = [];
    let next = 0;
    const worker = async () => {
      while (next < FLOOD) {
        const i = next++;
        outcomes.push(await floodOne(kinds[i % 3], target.host, target.port));
      }
    };
    const flood = Promise.all(Array.from({ length: CONCURRENCY }, worker));

    // While it runs, a peer the target has never seen completes a handshake from another address.
    await new Promise((r) => setTimeout(r, 2_000));
    const keys = createRouterKeys();
    const ntcp2 = createNtcp2Keys((n) => cryptoRandom.bytes(n));
    const freshHost = `127.0.1.${X + 2}`;
    const freshPort = PORT + 2;
    const targetRi = decodeRouterInfo(readFileSync(routerPaths(target.home).routerInfo));
    const ourRi = () =>
      encodeRouterInfo(
        buildRouterInfo(keys, {
          netId: NET_ID,
          published: Date.now(),
          addresses: [ntcp2Address({ host: freshHost, port: freshPort, s: ntcp2.staticPublicKey, i: ntcp2.iv })],
        }),
      );
    const fresh = new TransportManager(
      { routerHash: keys.hash, staticPrivateKey: ntcp2.staticPrivateKey, staticPublicKey: ntcp2.staticPublicKey, iv: ntcp2.iv, netId: NET_ID, testnet: true, host: freshHost, port: freshPort },
      {
        clock: systemClock,
        random: cryptoRandom,
        network: nodeNetwork,
        log: silentLogger,
        routerInfo: ourRi,
        lookup: () => targetRi,
        events: { message: () => undefined, routerInfo: () => undefined, connected: () => undefined },
      },
    );
    let freshConnected = false;
    try {
      await fresh.start();
      expect(fresh.connect(routerInfoHash(targetRi))).toBe(true);
      freshConnected = await waitFor('a fresh peer to complete a handshake during the flood', () => fresh.connectedPeers().length === 1, 15_000, 100);
    } finally {
      await fresh.stop(true);
    }

    await flood;
    sampling = false;
    await sampler;

    // Every flood socket is closed (each one destroys itself when it ends).
    expect(outcomes).toHaveLength(FLOOD);
    const stats = await transportStats(target);
    const summary = {
      byKind: Object.fromEntries(
        kinds.map((k) => {
          const o = outcomes.filter((x) => x.kind === k);
          return [k, { connected: o.filter((x) => x.connected).length, closedByRouter: o.filter((x) => x.closedByRouter).length, maxMs: Math.max(...o.map((x) => x.ms)) }];
        }),
      ),
      router: { refused: stats.refused, failedHandshakes: stats.failedHandshakes, handshaking: stats.handshaking, sessions: stats.sessions },
      rssKb: { before: rssBefore, max: rssMax, after: rssKb(pid) },
      goodPeerConnectedSamples: `${goodSamples.filter(Boolean).length}/${goodSamples.length}`,
    };
    console.log('ntcp2 flood:', JSON.stringify(summary));

    // The per-IP limit and the penalties refused most of it, and it ended every handshake.
    expect(stats.refused).toBeGreaterThan(FLOOD / 2);
    expect(stats.failedHandshakes).toBeGreaterThan(0);
    expect(stats.refused + stats.failedHandshakes).toBeGreaterThanOrEqual(FLOOD - 10);
    // The good peer never lost its session, and still has it.
    expect(goodSamples.length).toBeGreaterThan(0);
    expect(goodSamples.every(Boolean)).toBe(true);
    expect(await connectedPeers(target)).toContain(good.hash);
    expect(freshConnected).toBe(true);
    // Memory: within 50 MB of before, during and after.
    expect(rssMax - rssBefore).toBeLessThan(50 * 1024);
    expect(rssKb(pid) - rssBefore).toBeLessThan(50 * 1024);
    // The router process is still the same one, alive.
    expect(target.child.exitCode).toBeNull();
  }, 90_000);
});
