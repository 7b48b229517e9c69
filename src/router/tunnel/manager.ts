import { CRYPTO_X25519, equalBytes, i2pBase64Encode, keyTypes, type RouterInfo } from '../data/index.js';
import { decodeMessage, encodeMessage, I2npType, type I2npMessage } from '../i2np/index.js';
import type { Logger } from '../log.js';
import type { Clock, RandomSource, TimerHandle } from '../runtime/index.js';
import { BuildHandler } from './build-handler.js';
import { BuildRecordDecryptor } from './build-crypto.js';
import { TunnelBuilder, type BuildHop, type BuildOutcome } from './builder.js';
import { inboundEndpointDecrypt, outboundPreprocess } from './layer-crypto.js';
import { TunnelPool, type PoolConfig } from './pool.js';
import { TunnelReassembler } from './reassembler.js';
import { TransitTunnels } from './transit.js';
import type { TransitPolicy } from './transit-policy.js';
import { TunnelIds } from './tunnel-ids.js';
import { IvReplayFilter } from './iv-filter.js';
import { TUNNEL_LIFETIME_MS, type InboundTunnel, type OutboundTunnel, type OwnTunnel } from './tunnel.js';
import type { TunnelDelivery } from './types.js';

/** How often pools are topped up and transit tunnels swept. */
const TICK_MS = 1_000;
/** Each live outbound tunnel is tested this often (a DeliveryStatus out and back in). */
const TEST_INTERVAL_MS = 15_000;
const TEST_TIMEOUT_MS = 10_000;
/** A tunnel failing this many tests in a row leaves its pool. */
const MAX_TEST_FAILURES = 2;

export interface TunnelStats {
  builds: { attempted: number; succeeded: number; rejected: number; timedOut: number; badReply: number; notSent: number };
  tests: { ok: number; failed: number };
  /** Messages our inbound endpoints delivered to us; TunnelData for no tunnel we know. */
  delivered: number;
  unknownTunnel: number;
  /** TunnelData replayed into one of our inbound tunnels. */
  replayed: number;
  /** Our own messages not sent: over the bandwidth limit. */
  ownOverLimit: number;
}

export interface PeerSelection {
  /** `count` distinct hops for a tunnel (fewer when not enough are eligible). */
  /** `pool`: the pool the tunnel is for (client pools want fast peers, exploratory ones try others). */
  select(count: number, direction: 'inbound' | 'outbound', exclude: Set<string>, pool: string): Uint8Array[];
}

export interface ProfileSink {
  buildAccepted(hash: Uint8Array): void;
  buildRejected(hash: Uint8Array, code: number): void;
  buildTimedOut(hash: Uint8Array): void;
  tunnelTest(hash: Uint8Array, ok: boolean, latencyMs?: number): void;
}

export interface TunnelManagerDeps {
  clock: Clock;
  random: RandomSource;
  log: Logger;
  ourHash: Uint8Array;
  /** Our identity's X25519 keys: build records are encrypted to them. */
  staticPrivateKey: Uint8Array;
  staticPublicKey: Uint8Array;
  send: (to: Uint8Array, i2npShort: Uint8Array) => boolean;
  routerInfo: (hash: Uint8Array) => RouterInfo | undefined;
  selection: PeerSelection;
  profiles?: ProfileSink;
  policy: TransitPolicy;
  transitEnabled: () => boolean;
  /** Transit bandwidth: false when `bytes` more would exceed the user's share. */
  allowTransitBytes: (bytes: number) => boolean;
  /** Our own traffic into our outbound tunnels: false when `bytes` more would exceed the user's limit. */
  allowOwnBytes?: (bytes: number) => boolean;
  /** Messages our inbound endpoints (and outbound endpoints delivering LOCAL) hand us. */
  deliverLocal: (msg: I2npMessage, via?: OwnTunnel) => void;
  registerReplyKey: (tag: Uint8Array, key: Uint8Array) => void;
  /** Wraps a message for a router in garlic to its key (ecies-routers.rst); undefined when it cannot. */
  wrapForRouter: (to: Uint8Array, message: I2npMessage) => Uint8Array | undefined;
  /** Fragments whole messages (standard header) into cleartext 1024-byte TunnelData blocks. */
  fragment: (messages: { delivery: TunnelDelivery; message: Uint8Array }[]) => Uint8Array[];
  exploratory: PoolConfig;
}

