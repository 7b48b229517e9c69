import type { Clock, RandomSource } from '../runtime/index.js';
import type { BuildOutcome } from './builder.js';
import type { InboundTunnel, OutboundTunnel, OwnTunnel } from './tunnel.js';

/** Per direction: hops (0..7), how many tunnels, and a random +/- variance on the hop count. */
export interface PoolSide {
  length: number;
  quantity: number;
  /** 0..3: each build takes length + a random value in [-variance, +variance], kept in 0..7. */
  variance: number;
}

export interface PoolConfig {
  name: string;
  inbound: PoolSide;
  outbound: PoolSide;
}

/** Replace a tunnel this long before it expires, so the pool never runs dry. */
export const REBUILD_AHEAD_MS = 2 * 60_000;
/** Builds in flight per direction, at most. */
const MAX_PENDING_PER_SIDE = 4;

export interface PoolCounters {
  built: number;
  failed: number;
  expired: number;
}

export interface PoolDeps {
  clock: Clock;
  random: RandomSource;
  /** Start a build of `hops` hops; undefined when no hops can be chosen now. */
  build: (direction: 'inbound' | 'outbound', hops: number, pool: string) => Promise<BuildOutcome> | undefined;
  onRemoved?: (t: OwnTunnel, why: 'expired' | 'failed') => void;
}

/**
 * One pool of our tunnels (the exploratory pool, or one client destination's): keeps
 * `quantity` live tunnels each way, building replacements ahead of expiry.
 */
export class TunnelPool {
  readonly inbound: InboundTunnel[] = [];
  readonly outbound: OutboundTunnel[] = [];
  readonly counters: PoolCounters = { built: 0, failed: 0, expired: 0 };
  private pendingIn = 0;
  private pendingOut = 0;
  private closed = false;

  constructor(
    readonly config: PoolConfig,
    private readonly deps: PoolDeps,
  ) {}

  /** Drop expired tunnels and start the builds that are missing. */
  tick(): void {
    if (this.closed) return;
    const now = this.deps.clock.now();
    this.expire(this.inbound, now);
    this.expire(this.outbound, now);
    this.fill('inbound', now);
    this.fill('outbound', now);
  }

  private expire(list: OwnTunnel[], now: number): void {
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i].expiresAt <= now) {
        const [t] = list.splice(i, 1);
        this.counters.expired++;
        this.deps.onRemoved?.(t, 'expired');
      }
    }
  }

  private fill(direction: 'inbound' | 'outbound', now: number): void {
    const side = direction === 'inbound' ? this.config.inbound : this.config.outbound;
    const list = direction === 'inbound' ? this.inbound : this.outbound;
    const fresh = list.filter((t) => t.expiresAt - now > REBUILD_AHEAD_MS).length;
    let pending = direction === 'inbound' ? this.pendingIn : this.pendingOut;
    while (fresh + pending < side.quantity && pending < MAX_PENDING_PER_SIDE) {
      const v = side.variance > 0 ? this.deps.random.int(2 * side.variance + 1) - side.variance : 0;
      const hops = Math.max(0, Math.min(7, side.length + v));
      const started = this.deps.build(direction, hops, this.config.name);
      if (!started) return;
      pending++;
      if (direction === 'inbound') this.pendingIn++;
      else this.pendingOut++;
      void started.then((o) => this.settled(direction, o));
    }
  }

  private settled(direction: 'inbound' | 'outbound', o: BuildOutcome): void {
    if (direction === 'inbound') this.pendingIn--;
    else this.pendingOut--;
    if (!o.ok) {
      this.counters.failed++;
      return;
    }
    if (this.closed) return;
    this.counters.built++;
    if (o.tunnel.direction === 'inbound') this.inbound.push(o.tunnel);
    else this.outbound.push(o.tunnel);
  }

  /** A tunnel that failed its tests: out of the pool now (a replacement is built on the next tick). */
  remove(t: OwnTunnel): void {
    const list: OwnTunnel[] = t.direction === 'inbound' ? this.inbound : this.outbound;
    const i = list.indexOf(t);
    if (i >= 0) {
      list.splice(i, 1);
      this.deps.onRemoved?.(t, 'failed');
    }
  }

  /** A live tunnel at random (with the most time left among two picks, to spread load). */
  pickInbound(): InboundTunnel | undefined {
    return pick(this.inbound, this.deps.clock.now(), this.deps.random);
  }

  pickOutbound(): OutboundTunnel | undefined {
    return pick(this.outbound, this.deps.clock.now(), this.deps.random);
  }

  get pending(): { inbound: number; outbound: number } {
    return { inbound: this.pendingIn, outbound: this.pendingOut };
  }

  close(): void {
    this.closed = true;
    for (const t of [...this.inbound, ...this.outbound]) this.deps.onRemoved?.(t, 'expired');
    this.inbound.length = 0;
    this.outbound.length = 0;
  }
}

function pick<T extends OwnTunnel>(list: T[], now: number, random: RandomSource): T | undefined {
  const alive = list.filter((t) => t.expiresAt > now + 5_000);
  // A tunnel whose last test failed may be broken: it stays in the pool for its retest, but
  // carries nothing while another one is in good standing (i2pd too sends only through
  // tunnels whose tests pass). Otherwise a broken reply tunnel fails the builds that use it.
  const good = alive.filter((t) => t.testFailures === 0);
  const live = good.length > 0 ? good : alive;
  if (live.length === 0) return undefined;
  const a = live[random.int(live.length)];
  const b = live[random.int(live.length)];
  return a.expiresAt >= b.expiresAt ? a : b;
}
