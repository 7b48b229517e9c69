import { i2pBase64Encode } from '../data/index.js';
import { I2npType, type DatabaseLookup, type I2npMessage } from '../i2np/index.js';
import type { Clock, RandomSource, TimerHandle } from '../runtime/index.js';
import type { InboundTunnel, OutboundTunnel } from '../tunnel/tunnel.js';
import { LookupError } from './direct-lookup.js';

export type TunnelLookupResult =
  | { kind: 'store'; storeType: number; data: Uint8Array; rttMs: number }
  | { kind: 'searchReply'; peers: Uint8Array[]; rttMs: number };

interface Waiting {
  sentAt: number;
  timer: TimerHandle;
  resolve: (r: TunnelLookupResult) => void;
}

export interface TunnelLookupDeps {
  clock: Clock;
  random: RandomSource;
  /** The lookup out through `outbound`, garlic-wrapped to the floodfill. */
  send: (outbound: OutboundTunnel, floodfill: Uint8Array, message: I2npMessage) => boolean;
  registerReplyKey: (tag: Uint8Array, key: Uint8Array) => void;
  maxPending?: number;
}

/**
 * DatabaseLookups the way the spec wants them once tunnels exist (i2np.rst, DatabaseLookup):
 * out through one of our outbound tunnels, the reply asked for at the gateway of one of our
 * inbound tunnels and encrypted to a one-time key and tag, so neither the floodfill nor the hops
 * learn who asked. Replies are matched by key, and only when they came through a tunnel.
 */
export class TunnelLookups {
  private readonly waiting = new Map<string, Waiting[]>();
  private count = 0;

  constructor(private readonly deps: TunnelLookupDeps) {}

  get pending(): number {
    return this.count;
  }

  lookup(floodfill: Uint8Array, key: Uint8Array, via: { outbound: OutboundTunnel; inbound: InboundTunnel }, lookupType: DatabaseLookup['lookupType'] = 'routerinfo', timeoutMs = 15_000): Promise<TunnelLookupResult> {
    if (this.count >= (this.deps.maxPending ?? 256)) return Promise.reject(new LookupError('TOO_MANY', 'too many lookups in flight'));
    const { clock, random } = this.deps;
    const now = clock.now();
    const replyKey = random.bytes(32);
    const replyTag = random.bytes(8);
    this.deps.registerReplyKey(replyTag, replyKey);
    const msg = {
      type: I2npType.DatabaseLookup,
      msgId: 1 + random.int(0xfffffffe),
      expiration: now + timeoutMs,
      key,
      from: via.inbound.gateway,
      lookupType,
      replyTunnelId: via.inbound.gatewayTunnelId,
      excludedPeers: [],
      encryption: { kind: 'ecies', replyKey, replyTag },
    } as I2npMessage;
    const k = i2pBase64Encode(key);
    return new Promise<TunnelLookupResult>((resolve, reject) => {
      const w: Waiting = {
        sentAt: now,
        resolve,
        timer: clock.setTimer(timeoutMs, () => {
          this.remove(k, w);
          reject(new LookupError('TIMEOUT', `no reply through our tunnels in ${timeoutMs} ms`));
        }),
      };
      const list = this.waiting.get(k) ?? [];
      list.push(w);
      this.waiting.set(k, list);
      this.count++;
      if (!this.deps.send(via.outbound, floodfill, msg)) {
        this.remove(k, w);
        clock.clearTimer(w.timer);
        reject(new LookupError('NOT_SENT', 'the lookup could not be sent into our outbound tunnel'));
      }
    });
  }

  /** A message that reached us through one of our inbound tunnels: true when it answered a lookup. */
  onMessage(msg: I2npMessage): boolean {
    if (msg.type !== I2npType.DatabaseStore && msg.type !== I2npType.DatabaseSearchReply) return false;
    const k = i2pBase64Encode(msg.key);
    const list = this.waiting.get(k);
    const w = list?.[0];
    if (!w) return false;
    this.remove(k, w);
    this.deps.clock.clearTimer(w.timer);
    const rttMs = this.deps.clock.now() - w.sentAt;
    if (msg.type === I2npType.DatabaseStore) w.resolve({ kind: 'store', storeType: msg.storeType, data: msg.data, rttMs });
    else w.resolve({ kind: 'searchReply', peers: msg.peers, rttMs });
    // A DatabaseStore also goes on to the netDb (the caller keeps dispatching it).
    return msg.type === I2npType.DatabaseSearchReply;
  }

  private remove(k: string, w: Waiting): void {
    const list = this.waiting.get(k);
    if (!list) return;
    const i = list.indexOf(w);
    if (i < 0) return;
    list.splice(i, 1);
    this.count--;
    if (list.length === 0) this.waiting.delete(k);
  }

  stop(): void {
    for (const list of this.waiting.values()) for (const w of list) this.deps.clock.clearTimer(w.timer);
    this.waiting.clear();
    this.count = 0;
  }
}
