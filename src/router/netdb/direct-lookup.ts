import { equalBytes, i2pBase64Encode } from '../data/index.js';
import { encodeMessage, I2npType, type DatabaseLookup, type I2npMessage } from '../i2np/index.js';
import type { Clock, RandomSource, TimerHandle } from '../runtime/index.js';

/**
 * DatabaseLookups sent straight to a floodfill over our session with it (no reply tunnel, no
 * reply encryption): the floodfill answers over the same kind of session with a
 * DatabaseStore (found) or a DatabaseSearchReply (closer peers). Used to bootstrap and to learn
 * routers before tunnels exist.
 */
export type DirectLookupResult =
  | { kind: 'store'; storeType: number; data: Uint8Array; rttMs: number }
  | { kind: 'searchReply'; peers: Uint8Array[]; rttMs: number };

export class LookupError extends Error {
  override readonly name = 'LookupError';
  constructor(
    readonly code: 'TIMEOUT' | 'NOT_SENT' | 'TOO_MANY' | 'STOPPED',
    message: string,
  ) {
    super(message);
  }
}

interface Waiting {
  floodfill: Uint8Array;
  key: Uint8Array;
  sentAt: number;
  timer: TimerHandle;
  resolve: (r: DirectLookupResult) => void;
  reject: (e: Error) => void;
}

export class DirectLookups {
  private readonly waiting = new Map<string, Waiting[]>();
  private count = 0;

  constructor(
    private readonly deps: {
      ourHash: Uint8Array;
      clock: Clock;
      random: RandomSource;
      send: (peer: Uint8Array, i2npShort: Uint8Array) => boolean;
      maxPending?: number;
      /**
       * When given, lookups ask for ECIES-encrypted replies (ecies-routers.rst): a one-time key
       * and tag are registered here, and the answer comes back as Garlic under them, so that
       * nobody between the floodfill and us reads what we looked up.
       */
      registerReplyKey?: (tag: Uint8Array, key: Uint8Array) => void;
    },
  ) {}

  get pending(): number {
    return this.count;
  }

  lookup(floodfill: Uint8Array, key: Uint8Array, lookupType: 'routerinfo' | 'leaseset' | 'exploration' | 'any', timeoutMs = 15_000): Promise<DirectLookupResult> {
    if (this.count >= (this.deps.maxPending ?? 256)) return Promise.reject(new LookupError('TOO_MANY', 'too many lookups in flight'));
    const now = this.deps.clock.now();
    let encryption: DatabaseLookup['encryption'] = { kind: 'none' };
    if (this.deps.registerReplyKey) {
      const replyKey = this.deps.random.bytes(32);
      const replyTag = this.deps.random.bytes(8);
      this.deps.registerReplyKey(replyTag, replyKey);
      encryption = { kind: 'ecies', replyKey, replyTag };
    }
    const message: I2npMessage = {
      type: I2npType.DatabaseLookup,
      msgId: 1 + this.deps.random.int(0xfffffffe),
      expiration: now + 60_000,
      key,
      from: this.deps.ourHash,
      lookupType,
      excludedPeers: [],
      encryption,
    };
    if (!this.deps.send(floodfill, encodeMessage(message, 'short'))) {
      return Promise.reject(new LookupError('NOT_SENT', `cannot reach ${i2pBase64Encode(floodfill).slice(0, 6)}`));
    }
    return new Promise((resolve, reject) => {
      const id = i2pBase64Encode(key);
      const w: Waiting = {
        floodfill,
        key,
        sentAt: now,
        resolve,
        reject,
        timer: this.deps.clock.setTimer(timeoutMs, () => {
          this.remove(id, w);
          reject(new LookupError('TIMEOUT', `no answer from ${i2pBase64Encode(floodfill).slice(0, 6)} in ${timeoutMs} ms`));
        }),
      };
      const list = this.waiting.get(id) ?? [];
      list.push(w);
      this.waiting.set(id, list);
      this.count++;
    });
  }

  /** Offer an incoming message; true when it answered one of our lookups. */
  onMessage(from: Uint8Array, msg: I2npMessage): boolean {
    if (msg.type !== I2npType.DatabaseStore && msg.type !== I2npType.DatabaseSearchReply) return false;
    const id = i2pBase64Encode(msg.key);
    const w = this.waiting.get(id)?.find((x) => equalBytes(x.floodfill, from));
    if (!w) return false;
    this.remove(id, w);
    this.deps.clock.clearTimer(w.timer);
    const rttMs = this.deps.clock.now() - w.sentAt;
    if (msg.type === I2npType.DatabaseStore) w.resolve({ kind: 'store', storeType: msg.storeType, data: msg.data, rttMs });
    else w.resolve({ kind: 'searchReply', peers: msg.peers, rttMs });
    return true;
  }

  stop(): void {
    for (const list of this.waiting.values()) {
      for (const w of list) {
        this.deps.clock.clearTimer(w.timer);
        w.reject(new LookupError('STOPPED', 'router stopping'));
      }
    }
    this.waiting.clear();
    this.count = 0;
  }

  private remove(id: string, w: Waiting): void {
    const list = this.waiting.get(id);
    if (!list) return;
    const i = list.indexOf(w);
    if (i >= 0) {
      list.splice(i, 1);
      this.count--;
    }
    if (list.length === 0) this.waiting.delete(id);
  }
}
