import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { StateInUseError } from '../../../src/state/errors.js';
import { utf8Codec } from '../../../src/state/codecs.js';
import { RouterSublevels } from '../../../src/state/layout.js';
import { createLevelStorage, openLevelStorage } from '../../../src/state/level-storage.js';
import { PID_FILE_NAME } from '../../../src/state/lock.js';
import type { Storage } from '../../../src/state/store.js';
import { storageSuite } from './storage-suite.js';

storageSuite('classic-level', async () => {
  const base = mkdtempSync(join(tmpdir(), 'anon-level-'));
  const dir = join(base, 'router');
  return {
    make: (options) => createLevelStorage(dir, options),
    cleanup: async () => rmSync(base, { recursive: true, force: true }),
  };
});

const HOLDER = fileURLToPath(new URL('./fixtures/hold-level.mjs', import.meta.url));

/** A dead pid: a child that has already exited (its pid is not reused this quickly). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

function startHolder(dir: string, ...args: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, [HOLDER, dir, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`holder exited early (${code})`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve(child);
    });
  });
}

async function stopHolder(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.stdin!.end();
  await exited;
}

describe('level storage on disk', () => {
  const bases: string[] = [];
  const stores: Storage[] = [];
  const children: ChildProcess[] = [];
  const freshDir = (): string => {
    const base = mkdtempSync(join(tmpdir(), 'anon-level-'));
    bases.push(base);
    return join(base, 'router');
  };
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill();
    for (const s of stores.splice(0)) await s.close();
    for (const b of bases.splice(0)) rmSync(b, { recursive: true, force: true });
  });

  it('creates its directory 0700 and a 0600 pid file naming us, removed on close', async () => {
    const dir = freshDir();
    const s = await openLevelStorage(dir, { schema: 1 });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const pidFile = join(dir, PID_FILE_NAME);
    expect(statSync(pidFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(pidFile, 'utf8').trim()).toBe(String(process.pid));
    await s.close();
    expect(readdirSync(dir)).not.toContain(PID_FILE_NAME);
  });

  it('touches nothing on disk until open (abstract-level would open itself on construction)', async () => {
    const dir = freshDir();
    const s = createLevelStorage(dir, { schema: 1 });
    await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(dir)).toBe(false);
    expect(() => createLevelStorage(dir, { schema: 0 })).toThrow(/positive integer/);
    await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(dir)).toBe(false);
    expect(s.status).toBe('closed');
  });

  it('writes with sync and reads back after reopen', async () => {
    const dir = freshDir();
    const s = await openLevelStorage(dir, { schema: 1 });
    await s.sublevel(RouterSublevels.keys, utf8Codec).putDurable('identity', 'secret');
    await s.close();
    const s2 = await openLevelStorage(dir, { schema: 1 });
    stores.push(s2);
    expect(await s2.sublevel(RouterSublevels.keys, utf8Codec).get('identity')).toBe('secret');
  });

  it('takes over a stale pid file', async () => {
    const dir = freshDir();
    await (await openLevelStorage(dir, { schema: 1 })).close();
    const dead = await deadPid();
    writeFileSync(join(dir, PID_FILE_NAME), `${dead}\n`, { mode: 0o600 });
    const s = await openLevelStorage(dir, { schema: 1 });
    stores.push(s);
    expect(readFileSync(join(dir, PID_FILE_NAME), 'utf8').trim()).toBe(String(process.pid));
  });

  it('takes over a pid file whose live pid does not hold the database (pid reuse)', async () => {
    const dir = freshDir();
    await (await openLevelStorage(dir, { schema: 1 })).close();
    writeFileSync(join(dir, PID_FILE_NAME), `${process.ppid}\n`, { mode: 0o600 });
    const s = await openLevelStorage(dir, { schema: 1 });
    stores.push(s);
    expect(readFileSync(join(dir, PID_FILE_NAME), 'utf8').trim()).toBe(String(process.pid));
  });

  it('names the other process that holds the database', async () => {
    const dir = freshDir();
    await (await openLevelStorage(dir, { schema: 1 })).close();
    const child = await startHolder(dir);
    children.push(child);
    const s = createLevelStorage(dir, { schema: 1 });
    const err = await s.open().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateInUseError);
    expect((err as StateInUseError).pid).toBe(child.pid);
    expect((err as StateInUseError).dir).toBe(dir);
    expect((err as Error).message).toBe(
      `${dir} is in use by another anon process (pid ${child.pid}); stop it or use its control socket`,
    );
    // Our failed open must not have touched the holder's pid file.
    expect(readFileSync(join(dir, PID_FILE_NAME), 'utf8').trim()).toBe(String(child.pid));
    await stopHolder(child);
    await s.open();
    stores.push(s);
    expect(s.status).toBe('open');
  });

  it('still refuses when the holder left no pid file', async () => {
    const dir = freshDir();
    await (await openLevelStorage(dir, { schema: 1 })).close();
    const child = await startHolder(dir, 'no-pid');
    children.push(child);
    const err = await openLevelStorage(dir, { schema: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateInUseError);
    expect((err as StateInUseError).pid).toBeUndefined();
    expect((err as Error).message).toContain('(pid unknown)');
    await stopHolder(child);
  });

  it('tightens a group-readable database directory to 0700', async () => {
    const dir = freshDir();
    await (await openLevelStorage(dir, { schema: 1 })).close();
    const { chmodSync } = await import('node:fs');
    chmodSync(dir, 0o755);
    const s = await openLevelStorage(dir, { schema: 1 });
    stores.push(s);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });
});
