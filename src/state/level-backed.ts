import type { AbstractLevel, AbstractSublevel } from 'abstract-level';
import { StateError } from './errors.js';
import { stringKeys } from './codecs.js';
import { META } from './layout.js';
import { applySchema, checkStorageOptions } from './schema.js';
import type {
  BatchOp,
  KeyCodec,
  RangeOptions,
  Storage,
  StorageOptions,
  StorageStatus,
  Sublevel,
  SublevelOp,
  ValueCodec,
  WriteOptions,
} from './store.js';

/** What both backends are: an abstract-level database with binary keys and values. */
export type RawDb = AbstractLevel<string | Buffer | Uint8Array, Uint8Array, Uint8Array>;
type RawSub = AbstractSublevel<RawDb, string | Buffer | Uint8Array, Uint8Array, Uint8Array>;

/** Backend-specific steps around open and close (locking, error translation). */
export interface BackendHooks {
  /** Before the database opens: take or check locks. A throw aborts the open. */
  beforeOpen(): Promise<void> | void;
  /** Translate an error from `db.open()` (e.g. LevelDB's lock) into a StateError. */
  openError(err: unknown): StateError;
  /** After a successful open, before the schema check. A throw aborts the open. */
  afterOpen(): Promise<void> | void;
  /** After the database closed, or after a failed open: release what beforeOpen/afterOpen took. */
  afterClose(): Promise<void> | void;
}

const SEGMENT = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const VIEW = { keyEncoding: 'view', valueEncoding: 'view' } as const;

function checkName(name: string): string[] {
  const parts = name.split('/');
  if (parts.length > 8 || !parts.every((p) => SEGMENT.test(p))) {
    throw new StateError('INVALID_ARGUMENT', `sublevel name ${JSON.stringify(name)}: use a-z0-9_- segments joined by /`);
  }
  return parts;
}

/**
 * abstract-level's types omit `sync`, but it passes unknown options through and classic-level
 * honours `sync` on put, del and batch; memory-level ignores it.
 */
function writeOpts(options: WriteOptions): {} {
  return { sync: options.sync === true };
}

