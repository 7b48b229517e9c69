/**
 * Remembers the ephemeral keys of accepted router garlic (Noise N) messages. ecies.rst
 * "Replay Prevention": Bob drops New Session messages whose DateTime is too old and must
 * remember the recent ones; a duplicate ephemeral key is the cheap check before any DH.
 *
 * An entry must outlive the span in which the DateTime check would still accept the same
 * message (maxPast + maxFuture of the window), so the default TTL is that span. Bounded: when
 * full the oldest entry goes, which only shortens how long a replay is caught by the cache
 * rather than by the clock.
 */
import type { Clock } from '../runtime/clock.js';

export interface EphemeralReplayCacheOptions {
  clock: Pick<Clock, 'now'>;
  /** How long a key is remembered, ms. Default 7 min (5 min past + 2 min future window). */
  ttlMs?: number;
  /** Maximum keys remembered. Default 65536 (about 5 MiB). */
  maxEntries?: number;
}

export class EphemeralReplayCache {
  private readonly clock: Pick<Clock, 'now'>;
  readonly ttlMs: number;
  readonly maxEntries: number;
  /** key → expiry; insertion order is expiry order while the clock does not go back. */
  private readonly entries = new Map<string, number>();

  constructor(opts: EphemeralReplayCacheOptions) {
    this.clock = opts.clock;
    this.ttlMs = opts.ttlMs ?? 7 * 60_000;
    this.maxEntries = opts.maxEntries ?? 65536;
    if (!(this.ttlMs > 0) || !Number.isInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new RangeError('EphemeralReplayCache: ttlMs must be > 0 and maxEntries an integer >= 1');
    }
  }

  get size(): number {
    this.expire(this.clock.now());
    return this.entries.size;
  }

  /** True if `key` was remembered and has not expired. */
  has(key: Uint8Array): boolean {
    this.expire(this.clock.now());
    return this.entries.has(id(key));
  }

  /** Remembers `key` (refreshing its expiry if already present). */
  add(key: Uint8Array): void {
    const now = this.clock.now();
    this.expire(now);
    const k = id(key);
    this.entries.delete(k);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    this.entries.set(k, now + this.ttlMs);
  }

  /** Stops at the first live entry: bounded by the number of expired entries. */
  private expire(now: number): void {
    for (const [k, expiry] of this.entries) {
      if (expiry > now) break;
      this.entries.delete(k);
    }
  }
}

function id(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.length).toString('base64');
}