interface PendingTest {
  outbound: OutboundTunnel;
  inbound: InboundTunnel;
  sentAt: number;
  timer: TimerHandle;
  resolve: (r: { ok: boolean; latencyMs: number }) => void;
}

/** What `trial` measured. */
export interface TrialResult {
  attempted: number;
  succeeded: number;
  rejected: number;
  timedOut: number;
  /** Not sent, bad replies, or no hops to choose. */
  other: number;
  testsOk: number;
  testsFailed: number;
  /** Tests that failed once and were tried again with another partner tunnel. */
  testsRetried: number;
  buildMs: number[];
  /** The builds that failed (the first 100): which hops, in order (I2P Base64, 8 characters), and why. */
  failures: TrialFailure[];
}

export interface TrialFailure {
  direction: 'inbound' | 'outbound';
  hops: string[];
  reason: 'rejected' | 'timeout' | 'bad-reply' | 'not-sent' | 'unknown-hop';
  /** Rejected builds: each hop's reply code (0 = accepted). */
  codes?: number[];
  /** The tunnel of ours the reply came back through (outbound builds) or the request left by (inbound ones); its failed tests in a row now. */
  via?: { direction: 'inbound' | 'outbound'; hops: string[]; testFailures: number };
}

const MAX_TRIAL_FAILURES = 100;

function pickDistinct(list: Uint8Array[], n: number, random: RandomSource): Uint8Array[] {
  const a = list.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a.slice(0, n);
}

/**
 * Tunnels, ours and others': one entry point for every tunnel message the router receives, the
 * pools that keep our tunnels built, the tests that check them, and the transit tunnels we
 * carry. The router hands it messages; it hands back local deliveries.
 */
export class TunnelManager {
  readonly ids: TunnelIds;
  readonly transit: TransitTunnels;
  readonly builds: BuildHandler;
  readonly builder: TunnelBuilder;
  readonly exploratory: TunnelPool;
  private readonly pools = new Map<string, TunnelPool>();
  readonly stats: TunnelStats = { builds: { attempted: 0, succeeded: 0, rejected: 0, timedOut: 0, badReply: 0, notSent: 0 }, tests: { ok: 0, failed: 0 }, delivered: 0, unknownTunnel: 0, replayed: 0, ownOverLimit: 0 };
  /** Our inbound tunnels by the id we receive on (their endpoint is us). */
  private readonly inbound = new Map<number, { tunnel: InboundTunnel; reassembler?: TunnelReassembler }>();
  /** The fallbacks used before any tunnel is built: we are the gateway (in) and send directly (out). */
  readonly zeroHopInbound: InboundTunnel;
  readonly zeroHopOutbound: OutboundTunnel;
  private readonly tests = new Map<number, PendingTest>();
  private tickTimer: TimerHandle | undefined;
  private testTimer: TimerHandle | undefined;
  private running = false;
  /** Replayed TunnelData at the end of our own inbound tunnels is dropped, as at a transit hop. */
  private readonly endpointIvs: IvReplayFilter;

