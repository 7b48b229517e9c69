import { decodeLeaseSet2, equalBytes, i2pBase64Decode, i2pBase64Encode, leaseSet2Hash, verifyLeaseSet2, type Lease2, type LeaseSet2 } from '../data/index.js';
import { decodePayload as decodeI2npPayload, encodePayload as encodeI2npPayload, I2npType, StoreType, type I2npBody, type I2npMessage } from '../i2np/index.js';
import type { PayloadBlock } from '../garlic/payload.js';
import { cloves } from '../garlic/payload.js';
import type { GarlicClove } from '../garlic/clove.js';
import type { Logger } from '../log.js';
import type { Clock, RandomSource, TimerHandle } from '../runtime/index.js';
import type { TunnelManager } from '../tunnel/manager.js';
import type { TunnelPool, PoolSide } from '../tunnel/pool.js';
import type { InboundTunnel, OutboundTunnel } from '../tunnel/tunnel.js';
import { destinationB32, destinationHash, type DestinationKeys } from './destination-keys.js';
import { decodeI2cpPayload, type I2cpPayload } from './i2cp-payload.js';
import { buildLeaseSet2, leaseFingerprint } from './lease-set-builder.js';
import { StreamManager } from './streaming/manager.js';

/** End-to-end garlic (ecies.rst): what a destination needs from its ratchet engine. */
export interface EndToEndGarlic {
  encrypt(remote: { staticPublicKey: Uint8Array; id: string }, blocks: PayloadBlock[]): Uint8Array;
  decrypt(body: Uint8Array): { blocks: PayloadBlock[]; kind?: string; remoteStaticKey?: Uint8Array };
  expire?(now: number): void;
  /** Remotes owed a ratchet-layer message (an NSR, ACKs, a NextKey) when no traffic goes to them. */
  pendingReplies?(): { staticPublicKey: Uint8Array; remoteId: string | undefined }[];
  stats?(): object;
  sessionFor?(staticPublicKey: Uint8Array): object | undefined;
  /** Start a new session with a remote at the next message (an NS); false if there was none to drop. */
  restart?(staticPublicKey: Uint8Array): boolean;
}

export class DestinationError extends Error {
  override readonly name = 'DestinationError';
  constructor(
    readonly code: 'NO_TUNNELS' | 'NO_LEASESET' | 'NO_LEASES' | 'NO_KEY' | 'STOPPED',
    message: string,
  ) {
    super(message);
  }
}

export interface DestinationOptions {
  inbound: PoolSide;
  outbound: PoolSide;
  /** Publish our LeaseSet2 to the floodfills (a server); off for a client that only calls out. */
  publish: boolean;
}

export const DEFAULT_DESTINATION_OPTIONS: DestinationOptions = {
  inbound: { length: 3, quantity: 2, variance: 0 },
  outbound: { length: 3, quantity: 2, variance: 0 },
  publish: true,
};

/** A LeaseSet lookup's outcome: the LeaseSet2 bytes, or why there are none (for the error). */
export interface LeaseSetLookup {
  data?: Uint8Array;
  miss?: string;
}

export interface DestinationDeps {
  clock: Clock;
  random: RandomSource;
  log: Logger;
  tunnels: TunnelManager;
  /** The floodfills closest to a key (routing key of today), nearest first. */
  closestFloodfills: (key: Uint8Array, n: number) => Uint8Array[];
  /** An iterative LeaseSet lookup through the floodfills (through tunnels when there are some). */
  lookupLeaseSet: (hash: Uint8Array) => Promise<LeaseSetLookup>;
  garlic: EndToEndGarlic;
}

/** What an application receives: an I2NP Data payload (I2CP-framed) from the garlic layer. */
export type DataHandler = (payload: Uint8Array) => void;

/** What a protocol handler (streaming, datagrams) receives: the I2CP payload, decoded once. */
export type PayloadHandler = (payload: I2cpPayload) => void;

export interface PublishCounters {
  published: number;
  confirmed: number;
  lastPublished: number;
  lastConfirmedAt: number;
}