/** Level returns Buffers (memory-level its own stored ones): hand out fresh plain arrays. */
function fresh(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

export class LevelBackedStorage implements Storage {
  #status: StorageStatus = 'closed';
  #migrating = false;
  #schemaVersion: number | undefined;
  #subs = new Map<string, RawSub>();
  #pending: Promise<void> | undefined;
  #db: RawDb | undefined;

  /**
   * `makeDb` is called at each open, after `beforeOpen`: an abstract-level database opens itself
   * a microtask after construction, so making one early would open LevelDB before our lock
   * checks (and create its directory with the default mode).
   */
  constructor(
    readonly location: string,
    private readonly makeDb: () => RawDb,
    private readonly options: StorageOptions,
    private readonly hooks: BackendHooks,
  ) {
    checkStorageOptions(options);
  }

  get status(): StorageStatus {
    return this.#status;
  }

  get schemaVersion(): number | undefined {
    return this.#schemaVersion;
  }

  open(): Promise<void> {
    if (this.#status === 'open') return Promise.resolve();
    if (this.#status === 'opening' && this.#pending) return this.#pending;
    if (this.#status === 'closing') {
      return Promise.reject(new StateError('NOT_OPEN', `${this.location} is closing; open it again after close() resolves`));
    }
    this.#status = 'opening';
    this.#pending = this.#open().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  async #open(): Promise<void> {
    try {
      await this.hooks.beforeOpen();
    } catch (err) {
      this.#status = 'closed';
      throw err;
    }
    const db = this.makeDb();
    this.#db = db;
    try {
      try {
        await db.open();
      } catch (err) {
        throw this.hooks.openError(err);
      }
      this.#subs.clear();
      await this.hooks.afterOpen();
      this.#migrating = true;
      const meta = this.sublevel(META, numberCodec);
      this.#schemaVersion = await applySchema(
        { storage: this, meta, isEmpty: () => this.#isEmpty() },
        this.options,
      );
      this.#migrating = false;
      this.#status = 'open';
    } catch (err) {
      this.#migrating = false;
      await db.close().catch(() => undefined);
      this.#db = undefined;
      await Promise.resolve(this.hooks.afterClose()).catch(() => undefined);
      this.#status = 'closed';
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.#status === 'closed') return;
    if (this.#pending) await this.#pending.catch(() => undefined);
    if (this.#status !== 'open') return;
    this.#status = 'closing';
    try {
      await this.#db?.close();
    } finally {
      this.#db = undefined;
      this.#subs.clear();
      await this.hooks.afterClose();
      this.#status = 'closed';
    }
  }

  async #isEmpty(): Promise<boolean> {
    const keys = await this.#openDb().keys({ limit: 1, keyEncoding: 'view' }).all();
    return keys.length === 0;
  }

  #openDb(): RawDb {
    if (this.#db === undefined || (this.#status !== 'open' && !this.#migrating)) {
      throw new StateError('NOT_OPEN', `${this.location} is not open (status ${this.#status})`);
    }
    return this.#db;
  }

  /** The abstract-level sublevel for `name`; rebuilt after each open (a close closes them). */
  raw(name: string): RawSub {
    if (this.#status !== 'open' && !this.#migrating) {
      throw new StateError('NOT_OPEN', `${this.location} is not open (status ${this.#status})`);
    }
    let sub = this.#subs.get(name);
    if (sub === undefined) {
      sub = this.#openDb().sublevel<Uint8Array, Uint8Array>(checkName(name), VIEW) as RawSub;
      this.#subs.set(name, sub);
    }
    return sub;
  }

  sublevel<V>(name: string, codec: ValueCodec<V>): Sublevel<V, string>;
  sublevel<V, K>(name: string, codec: ValueCodec<V>, keys: KeyCodec<K>): Sublevel<V, K>;
  sublevel<V, K>(name: string, codec: ValueCodec<V>, keys?: KeyCodec<K>): Sublevel<V, K> | Sublevel<V, string> {
    checkName(name);
    if (name === META && !this.#migrating) {
      throw new StateError('INVALID_ARGUMENT', `sublevel "${META}" is reserved for the schema record`);
    }
    if (keys === undefined) return new TypedSublevel<V, string>(this, name, codec, stringKeys);
    return new TypedSublevel<V, K>(this, name, codec, keys);
  }

  async batch(ops: readonly BatchOp[], options: WriteOptions = {}): Promise<void> {
    const raw = ops.map((op) => {
      if (op.owner !== this) throw new StateError('INVALID_ARGUMENT', `batch operation made by another store`);
      const sublevel = this.raw(op.sublevel);
      return op.type === 'put'
        ? { type: 'put' as const, sublevel, key: op.key, value: op.value ?? new Uint8Array(0) }
        : { type: 'del' as const, sublevel, key: op.key };
    });
    if (raw.length === 0) return;
    await this.#openDb().batch(raw, writeOpts(options));
  }
}

const numberCodec: ValueCodec<number> = {
  name: 'number',
  encode: (v) => new TextEncoder().encode(JSON.stringify(v)),
  decode: (b) => {
    const v: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(b));
    if (typeof v !== 'number') throw new Error('not a number');
    return v;
  },
};

class TypedSublevel<V, K> implements Sublevel<V, K> {
  constructor(
    private readonly store: LevelBackedStorage,
    readonly name: string,
    private readonly codec: ValueCodec<V>,
    private readonly keyCodec: KeyCodec<K>,
  ) {}

  #decode(key: Uint8Array, bytes: Uint8Array): V {
    try {
      return this.codec.decode(fresh(bytes));
    } catch (err) {
      throw new StateError(
        'CORRUPT_RECORD',
        `${this.store.location}: ${this.name} record ${Buffer.from(key).toString('hex')} ` +
          `does not decode as ${this.codec.name}: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  async get(key: K): Promise<V | undefined> {
    const k = this.keyCodec.encode(key);
    const bytes = await this.store.raw(this.name).get(k);
    return bytes === undefined ? undefined : this.#decode(k, bytes);
  }

  async has(key: K): Promise<boolean> {
    return (await this.store.raw(this.name).get(this.keyCodec.encode(key))) !== undefined;
  }

  async put(key: K, value: V, options: WriteOptions = {}): Promise<void> {
    const k = this.keyCodec.encode(key);
    await this.store.raw(this.name).put(k, this.codec.encode(value), writeOpts(options));
  }

  putDurable(key: K, value: V): Promise<void> {
    return this.put(key, value, { sync: true });
  }

  async del(key: K, options: WriteOptions = {}): Promise<void> {
    await this.store.raw(this.name).del(this.keyCodec.encode(key), writeOpts(options));
  }

  async batch(ops: readonly SublevelOp<V, K>[], options: WriteOptions = {}): Promise<void> {
    await this.store.batch(
      ops.map((op) => (op.type === 'put' ? this.putOp(op.key, op.value) : this.delOp(op.key))),
      options,
    );
  }

  putOp(key: K, value: V): BatchOp {
    return { owner: this.store, sublevel: this.name, type: 'put', key: this.keyCodec.encode(key), value: this.codec.encode(value) };
  }

  delOp(key: K): BatchOp {
    return { owner: this.store, sublevel: this.name, type: 'del', key: this.keyCodec.encode(key) };
  }

  #range(range: RangeOptions<K> | undefined): Record<string, unknown> {
    const out: Record<string, unknown> = { ...VIEW };
    if (range === undefined) return out;
    for (const bound of ['gt', 'gte', 'lt', 'lte'] as const) {
      const v = range[bound];
      if (v !== undefined) out[bound] = this.keyCodec.encode(v);
    }
    if (range.limit !== undefined) {
      if (!Number.isSafeInteger(range.limit) || range.limit < 0) {
        throw new StateError('INVALID_ARGUMENT', `limit must be a non-negative integer, got ${range.limit}`);
      }
      out['limit'] = range.limit;
    }
    if (range.reverse === true) out['reverse'] = true;
    return out;
  }

  async *iterate(range?: RangeOptions<K>): AsyncGenerator<[K, V]> {
    const opts = this.#range(range);
    const it = this.store.raw(this.name).iterator(opts);
    try {
      // Bounded by the range (and `limit`); abstract-level reads ahead in small batches.
      for await (const [k, v] of it) {
        yield [this.keyCodec.decode(fresh(k)), this.#decode(k, v)];
      }
    } finally {
      await it.close();
    }
  }

  async *keys(range?: RangeOptions<K>): AsyncGenerator<K> {
    const opts = this.#range(range);
    const it = this.store.raw(this.name).keys(opts);
    try {
      for await (const k of it) yield this.keyCodec.decode(fresh(k));
    } finally {
      await it.close();
    }
  }

  async clear(range?: Omit<RangeOptions<K>, 'reverse'>, options: WriteOptions = {}): Promise<void> {
    const opts = this.#range(range);
    // abstract-level's clear takes no sync option; a durable clear goes through a batch.
    if (options.sync !== true) {
      await this.store.raw(this.name).clear(opts);
      return;
    }
    const ops: BatchOp[] = [];
    for await (const k of this.keys(range)) ops.push(this.delOp(k));
    await this.store.batch(ops, { sync: true });
  }
}