  constructor(private readonly deps: TunnelManagerDeps) {
    const { clock, random } = deps;
    this.endpointIvs = new IvReplayFilter(() => clock.now());
    this.ids = new TunnelIds(random);
    const newMsgId = () => this.newMsgId();
    this.transit = new TransitTunnels({
      clock,
      ourHash: deps.ourHash,
      send: deps.send,
      newMsgId,
      fragment: deps.fragment,
      allowBytes: deps.allowTransitBytes,
      deliverLocal: (m) => this.deliverStandard(m),
      gatewayLocal: (id, m) => this.onTunnelGatewayMessage(id, m),
      onRemoved: (t) => {
        this.ids.release(t.receiveTunnelId);
        deps.policy.removed();
      },
    });
    this.builds = new BuildHandler({
      clock,
      random,
      ourHash: deps.ourHash,
      decryptor: new BuildRecordDecryptor({ hash: deps.ourHash, staticPrivateKey: deps.staticPrivateKey, staticPublicKey: deps.staticPublicKey }),
      policy: deps.policy,
      transit: this.transit,
      ids: this.ids,
      send: deps.send,
      newMsgId,
      makeReassembler: () => new TunnelReassembler({ clock }),
      gatewayLocal: (id, m) => this.onTunnelGatewayMessage(id, m),
      transitEnabled: deps.transitEnabled,
    });
    this.builder = new TunnelBuilder({
      clock,
      random,
      ourHash: deps.ourHash,
      ids: this.ids,
      send: deps.send,
      sendThrough: (t, to, message) => this.sendToRouter(t, to, message),
      registerReplyKey: deps.registerReplyKey,
      newMsgId,
    });
    const now = clock.now();
    const zeroId = this.ids.next();
    this.zeroHopInbound = { direction: 'inbound', id: zeroId, hops: [], gateway: deps.ourHash, gatewayTunnelId: zeroId, createdAt: now, expiresAt: Number.MAX_SAFE_INTEGER, pool: 'zero-hop', testFailures: 0, messages: 0, bytes: 0 };
    this.zeroHopOutbound = { direction: 'outbound', id: 0, hops: [], createdAt: now, expiresAt: Number.MAX_SAFE_INTEGER, pool: 'zero-hop', testFailures: 0, messages: 0, bytes: 0 };
    this.inbound.set(zeroId, { tunnel: this.zeroHopInbound });
    this.exploratory = this.createPool(deps.exploratory);
  }

  /** A pool of tunnels for a client destination (or the exploratory one). */
  createPool(config: PoolConfig): TunnelPool {
    if (this.pools.has(config.name)) throw new Error(`a tunnel pool named ${config.name} exists`);
    const pool = new TunnelPool(config, {
      clock: this.deps.clock,
      random: this.deps.random,
      build: (direction, hops, name) => this.startBuild(direction, hops, name),
      onRemoved: (t) => this.forget(t),
    });
    this.pools.set(config.name, pool);
    return pool;
  }

  closePool(name: string): void {
    const pool = this.pools.get(name);
    if (!pool || pool === this.exploratory) return;
    pool.close();
    this.pools.delete(name);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.scheduleTick();
    this.scheduleTests();
    this.tick();
  }

  stop(): void {
    this.running = false;
    if (this.tickTimer) this.deps.clock.clearTimer(this.tickTimer);
    if (this.testTimer) this.deps.clock.clearTimer(this.testTimer);
    for (const t of this.tests.values()) this.deps.clock.clearTimer(t.timer);
    this.tests.clear();
    this.builder.stop();
    for (const p of this.pools.values()) p.close();
    this.transit.clear();
  }

  private scheduleTick(): void {
    this.tickTimer = this.deps.clock.setTimer(TICK_MS, () => {
      if (!this.running) return;
      this.tick();
      this.scheduleTick();
    });
  }

  private tick(): void {
    this.transit.sweep();
    for (const p of this.pools.values()) p.tick();
  }

  private scheduleTests(): void {
    this.testTimer = this.deps.clock.setTimer(TEST_INTERVAL_MS, () => {
      if (!this.running) return;
      for (const p of this.pools.values()) this.testPool(p);
      this.scheduleTests();
    });
  }

  // ---- building -------------------------------------------------------------------------------

  private startBuild(direction: 'inbound' | 'outbound', hopCount: number, pool: string): Promise<BuildOutcome> | undefined {
    if (!this.running) return undefined;
    if (hopCount === 0) {
      // A zero-hop tunnel is the router itself: nothing to build.
      const now = this.deps.clock.now();
      const base = { hops: [], createdAt: now, expiresAt: now + TUNNEL_LIFETIME_MS, pool, testFailures: 0, messages: 0, bytes: 0 };
      if (direction === 'inbound') {
        const id = this.ids.next();
        const tunnel: InboundTunnel = { ...base, direction, id, gateway: this.deps.ourHash, gatewayTunnelId: id };
        this.inbound.set(id, { tunnel });
        return Promise.resolve({ ok: true, tunnel, ms: 0 });
      }
      return Promise.resolve({ ok: true, tunnel: { ...base, direction, id: 0 }, ms: 0 });
    }
    const exclude = new Set<string>([i2pBase64Encode(this.deps.ourHash)]);
    const hops = this.buildHops(this.deps.selection.select(hopCount, direction, exclude, pool));
    if (!hops || hops.length < hopCount) return undefined;
    return this.buildWith(direction, hops, pool);
  }

