import { i2pBase64Encode } from './data/index.js';
import { checkExpiration, decodeFrameMessage, decodeMessage, gunzipRouterInfo, I2npType, StoreType, type I2npMessage } from './i2np/index.js';
import type { OpenedGarlic } from './garlic/router-garlic.js';
import { cloves } from './garlic/payload.js';
import { NetDbRateLimiter, type RateLimitOptions } from './netdb/rate-limit.js';
import type { Logger } from './log.js';
import type { DirectLookups } from './netdb/direct-lookup.js';
import type { RouterInfoStore } from './netdb/router-info-store.js';
import { describeDelivery, outgoingBytes, type Floodfill, type Outgoing } from './netdb/floodfill.js';
import type { I2npBody } from './i2np/index.js';


/**
 * What this router does with I2NP that arrives over a transport session. Bad input is counted
 * and dropped, never thrown: a peer's garbage must not reach the event loop.
 */
export interface InboundCounters {
  received: number;
  /** netDb stores and lookups dropped because their sender (or everyone) exceeded its rate. */
  rateLimited: number;
  /** Garlic to this router opened (Noise N, or a one-time tag), and cloves taken from it. */
  garlicOpened: number;
  /** Messages that reached us through our own inbound tunnels. */
  viaTunnels: number;
  garlicRefused: number;
  cloves: number;
  undecodable: number;
  expired: number;
  routerInfosAccepted: number;
  routerInfosRefused: number;
  unhandled: Record<string, number>;
}

/** Where tunnel messages go: the TunnelManager. */
export interface TunnelMessageSink {
  onTunnelData(tunnelId: number, data: Uint8Array): void;
  onTunnelGateway(tunnelId: number, messageStandard: Uint8Array): void;
  onShortTunnelBuild(from: Uint8Array, msgId: number, records: Uint8Array[]): void;
  onVariableTunnelBuild(from: Uint8Array, records: Uint8Array[]): void;
  onOutboundTunnelBuildReply(msgId: number, records: Uint8Array[]): boolean;
  onDeliveryStatus(deliveredMsgId: number): boolean;
}

export class InboundDispatcher {
  readonly counters: InboundCounters = { received: 0, rateLimited: 0, viaTunnels: 0, garlicOpened: 0, garlicRefused: 0, cloves: 0, undecodable: 0, expired: 0, routerInfosAccepted: 0, routerInfosRefused: 0, unhandled: {} };

  private readonly limiter: NetDbRateLimiter;

