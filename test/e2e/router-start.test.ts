import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';

const tmp = mkdtempSync(join(tmpdir(), 'anon-start-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

const NETID = 77;
const basePort = 30000 + Math.floor(Math.random() * 2000);

function startRouter(home: string, args: string[]): ChildProcess {
  const child = spawn(process.execPath, [resolve(ROOT, 'bin/anon-router.js'), 'start', '--home', home, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return child;
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', (code) => r(code))));
}

function statusOf(home: string): { peers: { known: number; connected: number }; identity: { hash: string } } | undefined {
  const r = runCli('anon-router', ['status', '--json', '--home', home]);
  return r.status === 0 ? JSON.parse(r.stdout) : undefined;
}

describe('anon-router start: bad input is one line and a non-zero exit, and nothing is saved', () => {
  it.each([
    [['--host', 'example.com', '--testnet', '--netid', '42'], /is not an IP address \(host names are never resolved: no DNS\)/],
    [['--host', '127.0.0.1'], /127\.0\.0\.1 is a loopback address: use --testnet/],
    [['--testnet', '--netid', '2'], /needs its own network id/],
    [['--port', '70000'], /port/i],
  ])('%j', (args, message) => {
    const home = join(tmp, `bad-${Math.random().toString(16).slice(2)}`);
    const r = runCli('anon-router', ['start', '--home', home, ...args]);
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });

  it('a refused --host does not stick: the next start without it is not affected', async () => {
    const home = join(tmp, 'sticky');
    expect(runCli('anon-router', ['start', '--home', home, '--host', 'example.com', '--testnet', '--netid', '42']).status).toBe(2);
    const child = startRouter(home, ['--log-level', 'warn']);
    const s = await waitFor('the router to answer', () => statusOf(home), 20_000);
    expect(s.identity.hash).toHaveLength(44);
    const st = JSON.parse(runCli('anon-router', ['status', '--json', '--home', home]).stdout);
    expect(st.ntcp2.host).toBeUndefined();
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
  });

  it('a port in use: one line naming it, exit 1', async () => {
    const server: Server = createServer();
    const port = basePort + 900;
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    try {
      const r = runCli('anon-router', ['start', '--home', join(tmp, 'busy'), '--testnet', '--netid', String(NETID), '--host', '127.0.0.1', '--port', String(port), '--log-level', 'error']);
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toBe(`anon-router start: cannot listen on 127.0.0.1:${port}: the port is in use (choose another with --port)`);
    } finally {
      server.close();
    }
  });
});

describe('anon-router start: two routers, signals, restart from its own netDb', () => {
  const a = join(tmp, 'a');
  const b = join(tmp, 'b');

  it('B reseeded from A connects; both learn each other; SIGINT and SIGTERM both stop cleanly (exit 0)', async () => {
    const ra = startRouter(a, ['--testnet', '--netid', String(NETID), '--host', '127.0.1.31', '--port', String(basePort + 1)]);
    const sa = await waitFor('router A', () => statusOf(a), 20_000);
    const seeds = join(tmp, 'seeds');
    mkdirSync(seeds);
    copyFileSync(join(a, 'router', 'router.info'), join(seeds, `routerInfo-${sa.identity.hash}.dat`));
    const rb = startRouter(b, ['--testnet', '--netid', String(NETID), '--host', '127.0.1.32', '--port', String(basePort + 2), '--reseed', seeds]);
    await waitFor('B connected to A', () => (statusOf(b)?.peers.connected ?? 0) >= 1, 20_000);
    await waitFor('A knows B', () => (statusOf(a)?.peers.known ?? 0) >= 1, 20_000);
    rb.kill('SIGINT');
    ra.kill('SIGTERM');
    expect(await exited(rb)).toBe(0);
    expect(await exited(ra)).toBe(0);
    expect(runCli('anon-router', ['status', '--home', a]).status).toBe(1);
  });

  it('restarted without --reseed, B still knows A (its own netDb) and reconnects', async () => {
    const ra = startRouter(a, []);
    const sa = await waitFor('router A again', () => statusOf(a), 20_000);
    // While it runs, `info` asks the router instead of failing on its lock.
    const info = runCli('anon-router', ['info', '--json', '--home', a]);
    expect(info.status, info.stderr).toBe(0);
    expect(JSON.parse(info.stdout).hash).toBe(sa.identity.hash);
    expect(JSON.parse(info.stdout).routerInfo.summary.addresses[0]).toBe('NTCP2 127.0.1.31:' + (basePort + 1));
    const rb = startRouter(b, []);
    const s = await waitFor('B reconnected to A from its own netDb', () => {
      const st = statusOf(b);
      return st && st.peers.known >= 1 && st.peers.connected >= 1 ? st : undefined;
    }, 30_000);
    expect(s.peers.known).toBeGreaterThanOrEqual(1);
    rb.kill('SIGTERM');
    ra.kill('SIGTERM');
    expect(await exited(rb)).toBe(0);
    expect(await exited(ra)).toBe(0);
  });
});