  /** The hops' encryption keys from their RouterInfos; undefined when one is unknown or not X25519. */
  private buildHops(chosen: Uint8Array[]): BuildHop[] | undefined {
    const hops: BuildHop[] = [];
    for (const hash of chosen) {
      const ri = this.deps.routerInfo(hash);
      if (!ri || keyTypes(ri.identity).cryptoType !== CRYPTO_X25519) return undefined;
      hops.push({ hash, publicKey: ri.identity.publicKey });
    }
    return hops;
  }

  /**
   * The tunnel of ours a build uses: the reply to an outbound build comes back through one of our
   * inbound tunnels; an inbound build leaves through an outbound one. Zero-hop ones stand in
   * until the exploratory pool has tunnels.
   */
  private buildVia(direction: 'inbound' | 'outbound'): OwnTunnel {
    return direction === 'outbound' ? (this.exploratory.pickInbound() ?? this.zeroHopInbound) : (this.exploratory.pickOutbound() ?? this.zeroHopOutbound);
  }

  private buildWith(direction: 'inbound' | 'outbound', hops: BuildHop[], pool: string, via: OwnTunnel = this.buildVia(direction)): Promise<BuildOutcome> {
    const replyVia = direction === 'outbound' && via.direction === 'inbound' ? via : undefined;
    const sendVia = direction === 'inbound' && via.direction === 'outbound' ? via : undefined;
    this.stats.builds.attempted++;
    return this.builder.build({ direction, hops, pool, replyVia, sendVia }).then((o) => this.onBuilt(o, hops));
  }

  private onBuilt(o: BuildOutcome, hops: BuildHop[]): BuildOutcome {
    const p = this.deps.profiles;
    if (o.ok) {
      this.stats.builds.succeeded++;
      for (const h of hops) p?.buildAccepted(h.hash);
      if (o.tunnel.direction === 'inbound') this.inbound.set(o.tunnel.id, { tunnel: o.tunnel, reassembler: new TunnelReassembler({ clock: this.deps.clock }) });
      this.deps.log.debug('tunnel built', { direction: o.tunnel.direction, hops: hops.length, ms: o.ms, pool: o.tunnel.pool });
      // A pool's new tunnel is tested at once (once it is in its pool), not at the next round.
      const pool = this.pools.get(o.tunnel.pool);
      if (pool) queueMicrotask(() => this.testOne(pool, o.tunnel));
    } else if (o.reason === 'rejected') {
      this.stats.builds.rejected++;
      o.codes.forEach((c, i) => (c === 0 ? p?.buildAccepted(hops[i].hash) : p?.buildRejected(hops[i].hash, c)));
    } else if (o.reason === 'timeout') {
      this.stats.builds.timedOut++;
      for (const h of hops) p?.buildTimedOut(h.hash);
    } else if (o.reason === 'bad-reply') this.stats.builds.badReply++;
    else this.stats.builds.notSent++;
    return o;
  }

  private forget(t: OwnTunnel): void {
    if (t.direction === 'inbound' && t !== this.zeroHopInbound) {
      this.inbound.delete(t.id);
      this.ids.release(t.id);
    }
  }

  // ---- what arrives -------------------------------------------------------------------------

  /** TunnelData from a peer: the end of one of our inbound tunnels, or a transit tunnel. */
  onTunnelData(tunnelId: number, data: Uint8Array): void {
    const own = this.inbound.get(tunnelId);
    if (own && own.reassembler) {
      const t = own.tunnel;
      if (!this.endpointIvs.check(tunnelId, data)) {
        this.stats.replayed++;
        return;
      }
      inboundEndpointDecrypt(data, t.hops.map((h) => h.layer));
      t.messages++;
      t.bytes += 1028;
      for (const m of own.reassembler.receive(data)) {
        // An inbound endpoint delivers to itself only; anything else is a misbehaving gateway.
        if (m.delivery.type === 'local') this.deliverStandard(m.message, t);
      }
      return;
    }
    if (!this.transit.onTunnelData(tunnelId, data)) this.stats.unknownTunnel++;
  }

