import { equalBytes, i2pBase64Encode } from '../data/index.js';
import { encodeMessage, I2npType, type I2npMessage } from '../i2np/index.js';
import type { Clock, RandomSource, TimerHandle } from '../runtime/index.js';
import { BuildRecordError, createShortBuildRecords, decryptShortReplies } from './build-crypto.js';
import { HopLayer } from './layer-crypto.js';
import { TUNNEL_LIFETIME_MS, type InboundTunnel, type OutboundTunnel, type OwnHop, type OwnTunnel } from './tunnel.js';
import type { TunnelIds } from './tunnel-ids.js';
import { BuildReplyCode, type BuildReply, type BuildRequest, type HopKeys } from './types.js';

/** A build not answered in this long has failed (i2pd waits about as long). */
export const BUILD_TIMEOUT_MS = 15_000;
/** At least this many records per build, in random slots (SPECS.md: Java refuses fewer than 4). */
export const MIN_BUILD_RECORDS = 4;
export const MAX_BUILD_RECORDS = 8;

export interface BuildHop {
  hash: Uint8Array;
  /** The hop's X25519 encryption key (its RouterIdentity's public key). */
  publicKey: Uint8Array;
}

export type BuildOutcome =
  | { ok: true; tunnel: OwnTunnel; ms: number }
  | { ok: false; reason: 'rejected'; codes: number[]; ms: number }
  | { ok: false; reason: 'timeout' | 'bad-reply' | 'not-sent'; ms: number };

export interface BuildRequestSpec {
  direction: 'inbound' | 'outbound';
  hops: BuildHop[];
  pool: string;
  /** Outbound builds: the inbound tunnel the endpoint answers into. */
  replyVia?: InboundTunnel;
  /** Inbound builds: the outbound tunnel the request leaves through (undefined or 0 hops: direct). */
  sendVia?: OutboundTunnel;
}

interface Pending {
  spec: BuildRequestSpec;
  startedAt: number;
  ourId: number;
  hopIds: number[];
  slots: number[];
  hopKeys: HopKeys[];
  /** Inbound builds: where our own fake record sits and what it must read when it returns. */
  fake?: { slot: number; expected: Uint8Array };
  timer: TimerHandle;
  resolve: (o: BuildOutcome) => void;
}

export interface BuilderDeps {
  clock: Clock;
  random: RandomSource;
  ourHash: Uint8Array;
  ids: TunnelIds;
  /** One I2NP message (short header) straight to a router. */
  send: (to: Uint8Array, i2npShort: Uint8Array) => boolean;
  /** Send a message (standard header) out through one of our outbound tunnels to a router. */
  sendThrough: (tunnel: OutboundTunnel, to: Uint8Array, message: I2npMessage) => boolean;
  /** The one-time garlic key and tag an outbound endpoint answers under. */
  registerReplyKey: (tag: Uint8Array, key: Uint8Array) => void;
  newMsgId: () => number;
}

/**
 * Builds our own tunnels with ShortTunnelBuild (tunnel-creation-ecies.rst) and matches the
 * answers: a ShortTunnelBuild coming back from the last hop (inbound builds), or an
 * OutboundTunnelBuildReply through the reply tunnel (outbound builds).
 */
export class TunnelBuilder {
  private readonly pending = new Map<number, Pending>();
  private stopped = false;

  constructor(private readonly deps: BuilderDeps) {}

  get inFlight(): number {
    return this.pending.size;
  }

  build(spec: BuildRequestSpec): Promise<BuildOutcome> {
    const { clock, random } = this.deps;
    const now = clock.now();
    const n = spec.hops.length;
    if (n < 1 || n > 7 || this.stopped) return Promise.resolve({ ok: false, reason: 'not-sent', ms: 0 });
    const inbound = spec.direction === 'inbound';
    const total = Math.min(MAX_BUILD_RECORDS, Math.max(MIN_BUILD_RECORDS, n + (inbound ? 1 : 0)));
    const slots = shuffle([...Array(total).keys()], random);
    const replyMsgId = this.deps.newMsgId();
    const ourId = this.deps.ids.next();
    const hopIds = spec.hops.map(() => this.deps.ids.next());
    const requestTimeMinutes = Math.floor(now / 60_000);
    let replyGateway: Uint8Array;
    let replyTunnelId: number;
    if (inbound) {
      replyGateway = this.deps.ourHash;
      replyTunnelId = ourId;
    } else {
      const via = spec.replyVia;
      if (!via) throw new Error('an outbound build needs a reply tunnel');
      replyGateway = via.gateway;
      replyTunnelId = via.gatewayTunnelId;
    }
    const hops = spec.hops.map((hop, i) => {
      const last = i === n - 1;
      const request: BuildRequest = {
        receiveTunnelId: hopIds[i],
        nextTunnelId: last ? replyTunnelId : hopIds[i + 1],
        nextIdent: last ? replyGateway : spec.hops[i + 1].hash,
        role: inbound ? (i === 0 ? 'ibgw' : 'participant') : last ? 'obep' : 'participant',
        layerEncryption: 0,
        requestTimeMinutes,
        expirationSeconds: TUNNEL_LIFETIME_MS / 1000,
        nextMessageId: last ? replyMsgId : this.deps.newMsgId(),
        options: {},
      };
      return { hash: hop.hash, publicKey: hop.publicKey, request };
    });
    // Inbound builds carry a record for us too (our hash prefix and a real key), as the next hop
    // after the last would see it: otherwise the last hop knows its next hop is the creator.
    const built = createShortBuildRecords(hops, slots.slice(0, n), total, random, inbound ? { creator: { hash: this.deps.ourHash, slot: slots[n] } } : {});
    const { records, hopKeys } = built;
    const fake: Pending['fake'] = inbound && built.creatorRecord ? { slot: slots[n], expected: built.creatorRecord } : undefined;
    if (!inbound) {
      const obep = hopKeys[n - 1];
      if (obep.garlicReplyKey && obep.garlicReplyTag) this.deps.registerReplyKey(obep.garlicReplyTag, obep.garlicReplyKey);
    }
    const message = { type: I2npType.ShortTunnelBuild, msgId: this.deps.newMsgId(), expiration: now + 60_000, records } as I2npMessage;
    return new Promise<BuildOutcome>((resolve) => {
      const timer = clock.setTimer(BUILD_TIMEOUT_MS, () => this.finish(replyMsgId, { ok: false, reason: 'timeout', ms: clock.now() - now }));
      this.pending.set(replyMsgId, { spec, startedAt: now, ourId, hopIds, slots, hopKeys, fake, timer, resolve });
      const first = spec.hops[0].hash;
      const sent = inbound && spec.sendVia && spec.sendVia.hops.length > 0 ? this.deps.sendThrough(spec.sendVia, first, message) : this.deps.send(first, encodeMessage(message, 'short'));
      if (!sent) this.finish(replyMsgId, { ok: false, reason: 'not-sent', ms: 0 });
    });
  }

