// A mixed test network from one command: `anon-router testnet up --routers 2 --i2pd 3` starts
// three i2pd 2.45 routers through ../shared/interop/i2pd-testnet.sh and two of ours in the same
// network namespace, on one network id. Ours bootstrap from the i2pd RouterInfos, connect to
// them and build exploratory tunnels through them; i2pd learns ours; `status` lists both kinds
// and `down` leaves no process of that testnet.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { callControl } from '../../src/router/api/control/client.js';
import type { RouterStatus } from '../../src/router/api/control/protocol.js';
import type { RouterInfoSummary } from '../../src/router/netdb/router-info-summary.js';
import { isNetnsHolder, isOurI2pd, isOurRouter, testnetDown, type I2pdRouterStatus, type TestnetManifest } from '../../src/router/testnet/index.js';
import { runCli } from '../helpers/cli.js';
import { describeWithI2pd, TESTNET_SCRIPT } from '../helpers/i2pd.js';
import { waitFor } from '../helpers/wait.js';

const OURS = 2;
const I2PD = 3;
const tmp = mkdtempSync(join(tmpdir(), 'anon-mixed-'));
const dir = join(tmp, 'tn');
const env = { ANON_I2PD_TESTNET: TESTNET_SCRIPT };

interface StatusJson {
  netId: number;
  routers: { kind: string; k: number; pid: number; home: string; host: string; alive: boolean; status?: RouterStatus }[];
  i2pd: I2pdRouterStatus[];
}
interface TunnelsList {
  own: { direction: string; pool: string; hops: string[] }[];
}

afterAll(async () => {
  // Safety net if the test failed midway: stop exactly what the testnet recorded.
  if (existsSync(join(dir, 'testnet.json'))) await testnetDown(dir, { gracefulMs: 3_000, termMs: 2_000 });
  rmSync(tmp, { recursive: true, force: true });
});

const socketOf = (home: string) => join(home, 'router', 'control.sock');

