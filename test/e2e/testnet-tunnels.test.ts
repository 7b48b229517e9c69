// A network of only our routers (`anon-router testnet up --routers 8`, real processes on
// 127.0.1.x): every router builds its exploratory tunnels through the others and carries
// theirs; a build trial measures the ours-only success rate.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { callControl } from '../../src/router/api/control/client.js';
import { i2pBase64Encode } from '../../src/router/data/index.js';
import type { RouterStatus } from '../../src/router/api/control/protocol.js';
import { testnetDown } from '../../src/router/testnet/index.js';
import type { TrialResult } from '../../src/router/tunnel/manager.js';
import { runCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';

const ROUTERS = 8;
const tmp = mkdtempSync(join(tmpdir(), 'anon-e2e-tunnels-'));
const dir = join(tmp, 'tn');

afterAll(async () => {
  if (existsSync(join(dir, 'testnet.json'))) await testnetDown(dir, { gracefulMs: 3_000, termMs: 2_000 });
  rmSync(tmp, { recursive: true, force: true });
});

interface TestnetStatusJson {
  routers: { k: number; home: string; status?: RouterStatus }[];
}

const socketOf = (home: string) => join(home, 'router', 'control.sock');

describe(`a testnet of ${ROUTERS} of our routers`, () => {
  it('every router builds tunnels and participates in the others\' tunnels', async () => {
    const up = runCli('anon-router', ['testnet', 'up', '--routers', String(ROUTERS), '--dir', dir, '--json']);
    expect(up.status, up.stdout + up.stderr).toBe(0);
    const status = () => JSON.parse(runCli('anon-router', ['testnet', 'status', '--dir', dir, '--json']).stdout) as TestnetStatusJson;
    // Their exploratory pools first: each router builds through those that were up at the time.
    const s = await waitFor(
      'exploratory tunnels on every router',
      () => {
        const st = status();
        return st.routers.every((x) => x.status && x.status.tunnels.inbound >= 1 && x.status.tunnels.outbound >= 1) ? st : undefined;
      },
      60_000,
      2_000,
    );
    // Routers that came up last are in nobody's exploratory tunnels until those are rebuilt (10
    // minutes): a few builds from every router spread tunnels over all of them now.
    const trials = await Promise.all(s.routers.map((x) => callControl(socketOf(x.home), 'tunnels.trial', { count: 10, hops: 3, concurrency: 4 }, { timeoutMs: 120_000 }) as Promise<TrialResult>));
    // 80 builds at once from 8 processes on two cores. The network as a whole must reach 90 %,
    // every router 80 %; each failure is printed with its hops and reason.
    trials.forEach((t, i) => {
      for (const f of t.failures) console.log(`router ${i + 1}: failed ${f.direction} build ${f.hops.join(' -> ')}: ${f.reason}${f.codes ? ` codes ${f.codes.join(',')}` : ''}`);
    });
    const succeeded = trials.reduce((n, t) => n + t.succeeded, 0);
    // Hops that had never heard of their next hop looked it up instead of dropping the build.
    const waited = { queued: 0, sent: 0, notFound: 0 };
    for (const x of s.routers) {
      const u = ((await callControl(socketOf(x.home), 'transport')) as { unknownPeers: typeof waited }).unknownPeers;
      for (const k of Object.keys(waited) as (keyof typeof waited)[]) waited[k] += u[k];
    }
    console.log(`trial builds from every router: ${succeeded}/${trials.length * 10}; messages that waited on a RouterInfo lookup: ${JSON.stringify(waited)}`);
    expect(succeeded / (trials.length * 10)).toBeGreaterThanOrEqual(0.9);
    for (const t of trials) expect(t.succeeded).toBeGreaterThanOrEqual(8);
    const after = status();
    expect(after.routers).toHaveLength(ROUTERS);
    for (const r of after.routers) {
      const t = r.status!.tunnels;
      expect(t.inbound + t.outbound, `router ${r.k}`).toBeGreaterThanOrEqual(2);
      expect(t.builds.succeeded, `router ${r.k}`).toBeGreaterThanOrEqual(10);
      expect(t.participating, `router ${r.k}`).toBeGreaterThanOrEqual(1);
      expect(t.transitRequests.accepted, `router ${r.k}`).toBeGreaterThanOrEqual(1);
    }
    // The text form shows the counts too.
    const text = runCli('anon-router', ['testnet', 'status', '--dir', dir]);
    expect(text.stdout).toMatch(/\d+\/\d+\/\d+/);
    // `anon-router tunnels` lists one router's own tunnels (hops in order) and its transit ones.
    const home = after.routers[0].home;
    const json = runCli('anon-router', ['tunnels', '--home', home, '--json']);
    expect(json.status, json.stderr).toBe(0);
    const list = JSON.parse(json.stdout) as { own: { pool: string; direction: string; hops: string[] }[]; participating: { role: string }[] };
    const exploratory = list.own.filter((t) => t.pool === 'exploratory');
    expect(exploratory.filter((t) => t.direction === 'inbound').length).toBeGreaterThanOrEqual(1);
    // The exploratory pool is 2 hops; the HTTP proxy's client pool (3 hops) is listed too.
    expect(exploratory.every((t) => t.hops.length === 2)).toBe(true);
    expect(list.own.filter((t) => t.pool.startsWith('client:')).every((t) => t.hops.length === 3)).toBe(true);
    expect(list.participating.length).toBeGreaterThanOrEqual(1);
    const plain = runCli('anon-router', ['tunnels', '--home', home]);
    expect(plain.stdout).toMatch(/^our tunnels: \d+/m);
    expect(plain.stdout).toMatch(/^participating: \d+/m);
  }, 180_000);

  it('builds 30 three-hop tunnels through the others (ours-only success rate) and they pass tests', async () => {
    const s = JSON.parse(runCli('anon-router', ['testnet', 'status', '--dir', dir, '--json']).stdout) as TestnetStatusJson;
    const r = (await callControl(socketOf(s.routers[0].home), 'tunnels.trial', { count: 30, hops: 3, concurrency: 4 }, { timeoutMs: 120_000 })) as TrialResult;
    console.log(`ours-only 3-hop builds: ${r.succeeded}/${r.attempted}, rejected ${r.rejected}, timed out ${r.timedOut}; tests ${r.testsOk} ok, ${r.testsFailed} failed`);
    expect(r.attempted).toBe(30);
    expect(r.succeeded / r.attempted).toBeGreaterThanOrEqual(0.9);
    expect(r.testsOk / r.succeeded).toBeGreaterThanOrEqual(0.9);
    // Transit traffic was relayed somewhere in the network: the tests' DeliveryStatus messages.
    let relayed = 0;
    for (const x of s.routers) relayed += ((await callControl(socketOf(x.home), 'status')) as RouterStatus).bandwidth.transitBytes;
    expect(relayed).toBeGreaterThan(0);
  }, 150_000);

  it('a trial through explicit peers refuses too many, and a router no floodfill knows, with a clear error', async () => {
    const s = JSON.parse(runCli('anon-router', ['testnet', 'status', '--dir', dir, '--json']).stdout) as TestnetStatusJson;
    const sock = socketOf(s.routers[0].home);
    const hash = (fill: number) => i2pBase64Encode(new Uint8Array(32).fill(fill));
    const tooMany = Array.from({ length: 65 }, (_, i) => hash(i));
    await expect(callControl(sock, 'tunnels.trial', { count: 1, hops: 1, peers: tooMany }, { timeoutMs: 30_000 })).rejects.toThrow(/params\.peers: at most 64 routers/);
    // Nobody has this one: the trial looks it up first and says which it could not find.
    await expect(callControl(sock, 'tunnels.trial', { count: 1, hops: 1, peers: [hash(0xee)] }, { timeoutMs: 60_000 })).rejects.toThrow(new RegExp(`no RouterInfo found for ${hash(0xee).slice(0, 8)}`));
  }, 90_000);
});