/** A published LeaseSet is renewed this often even when its leases did not change. */
const REPUBLISH_MS = 5 * 60_000;
const CHECK_MS = 1_000;
/** An unconfirmed store is sent again after this long. */
const RETRY_MS = 10_000;
/** An NSR (or a first ES) goes out this soon after its New Session when nothing else does. */
const REPLY_FLUSH_MS = 100;
/** Floodfills a LeaseSet is stored with (i2pd stores with one and verifies; two is cheap insurance). */
const STORE_FLOODFILLS = 2;
const REMOTE_CACHE_MAX = 1_000;

/**
 * A destination of ours on the network: its keys, its own tunnel pool, its LeaseSet2 published
 * through its tunnels, and end-to-end garlic to and from other destinations.
 */
export class LocalDestination {
  readonly hash: Uint8Array;
  readonly b32: string;
  readonly pool: TunnelPool;
  readonly counters: PublishCounters & { received: number; sent: number; undecryptable: number; undecodable: number; unhandled: number; lookups: number; sessionRestarts: number } = {
    published: 0,
    confirmed: 0,
    lastPublished: 0,
    lastConfirmedAt: 0,
    received: 0,
    sent: 0,
    undecryptable: 0,
    undecodable: 0,
    unhandled: 0,
    lookups: 0,
    sessionRestarts: 0,
  };
  private current: { leaseSet: LeaseSet2; bytes: Uint8Array; fingerprint: string; at: number; confirmed: boolean; attemptAt: number } | undefined;
  private readonly pendingTokens = new Map<number, number>();
  private readonly remotes = new Map<string, { leaseSet: LeaseSet2; expiresAt: number }>();
  /** Lookups under way, by destination hash: a burst of sends to a new remote asks once. */
  private readonly resolving = new Map<string, Promise<LeaseSet2>>();
  /** Which of our LeaseSets each remote has been given (by `published`), so it is bundled once. */
  private readonly sentLeaseSet = new Map<string, number>();
  private readonly handlers = new Set<DataHandler>();
  private readonly protocolHandlers = new Map<number, Set<PayloadHandler>>();
  /** A remote's X25519 key (hex) → its destination hash, from the LeaseSets we hold. */
  private readonly byKey = new Map<string, Uint8Array>();
  private timer: TimerHandle | undefined;
  private stopped = false;
  private streamManager: StreamManager | undefined;
  private readonly paths = new Map<string, { outbound: OutboundTunnel; lease: Lease2 }>();

  constructor(
    readonly keys: DestinationKeys,
    private readonly deps: DestinationDeps,
    readonly options: DestinationOptions = DEFAULT_DESTINATION_OPTIONS,
  ) {
    this.hash = destinationHash(keys.privateKeys.destination);
    this.b32 = destinationB32(keys.privateKeys.destination);
    this.pool = deps.tunnels.createPool({ name: `client:${this.b32.slice(0, 16)}`, inbound: options.inbound, outbound: options.outbound });
  }

  get poolName(): string {
    return this.pool.config.name;
  }

  start(): void {
    this.schedule();
  }

  /** The streaming protocol of this destination (created on first use). */
  get streams(): StreamManager {
    if (!this.streamManager) this.streamManager = new StreamManager(this, { clock: this.deps.clock, random: this.deps.random, log: this.deps.log });
    return this.streamManager;
  }

  stop(): void {
    this.streamManager?.close();
    this.stopped = true;
    if (this.timer) this.deps.clock.clearTimer(this.timer);
    if (this.flushTimer) this.deps.clock.clearTimer(this.flushTimer);
    this.deps.tunnels.closePool(this.poolName);
    this.handlers.clear();
    this.protocolHandlers.clear();
  }

  /** Every Data payload, still I2CP-framed (gzip). */
  onData(h: DataHandler): () => void {
    this.handlers.add(h);
    return () => this.handlers.delete(h);
  }