  /** A ShortTunnelBuild with this msgId: true when it answers one of our inbound builds. */
  onShortBuildReply(msgId: number, records: Uint8Array[]): boolean {
    const p = this.pending.get(msgId);
    if (!p || p.spec.direction !== 'inbound') return false;
    if (p.fake && (records.length !== p.slots.length || !equalBytes(records[p.fake.slot], p.fake.expected))) {
      // Our own record was altered on the way: a hop is probing; the tunnel is not safe.
      this.finish(msgId, { ok: false, reason: 'bad-reply', ms: this.deps.clock.now() - p.startedAt });
      return true;
    }
    this.complete(msgId, p, records);
    return true;
  }

  /** An OutboundTunnelBuildReply with this msgId: true when it answers one of our outbound builds. */
  onOutboundBuildReply(msgId: number, records: Uint8Array[]): boolean {
    const p = this.pending.get(msgId);
    if (!p || p.spec.direction !== 'outbound') return false;
    this.complete(msgId, p, records);
    return true;
  }

  private complete(msgId: number, p: Pending, records: Uint8Array[]): void {
    const now = this.deps.clock.now();
    const ms = now - p.startedAt;
    const n = p.spec.hops.length;
    let replies: BuildReply[];
    try {
      if (records.length !== p.slots.length) throw new BuildRecordError('BAD_RECORD', `${records.length} records, sent ${p.slots.length}`);
      replies = decryptShortReplies(records, p.slots.slice(0, n), p.hopKeys);
    } catch (e) {
      if (!(e instanceof BuildRecordError)) throw e;
      this.finish(msgId, { ok: false, reason: 'bad-reply', ms });
      return;
    }
    const codes = replies.map((r) => r.reply);
    if (codes.some((c) => c !== BuildReplyCode.Accept)) {
      this.finish(msgId, { ok: false, reason: 'rejected', codes, ms });
      return;
    }
    const hops: OwnHop[] = p.spec.hops.map((h, i) => ({ hash: h.hash, tunnelId: p.hopIds[i], layer: new HopLayer({ layerKey: p.hopKeys[i].layerKey, ivKey: p.hopKeys[i].ivKey }) }));
    const base = { hops, createdAt: now, expiresAt: now + TUNNEL_LIFETIME_MS, pool: p.spec.pool, testFailures: 0, messages: 0, bytes: 0 };
    const tunnel: OwnTunnel =
      p.spec.direction === 'inbound'
        ? { ...base, direction: 'inbound', id: p.ourId, gateway: hops[0].hash, gatewayTunnelId: hops[0].tunnelId }
        : { ...base, direction: 'outbound', id: hops[0].tunnelId, firstHop: hops[0].hash, firstTunnelId: hops[0].tunnelId };
    // The hops' ids were only names in the records; our own id stays reserved for an inbound tunnel.
    for (const id of p.hopIds) this.deps.ids.release(id);
    if (p.spec.direction === 'outbound') this.deps.ids.release(p.ourId);
    this.settle(msgId, p, { ok: true, tunnel, ms });
  }

  private finish(msgId: number, outcome: BuildOutcome): void {
    const p = this.pending.get(msgId);
    if (!p) return;
    for (const id of p.hopIds) this.deps.ids.release(id);
    this.deps.ids.release(p.ourId);
    this.settle(msgId, p, outcome);
  }

  private settle(msgId: number, p: Pending, outcome: BuildOutcome): void {
    this.pending.delete(msgId);
    this.deps.clock.clearTimer(p.timer);
    p.resolve(outcome);
  }

  stop(): void {
    this.stopped = true;
    for (const msgId of [...this.pending.keys()]) this.finish(msgId, { ok: false, reason: 'not-sent', ms: 0 });
  }

  describePending(): { msgId: number; direction: string; hops: string[] }[] {
    return [...this.pending.entries()].map(([msgId, p]) => ({ msgId, direction: p.spec.direction, hops: p.spec.hops.map((h) => i2pBase64Encode(h.hash).slice(0, 6)) }));
  }
}

function shuffle<T>(a: T[], random: RandomSource): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}
