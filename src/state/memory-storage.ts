import { MemoryLevel } from 'memory-level';
import { StateError, StateInUseError } from './errors.js';
import { LevelBackedStorage, type RawDb } from './level-backed.js';
import type { Storage, StorageOptions } from './store.js';

/**
 * The "disk" of a simulated router: data outlives a Storage closed on it, so a simulation can
 * restart a router on the same volume. Like a directory, one open Storage at a time.
 */
export class MemoryVolume {
  /** @internal */
  readonly db: RawDb;
  /** @internal */
  inUse = false;

  constructor(readonly name: string = 'anon') {
    this.db = new MemoryLevel<Uint8Array, Uint8Array>({
      keyEncoding: 'view',
      valueEncoding: 'view',
    }) as unknown as RawDb;
  }
}

export interface MemoryStorageOptions extends StorageOptions {
  /** Reuse a volume to model a restart; a fresh one otherwise. */
  readonly volume?: MemoryVolume;
}

/** A store in memory (memory-level): for tests, and hundreds of simulated routers per process. */
export function createMemoryStorage(options: MemoryStorageOptions): Storage {
  const volume = options.volume ?? new MemoryVolume();
  const location = `memory:${volume.name}`;
  let held = false;
  return new LevelBackedStorage(location, () => volume.db, options, {
    beforeOpen() {
      if (volume.inUse) throw new StateInUseError(location, process.pid);
      volume.inUse = true;
      held = true;
    },
    openError(err) {
      return new StateError('OPEN_FAILED', `cannot open ${location}: ${(err as Error).message}`, { cause: err });
    },
    afterOpen() {},
    afterClose() {
      if (held) volume.inUse = false;
      held = false;
    },
  });
}

export async function openMemoryStorage(options: MemoryStorageOptions): Promise<Storage> {
  const storage = createMemoryStorage(options);
  await storage.open();
  return storage;
}
