import { i2pBase64Encode } from '../data/index.js';
import type { Clock, RandomSource, TimerHandle } from '../runtime/index.js';

/**
 * Keeps the router connected: while fewer than `target` sessions are up, dial a few known
 * routers at random (never more than `perTick` at once), so a fresh router joins the network
 * from its reseed and a running one replaces peers that went away. Exploration (finding
 * routers we do not know) belongs to the netDb.
 */
export class PeerConnector {
  private timer: TimerHandle | undefined;

  constructor(
    private readonly deps: {
      clock: Clock;
      random: RandomSource;
      known: () => Uint8Array[];
      connectedCount: () => number;
      isConnected: (hash: Uint8Array) => boolean;
      connect: (hash: Uint8Array) => boolean;
      target: number;
      perTick: number;
      /** Between checks once the target is met. */
      intervalMs: number;
      /** Between checks while below it: joining the network should not wait a full interval. */
      catchUpMs: number;
    },
  ) {}

  start(): void {
    this.tick();
  }

  tick(): number {
    const d = this.deps;
    let dialed = 0;
    const want = Math.min(d.perTick, d.target - d.connectedCount());
    if (want > 0) {
      const candidates = d.known().filter((h) => !d.isConnected(h));
      // Partial Fisher-Yates: a random `want` of the candidates.
      for (let i = 0; i < candidates.length && dialed < want; i++) {
        const j = i + d.random.int(candidates.length - i);
        [candidates[i], candidates[j]] = [candidates[j], candidates[i]];
        if (d.connect(candidates[i])) dialed++;
      }
    }
    if (this.timer) d.clock.clearTimer(this.timer);
    const below = d.connectedCount() + dialed < d.target && d.known().length > d.connectedCount();
    this.timer = d.clock.setTimer(below ? d.catchUpMs : d.intervalMs, () => this.tick());
    return dialed;
  }

  stop(): void {
    if (this.timer) this.deps.clock.clearTimer(this.timer);
    this.timer = undefined;
  }
}

export const shortHash = (h: Uint8Array): string => i2pBase64Encode(h).slice(0, 6);
