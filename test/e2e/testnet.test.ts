import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isOurRouter, testnetDown } from '../../src/router/testnet/index.js';
import { runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'anon-e2e-testnet-'));
const dir = join(tmp, 'tn');
let recorded: Array<{ pid: number; home: string }> = [];

afterAll(async () => {
  // Safety net if a test failed midway: stop exactly what the testnet recorded.
  if (existsSync(join(dir, 'testnet.json'))) await testnetDown(dir, { gracefulMs: 2_000, termMs: 2_000 });
  for (const r of recorded) expect(isOurRouter(r.pid, r.home)).toBe(false);
  rmSync(tmp, { recursive: true, force: true });
});

/**
 * Gone from the process table, or a zombie: the routers are orphaned once `testnet up` exits,
 * and an init that does not reap orphans (as in some sandboxes) keeps them as zombies. A
 * zombie has exited and holds nothing (no sockets, no files).
 */
function exited(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
}

describe('anon-router testnet', () => {
  it('rejects bad options as usage errors (exit 2, one line)', () => {
    for (const args of [['--routers', '0'], ['--routers', '51'], ['--routers', '2', '--netid', '2'], ['--routers', '2', '--netid', '300'], ['--routers', '2', '--base-port', '70000']]) {
      const r = runCli('anon-router', ['testnet', 'up', '--dir', dir, ...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^anon-router testnet up: /);
    }
    expect(existsSync(join(dir, 'testnet.json'))).toBe(false);
  });

  it('status and down without a testnet fail in one line', () => {
    for (const verb of ['status', 'down']) {
      const r = runCli('anon-router', ['testnet', verb, '--dir', dir]);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`anon-router testnet ${verb}: no testnet in ${dir} (no testnet.json)${verb === 'status' ? '; start one with anon-router testnet up' : ''}\n`);
    }
  });

  it('up --routers 3 starts three routers with distinct identities and records them', () => {
    const r = runCli('anon-router', ['testnet', 'up', '--routers', '3', '--dir', dir, '--json']);
    const manifest = JSON.parse(r.stdout);
    recorded = (manifest.routers ?? []).map((x: { pid: number; home: string }) => ({ pid: x.pid, home: x.home }));
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(manifest.routers).toHaveLength(3);
    expect(manifest.netId).not.toBe(2);
    const onDisk = JSON.parse(readFileSync(join(dir, 'testnet.json'), 'utf8'));
    expect(onDisk).toEqual(manifest);
    expect(statSync(join(dir, 'testnet.json')).mode & 0o777).toBe(0o600);
    expect(new Set(onDisk.routers.map((x: { hash: string }) => x.hash)).size).toBe(3);
    onDisk.routers.forEach((x: { k: number; pid: number; home: string; host: string; port: number; hash: string; netId: number }, i: number) => {
      expect(x.k).toBe(i + 1);
      expect(x.host).toBe(`127.0.1.${i + 1}`);
      expect(x.port).toBe(manifest.basePort + i + 1);
      expect(x.netId).toBe(manifest.netId);
      expect(x.hash).toMatch(/^[A-Za-z0-9~-]{43}=$/);
      process.kill(x.pid, 0); // alive
      expect(isOurRouter(x.pid, x.home)).toBe(true);
    });
    // Each router's RouterInfo was handed on to those after it.
    for (const x of onDisk.routers) expect(existsSync(join(dir, 'reseed', `routerInfo-${x.hash}.dat`))).toBe(true);
  });

  it('up again in the same dir refuses while it runs', () => {
    const r = runCli('anon-router', ['testnet', 'up', '--routers', '3', '--dir', dir]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^anon-router testnet up: a testnet is already running in .* \(pids \d+, \d+, \d+\)/);
  });

  it('status --json lists the three routers alive, each answering with its own hash', () => {
    const r = runCli('anon-router', ['testnet', 'status', '--dir', dir, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.routers).toHaveLength(3);
    rep.routers.forEach((x: { alive: boolean; hash: string; status: { identity: { hash: string }; netId: number; peers: { known: number; connected: number }; sessions: { inbound: number; outbound: number } } }) => {
      expect(x.alive).toBe(true);
      expect(x.status.identity.hash).toBe(x.hash);
      expect(x.status.netId).toBe(rep.netId);
      // Peer and session counts depend on NTCP2 and tunnels landing: only numbers ≥ 0 for now.
      // Lead: once NTCP2 connects, router k should know ≥ k-1 peers and, later, be connected.
      for (const n of [x.status.peers.known, x.status.peers.connected, x.status.sessions.inbound, x.status.sessions.outbound]) {
        expect(Number.isInteger(n) && n >= 0).toBe(true);
      }
    });
    const text = runCli('anon-router', ['testnet', 'status', '--dir', dir]);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/3 of 3 routers answering/);
    expect(text.stdout.match(/^\s+r\d\s+127\.0\.1\.\d:\d+\s+\d+\s+running\s/gm)).toHaveLength(3);
  });

  it('down stops every recorded router and removes testnet.json', () => {
    const r = runCli('anon-router', ['testnet', 'down', '--dir', dir, '--json']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.allGone).toBe(true);
    expect(rep.routers).toHaveLength(3);
    for (const x of rep.routers) expect(['stopped', 'terminated', 'killed']).toContain(x.outcome);
    for (const x of recorded) {
      expect(exited(x.pid), `pid ${x.pid}`).toBe(true);
      expect(isOurRouter(x.pid, x.home)).toBe(false);
    }
    expect(existsSync(join(dir, 'testnet.json'))).toBe(false);
    // Nothing answers on their control sockets any more.
    const st = runCli('anon-router', ['status', '--home', recorded[0]!.home]);
    expect(st.status).toBe(1);
  });
});
