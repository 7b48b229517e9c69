import { equalBytes, i2pBase64Encode, ntcp2Options, type RouterInfo } from '../data/index.js';
import { compareDistance } from '../netdb/routing-key.js';
import type { Logger } from '../log.js';
import type { Clock, Connection, Listener, Network, RandomSource } from '../runtime/index.js';
import { checkRouterAddress } from './address-policy.js';
import { Ntcp2Connection, type Ntcp2CloseInfo, type Ntcp2ConnectionLimits } from './ntcp2/connection.js';
import type { Ntcp2Established } from './ntcp2/handshake.js';
import { ReplayCache } from './ntcp2/replay-cache.js';
import { TerminationReason } from './ntcp2/termination.js';
import { AddressPenalties } from './penalties.js';

/**
 * Who we are connected to. At most one session per peer (simultaneous dials resolved the same
 * way on both sides), dials on demand from the peer's RouterInfo, a bounded queue per peer
 * while dialing, connection limits, and inbound I2NP handed to the dispatcher.
 */

export interface TransportLimits {
  maxInbound: number;
  maxOutbound: number;
  /** Inbound connections per remote IP (handshaking or established). */
  maxPerIp: number;
  /** Queued bytes for a peer we are still dialing. */
  maxPendingBytes: number;
  connection: Partial<Ntcp2ConnectionLimits>;
}

export const DEFAULT_TRANSPORT_LIMITS: TransportLimits = {
  maxInbound: 300,
  maxOutbound: 150,
  maxPerIp: 8,
  maxPendingBytes: 256 * 1024,
  connection: {},
};

export interface LocalTransportIdentity {
  routerHash: Uint8Array;
  staticPrivateKey: Uint8Array;
  staticPublicKey: Uint8Array;
  iv: Uint8Array;
  netId: number;
  testnet: boolean;
  /** Published host: we listen there and bind outgoing sockets to it (PITFALLS.md). */
  host?: string;
  port: number;
}

export interface TransportEvents {
  /** An I2NP message (short header) from a connected peer. */
  message(fromHash: Uint8Array, i2np: Uint8Array): void;
  /** A RouterInfo the peer gave us: in message 3, or a RouterInfo block. Unverified as a store entry. */
  routerInfo(fromHash: Uint8Array, bytes: Uint8Array, flood: boolean): void;
  /** A session to `peer` is up (after simultaneous-dial resolution). */
  connected(peer: Uint8Array, direction: 'inbound' | 'outbound'): void;
}

export interface TransportStats {
  sessions: { inbound: number; outbound: number };
  handshaking: number;
  bytes: { in: number; out: number };
  dropped: number;
  refused: number;
  failedHandshakes: number;
}

/** A peer we are dialing: the TCP connect, then the handshake; messages wait here meanwhile. */
interface Pending {
  abort: AbortController;
  connection?: Ntcp2Connection;
  queue: Uint8Array[];
  bytes: number;
}

const key = (hash: Uint8Array): string => i2pBase64Encode(hash);

export class TransportError extends Error {
  override readonly name = 'TransportError';
}

export class TransportManager {
  private listener: Listener | undefined;
  private readonly sessions = new Map<string, Ntcp2Connection>();
  private readonly dialing = new Map<string, Pending>();
  private readonly handshaking = new Set<Ntcp2Connection>();
  private readonly perIp = new Map<string, number>();
  private readonly penalties = new AddressPenalties();
  /** Peers whose last dials failed: not dialed again before `until` (doubling back-off). */
  private readonly unreachable = new Map<string, { failures: number; until: number }>();
  private readonly replay: ReplayCache;
  private readonly limits: TransportLimits;
  private closedBytes = { in: 0, out: 0 };
  private counters = { dropped: 0, refused: 0, failedHandshakes: 0 };
  private stopping = false;

  constructor(
    private readonly local: LocalTransportIdentity,
    private readonly deps: {
      clock: Clock;
      random: RandomSource;
      network: Network;
      log: Logger;
      /** Our RouterInfo bytes, freshly signed (message 3 carries it). */
      routerInfo: () => Uint8Array;
      /** A peer's RouterInfo from the netDb, to dial it. */
      lookup: (hash: Uint8Array) => RouterInfo | undefined;
      /** A message for a peer with no session and no RouterInfo; without it, such messages are dropped. */
      unknownPeer?: (hash: Uint8Array, i2np: Uint8Array) => boolean;
      events: TransportEvents;
    },
    limits: Partial<TransportLimits> = {},
  ) {
    this.limits = { ...DEFAULT_TRANSPORT_LIMITS, ...limits };
    this.replay = new ReplayCache({ now: () => deps.clock.now() });
  }