  /** TunnelGateway from a peer: a transit tunnel we are the gateway of, or our own zero-hop one. */
  onTunnelGateway(tunnelId: number, messageStandard: Uint8Array): void {
    this.onTunnelGatewayMessage(tunnelId, messageStandard);
  }

  private onTunnelGatewayMessage(tunnelId: number, messageStandard: Uint8Array): void {
    const own = this.inbound.get(tunnelId);
    if (own && own.tunnel.hops.length === 0) {
      own.tunnel.messages++;
      this.deliverStandard(messageStandard, own.tunnel);
      return;
    }
    if (!this.transit.onTunnelGateway(tunnelId, messageStandard)) this.stats.unknownTunnel++;
  }

  /** ShortTunnelBuild: the answer to one of our inbound builds, or a request for us as a hop. */
  onShortTunnelBuild(from: Uint8Array, msgId: number, records: Uint8Array[]): void {
    if (this.builder.onShortBuildReply(msgId, records)) return;
    this.builds.onShortBuild(from, records);
  }

  onVariableTunnelBuild(from: Uint8Array, records: Uint8Array[]): void {
    this.builds.onVariableBuild(from, records);
  }

  /** OutboundTunnelBuildReply (through our reply tunnel, in garlic): the answer to an outbound build. */
  onOutboundTunnelBuildReply(msgId: number, records: Uint8Array[]): boolean {
    return this.builder.onOutboundBuildReply(msgId, records);
  }

  /** A DeliveryStatus: true when it is one of our tunnel tests coming home. */
  onDeliveryStatus(deliveredMsgId: number): boolean {
    const t = this.tests.get(deliveredMsgId);
    if (!t) return false;
    this.tests.delete(deliveredMsgId);
    this.deps.clock.clearTimer(t.timer);
    const latency = this.deps.clock.now() - t.sentAt;
    this.stats.tests.ok++;
    t.outbound.testFailures = 0;
    t.inbound.testFailures = 0;
    for (const h of [...t.outbound.hops, ...t.inbound.hops]) this.deps.profiles?.tunnelTest(h.hash, true, latency);
    t.resolve({ ok: true, latencyMs: latency });
    return true;
  }

  /** `via`: the inbound tunnel of ours it came through (a client pool's: its destination's). */
  private deliverStandard(messageStandard: Uint8Array, via?: OwnTunnel): void {
    let msg: I2npMessage;
    try {
      msg = decodeMessage(messageStandard, 'standard');
    } catch {
      return;
    }
    this.stats.delivered++;
    // A tunnel test comes home through whichever pool's inbound tunnel: ours to take, not the pool owner's.
    if (msg.type === I2npType.DeliveryStatus && this.onDeliveryStatus(msg.deliveredMsgId)) return;
    this.deps.deliverLocal(msg, via);
  }

  // ---- sending through our tunnels ------------------------------------------------------------

  /** Messages out through an outbound tunnel of ours, each to its own destination. */
  sendThrough(t: OutboundTunnel, messages: { delivery: TunnelDelivery; message: I2npMessage }[]): boolean {
    if (t.hops.length === 0) {
      let ok = true;
      for (const m of messages) ok = this.sendDirect(m.delivery, m.message) && ok;
      return ok;
    }
    const blocks = this.deps.fragment(messages.map((m) => ({ delivery: m.delivery, message: encodeMessage(m.message, 'standard') })));
    if (this.deps.allowOwnBytes && !this.deps.allowOwnBytes(blocks.length * 1028)) {
      this.stats.ownOverLimit++;
      return false;
    }
    const layers = t.hops.map((h) => h.layer);
    let ok = true;
    for (const block of blocks) {
      outboundPreprocess(block, layers);
      const td = encodeMessage({ type: I2npType.TunnelData, msgId: this.newMsgId(), expiration: this.deps.clock.now() + 60_000, tunnelId: t.firstTunnelId!, data: block }, 'short');
      ok = this.deps.send(t.firstHop!, td) && ok;
    }
    t.messages += messages.length;
    t.bytes += blocks.length * 1028;
    return ok;
  }