  constructor(
    private readonly deps: {
      now: () => number;
      rateLimit?: RateLimitOptions;
      netDb: RouterInfoStore;
      lookups: DirectLookups;
      log: Logger;
      /** Present when this router is a floodfill: it answers lookups and acknowledges stores. */
      floodfill?: Floodfill;
      send: (to: Uint8Array, i2npShort: Uint8Array) => boolean;
      envelope: (body: I2npBody) => I2npMessage;
      /** A DeliveryStatus: true when it confirmed something of ours (e.g. a RouterInfo publication). */
      onDeliveryStatus?: (msg: Extract<I2npMessage, { type: typeof I2npType.DeliveryStatus }>) => boolean;
      /** Opens Garlic addressed to this router (ecies-routers.rst); throws GarlicError when it cannot. */
      openGarlic: (body: Uint8Array) => OpenedGarlic;
      /** Tunnel traffic and builds (tunnel-message.rst, tunnel-creation-ecies.rst). */
      tunnels?: TunnelMessageSink;
      /** Answers to lookups we sent through our tunnels: true when it took the message. */
      tunnelReply?: (msg: I2npMessage) => boolean;
    },
  ) {
    this.limiter = new NetDbRateLimiter(deps.rateLimit);
  }

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
    this.dispatch(from, msg, false);
  }

  /**
   * A message that reached us through one of our inbound tunnels (or an outbound endpoint's
   * LOCAL delivery). Its sender is unknown: `source` names the tunnel for rate limits and logs.
   */
  onTunnelMessage(source: Uint8Array, msg: I2npMessage): void {
    this.counters.received++;
    this.counters.viaTunnels++;
    this.dispatch(source, msg, false, true);
  }

  /** A message for us, arrived directly or as a clove of garlic addressed to us. */
  private dispatch(from: Uint8Array, msg: I2npMessage, inGarlic: boolean, viaTunnel = false): void {
    const now = this.deps.now();
    if (checkExpiration(msg.expiration, now) !== 'ok') {
      this.counters.expired++;
      return;
    }
    if (msg.type === I2npType.Garlic) {
      // One layer only: garlic inside garlic is not something routers send each other.
      if (inGarlic) return this.unhandled('Garlic in garlic');
      return this.onGarlic(from, msg.data, viaTunnel);
    }
    if (viaTunnel && this.deps.tunnelReply?.(msg)) return;
    // A flood of stores or lookups (valid or not) costs each sender its own budget only.
    if ((msg.type === I2npType.DatabaseStore || msg.type === I2npType.DatabaseLookup) && !this.limiter.allow(i2pBase64Encode(from), now)) {
      this.counters.rateLimited++;
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
          const store = msg;
          void this.storeRouterInfo(from, ri, answered ? 'lookup' : 'flood', msg.key).then((outcome) => {
            if (this.deps.floodfill) this.sendAll(this.deps.floodfill.afterStore(store, outcome, from));
          });
        } else if (this.deps.floodfill && !answered) {
          const outcome = this.deps.floodfill.storeLeaseSet(msg);
          if (outcome === 'refused') this.unhandled(`DatabaseStore(type ${msg.storeType}) refused`);
          this.sendAll(this.deps.floodfill.afterStore(msg, outcome, from));
        } else if (!answered) {
          this.unhandled(`DatabaseStore(type ${msg.storeType})`);
        }
        return;
      case I2npType.DatabaseSearchReply:
        if (!answered) this.unhandled('DatabaseSearchReply');
        return;
      case I2npType.DeliveryStatus:
        if (this.deps.tunnels?.onDeliveryStatus(msg.deliveredMsgId)) return;
        if (!this.deps.onDeliveryStatus?.(msg)) this.unhandled('DeliveryStatus');
        return;
      case I2npType.TunnelData:
        if (!this.deps.tunnels || inGarlic) return this.unhandled('TunnelData');
        this.deps.tunnels.onTunnelData(msg.tunnelId, msg.data);
        return;
      case I2npType.TunnelGateway:
        if (!this.deps.tunnels || inGarlic) return this.unhandled('TunnelGateway');
        this.deps.tunnels.onTunnelGateway(msg.tunnelId, msg.message);
        return;
      case I2npType.ShortTunnelBuild:
        // i2pd sends builds for an inbound gateway in garlic to it: inside garlic is normal here.
        if (!this.deps.tunnels) return this.unhandled('ShortTunnelBuild');
        this.deps.tunnels.onShortTunnelBuild(from, msg.msgId, msg.records);
        return;
      case I2npType.VariableTunnelBuild:
        if (!this.deps.tunnels) return this.unhandled('VariableTunnelBuild');
        this.deps.tunnels.onVariableTunnelBuild(from, msg.records);
        return;
      case I2npType.OutboundTunnelBuildReply:
        if (!this.deps.tunnels?.onOutboundTunnelBuildReply(msg.msgId, msg.records)) this.unhandled('OutboundTunnelBuildReply');
        return;
      case I2npType.DatabaseLookup: {
        if (!this.deps.floodfill) return this.unhandled('DatabaseLookup (not a floodfill)');
        const reply = this.deps.floodfill.answerLookup(msg);
        if (typeof reply === 'string') return this.unhandled(`DatabaseLookup (${reply})`);
        this.sendAll([reply]);
        return;
      }
      default:
        this.unhandled(`type ${msg.type}`);
    }
  }

  private onGarlic(from: Uint8Array, body: Uint8Array, viaTunnel: boolean): void {
    let opened: OpenedGarlic;
    try {
      opened = this.deps.openGarlic(body);
    } catch (e) {
      this.counters.garlicRefused++;
      this.deps.log.debug('garlic refused', { peer: short(from), error: (e as Error).message });
      return;
    }
    this.counters.garlicOpened++;
    for (const clove of cloves(opened.blocks)) {
      this.counters.cloves++;
      if (clove.delivery.type !== 'local') {
        // Router, tunnel and destination delivery are for tunnels and destinations (later layers).
        this.unhandled(`clove delivery ${clove.delivery.type}`);
        continue;
      }
      let inner: I2npMessage;
      try {
        inner = decodeFrameMessage(clove.message);
      } catch {
        this.counters.undecodable++;
        continue;
      }
      this.dispatch(from, inner, true, viaTunnel);
    }
  }

  /** A RouterInfo block, or the one in NTCP2 message 3. */
  onRouterInfo(from: Uint8Array, bytes: Uint8Array): void {
    void this.storeRouterInfo(from, bytes, 'ntcp2');
  }

  private sendAll(out: Outgoing[]): void {
    for (const o of out) {
      const { to, bytes } = outgoingBytes(o, this.deps.envelope);
      if (!this.deps.send(to, bytes)) this.deps.log.debug('floodfill reply not sent', { to: describeDelivery(o.delivery) });
    }
  }

  private async storeRouterInfo(from: Uint8Array, bytes: Uint8Array, source: string, expectedHash?: Uint8Array): Promise<'accepted' | 'duplicate' | 'refused'> {
    try {
      const r = await this.deps.netDb.store(bytes, { now: this.deps.now(), source, ...(expectedHash && { expectedHash }) });
      if (r.accepted) this.counters.routerInfosAccepted++;
      else if (r.reason !== 'duplicate' && r.reason !== 'own-router') {
        this.counters.routerInfosRefused++;
        this.deps.log.debug('routerinfo refused', { peer: short(from), reason: r.reason });
      }
      return r.accepted ? 'accepted' : r.reason === 'duplicate' ? 'duplicate' : 'refused';
    } catch (e) {
      this.deps.log.warn('netdb store failed', { error: (e as Error).message });
      return 'refused';
    }
  }

  private unhandled(what: string): void {
    this.counters.unhandled[what] = (this.counters.unhandled[what] ?? 0) + 1;
  }
}

function short(hash: Uint8Array): string {
  return i2pBase64Encode(hash).slice(0, 6);
}
