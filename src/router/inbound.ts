import { i2pBase64Encode } from './data/index.js';
import { checkExpiration, decodeMessage, gunzipRouterInfo, I2npType, StoreType, type I2npMessage } from './i2np/index.js';
import type { Logger } from './log.js';
import type { DirectLookups } from './netdb/direct-lookup.js';
import type { RouterInfoStore } from './netdb/router-info-store.js';


/**
 * What this router does with I2NP that arrives over a transport session. Bad input is counted
 * and dropped, never thrown: a peer's garbage must not reach the event loop.
 */
export interface InboundCounters {
  received: number;
  undecodable: number;
  expired: number;
  routerInfosAccepted: number;
  routerInfosRefused: number;
  unhandled: Record<string, number>;
}

export class InboundDispatcher {
  readonly counters: InboundCounters = { received: 0, undecodable: 0, expired: 0, routerInfosAccepted: 0, routerInfosRefused: 0, unhandled: {} };

  constructor(
    private readonly deps: {
      now: () => number;
      netDb: RouterInfoStore;
      lookups: DirectLookups;
      log: Logger;
    },
  ) {}

  /** An I2NP message with the short header (NTCP2's I2NP block). */
  onMessage(from: Uint8Array, bytes: Uint8Array): void {
    this.counters.received++;
    let msg: I2npMessage;
    try {
      msg = decodeMessage(bytes, 'short');
    } catch (e) {
      this.counters.undecodable++;
      this.deps.log.debug('undecodable i2np', { peer: short(from), error: (e as Error).message });
      return;
    }
    const now = this.deps.now();
    if (checkExpiration(msg.expiration, now) !== 'ok') {
      this.counters.expired++;
      return;
    }
    // Answers to our own lookups are taken first; a DatabaseStore answer is also stored below.
    const answered = this.deps.lookups.onMessage(from, msg);
    switch (msg.type) {
      case I2npType.DatabaseStore:
        if (msg.storeType === StoreType.RouterInfo) {
          let ri: Uint8Array;
          try {
            ri = gunzipRouterInfo(msg.data);
          } catch {
            this.counters.undecodable++;
            return;
          }
          void this.storeRouterInfo(from, ri, answered ? 'lookup' : 'flood', msg.key);
        } else if (!answered) {
          this.unhandled(`DatabaseStore(type ${msg.storeType})`);
        }
        return;
      case I2npType.DatabaseSearchReply:
        if (!answered) this.unhandled('DatabaseSearchReply');
        return;
      default:
        this.unhandled(`type ${msg.type}`);
    }
  }

  /** A RouterInfo block, or the one in NTCP2 message 3. */
  onRouterInfo(from: Uint8Array, bytes: Uint8Array): void {
    void this.storeRouterInfo(from, bytes, 'ntcp2');
  }

  private async storeRouterInfo(from: Uint8Array, bytes: Uint8Array, source: string, expectedHash?: Uint8Array): Promise<void> {
    try {
      const r = await this.deps.netDb.store(bytes, { now: this.deps.now(), source, ...(expectedHash && { expectedHash }) });
      if (r.accepted) this.counters.routerInfosAccepted++;
      else if (r.reason !== 'duplicate' && r.reason !== 'own-router') {
        this.counters.routerInfosRefused++;
        this.deps.log.debug('routerinfo refused', { peer: short(from), reason: r.reason });
      }
    } catch (e) {
      this.deps.log.warn('netdb store failed', { error: (e as Error).message });
    }
  }

  private unhandled(what: string): void {
    this.counters.unhandled[what] = (this.counters.unhandled[what] ?? 0) + 1;
  }
}

function short(hash: Uint8Array): string {
  return i2pBase64Encode(hash).slice(0, 6);
}
