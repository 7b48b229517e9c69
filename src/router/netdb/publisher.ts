import { i2pBase64Encode } from '../data/index.js';
import { encodeMessage, gzipRouterInfo, I2npType, StoreType, type DeliveryStatus, type I2npMessage } from '../i2np/index.js';
import type { Logger } from '../log.js';
import type { Clock, RandomSource, TimerHandle } from '../runtime/index.js';
import { closest, routingKey } from './routing-key.js';

/**
 * Publishes our RouterInfo (network-database.html, "RouterInfo storage"): a DatabaseStore
 * with a reply token to the floodfills closest to our routing key, each confirmed by the
 * DeliveryStatus it sends back; again on a schedule and whenever the RouterInfo changes.
 * Sent over direct NTCP2 sessions (the reply comes straight back to us: reply tunnel 0).
 */
export interface PublishResult {
  confirmed: string[];
  unconfirmed: string[];
}

export interface PublisherCounters {
  published: number;
  /** Of those, sent in garlic to the floodfill's router key. */
  wrapped: number;
  confirmed: number;
  unconfirmed: number;
  /** Store verification: a floodfill other than the ones we stored with holds our RouterInfo (flooded to it). */
  verified: number;
  /** It did not: we publish again. */
  verifyMissing: number;
  /** No answer to the verifying lookup. */
  verifyFailed: number;
}

interface Waiting {
  floodfill: string;
  timer: TimerHandle;
  resolve: (ok: boolean) => void;
}

export class RouterInfoPublisher {
  readonly counters: PublisherCounters = { published: 0, wrapped: 0, confirmed: 0, unconfirmed: 0, verified: 0, verifyMissing: 0, verifyFailed: 0 };
  private verifyTimer: TimerHandle | undefined;
  private readonly waiting = new Map<number, Waiting>();
  private timer: TimerHandle | undefined;
  private running: Promise<PublishResult> | undefined;
  private stopped = false;
  lastConfirmedAt = 0;

  constructor(
    private readonly deps: {
      clock: Clock;
      random: RandomSource;
      ourHash: Uint8Array;
      routerInfo: () => Uint8Array;
      floodfills: () => Uint8Array[];
      send: (to: Uint8Array, i2npShort: Uint8Array) => boolean;
      /** Wrap a message in garlic to that router (as i2pd does for stores to floodfills); undefined: send it plain. */
      wrap?: (to: Uint8Array, message: I2npMessage) => Uint8Array | undefined;
      log: Logger;
      /** Floodfills per publication (Java and i2pd store to 2 or 3). */
      count?: number;
      intervalMs?: number;
      /** While nothing is confirmed yet, retry this often. */
      retryMs?: number;
      confirmTimeoutMs?: number;
      /**
       * Ask `floodfill` for our RouterInfo (through our tunnels when we have them): the store
       * verification Java routers do after publishing. Without it, nothing is verified.
       */
      verify?: (floodfill: Uint8Array) => Promise<'found' | 'missing'>;
      /** How long after a confirmed store the verification asks (flooding takes a moment). */
      verifyDelayMs?: number;
    },
  ) {}

  start(firstDelayMs = 3_000): void {
    this.schedule(firstDelayMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.verifyTimer) this.deps.clock.clearTimer(this.verifyTimer);
    if (this.timer) this.deps.clock.clearTimer(this.timer);
    this.timer = undefined;
    for (const [token, w] of this.waiting) {
      this.deps.clock.clearTimer(w.timer);
      w.resolve(false);
      this.waiting.delete(token);
    }
  }

  private schedule(ms: number): void {
    if (this.timer) this.deps.clock.clearTimer(this.timer);
    this.timer = this.deps.clock.setTimer(ms, () => {
      this.timer = undefined;
      void this.publishNow().then((r) => {
        // Nothing confirmed (no floodfill yet, or none answered): try again soon.
        const next = r.confirmed.length > 0 ? (this.deps.intervalMs ?? 30 * 60_000) : (this.deps.retryMs ?? 30_000);
        if (!this.stopped) this.schedule(next);
      });
    });
  }

