/**
 * Token buckets per peer and for everyone together: how many netDb messages (stores and
 * lookups) we take in. A peer flooding us with stores is cut to its share while others go on
 * being served; the per-peer table is bounded (the least recently seen peer is forgotten).
 */
export interface RateLimitOptions {
  /** Per peer: burst size and tokens per second. */
  perPeerBurst: number;
  perPeerPerSecond: number;
  /** All peers together. */
  globalBurst: number;
  globalPerSecond: number;
  maxPeers: number;
}

export const DEFAULT_NETDB_RATE_LIMIT: RateLimitOptions = {
  perPeerBurst: 100,
  perPeerPerSecond: 20,
  globalBurst: 2_000,
  globalPerSecond: 500,
  maxPeers: 4_096,
};

interface Bucket {
  tokens: number;
  at: number;
}

export class NetDbRateLimiter {
  private readonly peers = new Map<string, Bucket>();
  private readonly global: Bucket;
  limited = 0;

  constructor(private readonly o: RateLimitOptions = DEFAULT_NETDB_RATE_LIMIT) {
    this.global = { tokens: o.globalBurst, at: 0 };
  }

  private take(b: Bucket, burst: number, perSecond: number, now: number): boolean {
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * perSecond);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  allow(peer: string, now: number): boolean {
    let b = this.peers.get(peer);
    if (b) this.peers.delete(peer);
    else {
      b = { tokens: this.o.perPeerBurst, at: now };
      if (this.peers.size >= this.o.maxPeers) {
        const oldest = this.peers.keys().next().value;
        if (oldest !== undefined) this.peers.delete(oldest);
      }
    }
    // Map order = recency: re-inserted at the end.
    this.peers.set(peer, b);
    if (this.global.at === 0) this.global.at = now;
    const ok = this.take(b, this.o.perPeerBurst, this.o.perPeerPerSecond, now) && this.take(this.global, this.o.globalBurst, this.o.globalPerSecond, now);
    if (!ok) this.limited++;
    return ok;
  }

  get trackedPeers(): number {
    return this.peers.size;
  }
}