describeWithI2pd(`a mixed testnet: ${OURS} of our routers and ${I2PD} i2pd routers`, () => {
  it('comes up in one namespace, lists both kinds, meshes and builds tunnels through i2pd, and goes down leaving nothing', async () => {
    const up = runCli('anon-router', ['testnet', 'up', '--routers', String(OURS), '--i2pd', String(I2PD), '--dir', dir, '--json'], env);
    expect(up.status, up.stdout + up.stderr).toBe(0);
    const m = JSON.parse(up.stdout) as TestnetManifest;
    expect(m.routers).toHaveLength(OURS);
    expect(m.i2pd?.routers).toHaveLength(I2PD);
    const i2pd = m.i2pd!;
    expect(i2pd.routers.map((r) => r.host)).toEqual(['198.18.0.1', '198.18.0.2', '198.18.0.3']);
    expect(m.routers.map((r) => r.host)).toEqual(['198.18.1.1', '198.18.1.2']);
    // Our SAM and HTTP proxy ports inside the namespace: none is one of i2pd's.
    const i2pdPorts = new Set(i2pd.routers.flatMap((r) => [r.port, r.port + 1, r.port + 2, r.port + 3]));
    for (const r of m.routers) for (const p of [r.port, r.samPort!, r.httpProxyPort!]) expect(i2pdPorts.has(p)).toBe(false);
    const i2pdHashes = new Set(i2pd.routers.map((r) => r.hash));
    const ourHashes = new Set(m.routers.map((r) => r.hash!));

    const status = () => {
      const r = runCli('anon-router', ['testnet', 'status', '--dir', dir, '--json']);
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as StatusJson;
    };
    // Ours: connected to peers, knowing all four others, with exploratory tunnels both ways.
    const s = await waitFor(
      'our routers meshed with i2pd, with exploratory tunnels',
      () => {
        const st = status();
        return st.routers.every((x) => x.status && x.status.peers.connected >= 1 && x.status.peers.known >= 4 && x.status.tunnels.inbound >= 1 && x.status.tunnels.outbound >= 1) ? st : undefined;
      },
      120_000,
      2_000,
    );
    expect(s.netId).toBe(m.netId);
    expect(s.routers.map((r) => [r.kind, r.alive])).toEqual([
      ['anon', true],
      ['anon', true],
    ]);
    expect(s.i2pd).toHaveLength(I2PD);
    for (const r of s.i2pd) {
      expect(r.kind).toBe('i2pd');
      expect(r.alive, `i2pd ${r.k}`).toBe(true);
      expect(r.console, `i2pd ${r.k}: ${r.error}`).toBeDefined();
      expect(r.hash).toMatch(/^[A-Za-z0-9~-]{43}=$/);
    }
    for (const r of s.routers) {
      // Every i2pd router is in our netDb (the reseed), with our network id.
      const known = await callControl(socketOf(r.home), 'netdb.list') as RouterInfoSummary[];
      for (const h of i2pdHashes) expect(known.find((k) => k.hash === h)?.netId, `router ${r.k} knows i2pd ${h.slice(0, 6)}`).toBe(m.netId);
    }
    // Tunnels through i2pd: with 2 hops picked from 3 i2pd routers and 1 of ours, every
    // exploratory tunnel of ours has an i2pd hop; at least one of them must exist.
    await waitFor(
      'an exploratory tunnel of ours with an i2pd hop',
      async () => {
        for (const r of s.routers) {
          const t = (await callControl(socketOf(r.home), 'tunnels.list')) as TunnelsList;
          if (t.own.some((x) => x.pool === 'exploratory' && x.hops.some((h) => i2pdHashes.has(h)))) return true;
        }
        return false;
      },
      60_000,
      1_000,
    );
    // i2pd learns ours: from our NTCP2 DatabaseStores and the floodfills. Its console counts the
    // routers in its netDb (itself included or not): more than I2PD means at least one of ours.
    const learned = await waitFor(
      'every i2pd router knowing our routers',
      () => {
        const st = status();
        return st.i2pd.every((r) => (r.console?.routers ?? 0) >= I2PD + 1) ? st : undefined;
      },
      90_000,
      2_000,
    );
    for (const r of learned.i2pd) expect(r.console!.routers, `i2pd ${r.k}`).toBeLessThanOrEqual(I2PD + OURS);
    expect(ourHashes.size).toBe(OURS);

    // The text form lists both kinds.
    const text = runCli('anon-router', ['testnet', 'status', '--dir', dir]);
    expect(text.stdout).toMatch(/^ {2}r1 +198\.18\.1\.1:/m);
    expect(text.stdout).toMatch(/i2pd routers \(in the i2pd-testnet\.sh namespace\): 3 of 3 answering/);
    expect(text.stdout).toMatch(/^ {2}i3 +198\.18\.0\.3:\d+ +\d+ +running/m);

    const down = runCli('anon-router', ['testnet', 'down', '--dir', dir, '--json']);
    expect(down.status, down.stdout + down.stderr).toBe(0);
    const rep = JSON.parse(down.stdout) as { allGone: boolean; i2pd: { outcome: string }[]; routers: { outcome: string }[] };
    expect(rep.allGone).toBe(true);
    expect(rep.routers.map((r) => r.outcome)).toEqual(['stopped', 'stopped']);
    expect(rep.i2pd.map((r) => r.outcome)).toEqual(['stopped', 'stopped', 'stopped']);
    // Nothing of this testnet runs any more: not ours, not i2pd, not the namespace holder.
    for (const r of m.routers) expect(isOurRouter(r.pid, r.home), `our router ${r.k} (pid ${r.pid})`).toBe(false);
    for (const r of i2pd.routers) expect(isOurI2pd(r.pid, r.dataDir), `i2pd ${r.k} (pid ${r.pid})`).toBe(false);
    expect(isNetnsHolder(i2pd.netnsPid, i2pd.dir)).toBe(false);
    expect(existsSync(join(dir, 'testnet.json'))).toBe(false);
  }, 420_000);
});
