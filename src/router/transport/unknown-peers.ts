/**
 * Messages for a router whose RouterInfo we lack wait here while the netDb looks it up, then
 * go out. A tunnel hop is told its next hop by hash only (tunnel-creation-ecies.rst), and in a
 * young or growing network that router may be one we have never heard of: dropping the build
 * message there fails the build by timeout. Java I2P and i2pd look the router up too.
 *
 * Whoever sends us a build message chooses the hash we look up, so everything is bounded: the
 * peers waiting at once, the messages and bytes per peer, the lookup's own time, and a router
 * not found is not looked up again for a while.
 */

export interface UnknownPeerQueueLimits {
  /** Routers being looked up at once; messages for one more are dropped. */
  readonly maxPeers: number;
  readonly maxMessagesPerPeer: number;
  readonly maxBytesPerPeer: number;
  /** After a failed lookup, messages for that router are dropped for this long. */
  readonly notFoundMs: number;
  /** Routers remembered as not found (oldest forgotten first). */
  readonly maxNotFound: number;
}

export const DEFAULT_UNKNOWN_PEER_LIMITS: UnknownPeerQueueLimits = {
  maxPeers: 64,
  maxMessagesPerPeer: 32,
  maxBytesPerPeer: 256 * 1024,
  notFoundMs: 60_000,
  maxNotFound: 1024,
};

export interface UnknownPeerQueueDeps {
  now(): number;
  /** Look the router up; true once its RouterInfo is held (so `send` can dial it). Must settle. */
  resolve(hash: Uint8Array): Promise<boolean>;
  /** Hands a message to the transport once the router is known; false when it dropped it. */
  send(hash: Uint8Array, i2np: Uint8Array): boolean;
}

export interface UnknownPeerCounters {
  /** Messages that waited for a lookup. */
  queued: number;
  /** Of those, handed to the transport after the router was found. */
  sent: number;
  /** Dropped: queue full, too many lookups at once, router not found (now or recently). */
  dropped: number;
  lookups: number;
  notFound: number;
}

interface Waiting {
  messages: Uint8Array[];
  bytes: number;
}

const key = (h: Uint8Array): string => Buffer.from(h.buffer, h.byteOffset, h.byteLength).toString('hex');

export class UnknownPeerQueue {
  readonly counters: UnknownPeerCounters = { queued: 0, sent: 0, dropped: 0, lookups: 0, notFound: 0 };
  private readonly waiting = new Map<string, Waiting>();
  /** Router → until when it counts as not found. Insertion order is time order. */
  private readonly notFound = new Map<string, number>();
  private readonly limits: UnknownPeerQueueLimits;
  private closed = false;

  constructor(
    private readonly deps: UnknownPeerQueueDeps,
    limits: Partial<UnknownPeerQueueLimits> = {},
  ) {
    this.limits = { ...DEFAULT_UNKNOWN_PEER_LIMITS, ...limits };
  }

  /** Routers being looked up now. */
  get pending(): number {
    return this.waiting.size;
  }

  /** Queue `i2np` for `hash` and look the router up if nobody is yet. False: dropped. */
  enqueue(hash: Uint8Array, i2np: Uint8Array): boolean {
    if (hash.length !== 32) throw new RangeError(`router hash must be 32 bytes, got ${hash.length}`);
    const k = key(hash);
    const now = this.deps.now();
    const until = this.notFound.get(k);
    if (this.closed || (until !== undefined && until > now)) return this.drop(1);
    if (until !== undefined) this.notFound.delete(k);
    let w = this.waiting.get(k);
    if (!w) {
      if (this.waiting.size >= this.limits.maxPeers) return this.drop(1);
      w = { messages: [], bytes: 0 };
      this.waiting.set(k, w);
      this.lookup(hash.slice(), k, w);
    }
    if (w.messages.length >= this.limits.maxMessagesPerPeer || w.bytes + i2np.length > this.limits.maxBytesPerPeer) return this.drop(1);
    w.messages.push(i2np);
    w.bytes += i2np.length;
    this.counters.queued++;
    return true;
  }

  /** Drops everything waiting; later messages are dropped too (the router is stopping). */
  close(): void {
    this.closed = true;
    for (const w of this.waiting.values()) this.drop(w.messages.length);
    this.waiting.clear();
  }

  private lookup(hash: Uint8Array, k: string, w: Waiting): void {
    this.counters.lookups++;
    this.deps.resolve(hash).then(
      (found) => this.settle(hash, k, w, found),
      () => this.settle(hash, k, w, false),
    );
  }

  private settle(hash: Uint8Array, k: string, w: Waiting, found: boolean): void {
    if (this.waiting.get(k) !== w) return; // closed meanwhile: already counted as dropped
    this.waiting.delete(k);
    if (!found) {
      this.counters.notFound++;
      this.rememberNotFound(k);
      this.drop(w.messages.length);
      return;
    }
    for (const m of w.messages) {
      if (this.deps.send(hash, m)) this.counters.sent++;
      else this.counters.dropped++;
    }
  }

  private rememberNotFound(k: string): void {
    this.notFound.delete(k);
    if (this.notFound.size >= this.limits.maxNotFound) this.notFound.delete(this.notFound.keys().next().value!);
    this.notFound.set(k, this.deps.now() + this.limits.notFoundMs);
  }

  private drop(n: number): false {
    this.counters.dropped += n;
    return false;
  }
}
