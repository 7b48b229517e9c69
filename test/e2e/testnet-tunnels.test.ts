// A network of only our routers (`anon-router testnet up --routers 8`, real processes on
// 127.0.1.x): every router builds its exploratory tunnels through the others and carries
// theirs; a build trial measures the ours-only success rate.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { callControl } from '../../src/router/api/control/client.js';
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
    const report = await waitFor(
      'tunnels on every router',
      () => {
        const r = runCli('anon-router', ['testnet', 'status', '--dir', dir, '--json']);
        if (r.status !== 0) return undefined;
        const s = JSON.parse(r.stdout) as TestnetStatusJson;
        const ready = s.routers.every((x) => x.status && x.status.tunnels.inbound >= 1 && x.status.tunnels.outbound >= 1 && x.status.tunnels.participating >= 1);
        return ready ? s : undefined;
      },
      90_000,
      2_000,
    );
    expect(report.routers).toHaveLength(ROUTERS);
    for (const r of report.routers) {
      const t = r.status!.tunnels;
      expect(t.builds.succeeded, `router ${r.k}`).toBeGreaterThanOrEqual(2);
      expect(t.transitRequests.accepted, `router ${r.k}`).toBeGreaterThanOrEqual(1);
    }
    // The text form shows the counts too.
    const text = runCli('anon-router', ['testnet', 'status', '--dir', dir]);
    expect(text.stdout).toMatch(/\d+\/\d+\/\d+/);
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
});
