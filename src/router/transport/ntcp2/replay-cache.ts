/**
 * Remembers message 1 ephemeral keys (ntcp2.rst: Bob keeps previously used handshake values for
 * at least 2 * D, D = the 60 s clock-skew window, and rejects duplicates). A replay older than
 * that fails the timestamp check anyway. Bounded: when full, the oldest entry is dropped, which
 * only narrows the window in which a replay would be noticed by the cache rather than the clock.
 */
export interface ReplayCacheOptions {
  /** Milliseconds since the epoch. */
  now: () => number;
  /** How long an entry is kept, ms. Default 2 * 60 s + 60 s of margin. */
  ttlMs?: number;
  /** Maximum entries. Default 16384 (about 1 MiB). */
  maxEntries?: number;
}

export class ReplayCache {
  private readonly now: () => number;
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  /** key → expiry time. Insertion order is expiry order because the TTL is fixed. */
  private readonly entries = new Map<string, number>();

  constructor(opts: ReplayCacheOptions) {
    this.now = opts.now;
    this.ttlMs = opts.ttlMs ?? 180_000;
    this.maxEntries = opts.maxEntries ?? 16384;
    if (!(this.ttlMs > 0) || !Number.isInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new RangeError('ReplayCache: ttlMs must be > 0 and maxEntries >= 1');
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** True if `value` is new (and remembers it); false if seen within the TTL. */
  checkAndAdd(value: Uint8Array): boolean {
    const now = this.now();
    this.expire(now);
    const key = Buffer.from(value.buffer, value.byteOffset, value.length).toString('base64');
    if (this.entries.has(key)) return false;
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    this.entries.set(key, now + this.ttlMs);
    return true;
  }

  /** Drops expired entries; bounded by the number of entries. */
  private expire(now: number): void {
    for (const [key, expiry] of this.entries) {
      if (expiry > now) break;
      this.entries.delete(key);
    }
  }
}
