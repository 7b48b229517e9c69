import { existsSync } from 'node:fs';
import { createDestinationKeys, decodeDestinationKeys, destinationB32, encodeDestinationKeys, type DestinationKeys } from '../../router/client/destination-keys.js';
import { x25519Generate } from '../../router/crypto/index.js';
import { i2pBase64Decode, i2pBase64Encode } from '../../router/data/base64.js';
import { decodePrivateKeys } from '../../router/data/private-keys.js';
import { cryptoRandom, type RandomSource } from '../../router/runtime/random.js';
import {
  APP_SCHEMA_VERSION,
  AppSublevels,
  StateError,
  appDir,
  ensurePrivateDir,
  jsonCodec,
  openLevelStorage,
  readKeyFile,
  stringKeys,
  writeKeyFile,
  type Storage,
  type Sublevel,
} from '../../state/index.js';
import { SiteError } from './errors.js';

/**
 * The sites' keys, by name, in the site app's LevelDB (`<home>/apps/site`, 0700). A site's
 * address is its destination, so losing these keys loses the address: every write is synced.
 *
 * The database is held only for the moment of a key operation (see `withSiteKeys`), not for a
 * site's whole run, so several `serve --name …` processes and `keys list` can share one home.
 */

export const DEFAULT_SITE_NAME = 'default';
const SITE_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

export function checkSiteName(name: string): string {
  if (!SITE_NAME.test(name)) {
    throw new SiteError('BAD_NAME', `site name ${JSON.stringify(name)} must be 1-32 of a-z, 0-9, '_' and '-', starting with a letter or digit`);
  }
  return name;
}

interface SiteKeyRecord {
  /** encodeDestinationKeys, I2P base64. */
  keys: string;
  /** ms since the epoch. */
  created: number;
}

const recordCodec = jsonCodec<SiteKeyRecord>((v) => {
  const o = v as Partial<SiteKeyRecord> | null;
  if (typeof o !== 'object' || o === null || typeof o.keys !== 'string' || typeof o.created !== 'number') {
    throw new Error('not a site key record');
  }
  return { keys: o.keys, created: o.created };
});

export interface SiteKeys {
  readonly name: string;
  readonly keys: DestinationKeys;
  readonly b32: string;
  readonly created: number;
}

export interface SiteKeyListing {
  readonly name: string;
  readonly b32: string;
  readonly created: number;
}

/**
 * Reads a keys file: ours (i2pd's private-keys layout + the 32-byte X25519 key), or a plain
 * private-keys file as i2pd or SAM's DEST GENERATE writes it, which gets a fresh X25519 key (it
 * only encrypts to the LeaseSet, so the address stays the same).
 */
export function decodeKeysFile(bytes: Uint8Array): DestinationKeys {
  try {
    return decodeDestinationKeys(bytes);
  } catch {
    // fall through: maybe the plain layout
  }
  try {
    const privateKeys = decodePrivateKeys(bytes);
    const x = x25519Generate();
    return { privateKeys, encryption: { privateKey: x.privateKey, publicKey: x.publicKey } };
  } catch (err) {
    throw new SiteError('BAD_KEYS_FILE', `not a destination keys file (${(err as Error).message})`, { cause: err });
  }
}

export class SiteKeyStore {
  private readonly records: Sublevel<SiteKeyRecord, string>;

  constructor(
    private readonly storage: Storage,
    private readonly random: RandomSource = cryptoRandom,
    private readonly now: () => number = Date.now,
  ) {
    this.records = storage.sublevel(AppSublevels.site.keys, recordCodec, stringKeys);
  }

  /** Opens (and locks) `<home>/apps/site`. Prefer `withSiteKeys`, which also releases it. */
  static async open(home: string): Promise<SiteKeyStore> {
    ensurePrivateDir(home);
    const storage = await openLevelStorage(appDir(home, 'site'), { schema: APP_SCHEMA_VERSION });
    return new SiteKeyStore(storage);
  }

  close(): Promise<void> {
    return this.storage.close();
  }

