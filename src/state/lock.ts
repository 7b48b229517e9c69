import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, realpathSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { constants as fsc } from 'node:fs';
import { join, resolve } from 'node:path';
import { StateError, StateInUseError, errnoCode } from './errors.js';

/**
 * LevelDB's LOCK file says "someone holds this" but never who. A pid file beside it names the
 * holder so the user can be told which process to stop, and so a stale one can be told from a
 * live one.
 *
 * Decision on ordering: when the caller can take an exclusive lock of its own (LevelDB's), that
 * lock is the authority and the pid file only names its holder. A pid file whose pid is alive
 * but whose directory we could still lock is stale (the pid was reused after a crash) and is
 * replaced, instead of blocking the user on an unrelated process. Without such a lock
 * (`exclusive: false`) a live pid file is taken at its word.
 *
 * A second open of the same directory from this process is "in use" too (naming our own pid):
 * two handles on one store would race their writes.
 */
export const PID_FILE_NAME = 'anon.pid';

const MAX_PID_FILE_BYTES = 64;

/** Directories held by this process, by real path. */
const heldHere = new Set<string>();

export function pidFilePath(dir: string): string {
  return join(dir, PID_FILE_NAME);
}

function canonical(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return resolve(dir);
  }
}

/** The pid named by `<dir>/anon.pid`, or undefined if there is none or it is not a pid. */
export function readPidFile(dir: string): number | undefined {
  let fd: number;
  try {
    fd = openSync(pidFilePath(dir), fsc.O_RDONLY | (fsc.O_NOFOLLOW ?? 0));
  } catch {
    return undefined;
  }
  try {
    if (!fstatSync(fd).isFile()) return undefined;
    const buf = Buffer.alloc(MAX_PID_FILE_BYTES);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const text = buf.subarray(0, n).toString('utf8').trim();
    if (!/^[1-9][0-9]{0,9}$/.test(text)) return undefined;
    const pid = Number(text);
    return pid <= 0x7fffffff ? pid : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Signal 0 probes without signalling; EPERM means it exists but belongs to someone else. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === 'EPERM';
  }
}

/** The live pid named by the pid file, if any. */
export function livePidFromFile(dir: string): number | undefined {
  const pid = readPidFile(dir);
  return pid !== undefined && isProcessAlive(pid) ? pid : undefined;
}

/** Throws StateInUseError if this process already holds `dir`. */
export function assertNotHeldHere(dir: string): void {
  if (heldHere.has(canonical(dir))) throw new StateInUseError(dir, process.pid);
}

/** Is `err` LevelDB's "LOCK already held" (classic-level wraps it in LEVEL_DATABASE_NOT_OPEN)? */
export function isLevelLockError(err: unknown): boolean {
  // Bounded walk down the cause chain: abstract-level nests at most two deep.
  let e: unknown = err;
  for (let depth = 0; depth < 4 && typeof e === 'object' && e !== null; depth++) {
    if (errnoCode(e) === 'LEVEL_LOCKED') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** The StateInUseError for a LevelDB lock failure, naming the holder from the pid file. */
export function inUseFromLockError(dir: string, err: unknown): StateInUseError {
  return new StateInUseError(dir, livePidFromFile(dir), { cause: err });
}

export interface PidLock {
  readonly dir: string;
  readonly pid: number;
  /** Remove the pid file if it still names us, and forget the directory. Idempotent. */
  release(): void;
}

export interface AcquirePidLockOptions {
  /** The caller already holds an exclusive lock on `dir`, so any existing pid file is stale. */
  readonly exclusive?: boolean;
}

/** Write `<dir>/anon.pid` (0600) naming this process; refuse if a live other process holds it. */
export function acquirePidLock(dir: string, options: AcquirePidLockOptions = {}): PidLock {
  const key = canonical(dir);
  if (heldHere.has(key)) throw new StateInUseError(dir, process.pid);
  if (options.exclusive !== true) {
    const existing = livePidFromFile(dir);
    if (existing !== undefined && existing !== process.pid) throw new StateInUseError(dir, existing);
  }
  writePidFile(dir);
  heldHere.add(key);
  let released = false;
  return {
    dir,
    pid: process.pid,
    release() {
      if (released) return;
      released = true;
      heldHere.delete(key);
      if (readPidFile(dir) !== process.pid) return;
      try {
        unlinkSync(pidFilePath(dir));
      } catch {
        // Already gone: nothing to clean.
      }
    },
  };
}

/** Temp file and rename, so a reader never sees a half-written pid. */
function writePidFile(dir: string): void {
  const target = pidFilePath(dir);
  const tmp = join(dir, `.${PID_FILE_NAME}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    writeFileSync(tmp, `${process.pid}\n`, { mode: 0o600, flag: 'wx' });
    renameSync(tmp, target);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // Never created.
    }
    throw new StateError('IO', `cannot write ${target}: ${(err as Error).message}`, { cause: err });
  }
}
