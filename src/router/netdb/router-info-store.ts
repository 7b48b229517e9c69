import type { RouterInfo } from '../data/index.js';
import { bytesCodec, RouterSublevels, type BatchOp, type Storage, type Sublevel } from '../../state/index.js';
import {
  checkRouterInfoFields,
  checkRouterInfoSignature,
  routerInfoKey,
  type RouterInfoCheck,
  type RouterInfoPolicy,
  type RouterInfoRejectReason,
} from './router-info-check.js';

/**
 * The RouterInfos we know: an in-memory index over the `netdb/ri` sublevel (key: the router
 * hash in I2P Base64, value: the RouterInfo bytes as received). The index answers every read;
 * the sublevel only makes it survive a restart. It is a cache, so writes are not synced, and
 * writes go out one at a time in call order so the disk never ends with an older copy.
 */

export interface RouterInfoStoreOptions {
  readonly storage: Storage;
  readonly netId: number;
  /** Our router hash: a RouterInfo with it is never kept. */
  readonly ownHash?: Uint8Array;
  /** Default 27 h, as i2pd's netDb expiry. */
  readonly maxAgeMs?: number;
  /** Default 2 min. */
  readonly maxFutureMs?: number;
  /** Most RouterInfos held; beyond it the oldest-published is evicted. Default 10 000. */
  readonly maxEntries?: number;
}

export const DEFAULT_MAX_AGE_MS = 27 * 60 * 60 * 1000;
export const DEFAULT_MAX_FUTURE_MS = 2 * 60 * 1000;
export const DEFAULT_MAX_ENTRIES = 10_000;

/** Where a RouterInfo came from, for logs and for policies that trust sources differently. */
export type RouterInfoSource = 'reseed' | 'disk' | 'flood' | 'lookup' | 'ntcp2' | 'local' | (string & {});

export interface StoredRouterInfo {
  readonly hash: Uint8Array;
  /** The hash in I2P Base64: the store key. */
  readonly key: string;
  readonly routerInfo: RouterInfo;
  /** The bytes as received, to pass on unchanged (the signature covers them). */
  readonly bytes: Uint8Array;
  readonly published: number;
  readonly receivedAt: number;
  readonly source: RouterInfoSource;
}

export interface StoreOptions {
  readonly now: number;
  readonly source: RouterInfoSource;
  /** The hash the sender filed it under (e.g. a DatabaseStore key): must match. */
  readonly expectedHash?: Uint8Array;
}

export interface StoreResult {
  readonly accepted: boolean;
  readonly reason?: RouterInfoRejectReason;
  /** A human sentence for logs, on rejection. */
  readonly detail?: string;
  /** Undefined only for bytes that do not decode. */
  readonly hash?: Uint8Array;
  /** On acceptance: true if it replaced an older copy of the same router. */
  readonly replaced?: boolean;
}

export interface LoadResult {
  readonly loaded: number;
  /** RouterInfos deleted from disk, by reason. */
  readonly dropped: Partial<Record<RouterInfoRejectReason, number>>;
}

