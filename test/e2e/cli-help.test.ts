import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';

const BINS = ['anon-router', 'anon-site', 'anon-chat', 'anon-share', 'anon-fetch'];

describe('the bins and their help', () => {
  it('anon --help lists every topic', () => {
    const r = runCli('anon', ['--help']);
    expect(r.status).toBe(0);
    for (const topic of ['router', 'site', 'chat', 'share', 'fetch']) expect(r.stdout).toMatch(new RegExp(`^\\s+${topic}\\s`, 'm'));
  });

  it.each(BINS)('%s --help reads as its own name', (bin) => {
    const r = runCli(bin, ['--help']);
    expect(r.status).toBe(0);
    const topic = bin.slice('anon-'.length);
    expect(r.stdout).not.toContain(`$ anon ${topic}`);
    // anon-fetch is one command (`anon-fetch URL`); the others are topics of commands.
    expect(r.stdout).toContain(bin === 'anon-fetch' ? '$ anon-fetch URL' : `$ ${bin} COMMAND`);
  });

  it('anon-router info --help shows `$ anon-router info`, anon router info --help shows `$ anon router info`', () => {
    const own = runCli('anon-router', ['info', '--help']);
    expect(own.status).toBe(0);
    expect(own.stdout).toMatch(/\$ anon-router info/);
    expect(own.stdout).not.toMatch(/anon router/);
    const umbrella = runCli('anon', ['router', 'info', '--help']);
    expect(umbrella.status).toBe(0);
    expect(umbrella.stdout).toMatch(/\$ anon router info/);
  });

  it('anon-router with no command shows the topic help under its own name', () => {
    const r = runCli('anon-router', []);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\$ anon-router COMMAND/);
    // Listed as the user types them after `anon-router`, not as `router info`.
    expect(r.stdout).toMatch(/^\s+info\s+Show this router/m);
    expect(r.stdout).toMatch(/^\s+inspect\s+Decode/m);
    expect(r.stdout).not.toMatch(/^\s+router (info|inspect)/m);
  });

  describe('--help stays light', () => {
    const dir = mkdtempSync(join(tmpdir(), 'anon-imports-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('loads neither the router, the state layer nor ink', () => {
      const log = join(dir, 'imports.txt');
      const hook = resolve(ROOT, 'test/helpers/record-imports.mjs');
      const r = runCli('anon-router', ['info', '--help'], { ANON_RECORD_IMPORTS: log }, ['--import', hook]);
      expect(r.status).toBe(0);
      const loaded = readFileSync(log, 'utf8').split('\n').filter(Boolean);
      expect(loaded.some((u) => u.includes('@oclif/core'))).toBe(true);
      expect(loaded.filter((u) => /\/dist\/src\/(router|state)\//.test(u))).toEqual([]);
      expect(loaded.filter((u) => /node_modules\/(ink|react|level|classic-level)\//.test(u))).toEqual([]);
    });
  });
});

describe('exit codes and errors', () => {
  it('an unknown flag is a usage error: one line, exit 2', () => {
    const r = runCli('anon-router', ['info', '--bogus']);
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^anon-router info: .*--bogus/);
  });

  it('an unknown flag with --json is still exit 2, reported as JSON', () => {
    const r = runCli('anon-router', ['info', '--json', '--bogus']);
    expect(r.status).toBe(2);
    const out = JSON.parse(r.stdout);
    expect(out.error.exitCode).toBe(2);
    expect(out.error.message).toMatch(/--bogus/);
  });

  it('an unknown command exits non-zero with one line naming it', () => {
    const r = runCli('anon-router', ['frobnicate']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/frobnicate/);
  });
});