  private sendDirect(delivery: TunnelDelivery, message: I2npMessage): boolean {
    switch (delivery.type) {
      case 'local':
        this.deps.deliverLocal(message);
        return true;
      case 'router':
        if (equalBytes(delivery.hash, this.deps.ourHash)) {
          this.deps.deliverLocal(message);
          return true;
        }
        return this.deps.send(delivery.hash, encodeMessage(message, 'short'));
      case 'tunnel': {
        const inner = encodeMessage(message, 'standard');
        if (equalBytes(delivery.gateway, this.deps.ourHash)) {
          this.onTunnelGatewayMessage(delivery.tunnelId, inner);
          return true;
        }
        const gw = { type: I2npType.TunnelGateway, msgId: this.newMsgId(), expiration: this.deps.clock.now() + 60_000, tunnelId: delivery.tunnelId, message: inner } as I2npMessage;
        return this.deps.send(delivery.gateway, encodeMessage(gw, 'short'));
      }
    }
  }

  /**
   * A message for a router, out through `t`, wrapped in garlic to that router so that the
   * outbound endpoint cannot read it (as i2pd does for builds sent to an inbound gateway).
   */
  sendToRouter(t: OutboundTunnel, to: Uint8Array, message: I2npMessage): boolean {
    const wrapped = this.deps.wrapForRouter(to, message);
    const out = wrapped ? shortToMessage(wrapped) : message;
    return this.sendThrough(t, [{ delivery: { type: 'router', hash: to }, message: out }]);
  }

  // ---- tests ----------------------------------------------------------------------------------

  /**
   * Every tunnel of the pool, once a round: each outbound one paired with an inbound one (a
   * DeliveryStatus out and back), then each inbound one no outbound was paired with. A tunnel
   * whose last test failed is no one's partner while a good one exists, so it is retested with
   * a good partner here, and leaves the pool if it fails again.
   */
  private testPool(pool: TunnelPool): void {
    const paired = new Set<OwnTunnel>();
    const test = (outbound: OutboundTunnel, inbound: InboundTunnel): void => {
      paired.add(inbound);
      if (outbound.hops.length === 0 && inbound.hops.length === 0) return;
      void this.runTest(outbound, inbound).then((r) => {
        if (r.ok) return;
        for (const t of [outbound, inbound]) if (t.testFailures >= MAX_TEST_FAILURES) pool.remove(t);
      });
    };
    for (const outbound of [...pool.outbound]) {
      const inbound = pool.pickInbound() ?? this.exploratory.pickInbound();
      if (!inbound) return;
      test(outbound, inbound);
    }
    for (const inbound of [...pool.inbound]) {
      if (paired.has(inbound)) continue;
      const outbound = pool.pickOutbound() ?? this.exploratory.pickOutbound();
      if (!outbound) return;
      test(outbound, inbound);
    }
  }

  private testOne(pool: TunnelPool, t: OwnTunnel): void {
    if (!this.running) return;
    const outbound = t.direction === 'outbound' ? t : (pool.pickOutbound() ?? this.exploratory.pickOutbound());
    const inbound = t.direction === 'inbound' ? t : (pool.pickInbound() ?? this.exploratory.pickInbound());
    if (!outbound || !inbound || (outbound.hops.length === 0 && inbound.hops.length === 0)) return;
    void this.runTest(outbound, inbound).then((r) => {
      if (!r.ok && t.testFailures >= MAX_TEST_FAILURES) pool.remove(t);
    });
  }

  /**
   * One tunnel test: a DeliveryStatus out through `outbound` to the gateway of `inbound`, which
   * must reach us at its end. Profiles of every hop learn the outcome.
   */
  runTest(outbound: OutboundTunnel, inbound: InboundTunnel): Promise<{ ok: boolean; latencyMs: number }> {
    const id = this.newMsgId();
    const now = this.deps.clock.now();
    return new Promise((resolve) => {
      const timer = this.deps.clock.setTimer(TEST_TIMEOUT_MS, () => {
        if (!this.tests.delete(id)) return;
        this.stats.tests.failed++;
        for (const t of [outbound, inbound]) {
          t.testFailures++;
          for (const h of t.hops) this.deps.profiles?.tunnelTest(h.hash, false);
        }
        resolve({ ok: false, latencyMs: TEST_TIMEOUT_MS });
      });
      this.tests.set(id, { outbound, inbound, sentAt: now, timer, resolve });
      const status = { type: I2npType.DeliveryStatus, msgId: this.newMsgId(), expiration: now + TEST_TIMEOUT_MS, deliveredMsgId: id, timestamp: now } as I2npMessage;
      this.sendThrough(outbound, [{ delivery: { type: 'tunnel', tunnelId: inbound.gatewayTunnelId, gateway: inbound.gateway }, message: status }]);
    });
  }

