import { cryptoRandom, TokenBucket, type Clock, type RandomSource } from '../runtime/index.js';
import { BuildReplyCode, type HopRole } from './types.js';

/**
 * Whether to take part in a tunnel someone asks us to be a hop of. The decision uses only what
 * we know locally: our transit load, the build rate, and the bandwidth options of the request
 * (tunnel-creation-ecies.rst, "Tunnel Bandwidth Parameters"; KBps there means 1024 bytes/s of
 * tunnel-layer traffic).
 */

export interface TransitPolicyOptions {
  readonly clock: Clock;
  /** For the probabilistic rejection near the limits; default the OS CSPRNG. */
  readonly random?: RandomSource;
  /** Most transit tunnels at once. Default 2000. */
  readonly maxParticipating?: number;
  /** Build requests handled per second, from everyone. Default 100. */
  readonly maxBuildsPerSecond?: number;
  /**
   * Build requests per minute from one previous hop. Only the first hop knows the tunnel's
   * creator; everyone else sees the peer that passed the build on, so that peer is the key.
   * Default 60.
   */
  readonly maxBuildsPerRequesterPerMinute?: number;
  /** Our bandwidth limit in bytes per second. */
  readonly bandwidthLimitBps: number;
  /** Percentage (0..100) of the limit transit may use; 0 disables transit. */
  readonly sharePercent: number;
  /** Transit traffic now, bytes per second (e.g. `() => meter.rate('transit')`); 0 if absent. */
  readonly transitRateBps?: () => number;
  /** Load (0..1 of a limit) above which requests are refused at random, more often the closer to 1. Default 0.9. */
  readonly rejectAbove?: number;
}

export interface TransitRequest {
  /** The peer that sent us the build message (I2P Base64 hash). */
  readonly fromPeer: string;
  readonly role: HopRole;
  /** The record's build options: m, r, l in KBps. */
  readonly options: Readonly<Record<string, string>>;
  readonly now?: number;
}

export type TransitRejectReason =
  | 'disabled'
  | 'requester-rate'
  | 'global-rate'
  | 'participating-limit'
  | 'share-used'
  | 'minimum-bandwidth'
  | 'near-limit';

export type TransitDecision =
  | {
      readonly accept: true;
      /** Reply options: `b` (KBps we offer) when the request named m or r. */
      readonly options: Record<string, string>;
      /** IBGW only: the requested cap `l` on traffic into the tunnel, bytes per second. */
      readonly limitBps?: number;
    }
  | { readonly accept: false; readonly code: number; readonly reason: TransitRejectReason };

export const KBPS = 1024;
const REQUESTER_CAP = 10_000;

/**
 * The reply byte to put in an ECIES build reply record. tunnel-creation-ecies.rst allows only 0
 * and 30 there, so a refusal's cause is not fingerprintable; `decide`'s finer code is for logs
 * and counters.
 */
export function wireReplyCode(code: number): number {
  return code === BuildReplyCode.Accept ? BuildReplyCode.Accept : BuildReplyCode.Bandwidth;
}

/** A positive integer KBps option, or undefined when absent or malformed (ignored, not fatal). */
function kbps(options: Readonly<Record<string, string>>, name: string): number | undefined {
  const v = options[name];
  if (v === undefined || !/^[0-9]{1,9}$/.test(v)) return undefined;
  const n = Number(v);
  return n > 0 ? n : undefined;
}

