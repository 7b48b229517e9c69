import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';

const vectors = resolve(ROOT, 'test/vectors/i2pd');
const tmp = mkdtempSync(join(tmpdir(), 'anon-inspect-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('anon-router inspect', () => {
  it.each(['router1.info', 'router2.info', 'router4.info'])("decodes i2pd's %s and verifies its signature", (name) => {
    const r = runCli('anon-router', ['inspect', join(vectors, name), '--json']);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.kind).toBe('RouterInfo');
    expect(out.signature).toBe('valid');
    expect(out.fields.options.netId).toBe('99');
    expect(out.fields.addresses[0].transportStyle).toBe('NTCP2');
    expect(out.fields.identity.cryptoType.code).toBe(4);
    expect(out.fields.identity.sigType.code).toBe(7);
  });

  it("decodes i2pd's destination keys file, gives i2pd's b32, and hides the private keys unless asked", () => {
    const file = join(vectors, 'eepsite-keys.dat');
    const r = runCli('anon-router', ['inspect', file, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.kind).toBe('PrivateKeys');
    expect(out.fields.destination.b32).toBe(readFileSync(join(vectors, 'eepsite-keys.b32'), 'utf8').trim());
    expect(out.fields.signingKeyMatchesDestination).toBe(true);
    expect(out.fields.signingPrivateKey).toMatch(/^\(secret, 32 bytes/);
    const text = runCli('anon-router', ['inspect', file]);
    const revealed = JSON.parse(runCli('anon-router', ['inspect', file, '--json', '--reveal-secrets']).stdout);
    expect(text.stdout).not.toContain(revealed.fields.signingPrivateKey.base64);
    expect(revealed.fields.signingPrivateKey.length).toBe(32);
  });

  it('reads our own router.keys and router.info', () => {
    const home = join(tmp, 'home');
    expect(runCli('anon-router', ['info', '--home', home]).status).toBe(0);
    const info = JSON.parse(runCli('anon-router', ['inspect', join(home, 'router', 'router.info'), '--json']).stdout);
    expect(info.kind).toBe('RouterInfo');
    expect(info.signature).toBe('valid');
    const keys = JSON.parse(runCli('anon-router', ['inspect', join(home, 'router', 'router.keys'), '--json']).stdout);
    expect(keys.kind).toBe('PrivateKeys');
    expect(keys.fields.destination.hash.base64).toBe(info.fields.identity.hash.base64);
  });

  it('a flipped byte in the signed part: decoded, but "signature does not verify" and exit 1', () => {
    const bytes = readFileSync(join(vectors, 'router2.info'));
    bytes[400] ^= 0x01;
    const file = join(tmp, 'tampered.info');
    writeFileSync(file, bytes);
    const r = runCli('anon-router', ['inspect', file]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/signature: invalid/);
    expect(r.stderr.trim()).toBe(`anon-router inspect: ${file}: the signature does not verify`);
  });

  it('a truncated file: one line naming the field and the byte offset, exit 1', () => {
    const file = join(tmp, 'truncated.info');
    writeFileSync(file, readFileSync(join(vectors, 'router1.info')).subarray(0, 500));
    const r = runCli('anon-router', ['inspect', file]);
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^anon-router inspect: .*truncated\.info: .* at byte \d+: /);
  });

  it('a missing file: one line, exit 1; a missing argument: usage error, exit 2', () => {
    const missing = runCli('anon-router', ['inspect', join(tmp, 'nope.dat')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim()).toBe(`anon-router inspect: ${join(tmp, 'nope.dat')}: no such file`);
    const usage = runCli('anon-router', ['inspect']);
    expect(usage.status).toBe(2);
    expect(usage.stderr.trim().split('\n')).toHaveLength(1);
  });
});