  /** The Data payloads of one I2CP protocol (6 streaming, 17/18 datagrams), unframed once for all. */
  onPayload(protocol: number, h: PayloadHandler): () => void {
    let set = this.protocolHandlers.get(protocol);
    if (!set) this.protocolHandlers.set(protocol, (set = new Set()));
    set.add(h);
    return () => set.delete(h);
  }

  /** Our current LeaseSet2 (undefined before the first inbound tunnel exists). */
  get leaseSet(): LeaseSet2 | undefined {
    return this.current?.leaseSet;
  }

  private schedule(): void {
    this.timer = this.deps.clock.setTimer(CHECK_MS, () => {
      if (this.stopped) return;
      this.maintain();
      this.schedule();
    });
  }

  /** A new LeaseSet when the leases changed or the last one is getting old; published if asked. */
  maintain(): void {
    const now = this.deps.clock.now();
    this.deps.garlic.expire?.(now);
    this.flushReplies();
    const fp = leaseFingerprint(this.pool.inbound, now);
    if (fp === '') return;
    const c = this.current;
    if (c && c.fingerprint === fp && now - c.at < REPUBLISH_MS) {
      // Not stored yet (no tunnel to send it through, or no floodfill answered): try again.
      if (this.options.publish && !c.confirmed && now - c.attemptAt >= RETRY_MS) this.publish();
      return;
    }
    const built = buildLeaseSet2(this.keys, this.pool.inbound, now, c?.leaseSet.published ?? 0);
    if (!built) return;
    this.current = { ...built, fingerprint: fp, at: now, confirmed: false, attemptAt: 0 };
    if (this.options.publish) this.publish();
  }

  /** Store our LeaseSet2 with the closest floodfills, out through our tunnels, a reply token back in. */
  publish(): number {
    const ls = this.current;
    if (!ls) return 0;
    ls.attemptAt = this.deps.clock.now();
    const outbound = this.pool.pickOutbound();
    const inbound = this.pool.pickInbound();
    if (!outbound || !inbound) return 0;
    let sent = 0;
    for (const ff of this.deps.closestFloodfills(this.hash, STORE_FLOODFILLS)) {
      const token = 1 + this.deps.random.int(0xfffffffe);
      const store = {
        type: I2npType.DatabaseStore,
        msgId: 1 + this.deps.random.int(0xfffffffe),
        expiration: this.deps.clock.now() + 60_000,
        key: this.hash,
        storeType: StoreType.LeaseSet2,
        reply: { token, tunnelId: inbound.gatewayTunnelId, gateway: inbound.gateway },
        data: ls.bytes,
      } as I2npMessage;
      if (this.deps.tunnels.sendToRouter(outbound, ff, store)) {
        this.pendingTokens.set(token, ls.leaseSet.published);
        sent++;
      }
    }
    if (sent > 0) {
      this.counters.published++;
      this.counters.lastPublished = ls.leaseSet.published;
      this.deps.log.debug('leaseset published', { b32: this.b32.slice(0, 8), floodfills: sent, leases: ls.leaseSet.leases.length });
    }
    if (this.pendingTokens.size > 64) this.pendingTokens.delete(this.pendingTokens.keys().next().value!);
    return sent;
  }

  /** A message that came in through one of our inbound tunnels. */
  onMessage(msg: I2npMessage): void {
    switch (msg.type) {
      case I2npType.Garlic: {
        let blocks: PayloadBlock[];
        let kind: string | undefined;
        try {
          ({ blocks, kind } = this.deps.garlic.decrypt(msg.data));
        } catch (e) {
          this.counters.undecryptable++;
          this.deps.log.debug('garlic to destination refused', { b32: this.b32.slice(0, 8), error: (e as Error).message });
          return;
        }
        // A bundled LeaseSet first, whatever its place: a handler that answers the Data at once
        // must find the sender's leases, not start a lookup.
        const all = cloves(blocks);
        for (const c of all) if (c.message.type === I2npType.DatabaseStore) this.onClove(c);
        for (const c of all) if (c.message.type !== I2npType.DatabaseStore) this.onClove(c);
        // A New Session wants its reply soon (the remote keeps only its latest handshakes): flush
        // what the ratchet owes in a moment, if the application has not answered by then.
        if (kind === 'ns' || kind === 'nsr') this.soonFlush();
        return;
      }
      case I2npType.DeliveryStatus:
        this.confirm(msg.deliveredMsgId);
        return;
      default:
        return;
    }
  }

