import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createPrivateKeys, encodeDestination, i2pBase64Decode, i2pBase64Encode, keysAndCertHash, b32FromHash, decodeDestination } from '../../src/router/data/index.js';
import { ROOT, runCli, spawn } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'anon-e2e-names-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A fresh destination in I2P base64; `dash`: one that starts with '-' (it must not read as a flag). */
function destination(dash = false): string {
  for (let i = 0; i < 10_000; i++) {
    const d = i2pBase64Encode(encodeDestination(createPrivateKeys().destination));
    if (!dash || d.startsWith('-')) return d;
  }
  throw new Error('no destination starting with - in 10,000 tries');
}
const A = destination(true);
const B = destination();
const b32Of = (d: string) => b32FromHash(keysAndCertHash(decodeDestination(i2pBase64Decode(d))));

const names = (home: string, ...args: string[]) => runCli('anon-router', ['names', ...args, '--home', home]);
const listJson = (home: string) => {
  const r = names(home, 'list', '--json');
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { name: string; b32: string; destination: string; added: string }[];
};

describe('anon-router names (no router running)', () => {
  const home = join(tmp, 'home');

  it('adds a name, lower-cased, and lists it with its b32 and destination', () => {
    const r = names(home, 'add', 'Example.I2P', A);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(`example.i2p: added (${b32Of(A)})`);
    const list = listJson(home);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ name: 'example.i2p', b32: b32Of(A), destination: A });
    const text = names(home, 'list');
    expect(text.stdout).toMatch(new RegExp(`example\\.i2p\\s+${b32Of(A).replace(/\./g, '\\.')}`));
    expect(text.stdout).toMatch(/^1 name$/m);
  });

  it('refuses a bad name or destination as a usage error (exit 2, one line)', () => {
    for (const [name, dest, why] of [
      ['bad name.i2p', A, /not a valid host name/],
      ['x.b32.i2p', A, /base 32 addresses/],
      ['router.i2p', A, /reserved/],
      ['ok.i2p', 'AAAA', /at least 516/],
      ['ok.i2p', A.slice(0, -4) + '!!!!', /not I2P base64/],
    ] as const) {
      const r = names(home, 'add', name, dest);
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^anon-router names add: /);
      expect(r.stderr).toMatch(why);
    }
    const j = runCli('anon-router', ['names', 'add', 'ok.i2p', 'AAAA', '--json', '--home', home]);
    expect(j.status).toBe(2);
    expect(JSON.parse(j.stdout).error).toMatchObject({ exitCode: 2 });
    expect(listJson(home).map((e) => e.name)).toEqual(['example.i2p']);
  });

  it('keeps the first destination of a name unless --replace (exit 1 when taken)', () => {
    const again = names(home, 'add', 'example.i2p', A);
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/already in the address book/);
    const taken = names(home, 'add', 'example.i2p', B);
    expect(taken.status).toBe(1);
    expect(taken.stderr.trim()).toMatch(/^anon-router names add: example\.i2p is already in the address book with another destination/);
    expect(names(home, 'add', 'example.i2p', B, '--replace').status).toBe(0);
    expect(listJson(home)[0].destination).toBe(B);
  });

  it('imports a hosts.txt, reporting skipped lines by number', () => {
    const file = join(tmp, 'hosts.txt');
    writeFileSync(
      file,
      [
        '# a subscription',
        `alpha.i2p=${A}`,
        `beta.i2p=${B}#!sig=abc`,
        '#!action=remove#name=alpha.i2p#sig=x',
        'garbage line',
        `example.i2p=${A}`, // taken (B since the --replace above)
        `bad..name.i2p=${A}`,
        '',
      ].join('\r\n'),
    );
    const r = names(home, 'import', file);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${file}: added 2, already present 0, skipped 3`);
    expect(r.stdout).toMatch(/line 5: no '='/);
    expect(r.stdout).toMatch(/line 6: example\.i2p is already in the address book/);
    expect(r.stdout).toMatch(/line 7: "bad\.\.name\.i2p" is not a valid host name/);
    const j = runCli('anon-router', ['names', 'import', file, '--json', '--home', home]);
    expect(j.status).toBe(0);
    expect(JSON.parse(j.stdout)).toMatchObject({ added: 0, unchanged: 2, skippedCount: 3, skipped: [{ line: 5 }, { line: 6 }, { line: 7 }] });
    expect(listJson(home).map((e) => e.name)).toEqual(['alpha.i2p', 'beta.i2p', 'example.i2p']);
  });

  it('imports a file larger than one control request, numbering lines across the pieces', () => {
    const file = join(tmp, 'big-hosts.txt');
    const lines = Array.from({ length: 300 }, (_, i) => `host${i}.i2p=${i % 2 ? A : B}`);
    lines.push('bad line at the end');
    writeFileSync(file, lines.join('\n'));
    const r = runCli('anon-router', ['names', 'import', file, '--json', '--home', home]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ added: 300, skippedCount: 1, skipped: [{ line: 301 }] });
    expect(listJson(home)).toHaveLength(303);
  });

  it('a missing file is a usage error', () => {
    const r = names(home, 'import', join(tmp, 'nope.txt'));
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`anon-router names import: ${join(tmp, 'nope.txt')}: no such file`);
  });

  it('removes a name; removing an unknown one fails with exit 1', () => {
    const r = names(home, 'rm', 'ALPHA.i2p');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('alpha.i2p: removed');
    expect(listJson(home).map((e) => e.name)).not.toContain('alpha.i2p');
    const again = names(home, 'rm', 'alpha.i2p');
    expect(again.status).toBe(1);
    expect(again.stderr.trim()).toBe('anon-router names rm: alpha.i2p is not in the address book');
  });

  it('gives the in-use error when another process holds the home', async () => {
    const held = join(tmp, 'held');
    expect(names(held, 'list').status).toBe(0);
    const holder = spawn(process.execPath, [resolve(ROOT, 'test/helpers/hold-state.mjs'), held], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((ok, fail) => {
        const timer = setTimeout(() => fail(new Error('holder did not start')), 20_000);
        holder.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && (clearTimeout(timer), ok()));
        holder.on('exit', (code) => fail(new Error(`holder exited ${code}`)));
      });
      const r = names(held, 'add', 'x.i2p', A);
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toBe(`anon-router names add: ${join(held, 'router')} is in use by another anon process (pid ${holder.pid}); stop it or use its control socket`);
    } finally {
      holder.stdin.end();
      await new Promise((ok) => (holder.exitCode !== null ? ok(null) : holder.on('exit', ok)));
    }
  });
});
