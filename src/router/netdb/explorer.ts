import type { Clock, RandomSource, TimerHandle } from '../runtime/index.js';
import { iterativeLookup, type IterativeLookupDeps, type IterativeLookupResult } from './iterative-lookup.js';

/**
 * Exploration (network-database.html, "Exploration"): while the netDb is small, look up random
 * keys with the exploration flag so floodfills name non-floodfill routers near them, and fetch
 * those routers' RouterInfos from the floodfill that named each. The work is done by
 * `iterativeLookup`; this only decides when: every `fastIntervalMs` while we know fewer than
 * `lowWaterRouters`, every `intervalMs` below `targetRouters`, doubling (up to
 * `maxIntervalMs`) after each exploration that brought nothing new, and only a re-check every
 * `maxIntervalMs` once the target is reached (expiry may shrink the netDb again).
 * One exploration at a time; no I/O of its own.
 */

export interface ExplorerDeps extends Omit<IterativeLookupDeps, 'now'> {
  clock: Clock;
  random: RandomSource;
  /** How many routers the netDb holds now. */
  routerCount(): number;
}

export interface ExplorerOptions {
  /** Explore while we know fewer routers than this. Default 200. */
  targetRouters?: number;
  /** Below this, explore at `fastIntervalMs`. Default 20. */
  lowWaterRouters?: number;
  /** Default 5 s. */
  fastIntervalMs?: number;
  /** Default 30 s. */
  intervalMs?: number;
  /** Longest wait, after backing off or once the target is reached. Default 10 min. */
  maxIntervalMs?: number;
  /** Floodfills asked per exploration. Default 2. */
  floodfillsPerExploration?: number;
  /** RouterInfos fetched per exploration at most. Default 8. */
  routerInfoLookups?: number;
  perQueryTimeoutMs?: number;
  totalTimeoutMs?: number;
  /** Called after each exploration, for logs. */
  onExploration?: (outcome: ExplorationOutcome) => void;
}

export interface ExplorationOutcome {
  result: IterativeLookupResult;
  /** RouterInfos fetched and accepted by this exploration. */
  learned: number;
  /** The wait before the next one. */
  nextInMs: number;
}

export interface ExplorerCounters {
  explorations: number;
  learned: number;
  failures: number;
}

const DEFAULTS = {
  targetRouters: 200,
  lowWaterRouters: 20,
  fastIntervalMs: 5_000,
  intervalMs: 30_000,
  maxIntervalMs: 10 * 60_000,
  floodfillsPerExploration: 2,
  routerInfoLookups: 8,
};

export class Explorer {
  readonly counters: ExplorerCounters = { explorations: 0, learned: 0, failures: 0 };
  private readonly o: typeof DEFAULTS & ExplorerOptions;
  private timer: TimerHandle | undefined;
  private abort: AbortController | undefined;
  private running = false;
  /** Consecutive explorations that brought nothing new. */
  private idleRuns = 0;

  constructor(
    private readonly deps: ExplorerDeps,
    options: ExplorerOptions = {},
  ) {
    const o = { ...DEFAULTS, ...stripUndefined(options) };
    for (const k of Object.keys(DEFAULTS) as (keyof typeof DEFAULTS)[]) {
      if (!Number.isSafeInteger(o[k]) || o[k] < 1) throw new RangeError(`${k} must be a positive integer, got ${o[k]}`);
    }
    if (o.lowWaterRouters > o.targetRouters) throw new RangeError('lowWaterRouters must not exceed targetRouters');
    this.o = o;
  }

  get started(): boolean {
    return this.running;
  }

  /** Begin exploring: the first exploration runs at once (if the netDb is below target). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Clear the timer and abandon the exploration in flight; nothing is scheduled afterwards. */
  stop(): void {
    this.running = false;
    if (this.timer !== undefined) this.deps.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.abort?.abort();
    this.abort = undefined;
  }

  /** The wait before the next exploration, given the netDb size and how the last ones went. */
  nextDelay(): number {
    const n = this.deps.routerCount();
    if (n >= this.o.targetRouters) return this.o.maxIntervalMs;
    const base = n < this.o.lowWaterRouters ? this.o.fastIntervalMs : this.o.intervalMs;
    // 2^idleRuns, capped: the shift stays small however long the network stays quiet.
    return Math.min(this.o.maxIntervalMs, base * 2 ** Math.min(this.idleRuns, 16));
  }

  /** One exploration with a random key, now. Rejects only if `ask` deps break their contract. */
  async exploreOnce(signal?: AbortSignal): Promise<{ result: IterativeLookupResult; learned: number }> {
    const key = this.deps.random.bytes(32);
    const d = this.deps;
    const lookupDeps: IterativeLookupDeps = {
      now: () => d.clock.now(),
      ourHash: d.ourHash,
      floodfills: () => d.floodfills(),
      has: (h) => d.has(h),
      ask: (ff, k, type, ms) => d.ask(ff, k, type, ms),
      storeRouterInfo: d.storeRouterInfo ? (h, data, from) => d.storeRouterInfo!(h, data, from) : undefined,
      isFloodfill: d.isFloodfill ? (h) => d.isFloodfill!(h) : undefined,
    };
    const result = await iterativeLookup(
      key,
      lookupDeps,
      {
        lookupType: 'exploration',
        parallelism: this.o.floodfillsPerExploration,
        maxQueried: this.o.floodfillsPerExploration,
        maxRouterInfoLookups: this.o.routerInfoLookups,
        perQueryTimeoutMs: this.o.perQueryTimeoutMs,
        totalTimeoutMs: this.o.totalTimeoutMs,
        signal,
      },
    );
    const learned = result.fetched.length;
    this.counters.learned += learned;
    if (result.reason === 'aborted') return { result, learned }; // stopped: says nothing about the network
    this.counters.explorations++;
    if (result.reason) this.counters.failures++;
    this.idleRuns = learned > 0 ? 0 : this.idleRuns + 1;
    return { result, learned };
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = this.deps.clock.setTimer(ms, () => {
      this.timer = undefined;
      void this.tick();
    });
  }

  private async tick(): Promise<void> {
    if (!this.running) return;
    if (this.deps.routerCount() >= this.o.targetRouters) {
      this.schedule(this.o.maxIntervalMs);
      return;
    }
    const abort = new AbortController();
    this.abort = abort;
    let outcome: { result: IterativeLookupResult; learned: number } | undefined;
    try {
      outcome = await this.exploreOnce(abort.signal);
    } catch {
      this.counters.failures++;
      this.idleRuns++;
    }
    if (this.abort === abort) this.abort = undefined;
    if (!this.running || abort.signal.aborted) return;
    const nextInMs = this.nextDelay();
    if (outcome) this.o.onExploration?.({ ...outcome, nextInMs });
    this.schedule(nextInMs);
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