  private onClove(c: GarlicClove): void {
    // Cloves to a destination come with LOCAL (or DESTINATION: us) delivery.
    if (c.delivery.type !== 'local' && !(c.delivery.type === 'destination' && equalBytes(c.delivery.hash, this.hash))) return;
    const m = c.message;
    if (m.type === I2npType.Data) {
      if (m.payload.length < 4) return;
      const len = new DataView(m.payload.buffer, m.payload.byteOffset, 4).getUint32(0);
      if (len !== m.payload.length - 4) return;
      this.counters.received++;
      const data = m.payload.subarray(4);
      for (const h of this.handlers) h(data);
      if (this.protocolHandlers.size > 0) this.dispatchPayload(data);
    } else if (m.type === I2npType.DatabaseStore) {
      // The peer bundled its LeaseSet: keep it, so replies need no lookup.
      this.rememberLeaseSetStore(m.payload);
    } else if (m.type === I2npType.DeliveryStatus) {
      if (m.payload.length < 4) return;
      const id = new DataView(m.payload.buffer, m.payload.byteOffset, m.payload.length).getUint32(0);
      this.confirm(id);
    }
  }

  private dispatchPayload(data: Uint8Array): void {
    let p: I2cpPayload;
    try {
      p = decodeI2cpPayload(data);
    } catch {
      this.counters.undecodable++;
      return;
    }
    const set = this.protocolHandlers.get(p.protocol);
    if (!set || set.size === 0) {
      this.counters.unhandled++;
      return;
    }
    for (const h of set) h(p);
  }

  /** A floodfill acknowledged one of our stores (the DeliveryStatus carries our reply token). */
  private confirm(token: number): void {
    const published = this.pendingTokens.get(token);
    if (published === undefined) return;
    this.pendingTokens.delete(token);
    this.counters.confirmed++;
    this.counters.lastConfirmedAt = this.deps.clock.now();
    if (this.current && this.current.leaseSet.published === published) this.current.confirmed = true;
  }

  private rememberLeaseSetStore(payload: Uint8Array): void {
    let store: I2npBody;
    try {
      store = decodeI2npPayload(I2npType.DatabaseStore, payload);
    } catch {
      return;
    }
    if (store.type === I2npType.DatabaseStore && store.storeType === StoreType.LeaseSet2) this.remember(store.data, store.key);
  }

  /** Keeps a remote LeaseSet2 that verifies and is filed under its destination's hash. */
  remember(bytes: Uint8Array, key?: Uint8Array): LeaseSet2 | undefined {
    let ls: LeaseSet2;
    try {
      ls = decodeLeaseSet2(bytes);
    } catch {
      return undefined;
    }
    const now = this.deps.clock.now();
    const hash = leaseSet2Hash(ls);
    if ((key && !equalBytes(hash, key)) || !verifyLeaseSet2(ls, { now })) return undefined;
    const k = i2pBase64Encode(hash);
    const held = this.remotes.get(k);
    if (held && held.leaseSet.published >= ls.published) return held.leaseSet;
    this.remotes.set(k, { leaseSet: ls, expiresAt: (ls.published + ls.expires) * 1000 });
    for (const e of ls.encryptionKeys) if (e.type === 4) this.byKey.set(hex(e.key), hash);
    if (this.byKey.size > 2 * REMOTE_CACHE_MAX) this.byKey.delete(this.byKey.keys().next().value!);
    if (this.remotes.size > REMOTE_CACHE_MAX) this.remotes.delete(this.remotes.keys().next().value!);
    return ls;
  }

