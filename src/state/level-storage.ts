import { Level } from 'level';
import { StateError } from './errors.js';
import { ensurePrivateDir } from './home.js';
import { LevelBackedStorage, type RawDb } from './level-backed.js';
import { acquirePidLock, assertNotHeldHere, inUseFromLockError, isLevelLockError, type PidLock } from './lock.js';
import type { Storage, StorageOptions } from './store.js';

/**
 * A store on disk: classic-level (LevelDB) in `dir`, made private (0700), with `anon.pid`
 * beside it naming the holder. Returned closed; `openLevelStorage` also opens it.
 *
 * Open order: refuse a second open from this process, open LevelDB (its LOCK is the
 * authority between processes; a refusal becomes StateInUseError naming the pid from the
 * pid file), then write our pid file over any stale one. See lock.ts for why.
 */
export function createLevelStorage(dir: string, options: StorageOptions): Storage {
  // A fresh instance per open: constructing one starts opening it (see LevelBackedStorage).
  const makeDb = (): RawDb =>
    new Level<Uint8Array, Uint8Array>(dir, {
      keyEncoding: 'view',
      valueEncoding: 'view',
      createIfMissing: true,
      errorIfExists: false,
    }) as unknown as RawDb;
  let lock: PidLock | undefined;
  return new LevelBackedStorage(dir, makeDb, options, {
    beforeOpen() {
      ensurePrivateDir(dir);
      assertNotHeldHere(dir);
    },
    openError(err) {
      if (isLevelLockError(err)) return inUseFromLockError(dir, err);
      return new StateError('OPEN_FAILED', `cannot open the database in ${dir}: ${describe(err)}`, { cause: err });
    },
    afterOpen() {
      lock = acquirePidLock(dir, { exclusive: true });
    },
    afterClose() {
      lock?.release();
      lock = undefined;
    },
  });
}

export async function openLevelStorage(dir: string, options: StorageOptions): Promise<Storage> {
  const storage = createLevelStorage(dir, options);
  await storage.open();
  return storage;
}

/** classic-level's top error says only "failed to open"; the cause says why. */
function describe(err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string } };
  return e.cause?.message ? `${e.message ?? ''}: ${e.cause.message}` : String(e.message ?? err);
}