  async start(): Promise<void> {
    if (this.local.host === undefined) return;
    const { host, port } = this.local;
    try {
      this.listener = await this.deps.network.listen(host, port, (socket) => this.accept(socket));
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'EADDRINUSE') throw new TransportError(`cannot listen on ${host}:${port}: the port is in use (choose another with --port)`);
      throw new TransportError(`cannot listen on ${host}:${port}: ${(e as Error).message}`);
    }
    this.deps.log.info('ntcp2 listening', { host: this.listener.host, port: this.listener.port });
  }

  get listening(): boolean {
    return this.listener !== undefined;
  }

  isConnected(peer: Uint8Array): boolean {
    return this.sessions.get(key(peer))?.isEstablished ?? false;
  }

  connectedPeers(): Uint8Array[] {
    return [...this.sessions.values()].filter((c) => c.isEstablished).map((c) => c.peer!.peerRouterHash);
  }

  sessionList(): { peer: string; direction: 'inbound' | 'outbound'; remote: string; bytesIn: number; bytesOut: number }[] {
    return [...this.sessions.values()]
      .filter((c) => c.isEstablished)
      .map((c) => ({
        peer: key(c.peer!.peerRouterHash),
        direction: c.direction,
        remote: `${c.socket.remoteAddress}:${c.socket.remotePort}`,
        bytesIn: c.bytesIn,
        bytesOut: c.bytesOut,
      }));
  }

  stats(): TransportStats {
    const all = [...this.sessions.values(), ...this.handshaking];
    let inb = 0;
    let outb = 0;
    for (const c of this.sessions.values()) c.direction === 'inbound' ? inb++ : outb++;
    return {
      sessions: { inbound: inb, outbound: outb },
      handshaking: this.handshaking.size,
      bytes: {
        in: this.closedBytes.in + all.reduce((a, c) => a + c.bytesIn, 0),
        out: this.closedBytes.out + all.reduce((a, c) => a + c.bytesOut, 0),
      },
      dropped: this.counters.dropped,
      refused: this.counters.refused,
      failedHandshakes: this.counters.failedHandshakes,
    };
  }

  /**
   * Send one I2NP message (short header) to `peer`, dialing it if needed. False when it was
   * dropped: unknown peer (without `unknownPeer`), no usable address, queue full, or limits reached.
   */
  send(peer: Uint8Array, i2np: Uint8Array): boolean {
    if (this.stopping) return false;
    const k = key(peer);
    const session = this.sessions.get(k);
    if (session?.isEstablished) return this.count(session.send(i2np));
    // No session, and no RouterInfo to dial with: whoever handles unknown peers (a netDb lookup
    // first) takes it, and counts its own drops.
    if (this.deps.unknownPeer && !this.dialing.has(k) && !this.deps.lookup(peer)) return this.deps.unknownPeer(peer, i2np);
    const pending = this.dialing.get(k) ?? this.dial(peer);
    if (!pending) return this.count(false);
    if (pending.bytes + i2np.length > this.limits.maxPendingBytes) return this.count(false);
    pending.queue.push(i2np);
    pending.bytes += i2np.length;
    return true;
  }

  /** True while dials to `peer` are backed off after failing (tunnel hops avoid it meanwhile). */
  isUnreachable(peer: Uint8Array): boolean {
    return (this.unreachable.get(key(peer))?.until ?? 0) > this.deps.clock.now();
  }

  private markUnreachable(k: string): void {
    const failures = (this.unreachable.get(k)?.failures ?? 0) + 1;
    // 15 s, 30 s, 1 min ... at most 30 min: a peer that is down is not dialed every few seconds.
    const backoff = Math.min(30 * 60_000, 15_000 * 2 ** Math.min(failures - 1, 7));
    this.unreachable.set(k, { failures, until: this.deps.clock.now() + backoff });
    if (this.unreachable.size > 10_000) this.unreachable.delete(this.unreachable.keys().next().value!);
  }

  /** Open a session to `peer` without sending anything yet (e.g. to exchange RouterInfos). */
  connect(peer: Uint8Array): boolean {
    const k = key(peer);
    if (this.sessions.get(k)?.isEstablished || this.dialing.has(k)) return true;
    return this.dial(peer) !== undefined;
  }

  private count(ok: boolean): boolean {
    if (!ok) this.counters.dropped++;
    return ok;
  }

  private outboundCount(): number {
    let n = 0;
    for (const c of this.sessions.values()) if (c.direction === 'outbound') n++;
    return n + this.dialing.size;
  }

  private dial(peer: Uint8Array): Pending | undefined {
    if (equalBytes(peer, this.local.routerHash)) return undefined;
    if (this.outboundCount() >= this.limits.maxOutbound) return undefined;
    const ri = this.deps.lookup(peer);
    if (!ri) return undefined;
    const target = this.dialableAddress(ri);
    if (!target) return undefined;
    if (this.penalties.isBanned(target.host, this.deps.clock.now())) return undefined;
    const k = key(peer);
    if ((this.unreachable.get(k)?.until ?? 0) > this.deps.clock.now()) return undefined;
    const pending: Pending = { abort: new AbortController(), queue: [], bytes: 0 };
    this.dialing.set(k, pending);
    const options = { signal: pending.abort.signal, ...(this.local.host !== undefined && { localAddress: this.local.host }) };
    this.deps.network.dial(target.host, target.port, options).then(
      (socket) => {
        if (this.stopping || this.dialing.get(k) !== pending) return socket.destroy();
        const conn = Ntcp2Connection.outbound(
          { socket, clock: this.deps.clock, random: this.deps.random, handlers: this.handlers(), limits: this.limits.connection },
          {
            staticPrivateKey: this.local.staticPrivateKey,
            staticPublicKey: this.local.staticPublicKey,
            routerInfo: this.deps.routerInfo,
            peer: { routerHash: peer, staticKey: target.s, iv: target.i },
            netId: this.local.netId,
          },
        );
        pending.connection = conn;
        if (!conn.isClosed) return void this.handshaking.add(conn);
        // It failed before message 1 (e.g. the peer's `s` is unusable): onClosed ran before
        // `pending.connection` was set, so forget the dial here or it would stay "dialing".
        if (this.dialing.get(k) === pending) {
          this.dialing.delete(k);
          this.counters.dropped += pending.queue.length;
        }
      },
      (e: Error) => {
        this.deps.log.debug('dial failed', { peer: k.slice(0, 6), host: target.host, port: target.port, error: e.message });
        this.markUnreachable(k);
        if (this.dialing.get(k) === pending) {
          this.dialing.delete(k);
          this.counters.dropped += pending.queue.length;
        }
      },
    );
    return pending;
  }

  /** The peer's NTCP2 address we may dial (v=2, host, port, s, i), honouring the address policy. */
  private dialableAddress(ri: RouterInfo): { host: string; port: number; s: Uint8Array; i: Uint8Array } | undefined {
    for (const a of ri.addresses) {
      if (a.transportStyle !== 'NTCP2') continue;
      try {
        const o = ntcp2Options(a);
        if (!o.host || !o.port || !o.s || !o.i || !(o.v ?? '').split(',').includes('2')) continue;
        checkRouterAddress(o.host, this.local.testnet);
        return { host: o.host, port: o.port, s: o.s, i: o.i };
      } catch {
        continue;
      }
    }
    return undefined;
  }

  private accept(socket: Connection): void {
    const now = this.deps.clock.now();
    const ip = socket.remoteAddress;
    // Inbound handshakes and sessions only: our own dials have their own limit.
    let inbound = 0;
    for (const c of [...this.handshaking, ...this.sessions.values()]) if (c.direction === 'inbound') inbound++;
    if (this.stopping || inbound >= this.limits.maxInbound || (this.perIp.get(ip) ?? 0) >= this.limits.maxPerIp || this.penalties.isBanned(ip, now)) {
      this.counters.refused++;
      socket.destroy();
      return;
    }
    this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1);
    const conn = Ntcp2Connection.inbound(
      { socket, clock: this.deps.clock, random: this.deps.random, handlers: this.handlers(), limits: this.limits.connection },
      {
        staticPrivateKey: this.local.staticPrivateKey,
        staticPublicKey: this.local.staticPublicKey,
        routerHash: this.local.routerHash,
        iv: this.local.iv,
        netId: this.local.netId,
        replayCache: this.replay,
      },
    );
    // A connection closed during construction (impossible today) must not leak its count.
    if (!conn.isClosed) this.handshaking.add(conn);
  }

  private handlers() {
    return {
      established: (c: Ntcp2Connection, info: Ntcp2Established) => this.onEstablished(c, info),
      message: (c: Ntcp2Connection, i2np: Uint8Array) => this.deps.events.message(c.peer!.peerRouterHash, i2np),
      routerInfo: (c: Ntcp2Connection, bytes: Uint8Array, flood: boolean) => this.deps.events.routerInfo(c.peer!.peerRouterHash, bytes, flood),
      closed: (c: Ntcp2Connection, info: Ntcp2CloseInfo) => this.onClosed(c, info),
    };
  }

  private onEstablished(conn: Ntcp2Connection, info: Ntcp2Established): void {
    this.handshaking.delete(conn);
    const peer = info.peerRouterHash;
    const k = key(peer);
    if (equalBytes(peer, this.local.routerHash)) return conn.terminate(TerminationReason.Banned, 'connected to ourselves');
    if (info.peerRouterInfo) this.deps.events.routerInfo(peer, info.peerRouterInfo.bytes, false);
    this.unreachable.delete(k);
    const existing = this.sessions.get(k);
    let pending = this.dialing.get(k);
    if (pending && pending.connection === conn) this.dialing.delete(k);
    if (existing?.isEstablished) {
      // Simultaneous dials: both sides keep the session initiated by the lower router hash.
      // Both from the same side: the peer dialed again (restarted, or its old connection is
      // dead to it), so the new one is the live one.
      const initiatorOf = (c: Ntcp2Connection) => (c.direction === 'outbound' ? this.local.routerHash : peer);
      const keepNew = conn.direction === existing.direction || compareDistance(initiatorOf(conn), initiatorOf(existing)) < 0;
      const [keep, drop] = keepNew ? [conn, existing] : [existing, conn];
      this.sessions.set(k, keep);
      drop.terminate(TerminationReason.NormalClose, 'duplicate session');
      if (!keepNew) {
        this.flushPending(keep, pending);
        return;
      }
    } else {
      this.sessions.set(k, conn);
    }
    // Messages queued while dialing go out on whichever session won.
    pending ??= this.dialing.get(k);
    if (pending && pending.connection !== conn) {
      // Our own dial is still running but the peer got through first: use this one.
      this.dialing.delete(k);
      pending.abort.abort();
      pending.connection?.terminate(TerminationReason.NormalClose, 'superseded by inbound session');
    }
    this.flushPending(conn, pending);
    this.deps.events.connected(peer, conn.direction);
  }

  private flushPending(conn: Ntcp2Connection, pending: Pending | undefined): void {
    if (!pending) return;
    for (const m of pending.queue) this.count(conn.send(m));
    pending.queue = [];
    pending.bytes = 0;
  }

  private onClosed(conn: Ntcp2Connection, info: Ntcp2CloseInfo): void {
    this.handshaking.delete(conn);
    this.closedBytes.in += conn.bytesIn;
    this.closedBytes.out += conn.bytesOut;
    this.counters.dropped += conn.dropped;
    if (conn.direction === 'inbound') {
      const ip = conn.socket.remoteAddress;
      const n = (this.perIp.get(ip) ?? 1) - 1;
      if (n <= 0) this.perIp.delete(ip);
      else this.perIp.set(ip, n);
    }
    if (info.duringHandshake) this.counters.failedHandshakes++;
    if (info.penalize) this.penalties.strike(conn.socket.remoteAddress, this.deps.clock.now());
    const peer = conn.peer?.peerRouterHash;
    if (peer) {
      const k = key(peer);
      if (this.sessions.get(k) === conn) this.sessions.delete(k);
    }
    for (const [k, p] of this.dialing) {
      if (p.connection === conn) {
        this.counters.dropped += p.queue.length;
        this.dialing.delete(k);
      }
    }
    const fields = { direction: conn.direction, remote: conn.socket.remoteAddress, peer: peer ? key(peer).slice(0, 6) : undefined, reason: info.reason };
    if (info.duringHandshake) this.deps.log.info(info.penalize ? 'ntcp2 handshake refused' : 'ntcp2 handshake failed', fields);
    else this.deps.log.debug('ntcp2 closed', fields);
  }

  /** Graceful: Termination to every peer; prompt: drop every socket. */
  async stop(graceful: boolean): Promise<void> {
    this.stopping = true;
    await this.listener?.close();
    for (const p of this.dialing.values()) p.abort.abort();
    for (const c of [...this.sessions.values(), ...this.handshaking]) {
      if (graceful) c.terminate(TerminationReason.RouterShutdown, 'router shutdown');
      else c.socket.destroy();
    }
  }
}