  /** A remote destination's LeaseSet2: from what we hold, else looked up (once for concurrent sends). */
  async resolve(hash: Uint8Array): Promise<LeaseSet2> {
    const k = i2pBase64Encode(hash);
    const now = this.deps.clock.now();
    const held = this.remotes.get(k);
    if (held && held.expiresAt > now + 10_000) return held.leaseSet;
    const inFlight = this.resolving.get(k);
    if (inFlight) return inFlight;
    this.counters.lookups++;
    const lookup = (async () => {
      // One more round when the first finds nothing: a reply lost with a tunnel that just
      // expired, or a store still on its way, is common; the second picks other tunnels.
      let r = await this.deps.lookupLeaseSet(hash);
      let rounds = 1;
      if (!r.data && !this.stopped) {
        r = await this.deps.lookupLeaseSet(hash);
        rounds++;
      }
      const ls = r.data ? this.remember(r.data, hash) : undefined;
      if (!ls) {
        const why = r.data ? 'the LeaseSet found does not verify' : (r.miss ?? 'not found');
        throw new DestinationError('NO_LEASESET', `no LeaseSet found for ${k.slice(0, 8)}… (${rounds === 1 ? 'one lookup' : `${rounds} lookups`}, the last: ${why})`);
      }
      return ls;
    })().finally(() => this.resolving.delete(k));
    this.resolving.set(k, lookup);
    return lookup;
  }

  /**
   * One I2NP Data message (an I2CP-framed payload) to a remote destination, in end-to-end
   * garlic, out through our tunnels to one of its leases. Our LeaseSet rides along the first
   * time (and after it changed) so the remote can answer without a lookup.
   */
  async send(to: Uint8Array, payload: Uint8Array): Promise<void> {
    const data = new Uint8Array(4 + payload.length);
    new DataView(data.buffer).setUint32(0, payload.length);
    data.set(payload, 4);
    const message = { type: I2npType.Data, msgId: this.msgId(), expiration: this.deps.clock.now() + 60_000, payload: data };
    await this.sendCloves(to, [{ type: 'clove', clove: { delivery: { type: 'local' }, message } }]);
    this.counters.sent++;
  }

  private flushTimer: TimerHandle | undefined;

  private soonFlush(): void {
    if (this.flushTimer || this.stopped) return;
    this.flushTimer = this.deps.clock.setTimer(REPLY_FLUSH_MS, () => {
      this.flushTimer = undefined;
      this.flushReplies();
    });
  }

  /**
   * What the ratchet owes remotes that we have nothing else to send to (an NSR, ACKs, a reverse
   * NextKey): an otherwise empty garlic message to each, about a second after it became due.
   */
  private flushReplies(): void {
    const owed = this.deps.garlic.pendingReplies?.() ?? [];
    for (const r of owed) {
      const hash = r.remoteId ? i2pBase64Decode(r.remoteId, 'remoteId') : this.byKey.get(hex(r.staticPublicKey));
      if (!hash) continue;
      this.sendCloves(hash, []).catch((e: Error) => this.deps.log.debug('ratchet reply not sent', { error: e.message }));
    }
  }

