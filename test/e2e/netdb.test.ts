import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';

const tmp = mkdtempSync(join(tmpdir(), 'anon-netdb-'));
const NETID = 66;
const base = 32100 + Math.floor(Math.random() * 800);
const children: ChildProcess[] = [];

function start(name: string, k: number, extra: string[]): string {
  const home = join(tmp, name);
  const child = spawn(process.execPath, [resolve(ROOT, 'bin/anon-router.js'), 'start', '--home', home, '--testnet', '--netid', String(NETID), '--host', `127.0.1.${80 + k}`, '--port', String(base + k), ...extra], { stdio: 'ignore' });
  children.push(child);
  return home;
}

const json = (args: string[]) => {
  const r = runCli('anon-router', [...args, '--json']);
  // A failed command prints {"error": …}: only a success counts as a body.
  return { status: r.status, body: r.status === 0 && r.stdout ? JSON.parse(r.stdout) : undefined, stderr: r.stderr };
};

describe('anon-router netdb list|lookup|stats against a floodfill of ours', () => {
  let ffHome = '';
  let bHome = '';
  let cHash = '';
  let ffHash = '';

  beforeAll(async () => {
    ffHome = start('ff', 1, ['--floodfill']);
    ffHash = (await waitFor('the floodfill', () => json(['status', '--home', ffHome]).body, 20_000)).identity.hash;
    const seeds = join(tmp, 'seeds');
    mkdirSync(seeds);
    copyFileSync(join(ffHome, 'router', 'router.info'), join(seeds, `routerInfo-${ffHash}.dat`));
    bHome = start('b', 2, ['--reseed', seeds]);
    const cHome = start('c', 3, ['--reseed', seeds]);
    cHash = (await waitFor('router C', () => json(['status', '--home', cHome]).body, 20_000)).identity.hash;
    await waitFor('B connected to the floodfill', () => (json(['status', '--home', bHome]).body?.peers.connected ?? 0) >= 1, 20_000);
    await waitFor('the floodfill knows C', () => (json(['status', '--home', ffHome]).body?.peers.known ?? 0) >= 2, 20_000);
  });

  afterAll(async () => {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
    rmSync(tmp, { recursive: true, force: true });
  });

  it('list shows what B knows: the floodfill, with caps f', () => {
    const r = json(['netdb', 'list', '--home', bHome]);
    expect(r.status).toBe(0);
    const ff = r.body.find((x: { hash: string }) => x.hash === ffHash);
    expect(ff.caps).toMatch(/f/);
    expect(ff.ntcp2).toEqual([`127.0.1.81:${base + 1}`]);
  });

  it('lookup of a router B never met: found through the floodfill, verified and stored', () => {
    const r = json(['netdb', 'lookup', cHash, '--home', bHome]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.body.found).toBe(true);
    // B may have learned C already (its explorer asks the floodfill; C's explorer finds B and
    // dials it); else the lookup asks the floodfill now.
    if (r.body.source === 'floodfills (iterative)') {
      expect(r.body.floodfill).toBe(ffHash);
      expect(r.body.queried).toEqual([ffHash]);
    } else {
      expect(r.body.source).toBe('local netDb');
    }
    expect(r.body.router.hash).toBe(cHash);
    // Now B holds it itself.
    expect(json(['netdb', 'lookup', cHash, '--home', bHome]).body).toMatchObject({ found: true, source: 'local netDb' });
  });

  it('lookup through one named floodfill', () => {
    const r = json(['netdb', 'lookup', ffHash, '--floodfill', ffHash, '--home', bHome]);
    expect(r.status, r.stderr).toBe(0);
    // B knows the floodfill already: answered from its own netDb.
    expect(r.body).toMatchObject({ found: true, source: 'local netDb' });
  });

  it('lookup of an unknown hash: not found, exit 1, one line', () => {
    const unknown = 'A'.repeat(43) + '=';
    const r = runCli('anon-router', ['netdb', 'lookup', unknown, '--home', bHome]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(new RegExp(`^anon-router netdb lookup: ${unknown}: not found`));
  });

  it('a b32 address no floodfill holds: not found, exit 1; a name that is not b32: usage error', () => {
    const b32 = 'a'.repeat(52) + '.b32.i2p';
    const r = runCli('anon-router', ['netdb', 'lookup', b32, '--home', bHome, '--timeout', '5']);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(new RegExp(`^anon-router netdb lookup: ${b32.replace(/\./g, '\\.')}: no LeaseSet found`));
    const bad = runCli('anon-router', ['netdb', 'lookup', 'example.i2p', '--home', bHome]);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe('anon-router netdb lookup: example.i2p: not a b32 address (52 base32 characters, then .b32.i2p); names need the address book');
  });

  it('a malformed hash is a usage error (exit 2)', () => {
    const r = runCli('anon-router', ['netdb', 'lookup', 'not-a-hash', '--home', bHome]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('anon-router netdb lookup: HASH: not a router hash (44 characters of I2P base64) nor a .b32.i2p address');
  });

  it("B published its RouterInfo to the floodfill in garlic (Noise N to the floodfill's key), and it was confirmed", async () => {
    const b = await waitFor('B to publish', () => {
      const st = json(['netdb', 'stats', '--home', bHome]).body;
      return st && st.publishing.confirmed >= 1 ? st : undefined;
    }, 30_000);
    expect(b.publishing.wrapped).toBeGreaterThanOrEqual(1);
    const ff = json(['netdb', 'stats', '--home', ffHome]).body;
    expect(ff.inbound.garlicOpened).toBeGreaterThanOrEqual(1);
    expect(ff.inbound.garlicRefused).toBe(0);
    expect(ff.floodfill.stores).toBeGreaterThanOrEqual(1);
  });

  it('stats on the floodfill count the lookups it answered', () => {
    const r = json(['netdb', 'stats', '--home', ffHome]);
    expect(r.status).toBe(0);
    expect(r.body.floodfill.lookups).toBeGreaterThanOrEqual(2);
    expect(r.body.floodfill.found).toBeGreaterThanOrEqual(1);
    expect(r.body.floodfill.notFound).toBeGreaterThanOrEqual(1);
    expect(r.body.routerInfos).toBeGreaterThanOrEqual(2);
  });
});
