import { equalBytes as equal, i2pBase64Encode } from '../data/index.js';
import { decodeFrame, encodeFrame, encodeMessage, I2npType, type I2npMessage } from '../i2np/index.js';
import type { Clock } from '../runtime/index.js';
import { IvReplayFilter } from './iv-filter.js';
import type { HopLayer } from './layer-crypto.js';
import type { TunnelReassembler } from './reassembler.js';
import type { HopRole, TunnelDelivery } from './types.js';

/** A tunnel of someone else's that we are a hop of. */
export interface TransitTunnel {
  readonly receiveTunnelId: number;
  readonly role: HopRole;
  readonly nextTunnelId: number;
  readonly nextIdent: Uint8Array;
  readonly layer: HopLayer;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** The peer that sent us the build: the per-requester limits count against it. */
  readonly requester: string;
  /** OBEP only: reassembles what the tunnel carries. */
  readonly reassembler?: TunnelReassembler;
  messages: number;
  bytes: number;
}

export interface TransitCounters {
  /** TunnelData relayed (participant) or processed (OBEP); TunnelGateway messages sent in (IBGW). */
  relayed: number;
  bytes: number;
  /** For an id we do not know (expired, or never ours). */
  unknownTunnel: number;
  /** Over the transit bandwidth limit. */
  overLimit: number;
  /** Messages an OBEP delivered onwards; refused deliveries (bad instructions, unsendable). */
  delivered: number;
  deliveryRefused: number;
  /** A message for a tunnel from a peer that is not its previous hop's side: role mismatch. */
  wrongRole: number;
  expired: number;
  /** TunnelData whose IV this tunnel already carried: replays, dropped. */
  replayed: number;
}

export interface TransitDeps {
  clock: Clock;
  ourHash: Uint8Array;
  /** One I2NP message (short header) to a router over the transport. */
  send: (to: Uint8Array, i2npShort: Uint8Array) => boolean;
  newMsgId: () => number;
  /** Fragments whole messages (standard header) into 1024-byte TunnelData blocks (cleartext). */
  fragment: (messages: { delivery: TunnelDelivery; message: Uint8Array }[]) => Uint8Array[];
  /** Transit bandwidth: false when `bytes` more would exceed the user's share. */
  allowBytes: (bytes: number) => boolean;
  /** An OBEP delivering to us (LOCAL, or ROUTER with our own hash): hand it to our dispatcher. */
  deliverLocal: (messageStandard: Uint8Array) => void;
  /** An OBEP delivering to a tunnel whose gateway is us (a transit IBGW, or one of our zero-hop tunnels). */
  gatewayLocal: (tunnelId: number, messageStandard: Uint8Array) => void;
  /** Called for each tunnel removed (expired), so ids and limits are released. */
  onRemoved?: (t: TransitTunnel) => void;
}

const TUNNEL_DATA_WIRE = 1028;

/**
 * The tunnels we carry for others, and what we do with their traffic: a participant adds its
 * layer and passes the TunnelData on; an inbound gateway fragments what it is given into
 * TunnelData; an outbound endpoint adds its layer, reassembles, and delivers.
 */
export class TransitTunnels {
  readonly counters: TransitCounters = { relayed: 0, bytes: 0, unknownTunnel: 0, overLimit: 0, delivered: 0, deliveryRefused: 0, wrongRole: 0, expired: 0, replayed: 0 };
  private readonly tunnels = new Map<number, TransitTunnel>();
  private readonly ivs: IvReplayFilter;

  constructor(private readonly deps: TransitDeps) {
    this.ivs = new IvReplayFilter(() => deps.clock.now());
  }

  get size(): number {
    return this.tunnels.size;
  }

  has(id: number): boolean {
    return this.tunnels.has(id);
  }

  add(t: TransitTunnel): void {
    this.tunnels.set(t.receiveTunnelId, t);
  }

  all(): IterableIterator<TransitTunnel> {
    return this.tunnels.values();
  }

  /** Drops tunnels past their expiry (plus a little grace for traffic in flight). */
  sweep(graceMs = 60_000): number {
    const now = this.deps.clock.now();
    let n = 0;
    for (const [id, t] of this.tunnels) {
      if (now > t.expiresAt + graceMs) {
        this.tunnels.delete(id);
        this.counters.expired++;
        this.deps.onRemoved?.(t);
        n++;
      }
    }
    return n;
  }

  clear(): void {
    for (const t of this.tunnels.values()) this.deps.onRemoved?.(t);
    this.tunnels.clear();
  }

