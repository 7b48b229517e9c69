import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRouter, type LocalRouter } from '../helpers/local-router.js';
import { runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'anon-e2e-status-'));

describe('anon-router status without a router', () => {
  const home = join(tmp, 'empty');

  it('says so in one line and exits 1', () => {
    const r = runCli('anon-router', ['status', '--home', home]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`anon-router status: no router is running in ${home}\n`);
  });

  it('with --json, reports the same as a JSON error', () => {
    const r = runCli('anon-router', ['status', '--json', '--home', home]);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({ error: { message: `no router is running in ${home}`, code: 'NOT_RUNNING', exitCode: 1 } });
  });
});

describe('anon-router status of a running router', () => {
  const home = join(tmp, 'running');
  let router: LocalRouter | undefined;

  beforeAll(async () => {
    router = await startLocalRouter(home, '127.0.1.200');
  }, 30_000);

  afterAll(async () => {
    await router?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('--json gives the RouterStatus', () => {
    const r = runCli('anon-router', ['status', '--json', '--home', home]);
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({
      pid: router!.pid,
      home,
      version: expect.stringMatching(/^0\.9\.\d+$/),
      netId: 99,
      testnet: true,
      floodfill: false,
      ntcp2: { host: '127.0.1.200', port: router!.port },
    });
    expect(s.identity.hash).toMatch(/^[A-Za-z0-9~-]{43}=$/);
    expect(s.identity.shortId).toBe(s.identity.hash.slice(0, 6));
    expect(s.caps).toMatch(/R/);
    expect(s.uptimeMs).toBeGreaterThanOrEqual(0);
    expect(typeof s.ntcp2.listening).toBe('boolean');
    // Counters only as numbers for now: they fill in as NTCP2 and tunnels land (lead: tighten).
    for (const n of [s.peers.known, s.peers.connected, s.sessions.inbound, s.sessions.outbound, s.bytes.in, s.bytes.out]) {
      expect(Number.isInteger(n) && n >= 0).toBe(true);
    }
  });

  it('the text form is an aligned block with the hash and address', () => {
    const json = JSON.parse(runCli('anon-router', ['status', '--json', '--home', home]).stdout);
    const r = runCli('anon-router', ['status', '--home', home]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^router\\s+running, pid ${router!.pid}, up `, 'm'));
    expect(r.stdout).toContain(json.identity.hash);
    expect(r.stdout).toMatch(/^network\s+netId 99 \(testnet\)$/m);
    expect(r.stdout).toMatch(new RegExp(`^ntcp2\\s+127\\.0\\.1\\.200:${router!.port}, `, 'm'));
    expect(r.stdout).toMatch(/^peers\s+\d+ known, \d+ connected$/m);
    // One column for the values.
    const cols = new Set(r.stdout.trim().split('\n').map((l) => /^\S+(?: \S+)* {2,}/.exec(l)?.[0].length));
    expect(cols.size).toBe(1);
  });
});