function count(name: string, v: number, min = 0): number {
  if (!Number.isSafeInteger(v) || v < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${v}`);
  return v;
}

export class TransitPolicy {
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private readonly maxParticipating: number;
  private readonly perRequester: number;
  private readonly global: TokenBucket;
  private readonly requesters = new Map<string, TokenBucket>();
  private readonly transitRate: () => number;
  private readonly rejectAbove: number;
  private limitBps = 0;
  private share = 0;
  private enabled = true;
  private active = 0;

  constructor(options: TransitPolicyOptions) {
    this.clock = options.clock;
    this.random = options.random ?? cryptoRandom;
    this.maxParticipating = count('maxParticipating', options.maxParticipating ?? 2000);
    const perSecond = count('maxBuildsPerSecond', options.maxBuildsPerSecond ?? 100, 1);
    this.perRequester = count('maxBuildsPerRequesterPerMinute', options.maxBuildsPerRequesterPerMinute ?? 60, 1);
    this.global = new TokenBucket({ clock: this.clock, ratePerSecond: perSecond, burst: perSecond });
    this.transitRate = options.transitRateBps ?? (() => 0);
    this.rejectAbove = options.rejectAbove ?? 0.9;
    if (!(this.rejectAbove > 0 && this.rejectAbove <= 1)) throw new RangeError(`rejectAbove must be in (0, 1], got ${this.rejectAbove}`);
    this.setBandwidth(options.bandwidthLimitBps, options.sharePercent);
  }

  get participating(): number {
    return this.active;
  }

  /** The bytes per second transit may use. */
  get shareBps(): number {
    return this.share;
  }

  /** A transit tunnel was set up. */
  added(): void {
    this.active++;
  }

  /** A transit tunnel expired or was torn down. */
  removed(): void {
    this.active = Math.max(0, this.active - 1);
  }

  /** Off while shutting down or when the user disables transit: every request gets 50. */
  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
  }

  setBandwidth(limitBps: number, sharePercent: number): void {
    if (!Number.isFinite(limitBps) || limitBps < 0) throw new RangeError(`bandwidthLimitBps must be >= 0, got ${limitBps}`);
    if (!Number.isFinite(sharePercent) || sharePercent < 0 || sharePercent > 100) {
      throw new RangeError(`sharePercent must be in 0..100, got ${sharePercent}`);
    }
    this.limitBps = limitBps;
    this.share = Math.floor((limitBps * sharePercent) / 100);
  }

  decide(req: TransitRequest): TransitDecision {
    const now = req.now ?? this.clock.now();
    if (!this.enabled || this.share === 0) return reject(BuildReplyCode.Critical, 'disabled');

    // The requester's own bucket first: one flooding peer must not drain the global budget.
    if (!this.requesterBucket(req.fromPeer, now).take(1, now)) return reject(BuildReplyCode.TransientOverload, 'requester-rate');
    if (!this.global.take(1, now)) return reject(BuildReplyCode.TransientOverload, 'global-rate');
    if (this.active >= this.maxParticipating) return reject(BuildReplyCode.TransientOverload, 'participating-limit');

    const used = Math.max(0, this.transitRate());
    const availableBps = this.share - used;
    if (availableBps <= 0) return reject(BuildReplyCode.Bandwidth, 'share-used');
    const availableKBps = Math.floor(availableBps / KBPS);
    const m = kbps(req.options, 'm');
    const r = kbps(req.options, 'r');
    if (m !== undefined && m > availableKBps) return reject(BuildReplyCode.Bandwidth, 'minimum-bandwidth');

    const load = Math.max(this.active / Math.max(1, this.maxParticipating), used / this.share);
    if (load >= this.rejectAbove) {
      // Refusal odds rise from 0 at the threshold to 1 at the limit: load sheds gradually.
      const odds = this.rejectAbove === 1 ? 1 : (load - this.rejectAbove) / (1 - this.rejectAbove);
      if (this.random.int(1_000_000) < odds * 1_000_000) return reject(BuildReplyCode.ProbabilisticReject, 'near-limit');
    }

    const options: Record<string, string> = {};
    if (m !== undefined || r !== undefined) {
      // b >= m (checked above it fits); otherwise what was asked for, as far as it fits.
      const offer = Math.max(m ?? 1, Math.min(r ?? m ?? 1, availableKBps), 1);
      options.b = String(offer);
    }
    const l = req.role === 'ibgw' ? kbps(req.options, 'l') : undefined;
    return l !== undefined ? { accept: true, options, limitBps: l * KBPS } : { accept: true, options };
  }

  /** The configured bandwidth limit (bytes per second), for status displays. */
  get bandwidthLimitBps(): number {
    return this.limitBps;
  }

  private requesterBucket(peer: string, now: number): TokenBucket {
    let b = this.requesters.get(peer);
    if (b) return b;
    if (this.requesters.size >= REQUESTER_CAP) this.pruneRequesters(now);
    b = new TokenBucket({ clock: this.clock, ratePerSecond: this.perRequester / 60, burst: this.perRequester });
    this.requesters.set(peer, b);
    return b;
  }

  /** Forgets buckets that refilled (indistinguishable from new ones), then the oldest if still too many. */
  private pruneRequesters(now: number): void {
    for (const [k, b] of this.requesters) if (b.available(now) >= b.burst) this.requesters.delete(k);
    for (const k of this.requesters.keys()) {
      if (this.requesters.size < REQUESTER_CAP) break;
      this.requesters.delete(k);
    }
  }
}

function reject(code: number, reason: TransitRejectReason): TransitDecision {
  return { accept: false, code, reason };
}