  /**
   * A build trial outside the pools (for interop tests and benchmarks): `count` tunnels of `hops`
   * hops, alternately outbound and inbound, with hops drawn from `peers` (or the usual
   * selection), `concurrency` at a time; each built tunnel is tested once, then dropped.
   */
  async trial(opts: { count: number; hops: number; concurrency?: number; peers?: Uint8Array[] }): Promise<TrialResult> {
    const result: TrialResult = { attempted: 0, succeeded: 0, rejected: 0, timedOut: 0, other: 0, testsOk: 0, testsFailed: 0, testsRetried: 0, buildMs: [], failures: [] };
    const failed = (f: TrialFailure): void => {
      if (result.failures.length < MAX_TRIAL_FAILURES) result.failures.push(f);
    };
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < opts.count && this.running) {
        const i = next++;
        const direction = i % 2 === 0 ? 'outbound' : 'inbound';
        const chosen = opts.peers ? pickDistinct(opts.peers, opts.hops, this.deps.random) : this.deps.selection.select(opts.hops, direction, new Set([i2pBase64Encode(this.deps.ourHash)]), 'trial');
        const hops = this.buildHops(chosen);
        result.attempted++;
        const names = chosen.map((h) => i2pBase64Encode(h).slice(0, 8));
        if (!hops || hops.length < opts.hops) {
          result.other++;
          failed({ direction, hops: names, reason: 'unknown-hop' });
          continue;
        }
        const via = this.buildVia(direction);
        const o = await this.buildWith(direction, hops, 'trial', via);
        if (!o.ok) {
          if (o.reason === 'rejected') result.rejected++;
          else if (o.reason === 'timeout') result.timedOut++;
          else result.other++;
          // A timeout may be the fault of the tunnel the reply (or the request) took, not the hops'.
          const viaNames = via.hops.map((h) => i2pBase64Encode(h.hash).slice(0, 8));
          failed({ direction, hops: names, reason: o.reason, ...(o.reason === 'rejected' && { codes: o.codes }), via: { direction: via.direction, hops: viaNames, testFailures: via.testFailures } });
          continue;
        }
        result.succeeded++;
        result.buildMs.push(o.ms);
        const t = o.tunnel;
        const test = () =>
          t.direction === 'outbound'
            ? this.runTest(t, this.exploratory.pickInbound() ?? this.zeroHopInbound)
            : this.runTest(this.exploratory.pickOutbound() ?? this.zeroHopOutbound, t);
        // A test measures a pair: when it fails, the partner may be the broken one, so one more
        // try with another partner (as a pool retests before dropping a tunnel).
        let r = await test();
        if (!r.ok) {
          result.testsRetried++;
          r = await test();
        }
        if (r.ok) result.testsOk++;
        else result.testsFailed++;
        this.forget(t);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 4) }, worker));
    return result;
  }

  // ---- views ----------------------------------------------------------------------------------

  /** Live tunnels of all pools (zero-hop fallbacks excluded). */
  ownTunnels(): OwnTunnel[] {
    const out: OwnTunnel[] = [];
    for (const p of this.pools.values()) out.push(...p.inbound, ...p.outbound);
    return out;
  }

  counts(): { inbound: number; outbound: number; participating: number } {
    let inbound = 0;
    let outbound = 0;
    for (const p of this.pools.values()) {
      inbound += p.inbound.length;
      outbound += p.outbound.length;
    }
    return { inbound, outbound, participating: this.transit.size };
  }

  private newMsgId(): number {
    return 1 + this.deps.random.int(0xfffffffe);
  }
}

/** A short-header message (as the garlic wrapper returns it) as a message to send on. */
function shortToMessage(short: Uint8Array): I2npMessage {
  return decodeMessage(short, 'short');
}