  async get(name: string): Promise<SiteKeys | undefined> {
    const n = checkSiteName(name);
    const r = await this.records.get(n);
    if (r === undefined) return undefined;
    let keys: DestinationKeys;
    try {
      keys = decodeDestinationKeys(i2pBase64Decode(r.keys, 'site keys'));
    } catch (err) {
      throw new StateError('CORRUPT_RECORD', `the keys of site ${n} in ${this.storage.location} do not decode: ${(err as Error).message}`, { cause: err });
    }
    return { name: n, keys, b32: destinationB32(keys.privateKeys.destination), created: r.created };
  }

  /** The site's keys, made and stored (synced) on first use: the address a `serve` keeps. */
  async getOrCreate(name: string): Promise<SiteKeys & { isNew: boolean }> {
    const existing = await this.get(name);
    if (existing) return { ...existing, isNew: false };
    return { ...(await this.put(name, createDestinationKeys(this.random))), isNew: true };
  }

  /** `keys new`: refuses a name that already has keys (that would throw its address away). */
  async create(name: string): Promise<SiteKeys> {
    if (await this.get(name)) throw new SiteError('KEYS_EXIST', `site ${name} already has keys; choose another --name`);
    return this.put(name, createDestinationKeys(this.random));
  }

  async list(): Promise<SiteKeyListing[]> {
    const out: SiteKeyListing[] = [];
    for await (const [name] of this.records.iterate()) {
      const s = await this.get(name);
      if (s) out.push({ name: s.name, b32: s.b32, created: s.created });
    }
    return out;
  }

  /** Writes the keys to `file` (0600, atomic); refuses to overwrite unless asked. */
  async exportTo(name: string, file: string, opts: { overwrite?: boolean } = {}): Promise<SiteKeys> {
    const s = await this.get(name);
    if (!s) throw new SiteError('KEYS_NOT_FOUND', `no site named ${name}; see keys list`);
    if (!opts.overwrite && existsSync(file)) throw new SiteError('FILE_EXISTS', `${file} exists; remove it first or choose another file`);
    await writeKeyFile(file, encodeDestinationKeys(s.keys));
    return s;
  }

  /** Reads keys from `file` (must be 0600, as ssh insists) under `name`; refuses a taken name unless `replace`. */
  async importFrom(name: string, file: string, opts: { replace?: boolean } = {}): Promise<SiteKeys> {
    checkSiteName(name);
    const bytes = await readKeyFile(file);
    if (bytes === undefined) throw new SiteError('KEYS_NOT_FOUND', `${file} does not exist`);
    const keys = decodeKeysFile(bytes);
    const existing = await this.get(name);
    if (existing && !opts.replace) {
      throw new SiteError('KEYS_EXIST', `site ${name} already has keys (${existing.b32}); choose another --name`);
    }
    return this.put(name, keys);
  }

  private async put(name: string, keys: DestinationKeys): Promise<SiteKeys> {
    const n = checkSiteName(name);
    const created = this.now();
    await this.records.putDurable(n, { keys: i2pBase64Encode(encodeDestinationKeys(keys)), created });
    return { name: n, keys, b32: destinationB32(keys.privateKeys.destination), created };
  }
}

export interface WithSiteKeysOptions {
  /** Tries while another process holds the store for its own short key operation. */
  readonly attempts?: number;
  readonly retryDelayMs?: number;
}

/**
 * Opens the key store, runs `fn`, closes it. Other anon-site processes hold the store only for
 * such moments, so IN_USE is retried a bounded number of times before it is reported.
 */
export async function withSiteKeys<T>(home: string, fn: (store: SiteKeyStore) => Promise<T>, opts: WithSiteKeysOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? 20;
  const delay = opts.retryDelayMs ?? 100;
  let store: SiteKeyStore | undefined;
  for (let i = 1; store === undefined; i++) {
    try {
      store = await SiteKeyStore.open(home);
    } catch (err) {
      if (!(err instanceof StateError && err.code === 'IN_USE') || i >= attempts) throw err;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