  /** Publish now (one run at a time): resolves when every store is confirmed or timed out. */
  publishNow(): Promise<PublishResult> {
    this.running ??= this.publish().finally(() => (this.running = undefined));
    return this.running;
  }

  private async publish(): Promise<PublishResult> {
    const now = this.deps.clock.now();
    const targets = closest(routingKey(this.deps.ourHash, now), this.deps.floodfills(), this.deps.count ?? 2);
    if (targets.length === 0) return { confirmed: [], unconfirmed: [] };
    const data = gzipRouterInfo(this.deps.routerInfo());
    const results = await Promise.all(
      targets.map((ff) => {
        const token = 1 + this.deps.random.int(0xfffffffe);
        const store: I2npMessage = {
          type: I2npType.DatabaseStore,
          msgId: 1 + this.deps.random.int(0xfffffffe),
          expiration: now + 60_000,
          key: this.deps.ourHash,
          storeType: StoreType.RouterInfo,
          reply: { token, tunnelId: 0, gateway: this.deps.ourHash },
          data,
        };
        const wrapped = this.deps.wrap?.(ff, store);
        if (wrapped) this.counters.wrapped++;
        const message = wrapped ?? encodeMessage(store, 'short');
        const name = i2pBase64Encode(ff);
        this.counters.published++;
        if (!this.deps.send(ff, message)) return Promise.resolve({ name, ok: false });
        return new Promise<{ name: string; ok: boolean }>((resolve) => {
          const timer = this.deps.clock.setTimer(this.deps.confirmTimeoutMs ?? 15_000, () => {
            this.waiting.delete(token);
            resolve({ name, ok: false });
          });
          this.waiting.set(token, { floodfill: name, timer, resolve: (ok) => resolve({ name, ok }) });
        });
      }),
    );
    const confirmed = results.filter((r) => r.ok).map((r) => r.name);
    const unconfirmed = results.filter((r) => !r.ok).map((r) => r.name);
    this.counters.confirmed += confirmed.length;
    this.counters.unconfirmed += unconfirmed.length;
    if (confirmed.length > 0) {
      this.lastConfirmedAt = this.deps.clock.now();
      this.scheduleVerify(targets);
    }
    this.deps.log.info('routerinfo published', { confirmed: confirmed.map((h) => h.slice(0, 6)).join(',') || undefined, unconfirmed: unconfirmed.length || undefined });
    return { confirmed, unconfirmed };
  }

  /**
   * After a confirmed store, ask a floodfill we did not store with (the next closest: the ones we
   * stored with flood to it) whether it holds our RouterInfo; if not, publish again.
   */
  private scheduleVerify(storedWith: Uint8Array[]): void {
    const verify = this.deps.verify;
    if (!verify || this.stopped) return;
    if (this.verifyTimer) this.deps.clock.clearTimer(this.verifyTimer);
    this.verifyTimer = this.deps.clock.setTimer(this.deps.verifyDelayMs ?? 10_000, () => {
      this.verifyTimer = undefined;
      const stored = new Set(storedWith.map((h) => i2pBase64Encode(h)));
      const candidates = closest(routingKey(this.deps.ourHash, this.deps.clock.now()), this.deps.floodfills(), stored.size + 1);
      const target = candidates.find((h) => !stored.has(i2pBase64Encode(h))) ?? candidates[0];
      if (!target) return;
      verify(target).then(
        (r) => {
          if (r === 'found') this.counters.verified++;
          else {
            this.counters.verifyMissing++;
            this.deps.log.info('routerinfo not found where it should have been flooded: publishing again', { floodfill: i2pBase64Encode(target).slice(0, 6) });
            this.changed();
          }
        },
        () => this.counters.verifyFailed++,
      );
    });
  }

  /** A DeliveryStatus arrived: true when it confirmed one of our stores. */
  onDeliveryStatus(msg: DeliveryStatus): boolean {
    const w = this.waiting.get(msg.deliveredMsgId);
    if (!w) return false;
    this.waiting.delete(msg.deliveredMsgId);
    this.deps.clock.clearTimer(w.timer);
    w.resolve(true);
    return true;
  }

  /** Our RouterInfo changed (re-signed with new content): publish it soon. */
  changed(): void {
    if (!this.stopped) this.schedule(1_000);
  }
}
