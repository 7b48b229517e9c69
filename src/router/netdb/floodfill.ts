import { equalBytes, i2pBase64Encode, isFloodfill, type LeaseSet2 } from '../data/index.js';
import {
  encodeMessage,
  encodePayload,
  gzipRouterInfo,
  I2npType,
  StoreType,
  type DatabaseLookup,
  type DatabaseStore,
  type I2npBody,
  type I2npMessage,
} from '../i2np/index.js';
import type { RandomSource } from '../runtime/index.js';
import { encryptWithTag } from '../garlic/router-garlic.js';
import type { PayloadBlock } from '../garlic/payload.js';
import { closest, routingKey } from './routing-key.js';
import type { RouterInfoStore } from './router-info-store.js';
import type { LeaseSetStore } from './lease-set-store.js';
import type { Logger } from '../log.js';
import type { FloodVerifier, FloodVerifyCounters } from './flood-verifier.js';

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
  /**
   * The asker gave a one-time reply key and tag (ECIES lookup, ecies-routers.rst): the reply
   * travels as a Garlic message under them, so that its tunnel's hops cannot read it.
   */
  replyKey?: { key: Uint8Array; tag: Uint8Array };
}

/** Flood to this many floodfills closest to the key (Java and i2pd use 3). */
export const FLOOD_COUNT = 3;
/** Peers in a DatabaseSearchReply. */
export const SEARCH_REPLY_PEERS = 3;

export type LookupRefusal = 'elgamal-reply-unsupported';

export interface FloodfillCounters {
  lookups: number;
  found: number;
  notFound: number;
  refused: number;
  stores: number;
  floods: number;
  leaseSetsStored: number;
  ourRouterInfoServed: number;
  /** Store verification of what we flooded (all zero without a verifier). */
  floodVerify: FloodVerifyCounters;
}

export class Floodfill {
  readonly counters: FloodfillCounters;

  constructor(
    private readonly deps: {
      ourHash: Uint8Array;
      netDb: RouterInfoStore;
      leaseSets: LeaseSetStore;
      /** Our own RouterInfo: the netDb never holds it, but a floodfill must answer for it. */
      ourRouterInfo: () => Uint8Array;
      random: RandomSource;
      now: () => number;
      /** Checks, some time after a flood, that a floodfill we flooded to holds the entry. */
      verifier?: FloodVerifier;
      /** Each lookup answered, at debug level (which key, for whom, what answer). */
      log?: Logger;
    },
  ) {
    const floodVerify = deps.verifier?.counters ?? { scheduled: 0, verified: 0, missing: 0, failed: 0, skipped: 0 };
    this.counters = { lookups: 0, found: 0, notFound: 0, refused: 0, stores: 0, floods: 0, leaseSetsStored: 0, ourRouterInfoServed: 0, floodVerify };
  }

  private answered(lookup: DatabaseLookup, answer: string): void {
    this.deps.log?.debug('lookup answered', { key: i2pBase64Encode(lookup.key), from: i2pBase64Encode(lookup.from), type: lookup.lookupType, answer });
  }

  private envelope(body: I2npBody): I2npMessage {
    return { ...body, msgId: 1 + this.deps.random.int(0xfffffffe), expiration: this.deps.now() + 60_000 } as I2npMessage;
  }

