/**
 * The storage interface the router and the apps use. It says nothing of LevelDB: the two
 * implementations (classic-level on disk, memory-level for simulation and tests) live in
 * level-storage.ts and memory-storage.ts, sharing level-backed.ts.
 *
 * Keys and values cross this interface as typed values; a codec turns each into bytes. Every
 * key and value read back is a fresh Uint8Array the caller may keep or mutate.
 */

/** Turns a record into bytes and back. `decode` may throw anything; the store wraps it. */
export interface ValueCodec<V> {
  readonly name: string;
  encode(value: V): Uint8Array;
  decode(bytes: Uint8Array): V;
}

/** Turns a key into bytes and back; iteration order is the byte order of the encoded keys. */
export interface KeyCodec<K> {
  encode(key: K): Uint8Array;
  decode(bytes: Uint8Array): K;
}

export interface WriteOptions {
  /**
   * fsync the write-ahead log before resolving. Use for key material and anything the user
   * would miss after a power cut; skip it for caches (netDb, stats) that can be rebuilt.
   * memory-level ignores it.
   */
  readonly sync?: boolean;
}

export interface RangeOptions<K> {
  readonly gt?: K;
  readonly gte?: K;
  readonly lt?: K;
  readonly lte?: K;
  /** At most this many entries; unbounded if absent. */
  readonly limit?: number;
  readonly reverse?: boolean;
}

export type SublevelOp<V, K> = { readonly type: 'put'; readonly key: K; readonly value: V } | { readonly type: 'del'; readonly key: K };

/**
 * One operation of an atomic batch across sublevels, made by `Sublevel.putOp`/`delOp` and
 * passed to `Storage.batch`. Already encoded, so a batch cannot fail half-way on a codec.
 */
export interface BatchOp {
  readonly owner: object;
  readonly sublevel: string;
  readonly type: 'put' | 'del';
  readonly key: Uint8Array;
  readonly value?: Uint8Array;
}

export interface Sublevel<V, K = string> {
  readonly name: string;
  get(key: K): Promise<V | undefined>;
  has(key: K): Promise<boolean>;
  put(key: K, value: V, options?: WriteOptions): Promise<void>;
  /** `put` with `{ sync: true }`. */
  putDurable(key: K, value: V): Promise<void>;
  del(key: K, options?: WriteOptions): Promise<void>;
  /** Atomic within this sublevel. For several sublevels use `putOp`/`delOp` and `Storage.batch`. */
  batch(ops: readonly SublevelOp<V, K>[], options?: WriteOptions): Promise<void>;
  putOp(key: K, value: V): BatchOp;
  delOp(key: K): BatchOp;
  /** Entries in key order (or reverse). Break out of `for await` freely: the iterator is closed. */
  iterate(range?: RangeOptions<K>): AsyncIterable<[K, V]>;
  keys(range?: RangeOptions<K>): AsyncIterable<K>;
  /** Delete every entry in the range (all of them without one). */
  clear(range?: Omit<RangeOptions<K>, 'reverse'>, options?: WriteOptions): Promise<void>;
}

export type StorageStatus = 'closed' | 'opening' | 'open' | 'closing';

export interface Storage {
  /** The directory, or `memory:<name>`: for messages. */
  readonly location: string;
  readonly status: StorageStatus;
  /** The schema version found or written by the last open. */
  readonly schemaVersion: number | undefined;
  /** Lock, open, check the schema and run migrations. Resolves at once if already open. */
  open(): Promise<void>;
  /** Close and release the lock. Resolves at once if already closed. */
  close(): Promise<void>;
  /**
   * A typed view of one sublevel (names from layout.ts: `a-z0-9_-` segments joined by `/`).
   * Cheap to call; the handle stays valid across close and reopen. `meta` is reserved.
   */
  sublevel<V>(name: string, codec: ValueCodec<V>): Sublevel<V, string>;
  sublevel<V, K>(name: string, codec: ValueCodec<V>, keys: KeyCodec<K>): Sublevel<V, K>;
  /** Apply operations on several sublevels atomically. */
  batch(ops: readonly BatchOp[], options?: WriteOptions): Promise<void>;
}

/**
 * Brings the store from schema `version - 1` to `version`. Runs during open, before any caller
 * sees the store. A crash during a step reruns it on the next open (the schema record is
 * written, durably, only after the step), so make each step safe to rerun.
 */
export interface Migration {
  readonly version: number;
  readonly description: string;
  up(storage: Storage): Promise<void>;
}

export interface StorageOptions {
  /** The schema version this code writes. A positive integer. */
  readonly schema: number;
  readonly migrations?: readonly Migration[];
}