function positive(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${name} must be a non-negative integer, got ${v}`);
  return v;
}

export class RouterInfoStore {
  private readonly index = new Map<string, StoredRouterInfo>();
  private readonly storage: Storage;
  private readonly db: Sublevel<Uint8Array>;
  private readonly policy: RouterInfoPolicy;
  private readonly maxEntries: number;
  /** The write chain: each write starts after the previous one settled. */
  private tail: Promise<void> = Promise.resolve();

  constructor(options: RouterInfoStoreOptions) {
    if (!Number.isInteger(options.netId) || options.netId < 0 || options.netId > 255) {
      throw new RangeError(`netId must be 0..255, got ${options.netId}`);
    }
    if (options.ownHash && options.ownHash.length !== 32) throw new RangeError('ownHash must be 32 bytes');
    this.policy = {
      netId: options.netId,
      ownHash: options.ownHash ? Uint8Array.from(options.ownHash) : undefined,
      maxAgeMs: positive('maxAgeMs', options.maxAgeMs ?? DEFAULT_MAX_AGE_MS),
      maxFutureMs: positive('maxFutureMs', options.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS),
    };
    this.maxEntries = positive('maxEntries', options.maxEntries ?? DEFAULT_MAX_ENTRIES);
    this.storage = options.storage;
    this.db = options.storage.sublevel(RouterSublevels.routerInfos, bytesCodec);
  }

  get count(): number {
    return this.index.size;
  }

  get(hash: Uint8Array): StoredRouterInfo | undefined {
    return hash.length === 32 ? this.index.get(routerInfoKey(hash)) : undefined;
  }

  has(hash: Uint8Array): boolean {
    return this.get(hash) !== undefined;
  }

  /** A snapshot of everything held, in no particular order. */
  all(): StoredRouterInfo[] {
    return [...this.index.values()];
  }

  /** Validates and keeps one RouterInfo; resolves once it is written. */
  async store(bytes: Uint8Array, options: StoreOptions): Promise<StoreResult> {
    const ops: BatchOp[] = [];
    const result = this.admit(bytes, options, ops);
    await this.write(ops);
    return result;
  }

  /** `store` for many (a reseed): one write for all of them. Results are in input order. */
  async storeMany(list: readonly Uint8Array[], options: StoreOptions): Promise<StoreResult[]> {
    const ops: BatchOp[] = [];
    const results = list.map((bytes) => this.admit(bytes, options, ops));
    await this.write(ops);
    return results;
  }

  /** Forget one router (e.g. banned). */
  async delete(hash: Uint8Array): Promise<boolean> {
    const key = routerInfoKey(hash);
    if (!this.index.delete(key)) return false;
    await this.write([this.db.delOp(key)]);
    return true;
  }

  /** Drops every RouterInfo published more than the maximum age before `now`. Returns how many. */
  async expire(now: number): Promise<number> {
    const ops: BatchOp[] = [];
    for (const [key, e] of this.index) {
      if (now - e.published > this.policy.maxAgeMs) {
        this.index.delete(key); // deleting the current entry while iterating a Map is safe
        ops.push(this.db.delOp(key));
      }
    }
    await this.write(ops);
    return ops.length;
  }

  /**
   * Rebuilds the index from disk at startup, checking each RouterInfo as if it had just
   * arrived (signature included) and deleting those that fail or have expired, then evicting
   * down to the cap. Reads the whole sublevel: it holds what this store wrote, which the cap
   * bounds, and a lowered cap must still shed the excess.
   */
  async load(now: number): Promise<LoadResult> {
    await this.tail;
    this.index.clear();
    const dropped: Partial<Record<RouterInfoRejectReason, number>> = {};
    const ops: BatchOp[] = [];
    const drop = (key: string, reason: RouterInfoRejectReason): void => {
      dropped[reason] = (dropped[reason] ?? 0) + 1;
      ops.push(this.db.delOp(key));
    };
    let seen = 0;
    for await (const [key, bytes] of this.db.iterate()) {
      // A signature check per entry: let other work run now and then during a big load.
      if (++seen % 256 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const check = this.fullCheck(bytes, now, key);
      if (!check.ok) {
        drop(key, check.reason);
        continue;
      }
      this.index.set(key, this.entry(check, bytes, now, 'disk'));
    }
    if (this.index.size > this.maxEntries) {
      const byAge = [...this.index.values()].sort((a, b) => a.published - b.published);
      for (const e of byAge.slice(0, this.index.size - this.maxEntries)) {
        this.index.delete(e.key);
        drop(e.key, 'full');
      }
    }
    await this.write(ops);
    return { loaded: this.index.size, dropped };
  }

  /** Resolves when every write issued so far has settled. */
  async flush(): Promise<void> {
    await this.tail;
  }

  /** Every check of a RouterInfo read back from disk under `storedKey`. */
  private fullCheck(bytes: Uint8Array, now: number, storedKey: string): RouterInfoCheck {
    const check = checkRouterInfoFields(bytes, this.policy, now);
    if (!check.ok) return check;
    if (storedKey !== check.key) {
      return { ok: false, reason: 'hash-mismatch', detail: `stored under ${storedKey}, is ${check.key}`, hash: check.hash };
    }
    return checkRouterInfoSignature(check.routerInfo, check.hash) ?? check;
  }

  /** Decides synchronously (so concurrent calls see each other) and appends the writes to `ops`. */
  private admit(input: Uint8Array, options: StoreOptions, ops: BatchOp[]): StoreResult {
    // A copy: the input may be a slice of a pooled or reused network buffer.
    const bytes = Uint8Array.from(input);
    const check = checkRouterInfoFields(bytes, this.policy, options.now, options.expectedHash);
    if (!check.ok) return { accepted: false, reason: check.reason, detail: check.detail, hash: check.hash };
    const { hash, key, routerInfo } = check;
    const held = this.index.get(key);
    if (held) {
      if (routerInfo.published === held.published) return { accepted: false, reason: 'duplicate', detail: 'already held', hash };
      if (routerInfo.published < held.published) {
        return { accepted: false, reason: 'older', detail: `older than the one held by ${held.published - routerInfo.published} ms`, hash };
      }
    }
    const bad = checkRouterInfoSignature(routerInfo, hash);
    if (bad && !bad.ok) return { accepted: false, reason: bad.reason, detail: bad.detail, hash };
    if (!held && this.index.size >= this.maxEntries) {
      const oldest = this.oldest();
      if (!oldest || routerInfo.published <= oldest.published) {
        return { accepted: false, reason: 'full', detail: `holding ${this.maxEntries}, all newer`, hash };
      }
      this.index.delete(oldest.key);
      ops.push(this.db.delOp(oldest.key));
    }
    this.index.set(key, this.entry(check, bytes, options.now, options.source));
    ops.push(this.db.putOp(key, bytes));
    return { accepted: true, hash, replaced: held !== undefined };
  }

  private entry(check: RouterInfoCheck & { ok: true }, bytes: Uint8Array, now: number, source: RouterInfoSource): StoredRouterInfo {
    return {
      hash: check.hash,
      key: check.key,
      routerInfo: check.routerInfo,
      bytes,
      published: check.routerInfo.published,
      receivedAt: now,
      source,
    };
  }

  /** The oldest-published entry: a linear scan, run only when the store is at its cap. */
  private oldest(): StoredRouterInfo | undefined {
    let oldest: StoredRouterInfo | undefined;
    for (const e of this.index.values()) if (!oldest || e.published < oldest.published) oldest = e;
    return oldest;
  }

  /** Queues one unsynced batch behind the previous writes and waits for it. */
  private write(ops: BatchOp[]): Promise<void> {
    if (ops.length === 0) return this.tail;
    const run = this.tail.then(() => this.storage.batch(ops, { sync: false }));
    this.tail = run.catch(() => {}); // a failed write is reported to its caller, not to later ones
    return run;
  }
}