  /** TunnelData for a tunnel id: false when the id is not one of ours to carry. */
  onTunnelData(tunnelId: number, data: Uint8Array): boolean {
    const t = this.tunnels.get(tunnelId);
    if (!t) return false;
    if (t.role === 'ibgw') {
      // An inbound gateway takes TunnelGateway messages, never TunnelData.
      this.counters.wrongRole++;
      return true;
    }
    if (!this.ivs.check(tunnelId, data)) {
      this.counters.replayed++;
      return true;
    }
    if (!this.deps.allowBytes(TUNNEL_DATA_WIRE)) {
      this.counters.overLimit++;
      return true;
    }
    t.layer.encrypt(data);
    t.messages++;
    t.bytes += TUNNEL_DATA_WIRE;
    this.counters.relayed++;
    this.counters.bytes += TUNNEL_DATA_WIRE;
    if (t.role === 'participant') {
      this.sendTunnelData(t.nextIdent, t.nextTunnelId, data);
      return true;
    }
    for (const m of t.reassembler!.receive(data)) this.deliver(m.delivery, m.message);
    return true;
  }

  /** A TunnelGateway for a tunnel id: false when it is not an inbound gateway of ours. */
  onTunnelGateway(tunnelId: number, messageStandard: Uint8Array): boolean {
    const t = this.tunnels.get(tunnelId);
    if (!t) return false;
    if (t.role !== 'ibgw') {
      this.counters.wrongRole++;
      return true;
    }
    const blocks = this.deps.fragment([{ delivery: { type: 'local' }, message: messageStandard }]);
    if (!this.deps.allowBytes(blocks.length * TUNNEL_DATA_WIRE)) {
      this.counters.overLimit++;
      return true;
    }
    for (const block of blocks) {
      t.layer.encrypt(block);
      this.sendTunnelData(t.nextIdent, t.nextTunnelId, block);
    }
    t.messages++;
    t.bytes += blocks.length * TUNNEL_DATA_WIRE;
    this.counters.relayed++;
    this.counters.bytes += blocks.length * TUNNEL_DATA_WIRE;
    return true;
  }

  private sendTunnelData(to: Uint8Array, tunnelId: number, data: Uint8Array): void {
    const msg = encodeMessage({ type: I2npType.TunnelData, msgId: this.deps.newMsgId(), expiration: this.deps.clock.now() + 60_000, tunnelId, data }, 'short');
    this.deps.send(to, msg);
  }

  /** What an outbound endpoint does with a reassembled message (tunnel-message.rst, delivery). */
  private deliver(delivery: TunnelDelivery, messageStandard: Uint8Array): void {
    switch (delivery.type) {
      case 'local':
        this.counters.delivered++;
        this.deps.deliverLocal(messageStandard);
        return;
      case 'router': {
        if (equal(delivery.hash, this.deps.ourHash)) {
          this.counters.delivered++;
          this.deps.deliverLocal(messageStandard);
          return;
        }
        let short: Uint8Array;
        try {
          short = encodeFrame(decodeFrame(messageStandard, 'standard', 0, false), 'short');
        } catch {
          this.counters.deliveryRefused++;
          return;
        }
        if (this.deps.send(delivery.hash, short)) this.counters.delivered++;
        else this.counters.deliveryRefused++;
        return;
      }
      case 'tunnel': {
        const gw = encodeMessage(
          { type: I2npType.TunnelGateway, msgId: this.deps.newMsgId(), expiration: this.deps.clock.now() + 60_000, tunnelId: delivery.tunnelId, message: messageStandard } as I2npMessage,
          'short',
        );
        if (equal(delivery.gateway, this.deps.ourHash)) {
          // The tunnel's gateway is us: take the message as if a peer had sent it.
          this.counters.delivered++;
          this.deps.gatewayLocal(delivery.tunnelId, messageStandard);
          return;
        }
        if (this.deps.send(delivery.gateway, gw)) this.counters.delivered++;
        else this.counters.deliveryRefused++;
        return;
      }
    }
  }

  describe(): { receiveTunnelId: number; role: HopRole; next: string; expiresAt: number; bytes: number }[] {
    return [...this.tunnels.values()].map((t) => ({ receiveTunnelId: t.receiveTunnelId, role: t.role, next: i2pBase64Encode(t.nextIdent).slice(0, 6), expiresAt: t.expiresAt, bytes: t.bytes }));
  }
}

