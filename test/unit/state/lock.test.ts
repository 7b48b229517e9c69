import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateInUseError } from '../../../src/state/errors.js';
import {
  PID_FILE_NAME,
  acquirePidLock,
  inUseFromLockError,
  isLevelLockError,
  isProcessAlive,
  readPidFile,
} from '../../../src/state/lock.js';

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

describe('pid lock', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'anon-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('tells live processes from dead ones', async () => {
    expect(isProcessAlive(process.pid)).toBe(true);
    expect(isProcessAlive(process.ppid)).toBe(true);
    expect(isProcessAlive(await deadPid())).toBe(false);
  });

  it('reads only well-formed pids', () => {
    const file = join(dir, PID_FILE_NAME);
    expect(readPidFile(dir)).toBeUndefined();
    for (const [text, want] of [
      ['123\n', 123],
      ['  42 ', 42],
      ['0', undefined],
      ['-5', undefined],
      ['12ab', undefined],
      ['', undefined],
      ['99999999999', undefined],
      ['1'.repeat(200), undefined],
    ] as const) {
      writeFileSync(file, text);
      expect(readPidFile(dir)).toBe(want);
    }
  });

  it('writes a 0600 pid file naming us and removes it on release', () => {
    const lock = acquirePidLock(dir);
    const file = join(dir, PID_FILE_NAME);
    expect(readFileSync(file, 'utf8')).toBe(`${process.pid}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    lock.release();
    lock.release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a pid file naming another live process, with the exact message', () => {
    writeFileSync(join(dir, PID_FILE_NAME), `${process.ppid}\n`);
    let err: unknown;
    try {
      acquirePidLock(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StateInUseError);
    expect((err as StateInUseError).pid).toBe(process.ppid);
    expect((err as Error).message).toBe(
      `${dir} is in use by another anon process (pid ${process.ppid}); stop it or use its control socket`,
    );
    expect(readPidFile(dir)).toBe(process.ppid);
  });

  it('replaces a stale pid file', async () => {
    writeFileSync(join(dir, PID_FILE_NAME), `${await deadPid()}\n`);
    const lock = acquirePidLock(dir);
    expect(readPidFile(dir)).toBe(process.pid);
    lock.release();
  });

  it('with an exclusive lock held, treats any pid file as stale', () => {
    writeFileSync(join(dir, PID_FILE_NAME), `${process.ppid}\n`);
    const lock = acquirePidLock(dir, { exclusive: true });
    expect(readPidFile(dir)).toBe(process.pid);
    lock.release();
  });

  it('refuses a second acquisition from this process, naming our pid', () => {
    const lock = acquirePidLock(dir, { exclusive: true });
    expect(() => acquirePidLock(dir, { exclusive: true })).toThrow(
      `${dir} is in use by another anon process (pid ${process.pid})`,
    );
    lock.release();
    acquirePidLock(dir).release();
  });

  it('does not remove a pid file that another process wrote since', () => {
    const lock = acquirePidLock(dir);
    writeFileSync(join(dir, PID_FILE_NAME), `${process.ppid}\n`);
    lock.release();
    expect(readPidFile(dir)).toBe(process.ppid);
  });

  it('recognises LevelDB lock errors and names the holder', () => {
    const levelErr = Object.assign(new Error('Database failed to open'), {
      code: 'LEVEL_DATABASE_NOT_OPEN',
      cause: Object.assign(new Error('IO error: lock'), { code: 'LEVEL_LOCKED' }),
    });
    expect(isLevelLockError(levelErr)).toBe(true);
    expect(isLevelLockError(new Error('x'))).toBe(false);
    expect(isLevelLockError(undefined)).toBe(false);
    writeFileSync(join(dir, PID_FILE_NAME), `${process.ppid}\n`);
    const err = inUseFromLockError(dir, levelErr);
    expect(err.pid).toBe(process.ppid);
    expect(err.cause).toBe(levelErr);
  });
});
