import { decodeLeaseSet2, decodeRouterInfo, i2pBase64Encode } from '../data/index.js';
import { gunzipRouterInfo, StoreType } from '../i2np/index.js';
import type { Logger } from '../log.js';
import type { Clock, RandomSource, TimerHandle } from '../runtime/index.js';
import type { DirectLookupResult } from './direct-lookup.js';

/**
 * Store verification for what a floodfill floods (network-database.html, "Store verification",
 * which Java applies to its own stores): some time after we flooded an entry that someone
 * stored with us, ask one of the floodfills we flooded it to for it. It holds it (the same
 * entry or a newer one): verified; it answers without it: missing; no answer: failed.
 *
 * Bounded: one verification per key at a time, at most `maxPending` waiting or in flight, and
 * a token bucket (`perMinute`, burst `burst`) so that a flood of stores cannot become a flood
 * of lookups from us. What does not fit is counted as skipped, never queued.
 */
export interface FloodVerifyCounters {
  /** Verifications scheduled (each is one lookup, `delayMs` after the flood). */
  scheduled: number;
  verified: number;
  missing: number;
  failed: number;
  /** Floods not verified: the rate or the cap on pending verifications was reached, or that key was already pending. */
  skipped: number;
}

export interface FloodVerifierOptions {
  /** After the flood: flooding and storing take a moment. Default 10 s. */
  delayMs?: number;
  timeoutMs?: number;
  maxPending?: number;
  perMinute?: number;
  burst?: number;
}

const DEFAULTS = { delayMs: 10_000, timeoutMs: 10_000, maxPending: 32, perMinute: 30, burst: 10 };

export type VerifyLookupType = 'routerinfo' | 'leaseset';

export class FloodVerifier {
  readonly counters: FloodVerifyCounters = { scheduled: 0, verified: 0, missing: 0, failed: 0, skipped: 0 };
  private readonly o: typeof DEFAULTS;
  /** Keys (I2P base64) with a verification waiting or in flight; the timer while it waits. */
  private readonly pending = new Map<string, TimerHandle | undefined>();
  private tokens: number;
  private tokensAt: number;
  private stopped = false;

  constructor(
    private readonly deps: {
      clock: Clock;
      random: RandomSource;
      /** One lookup to one floodfill (through our tunnels when we have them). */
      ask: (floodfill: Uint8Array, key: Uint8Array, type: VerifyLookupType, timeoutMs: number) => Promise<DirectLookupResult>;
      log?: Logger;
    },
    options: FloodVerifierOptions = {},
  ) {
    this.o = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
    this.tokens = this.o.burst;
    this.tokensAt = deps.clock.now();
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /**
   * We flooded `data` (a DatabaseStore's payload of `storeType`) under `key` to `floodedTo`:
   * schedule a check at one of them. False when nothing was scheduled.
   */
  flooded(key: Uint8Array, storeType: number, data: Uint8Array, floodedTo: readonly Uint8Array[]): boolean {
    if (this.stopped || floodedTo.length === 0) return false;
    const type: VerifyLookupType | undefined = storeType === StoreType.RouterInfo ? 'routerinfo' : storeType === StoreType.LeaseSet2 ? 'leaseset' : undefined;
    if (!type) return false;
    const published = publishedOf(storeType, data);
    if (published === undefined) return false;
    const name = i2pBase64Encode(key);
    if (this.pending.has(name) || this.pending.size >= this.o.maxPending || !this.takeToken()) {
      this.counters.skipped++;
      return false;
    }
    const target = floodedTo[this.deps.random.int(floodedTo.length)];
    this.counters.scheduled++;
    const timer = this.deps.clock.setTimer(this.o.delayMs, () => {
      this.pending.set(name, undefined);
      this.deps.ask(target, key, type, this.o.timeoutMs).then(
        (r) => this.settle(name, () => this.judge(r, storeType, published, name, target)),
        () => this.settle(name, () => this.counters.failed++),
      );
    });
    this.pending.set(name, timer);
    return true;
  }

  private settle(name: string, count: () => void): void {
    this.pending.delete(name);
    if (!this.stopped) count();
  }

  private judge(r: DirectLookupResult, storeType: number, published: number, name: string, floodfill: Uint8Array): void {
    // The same entry, or a newer one the floodfill got since (its owner republished).
    const held = r.kind === 'store' && r.storeType === storeType ? publishedOf(storeType, r.data) : undefined;
    if (held !== undefined && held >= published) {
      this.counters.verified++;
      return;
    }
    this.counters.missing++;
    this.deps.log?.info('flooded entry not held by the floodfill we flooded it to', { key: name.slice(0, 6), floodfill: i2pBase64Encode(floodfill).slice(0, 6), answer: r.kind });
  }

  private takeToken(): boolean {
    const now = this.deps.clock.now();
    this.tokens = Math.min(this.o.burst, this.tokens + ((now - this.tokensAt) / 60_000) * this.o.perMinute);
    this.tokensAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.pending.values()) if (timer) this.deps.clock.clearTimer(timer);
    this.pending.clear();
  }
}

/** The entry's published time (ms for a RouterInfo, s for a LeaseSet2: compared only with its own kind), or undefined when it does not decode. */
function publishedOf(storeType: number, data: Uint8Array): number | undefined {
  try {
    if (storeType === StoreType.RouterInfo) return decodeRouterInfo(gunzipRouterInfo(data)).published;
    if (storeType === StoreType.LeaseSet2) return decodeLeaseSet2(data).published;
  } catch {
    return undefined;
  }
  return undefined;
}
