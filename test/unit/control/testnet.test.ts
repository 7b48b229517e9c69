import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { encodeRouterInfo, i2pBase64Encode } from '../../../src/router/data/index.js';
import { routerPaths } from '../../../src/router/home.js';
import { HTTP_PROXY_DEFAULTS, TUNNEL_DEFAULTS } from '../../../src/router/config.js';
import { SAM_DEFAULTS } from '../../../src/router/api/sam/router-sam.js';
import { loadOrCreateLocalIdentity, signLocalRouterInfo } from '../../../src/router/identity/local-router.js';
import { cryptoRandom } from '../../../src/router/runtime/index.js';
import { ensurePrivateDir } from '../../../src/state/home.js';
import {
  isOurRouter,
  parseManifest,
  stopRouter,
  testnetDown,
  testnetStatus,
  testnetUp,
  TestnetError,
  writeManifest,
  type TestnetManifest,
} from '../../../src/router/testnet/index.js';
import { testnetUsageError } from './testnet-usage.js';

const FAKE = fileURLToPath(new URL('./fixtures/fake-anon-router.mjs', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'anon-tn-'));
let started: Array<{ pid: number; home: string }> = [];

afterEach(() => {
  // Whatever a failing test left running, and only if the pid still runs our fake for that home.
  for (const { pid, home } of started) if (isOurRouter(pid, home)) process.kill(pid, 'SIGKILL');
  started = [];
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let seq = 0;
/**
 * A testnet dir whose homes hold real identities and a RouterInfo signed for the address the
 * orchestrator will give each router, which the fake router "publishes" at start.
 */
async function prepare(routers: number, netId: number, basePort: number): Promise<{ dir: string; hashes: string[] }> {
  const dir = join(tmp, `tn${seq++}`);
  const hashes: string[] = [];
  for (let k = 1; k <= routers; k++) {
    const home = join(dir, `r${k}`);
    ensurePrivateDir(home);
    const paths = routerPaths(home);
    ensurePrivateDir(paths.dir);
    const identity = await loadOrCreateLocalIdentity(paths, cryptoRandom);
    const ri = signLocalRouterInfo(identity, { netId, testnet: true, sharedKBps: 128, floodfill: false, ...TUNNEL_DEFAULTS, httpProxy: HTTP_PROXY_DEFAULTS, sam: SAM_DEFAULTS, ntcp2: { host: `127.0.1.${k}`, port: basePort + k } }, Date.now());
    writeFileSync(`${paths.routerInfo}.next`, encodeRouterInfo(ri), { mode: 0o600 });
    const hash = i2pBase64Encode(identity.keys.hash);
    writeFileSync(join(paths.dir, 'fake.json'), JSON.stringify({ hash }));
    hashes.push(hash);
  }
  return { dir, hashes };
}

const up = (dir: string, routers: number, netId: number, basePort: number, env: NodeJS.ProcessEnv = {}) =>
  testnetUp({ routers, dir, netId, basePort, bin: FAKE, env: { ...process.env, ...env }, readyTimeoutMs: 10_000 }).then((m) => {
    started.push(...m.routers.map((r) => ({ pid: r.pid, home: r.home })));
    return m;
  });

describe('testnet orchestrator (with a fake anon-router)', () => {
  it('brings routers up one after the other, each seeing the RouterInfos of those before it', async () => {
    const { dir, hashes } = await prepare(3, 77, 31000);
    const m = await up(dir, 3, 77, 31000);
    expect(m.netId).toBe(77);
    expect(m.routers.map((r) => [r.k, r.host, r.port, r.hash, r.netId])).toEqual([
      [1, '127.0.1.1', 31001, hashes[0], 77],
      [2, '127.0.1.2', 31002, hashes[1], 77],
      [3, '127.0.1.3', 31003, hashes[2], 77],
    ]);
    for (const r of m.routers) expect(isOurRouter(r.pid, r.home)).toBe(true);
    // Router k found exactly routers 1..k-1 in reseed/ when it started.
    const files = hashes.map((h) => `routerInfo-${h}.dat`);
    m.routers.forEach((r, i) => {
      expect(JSON.parse(readFileSync(join(r.home, 'router', 'seen-reseed.json'), 'utf8'))).toEqual(files.slice(0, i).sort());
    });
    expect(readdirSync(join(dir, 'reseed')).sort()).toEqual([...files].sort());
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'testnet.json')).mode & 0o777).toBe(0o600);
    expect(parseManifest(JSON.parse(readFileSync(join(dir, 'testnet.json'), 'utf8')), 'testnet.json')).toEqual(m);

    const st = await testnetStatus(dir);
    expect(st.routers.map((r) => [r.alive, r.status?.identity.hash, r.status?.ntcp2.port])).toEqual(m.routers.map((r) => [true, r.hash, r.port]));
    // Each router's own tunnel counts come through (the fake reports k, k+1, 10k).
    expect(st.routers.map((r) => r.status && [r.status.tunnels.inbound, r.status.tunnels.outbound, r.status.tunnels.participating])).toEqual([
      [1, 2, 10],
      [2, 3, 20],
      [3, 4, 30],
    ]);

    await expect(up(dir, 3, 77, 31000)).rejects.toMatchObject({ code: 'ALREADY_RUNNING' });

    const down = await testnetDown(dir);
    expect(down.routers.map((r) => r.outcome)).toEqual(['stopped', 'stopped', 'stopped']);
    expect(down.manifestRemoved).toBe(true);
    expect(existsSync(join(dir, 'testnet.json'))).toBe(false);
    for (const r of m.routers) expect(isOurRouter(r.pid, r.home)).toBe(false);

    const after = await testnetStatus(dir).catch((e: unknown) => e);
    expect(after).toMatchObject({ code: 'NO_TESTNET' });
  });

  it('stops what it started and names the router and its log when one fails', async () => {
    const { dir } = await prepare(3, 78, 31100);
    const err = (await up(dir, 3, 78, 31100, { FAKE_ROUTER_FAIL: '2' }).catch((e: unknown) => e)) as TestnetError;
    expect(err).toBeInstanceOf(TestnetError);
    expect(err.code).toBe('ROUTER_FAILED');
    expect(err.message).toMatch(/^router 2 \(pid \d+, 127\.0\.1\.2:31102\) exited with code 3 before it was ready; see .*r2\/router\.log \(last line: fake router: failing on purpose\)$/);
    // Router 1 was started and is stopped again; nothing is left recorded.
    expect(existsSync(join(dir, 'testnet.json'))).toBe(false);
    const r1 = JSON.parse(readFileSync(join(dir, 'r1', 'router', 'seen-reseed.json'), 'utf8'));
    expect(r1).toEqual([]);
  });

  it('escalates to SIGKILL for a router that ignores stop and SIGTERM', async () => {
    const { dir } = await prepare(1, 79, 31200);
    const m = await up(dir, 1, 79, 31200, { FAKE_ROUTER_STUBBORN: '1' });
    const rep = await stopRouter(m.routers[0]!, { gracefulMs: 200, termMs: 200, killMs: 5_000 });
    expect(rep.outcome).toBe('killed');
    expect(rep.detail).toMatch(/did not exit/);
    expect(isOurRouter(m.routers[0]!.pid, m.routers[0]!.home)).toBe(false);
  });

  it('never signals a recorded pid that does not run anon-router for that home', async () => {
    const dir = join(tmp, `tn${seq++}`);
    ensurePrivateDir(dir);
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    const exited = new Promise((r) => sleeper.once('exit', r));
    try {
      const m: TestnetManifest = {
        version: 1,
        dir,
        netId: 9,
        basePort: 30000,
        reseedDir: join(dir, 'reseed'),
        createdAt: new Date().toISOString(),
        routers: [
          { k: 1, pid: sleeper.pid!, home: join(dir, 'r1'), host: '127.0.1.1', port: 30001, hash: null, netId: 9, log: '' },
          { k: 2, pid: process.pid, home: join(dir, 'r2'), host: '127.0.1.2', port: 30002, hash: null, netId: 9, log: '' },
        ],
      };
      await writeManifest(m);
      const rep = await testnetDown(dir, { gracefulMs: 50, termMs: 50, killMs: 50 });
      expect(rep.routers.map((r) => r.outcome)).toEqual(['already-gone', 'already-gone']);
      expect(sleeper.exitCode).toBeNull();
      expect(sleeper.signalCode).toBeNull();
      process.kill(sleeper.pid!, 0); // still there
    } finally {
      sleeper.kill('SIGKILL');
      await exited;
    }
  });

  it('validates its options as usage errors', () => {
    const bad = testnetUsageError;
    expect(bad({ routers: 0 })).toMatch(/--routers must be 1..50/);
    expect(bad({ routers: 51 })).toMatch(/--routers/);
    expect(bad({ routers: 2, netId: 2 })).toMatch(/main I2P network/);
    expect(bad({ routers: 2, netId: 0 })).toMatch(/--netid must be 1..255/);
    expect(bad({ routers: 2, netId: 256 })).toMatch(/--netid/);
    expect(bad({ routers: 2, basePort: 80 })).toMatch(/--base-port/);
    expect(bad({ routers: 10, basePort: 65530 })).toMatch(/--base-port/);
    expect(bad({ routers: 2, hostPrefix: '10.0.0.' })).toMatch(/loopback/);
    expect(bad({ routers: 50, netId: 255, basePort: 65485, hostPrefix: '127.0.1.' })).toBeUndefined();
  });

  it('refuses a damaged manifest instead of signalling what it names', () => {
    const base = { version: 1, dir: '/d', netId: 9, basePort: 30000, reseedDir: '/d/reseed', createdAt: 'x' };
    const rec = { k: 1, pid: 1234, home: '/d/r1', host: '127.0.1.1', port: 30001, hash: null, netId: 9, log: '/d/r1/router.log' };
    expect(() => parseManifest({ ...base, routers: [rec] }, 'm')).not.toThrow();
    for (const pid of [0, 1, -5, 1.5, '12']) {
      expect(() => parseManifest({ ...base, routers: [{ ...rec, pid }] }, 'm')).toThrow(expect.objectContaining({ code: 'BAD_MANIFEST' }));
    }
    expect(() => parseManifest({ ...base, routers: [{ ...rec, home: '' }] }, 'm')).toThrow(TestnetError);
    expect(() => parseManifest({ ...base, version: 2, routers: [] }, 'm')).toThrow(/version/);
    expect(() => parseManifest([], 'm')).toThrow(TestnetError);
  });
});
