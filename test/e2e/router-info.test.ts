import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeRouterInfo, i2pBase64Decode, i2pBase64Encode, keysAndCertHash, routerInfoCaps, routerInfoNetId, routerInfoVersion, verifyRouterInfo } from '../../src/router/data/index.js';
import { ROOT, runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'anon-e2e-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('anon-router info', () => {
  const home = join(tmp, 'home-info');

  it('creates the identity on first use and gives the same one the second time', () => {
    const first = runCli('anon-router', ['info', '--json', '--home', home]);
    expect(first.status, first.stderr).toBe(0);
    const a = JSON.parse(first.stdout);
    expect(a.created).toBe(true);
    const second = runCli('anon-router', ['info', '--json', '--home', home]);
    expect(second.status, second.stderr).toBe(0);
    const b = JSON.parse(second.stdout);
    expect(b.created).toBe(false);
    expect(b.hash).toBe(a.hash);
    expect(b.shortId).toBe(a.hash.slice(0, 6));
    expect(i2pBase64Decode(a.hash)).toHaveLength(32);
  });

  it('prints a signed RouterInfo that decodes, verifies and names the router', () => {
    const r = JSON.parse(runCli('anon-router', ['info', '--json', '--home', home]).stdout);
    const ri = decodeRouterInfo(i2pBase64Decode(r.routerInfo.base64));
    expect(verifyRouterInfo(ri)).toBe(true);
    expect(i2pBase64Encode(keysAndCertHash(ri.identity))).toBe(r.hash);
    expect(routerInfoNetId(ri)).toBe(2);
    expect(routerInfoVersion(ri)).toMatch(/^0\.9\.6\d$/);
    expect(routerInfoCaps(ri)).toMatch(/^[NOPX]U$/);
    // The file written beside the keys is the same RouterInfo.
    expect(i2pBase64Encode(new Uint8Array(readFileSync(r.routerInfoFile)))).toBe(r.routerInfo.base64);
  });

  it('keeps the home and router dirs at 0700 and the key file at 0600', () => {
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(statSync(join(home, 'router')).mode & 0o777).toBe(0o700);
    expect(statSync(join(home, 'router', 'router.keys')).mode & 0o777).toBe(0o600);
  });

  it('takes $ANON_HOME when --home is absent', () => {
    const envHome = join(tmp, 'home-env');
    const r = runCli('anon-router', ['info', '--json'], { ANON_HOME: envHome });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).dir).toBe(join(envHome, 'router'));
  });

  it('the text form shows hash, short id and the RouterInfo', () => {
    const r = runCli('anon-router', ['info', '--home', home]);
    expect(r.status).toBe(0);
    const hash = JSON.parse(runCli('anon-router', ['info', '--json', '--home', home]).stdout).hash as string;
    expect(r.stdout).toContain(hash);
    expect(r.stdout).toMatch(new RegExp(`short id\\s+${hash.slice(0, 6).replace(/[-~]/g, '\\$&')}`));
    expect(r.stdout).toMatch(/router\.version\s+0\.9\.6\d/);
    expect(r.stdout).toMatch(/signature\s+valid/);
  });

  it('refuses a key file others can read, with one line naming the fix', () => {
    const loose = join(tmp, 'home-loose');
    expect(runCli('anon-router', ['info', '--home', loose]).status).toBe(0);
    const keys = join(loose, 'router', 'router.keys');
    chmodSync(keys, 0o644);
    const r = runCli('anon-router', ['info', '--home', loose]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(keys);
  });
});

describe('two processes on one home', () => {
  it('the second gets the clear in-use error naming the first one’s pid', async () => {
    const home = join(tmp, 'home-lock');
    expect(runCli('anon-router', ['info', '--home', home]).status).toBe(0);
    const holder = spawn(process.execPath, [resolve(ROOT, 'test/helpers/hold-state.mjs'), home], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((ok, fail) => {
        const timer = setTimeout(() => fail(new Error('holder did not start')), 20_000);
        holder.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && (clearTimeout(timer), ok()));
        holder.on('exit', (code) => fail(new Error(`holder exited ${code}`)));
      });
      const r = runCli('anon-router', ['info', '--home', home]);
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toBe(
        `anon-router info: ${join(home, 'router')} is in use by another anon process (pid ${holder.pid}); stop it or use its control socket`,
      );
      const j = runCli('anon-router', ['info', '--json', '--home', home]);
      expect(j.status).toBe(1);
      expect(JSON.parse(j.stdout).error.message).toContain(`(pid ${holder.pid})`);
    } finally {
      holder.stdin.end();
      await new Promise((ok) => (holder.exitCode !== null ? ok(null) : holder.on('exit', ok)));
    }
    // Once the holder is gone the home is ours again.
    expect(runCli('anon-router', ['info', '--home', home]).status).toBe(0);
  });
});