  private async sendCloves(to: Uint8Array, cloveBlocks: PayloadBlock[]): Promise<void> {
    if (this.stopped) throw new DestinationError('STOPPED', 'the destination is stopped');
    const ls = await this.resolve(to);
    const now = this.deps.clock.now();
    const leases = ls.leases.filter((l) => l.endDate * 1000 > now + 5_000);
    if (leases.length === 0) throw new DestinationError('NO_LEASES', 'every lease of the remote LeaseSet has expired');
    const key = ls.encryptionKeys.find((k) => k.type === 4 && k.key.length === 32);
    if (!key) throw new DestinationError('NO_KEY', 'the remote LeaseSet offers no X25519 key');
    const id = i2pBase64Encode(to);
    const path = this.pathTo(id, leases, now);
    if (!path) throw new DestinationError('NO_TUNNELS', 'no outbound tunnel yet');
    const { outbound, lease } = path;
    const expiration = now + 60_000;
    const blocks: PayloadBlock[] = [...cloveBlocks];
    const ours = this.current;
    if (ours && cloveBlocks.length > 0 && this.sentLeaseSet.get(id) !== ours.leaseSet.published) {
      const store = { type: I2npType.DatabaseStore, key: this.hash, storeType: StoreType.LeaseSet2, data: ours.bytes } as const;
      // First: i2pd handles cloves in order, and answers a streaming SYN only once it holds our
      // LeaseSet; after the Data clove it would look the LeaseSet up and answer ~9 s later.
      blocks.unshift({ type: 'clove', clove: { delivery: { type: 'local' }, message: { type: I2npType.DatabaseStore, msgId: this.msgId(), expiration, payload: encodeI2npPayload(store) } } });
      this.sentLeaseSet.set(id, ours.leaseSet.published);
      if (this.sentLeaseSet.size > REMOTE_CACHE_MAX) this.sentLeaseSet.delete(this.sentLeaseSet.keys().next().value!);
    }
    const body = this.deps.garlic.encrypt({ staticPublicKey: key.key, id }, blocks);
    const garlic = { type: I2npType.Garlic, msgId: this.msgId(), expiration, data: body } as I2npMessage;
    this.deps.tunnels.sendThrough(outbound, [{ delivery: { type: 'tunnel', tunnelId: lease.tunnelId, gateway: lease.gateway }, message: garlic }]);
  }

  /** Forget the path to a remote (its messages went unanswered): the next send picks another. */
  repath(to: Uint8Array): void {
    this.paths.delete(i2pBase64Encode(to));
  }

  /**
   * Messages to a remote still went unanswered on another path: our ratchet session with it may
   * be past the remote's tag look-ahead (a burst of lost messages), so the next message starts
   * a new one with an NS.
   */
  restartSession(to: Uint8Array): void {
    const ls = this.remotes.get(i2pBase64Encode(to))?.leaseSet;
    const key = ls?.encryptionKeys.find((k) => k.type === 4 && k.key.length === 32);
    if (key && this.deps.garlic.restart?.(key.key)) this.counters.sessionRestarts++;
  }

  /**
   * The outbound tunnel and remote lease a remote's messages take, kept while both live: a
   * stream whose packets take different paths arrives reordered, and reordering looks like loss
   * (NACKs, retransmissions, a halved window). i2pd keeps one path per stream too.
   */
  private pathTo(id: string, leases: Lease2[], now: number): { outbound: OutboundTunnel; lease: Lease2 } | undefined {
    const held = this.paths.get(id);
    if (
      held &&
      held.outbound.expiresAt > now + 5_000 &&
      this.pool.outbound.includes(held.outbound) &&
      leases.some((l) => l.tunnelId === held.lease.tunnelId && equalBytes(l.gateway, held.lease.gateway))
    ) {
      return held;
    }
    const outbound = this.pool.pickOutbound();
    if (!outbound) return undefined;
    const path = { outbound, lease: leases[this.deps.random.int(leases.length)] };
    this.paths.delete(id);
    this.paths.set(id, path);
    if (this.paths.size > REMOTE_CACHE_MAX) this.paths.delete(this.paths.keys().next().value!);
    return path;
  }

  /** The ratchet session with a remote destination (for status), if we hold its LeaseSet. */
  sessionWith(hash: Uint8Array): object | undefined {
    const ls = this.remotes.get(i2pBase64Encode(hash))?.leaseSet;
    const key = ls?.encryptionKeys.find((k) => k.type === 4);
    return key ? this.deps.garlic.sessionFor?.(key.key) : undefined;
  }

  garlicStats(): object | undefined {
    return this.deps.garlic.stats?.();
  }

  private msgId(): number {
    return 1 + this.deps.random.int(0xfffffffe);
  }

  /** For status: tunnels of our pool. */
  tunnelCounts(): { inbound: number; outbound: number } {
    return { inbound: this.pool.inbound.length, outbound: this.pool.outbound.length };
  }

  ownsTunnel(t: InboundTunnel | OutboundTunnel): boolean {
    return t.pool === this.poolName;
  }
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
}