  /**
   * The reply to a DatabaseLookup, or the reason we cannot give one. Replies that must be
   * encrypted (ECIES/ElGamal reply keys) need router garlic, which is not here yet: refused.
   */
  answerLookup(lookup: DatabaseLookup): Outgoing | LookupRefusal {
    this.counters.lookups++;
    // ElGamal reply keys are for routers older than ECIES (0.9.46); nobody current sends them.
    if (lookup.encryption.kind === 'elgamal') {
      this.counters.refused++;
      return 'elgamal-reply-unsupported';
    }
    const enc = lookup.encryption;
    const replyKey = enc.kind === 'none' ? undefined : { key: enc.replyKey, tag: enc.replyTag };
    const delivery: Delivery =
      lookup.replyTunnelId !== undefined ? { kind: 'tunnel', gateway: lookup.from, tunnelId: lookup.replyTunnelId } : { kind: 'router', to: lookup.from };
    if (lookup.lookupType === 'leaseset' || lookup.lookupType === 'any') {
      const ls = this.deps.leaseSets.get(lookup.key, this.deps.now());
      if (ls) {
        this.counters.found++;
        this.answered(lookup, 'leaseset');
        const store: DatabaseStore = { type: I2npType.DatabaseStore, key: lookup.key, storeType: StoreType.LeaseSet2, data: ls.bytes };
        return { delivery, message: this.envelope(store), replyKey };
      }
    }
    const wantsRouterInfo = lookup.lookupType === 'routerinfo' || lookup.lookupType === 'any';
    const ours = wantsRouterInfo && equalBytes(lookup.key, this.deps.ourHash);
    const entry = wantsRouterInfo && !ours ? this.deps.netDb.get(lookup.key)?.bytes : ours ? this.deps.ourRouterInfo() : undefined;
    if (entry) {
      this.counters.found++;
      if (ours) this.counters.ourRouterInfoServed++;
      this.answered(lookup, 'routerinfo');
      const store: DatabaseStore = { type: I2npType.DatabaseStore, key: lookup.key, storeType: StoreType.RouterInfo, data: gzipRouterInfo(entry) };
      return { delivery, message: this.envelope(store), replyKey };
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
    this.answered(lookup, 'searchReply');
    return { delivery, message: this.envelope({ type: I2npType.DatabaseSearchReply, key: lookup.key, peers, from: this.deps.ourHash }), replyKey };
  }

  /** Pending store verifications are dropped. */
  stop(): void {
    this.deps.verifier?.stop();
  }

  /** The LeaseSet2 we hold for a destination, if any (and not expired). */
  leaseSetHeld(hash: Uint8Array, now: number): LeaseSet2 | undefined {
    return this.deps.leaseSets.get(hash, now)?.leaseSet;
  }

  leaseSetsHeld(now: number): LeaseSet2[] {
    return this.deps.leaseSets.all(now).map((e) => e.leaseSet);
  }

  /** A LeaseSet2 someone stores with us. Other LeaseSet kinds (encrypted, meta) are not kept yet. */
  storeLeaseSet(store: DatabaseStore): 'accepted' | 'duplicate' | 'refused' {
    if (store.storeType !== StoreType.LeaseSet2) return 'refused';
    const r = this.deps.leaseSets.store(store.key, store.data, this.deps.now());
    if (r.accepted) this.counters.leaseSetsStored++;
    return r.accepted ? 'accepted' : r.reason === 'duplicate' ? 'duplicate' : 'refused';
  }

  /**
   * After a store: the DeliveryStatus the storer asked for (reply token ≠ 0) when we hold the
   * entry (new or a duplicate), and, for a new entry, the flood to the closest other floodfills
   * (only for stores that asked for a reply: those come from the publisher itself, never from
   * another flood). A refused store gets nothing: an acknowledgement would say we keep it.
   * With a verifier, one of the floodfills flooded to is later asked whether it holds the entry.
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
    const targets = closest(routingKey(store.key, this.deps.now()), others, FLOOD_COUNT);
    for (const ff of targets) {
      this.counters.floods++;
      const flood: DatabaseStore = { type: I2npType.DatabaseStore, key: store.key, storeType: store.storeType, data: store.data };
      out.push({ delivery: { kind: 'router', to: ff }, message: this.envelope(flood) });
    }
    this.deps.verifier?.flooded(store.key, store.storeType, store.data, targets);
    return out;
  }
}

/**
 * The bytes to hand the transport for an Outgoing: the message (garlic-wrapped under a one-time
 * key when one was given), sent straight to a router or wrapped in a TunnelGateway.
 */
export function outgoingBytes(o: Outgoing, envelope: (body: I2npBody) => I2npMessage): { to: Uint8Array; bytes: Uint8Array } {
  let message = o.message;
  if (o.replyKey) {
    // i2pd reads only the first block of such a reply: one clove, no DateTime (ecies-routers.rst).
    const frame = { type: message.type, msgId: message.msgId, expiration: message.expiration, payload: encodePayload(message) };
    const blocks: PayloadBlock[] = [{ type: 'clove', clove: { delivery: { type: 'local' }, message: frame } }];
    message = envelope({ type: I2npType.Garlic, data: encryptWithTag(o.replyKey.key, o.replyKey.tag, blocks) });
  }
  if (o.delivery.kind === 'router') return { to: o.delivery.to, bytes: encodeMessage(message, 'short') };
  const inner = encodeMessage(message, 'standard');
  return {
    to: o.delivery.gateway,
    bytes: encodeMessage(envelope({ type: I2npType.TunnelGateway, tunnelId: o.delivery.tunnelId, message: inner }), 'short'),
  };
}

export const describeDelivery = (d: Delivery): string =>
  d.kind === 'router' ? `router ${i2pBase64Encode(d.to).slice(0, 6)}` : `tunnel ${d.tunnelId} at ${i2pBase64Encode(d.gateway).slice(0, 6)}`;
