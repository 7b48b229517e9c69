import type { Clock } from './clock.js';

/**
 * Rate limiting and bandwidth measurement on the runtime's clock, so a simulation on a
 * ManualClock sees the same limits as a router on real time.
 */

function nonNegative(name: string, v: number): number {
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`${name} must be a finite number >= 0, got ${v}`);
  return v;
}

export interface TokenBucketOptions {
  readonly clock: Clock;
  /** Tokens added per second (bytes, build requests, ...). */
  readonly ratePerSecond: number;
  /** The most tokens held: the largest burst allowed after a quiet period. */
  readonly burst: number;
  /** Tokens at creation; default a full bucket. */
  readonly initial?: number;
}

/**
 * A token bucket refilled continuously from the clock. A request larger than `burst` can never
 * be granted: size the burst to the largest unit taken at once.
 */
export class TokenBucket {
  private readonly clock: Clock;
  private rate: number;
  private cap: number;
  private tokens: number;
  private last: number;

  constructor(options: TokenBucketOptions) {
    this.clock = options.clock;
    this.rate = nonNegative('ratePerSecond', options.ratePerSecond);
    this.cap = nonNegative('burst', options.burst);
    this.tokens = Math.min(this.cap, nonNegative('initial', options.initial ?? this.cap));
    this.last = this.clock.now();
  }

  get ratePerSecond(): number {
    return this.rate;
  }

  get burst(): number {
    return this.cap;
  }

  /** Takes `n` tokens if the bucket holds them (all or nothing). */
  take(n = 1, now = this.clock.now()): boolean {
    nonNegative('n', n);
    this.refill(now);
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }

  /** Tokens held now (may be fractional). */
  available(now = this.clock.now()): number {
    this.refill(now);
    return this.tokens;
  }

  /** Milliseconds until `n` tokens will be held; Infinity if never (n > burst, or rate 0). */
  waitMs(n = 1, now = this.clock.now()): number {
    this.refill(now);
    if (this.tokens >= n) return 0;
    if (n > this.cap || this.rate === 0) return Infinity;
    return Math.ceil(((n - this.tokens) / this.rate) * 1000);
  }

  /** Changes the rate (and optionally the burst) from now on; tokens already earned are kept, up to the new burst. */
  setRate(ratePerSecond: number, burst = this.cap, now = this.clock.now()): void {
    nonNegative('ratePerSecond', ratePerSecond);
    nonNegative('burst', burst);
    this.refill(now); // what accrued so far accrued at the old rate
    this.rate = ratePerSecond;
    this.cap = burst;
    this.tokens = Math.min(this.tokens, this.cap);
  }

  private refill(now: number): void {
    // A clock that steps back (NTP) adds nothing rather than removing tokens.
    const elapsed = Math.max(0, now - this.last);
    this.last = Math.max(this.last, now);
    if (elapsed > 0) this.tokens = Math.min(this.cap, this.tokens + (elapsed * this.rate) / 1000);
  }
}

export type BandwidthChannel = 'in' | 'out' | 'transit';
export const BANDWIDTH_CHANNELS: readonly BandwidthChannel[] = ['in', 'out', 'transit'];

export interface BandwidthMeterOptions {
  readonly clock: Clock;
  /** The sample width; default 1 s. */
  readonly bucketMs?: number;
  /** `rate` averages this many completed samples; default 10. */
  readonly windowBuckets?: number;
  /** Samples kept for `history`; default 300 (5 min of 1 s samples). */
  readonly historyBuckets?: number;
}

/**
 * Bytes per second in, out and in transit. Traffic is summed in fixed-width samples on a ring;
 * `rate` is the mean of the last completed samples and `history` returns them for a sparkline.
 * Samples from before the meter existed are not counted, so a young meter does not under-report.
 */
export class BandwidthMeter {
  private readonly clock: Clock;
  private readonly bucketMs: number;
  private readonly windowBuckets: number;
  private readonly size: number;
  private readonly rings: Record<BandwidthChannel, Float64Array>;
  private readonly totals: Record<BandwidthChannel, number> = { in: 0, out: 0, transit: 0 };
  /** Index (time / bucketMs) of the sample being filled, and of the first one. */
  private current: number;
  private readonly first: number;

  constructor(options: BandwidthMeterOptions) {
    this.clock = options.clock;
    this.bucketMs = positiveInt('bucketMs', options.bucketMs ?? 1000);
    this.windowBuckets = positiveInt('windowBuckets', options.windowBuckets ?? 10);
    const history = positiveInt('historyBuckets', options.historyBuckets ?? 300);
    // One extra slot: the sample being filled sits beside the completed ones.
    this.size = Math.max(history, this.windowBuckets) + 1;
    this.rings = { in: new Float64Array(this.size), out: new Float64Array(this.size), transit: new Float64Array(this.size) };
    this.first = this.current = Math.floor(this.clock.now() / this.bucketMs);
  }

  record(channel: BandwidthChannel, bytes: number, now = this.clock.now()): void {
    if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`bytes must be a finite number >= 0, got ${bytes}`);
    this.advance(now);
    this.rings[channel][this.current % this.size] += bytes;
    this.totals[channel] += bytes;
  }

  /** Bytes per second over the last `windowBuckets` completed samples (fewer for a young meter). */
  rate(channel: BandwidthChannel, now = this.clock.now()): number {
    this.advance(now);
    const n = Math.min(this.windowBuckets, this.current - this.first);
    if (n <= 0) return 0;
    const ring = this.rings[channel];
    let sum = 0;
    for (let i = 1; i <= n; i++) sum += ring[(this.current - i) % this.size];
    return (sum * 1000) / (n * this.bucketMs);
  }

  /**
   * The last `points` completed samples as bytes per second, oldest first; samples before the
   * meter started read 0, so the result always has `points` entries.
   */
  history(channel: BandwidthChannel, points: number, now = this.clock.now()): number[] {
    if (!Number.isInteger(points) || points < 0 || points > this.size - 1) {
      throw new RangeError(`points must be an integer in 0..${this.size - 1}, got ${points}`);
    }
    this.advance(now);
    const ring = this.rings[channel];
    const out: number[] = [];
    for (let i = points; i >= 1; i--) {
      const idx = this.current - i;
      out.push(idx < this.first ? 0 : (ring[idx % this.size] * 1000) / this.bucketMs);
    }
    return out;
  }

  /** Bytes recorded on a channel since the meter was created. */
  total(channel: BandwidthChannel): number {
    return this.totals[channel];
  }

  /** Moves the ring to `now`, zeroing the samples skipped over (no traffic in them). */
  private advance(now: number): void {
    const target = Math.floor(now / this.bucketMs);
    if (target <= this.current) return; // the clock stepped back: keep filling the current sample
    const steps = Math.min(target - this.current, this.size);
    for (const ch of BANDWIDTH_CHANNELS) {
      const ring = this.rings[ch];
      for (let i = 1; i <= steps; i++) ring[(this.current + i) % this.size] = 0;
    }
    this.current = target;
  }
}

function positiveInt(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  return v;
}
