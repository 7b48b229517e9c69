import { equalBytes, i2pBase64Encode, isFloodfill } from '../data/index.js';
import {
  encodeMessage,
  gzipRouterInfo,
  I2npType,
  StoreType,
  type DatabaseLookup,
  type DatabaseStore,
  type I2npBody,
  type I2npMessage,
} from '../i2np/index.js';
import type { RandomSource } from '../runtime/index.js';
import { closest, routingKey } from './routing-key.js';
import type { RouterInfoStore } from './router-info-store.js';

/**
 * What a floodfill answers (network-database.html): a lookup gets the entry (DatabaseStore) or
 * the closest floodfills we know (DatabaseSearchReply); a store with a reply token gets a
 * DeliveryStatus, and is flooded to the floodfills closest to its routing key. Pure decisions:
 * it returns the messages to send and where; the router sends them.
 */

/** Where a message goes: straight to a router, or into a tunnel at its gateway. */
export type Delivery = { kind: 'router'; to: Uint8Array } | { kind: 'tunnel'; gateway: Uint8Array; tunnelId: number };

export interface Outgoing {
  delivery: Delivery;
  message: I2npMessage;
}

/** Flood to this many floodfills closest to the key (Java and i2pd use 3). */
export const FLOOD_COUNT = 3;
/** Peers in a DatabaseSearchReply. */
export const SEARCH_REPLY_PEERS = 3;

export type LookupRefusal = 'encrypted-reply-unsupported' | 'leaseset-store-unsupported';

export class Floodfill {
  readonly counters = { lookups: 0, found: 0, notFound: 0, refused: 0, stores: 0, floods: 0 };

  constructor(
    private readonly deps: {
      ourHash: Uint8Array;
      netDb: RouterInfoStore;
      random: RandomSource;
      now: () => number;
    },
  ) {}

  private envelope(body: I2npBody): I2npMessage {
    return { ...body, msgId: 1 + this.deps.random.int(0xfffffffe), expiration: this.deps.now() + 60_000 } as I2npMessage;
  }

  /**
   * The reply to a DatabaseLookup, or the reason we cannot give one. Replies that must be
   * encrypted (ECIES/ElGamal reply keys) need router garlic, which is not here yet: refused.
   */
  answerLookup(lookup: DatabaseLookup): Outgoing | LookupRefusal {
    this.counters.lookups++;
    if (lookup.encryption.kind !== 'none') {
      this.counters.refused++;
      return 'encrypted-reply-unsupported';
    }
    const delivery: Delivery =
      lookup.replyTunnelId !== undefined ? { kind: 'tunnel', gateway: lookup.from, tunnelId: lookup.replyTunnelId } : { kind: 'router', to: lookup.from };
    const entry = lookup.lookupType === 'routerinfo' || lookup.lookupType === 'any' ? this.deps.netDb.get(lookup.key) : undefined;
    if (entry) {
      this.counters.found++;
      const store: DatabaseStore = { type: I2npType.DatabaseStore, key: lookup.key, storeType: StoreType.RouterInfo, data: gzipRouterInfo(entry.bytes) };
      return { delivery, message: this.envelope(store) };
    }
    this.counters.notFound++;
    const excluded = lookup.excludedPeers;
    const isExcluded = (h: Uint8Array) => excluded.some((x) => equalBytes(x, h)) || equalBytes(h, lookup.from);
    // Exploration asks for routers that are not floodfills; everything else, for floodfills.
    const wantFloodfills = lookup.lookupType !== 'exploration';
    const candidates = this.deps.netDb
      .all()
      .filter((e) => isFloodfill(e.routerInfo) === wantFloodfills && !isExcluded(e.hash))
      .map((e) => e.hash);
    const peers = closest(routingKey(lookup.key, this.deps.now()), candidates, SEARCH_REPLY_PEERS);
    return { delivery, message: this.envelope({ type: I2npType.DatabaseSearchReply, key: lookup.key, peers, from: this.deps.ourHash }) };
  }

  /**
   * After a store: the DeliveryStatus the storer asked for (reply token ≠ 0) when we hold the
   * entry (new or a duplicate), and, for a new entry, the flood to the closest other floodfills
   * (only for stores that asked for a reply: those come from the publisher itself, never from
   * another flood). A refused store gets nothing: an acknowledgement would say we keep it.
   */
  afterStore(store: DatabaseStore, outcome: 'accepted' | 'duplicate' | 'refused', from: Uint8Array): Outgoing[] {
    const out: Outgoing[] = [];
    if (!store.reply || outcome === 'refused') return out;
    this.counters.stores++;
    const ack = this.envelope({ type: I2npType.DeliveryStatus, deliveredMsgId: store.reply.token, timestamp: this.deps.now() });
    const r = store.reply;
    out.push({ delivery: r.tunnelId !== 0 ? { kind: 'tunnel', gateway: r.gateway, tunnelId: r.tunnelId } : { kind: 'router', to: r.gateway }, message: ack });
    if (outcome !== 'accepted') return out;
    const others = this.deps.netDb
      .all()
      .filter((e) => isFloodfill(e.routerInfo) && !equalBytes(e.hash, from) && !equalBytes(e.hash, store.key))
      .map((e) => e.hash);
    for (const ff of closest(routingKey(store.key, this.deps.now()), others, FLOOD_COUNT)) {
      this.counters.floods++;
      const flood: DatabaseStore = { type: I2npType.DatabaseStore, key: store.key, storeType: store.storeType, data: store.data };
      out.push({ delivery: { kind: 'router', to: ff }, message: this.envelope(flood) });
    }
    return out;
  }
}

/** The bytes to hand the transport for an Outgoing: the message itself, or wrapped in a TunnelGateway. */
export function outgoingBytes(o: Outgoing, envelope: (body: I2npBody) => I2npMessage): { to: Uint8Array; bytes: Uint8Array } {
  if (o.delivery.kind === 'router') return { to: o.delivery.to, bytes: encodeMessage(o.message, 'short') };
  const inner = encodeMessage(o.message, 'standard');
  return {
    to: o.delivery.gateway,
    bytes: encodeMessage(envelope({ type: I2npType.TunnelGateway, tunnelId: o.delivery.tunnelId, message: inner }), 'short'),
  };
}

export const describeDelivery = (d: Delivery): string =>
  d.kind === 'router' ? `router ${i2pBase64Encode(d.to).slice(0, 6)}` : `tunnel ${d.tunnelId} at ${i2pBase64Encode(d.gateway).slice(0, 6)}`;
