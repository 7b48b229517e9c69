import { b32FromHash } from '../../data/b32.js';
import { toHex } from '../../data/bytes.js';
import { DecodeError } from '../../data/errors.js';
import { type Destination, keysAndCertHash, keyTypes } from '../../data/keys-and-cert.js';
import { i2pBase64Encode } from '../../data/base64.js';
import type { LeaseSet2 } from '../../data/lease-set2.js';
import type { Logger } from '../../log.js';
import type { Clock, RandomSource, TimerHandle } from '../../runtime/index.js';
import type { DestinationKeys } from '../destination-keys.js';
import { encodeI2cpPayload, PROTO_STREAMING, type I2cpPayload } from '../i2cp-payload.js';
import { type ConnectionEndReason, StreamConnection } from './connection.js';
import { pongFor, refusalFor } from './control-packets.js';
import { EarlyPackets } from './early-packets.js';
import { StreamError } from './errors.js';
import { DEFAULT_STREAMING_OPTIONS, type StreamingOptions } from './options.js';
import {
  decodePacket,
  type DecodedPacket,
  encodePacket,
  FLAG_ECHO,
  FLAG_FROM_INCLUDED,
  FLAG_SIGNATURE_INCLUDED,
  FLAG_SYNCHRONIZE,
  hashToNacks,
  packetSigner,
  signPacket,
  type StreamPacket,
} from './packet.js';
import { ReplayCache } from './replay-cache.js';
import { I2pStream } from './stream.js';
import { checkPing, checkStreamPacket, checkSyn, type Rejection, type Signer } from './verify.js';

/** What the manager needs of a LocalDestination (an interface, so tests can use a plain link). */
export interface StreamHost {
  readonly hash: Uint8Array;
  readonly keys: DestinationKeys;
  onPayload(protocol: number, h: (p: I2cpPayload) => void): () => void;
  send(to: Uint8Array, payload: Uint8Array): Promise<void>;
  resolve(hash: Uint8Array): Promise<LeaseSet2>;
  /** Messages to this remote went unanswered: try another tunnel and lease next time. */
  repath?(to: Uint8Array): void;
  /** ...and again on another path: start a new end-to-end (ratchet) session with it. */
  restartSession?(to: Uint8Array): void;
}

export interface StreamManagerDeps {
  clock: Clock;
  random: RandomSource;
  log?: Logger;
}

export interface ConnectOptions {
  toPort?: number;
  fromPort?: number;
  timeoutMs?: number;
  /**
   * The first bytes to send (an HTTP request head, say): they ride in the SYN, as much as one
   * packet holds (streaming.rst allows a payload there), and the rest follows the peer's reply
   * SYN. A request then costs one round trip through the tunnels instead of two.
   */
  initialData?: Uint8Array;
}

export interface ListenOptions {
  /** undefined: every port nobody listens on specifically. */
  port?: number;
}

export interface StreamCounters {
  opened: number;
  accepted: number;
  refused: number;
  active: number;
  resets: number;
  timeouts: number;
  packetsIn: number;
  packetsOut: number;
  retransmitted: number;
  /** Retransmission timeouts and fast retransmits (after two NACKs), of streams that ended. */
  rtoTimeouts: number;
  fastRetransmits: number;
  badPackets: number;
  badSignatures: number;
  replays: number;
  unknownStream: number;
  pings: number;
  sendErrors: number;
  /** Garlic session restarts asked of the host: a stream's resends went unanswered twice in a row. */
  sessionRestarts: number;
}

interface Entry {
  conn: StreamConnection;
  stream: I2pStream | undefined;
  outbound: boolean;
  remoteHash: Uint8Array;
  remoteDestination: Destination | undefined;
  /** Who signs the peer's packets (from its SYN, or its LeaseSet before that). */
  signer: Signer | undefined;
  localPort: number;
  remotePort: number;
  timer: TimerHandle | undefined;
  deadline: number | undefined;
  linger: TimerHandle | undefined;
  incomingKey: string | undefined;
  /** Packets left to send stored (not deflated) after one did not compress. */
  storeNext: number;
  connect: { resolve: (s: I2pStream) => void; reject: (e: StreamError) => void; timer: TimerHandle } | undefined;
}

const RANDOM_ID_TRIES = 16;
/** Consecutive retransmission timeouts of a stream after which the garlic session is restarted. */
const RESTART_SESSION_AFTER = 2;
/** ACKs and other small packets: not worth a deflate attempt. */
const SMALL_PACKET = 128;

/**
 * The streaming protocol of one local destination: outgoing connections, listeners by port,
 * and the packets of every stream in and out through the destination's garlic.
 */
export class StreamManager {
  readonly counters: StreamCounters = {
    opened: 0,
    accepted: 0,
    refused: 0,
    active: 0,
    resets: 0,
    timeouts: 0,
    packetsIn: 0,
    packetsOut: 0,
    retransmitted: 0,
    rtoTimeouts: 0,
    fastRetransmits: 0,
    badPackets: 0,
    badSignatures: 0,
    replays: 0,
    unknownStream: 0,
    pings: 0,
    sendErrors: 0,
    sessionRestarts: 0,
  };
  readonly options: StreamingOptions;
  private readonly entries = new Map<number, Entry>();
  /** Incoming streams by the peer's hash and stream id (a retransmitted SYN finds its stream). */
  private readonly incoming = new Map<string, Entry>();
  private readonly listeners = new Map<number | 'any', (s: I2pStream) => void>();
  /** Streams closed in order that still answer retransmitted CLOSEs (TIME_WAIT), oldest first. */
  private readonly lingering = new Set<Entry>();
  private readonly replays: ReplayCache;
  /** Follow-on packets that overtook their SYN, by the peer's stream id. */
  private readonly early: EarlyPackets;
  private readonly unsubscribe: () => void;
  private closed = false;
  private readonly sigType: number;

  constructor(
    private readonly host: StreamHost,
    private readonly deps: StreamManagerDeps,
    options: Partial<StreamingOptions> = {},
  ) {
    this.options = { ...DEFAULT_STREAMING_OPTIONS, ...options };
    this.early = new EarlyPackets({ maxStreams: this.options.maxEarlyPackets, perStream: 16, maxAgeMs: this.options.earlyPacketMs });
    this.replays = new ReplayCache(this.options.replayWindowMs, this.options.replayCacheSize, deps.clock.now());
    this.sigType = keyTypes(host.keys.privateKeys.destination).sigType;
    this.unsubscribe = host.onPayload(PROTO_STREAMING, (p) => this.onPayload(p));
  }

  /** Opens a stream to a destination (by its 32-byte hash). Rejects with a StreamError. */
  async connect(to: Uint8Array, opts: ConnectOptions = {}): Promise<I2pStream> {
    if (this.closed) throw new StreamError('CLOSED', 'the stream manager is closed');
    if (to.length !== 32) throw new StreamError('NO_ROUTE', `a destination hash is 32 bytes, got ${to.length}`);
    if (!this.hasRoom()) throw new StreamError('LIMIT', `at most ${this.options.maxStreams} streams`);
    const toPort = checkPort(opts.toPort ?? 0);
    const fromPort = checkPort(opts.fromPort ?? 0);
    const timeoutMs = opts.timeoutMs ?? this.options.connectTimeoutMs;
    const started = this.deps.clock.now();
    let ls: LeaseSet2;
    try {
      ls = await withTimeout(this.host.resolve(to), this.deps.clock, timeoutMs);
    } catch (e) {
      if (e instanceof StreamError) throw e;
      throw new StreamError('NO_ROUTE', `no route to ${b32FromHash(to)}: ${(e as Error).message}`, { cause: e });
    }
    if (this.closed) throw new StreamError('CLOSED', 'the stream manager is closed');
    if (!this.hasRoom()) throw new StreamError('LIMIT', `at most ${this.options.maxStreams} streams`);
    const localId = this.newStreamId();
    const now = this.deps.clock.now();
    return new Promise<I2pStream>((resolve, reject) => {
      const entry: Entry = {
        conn: undefined as unknown as StreamConnection,
        stream: undefined,
        outbound: true,
        remoteHash: to.slice(),
        remoteDestination: ls.destination,
        signer: packetSigner(ls.destination),
        localPort: fromPort,
        remotePort: toPort,
        timer: undefined,
        deadline: undefined,
        linger: undefined,
        incomingKey: undefined,
        storeNext: 0,
        connect: undefined,
      };
      const remaining = Math.max(1, timeoutMs - (now - started));
      const timer = this.deps.clock.setTimer(remaining, () => {
        if (!entry.connect) return;
        this.counters.timeouts++;
        entry.conn.reset(this.deps.clock.now());
        this.dropEntry(entry);
      });
      entry.connect = { resolve, reject, timer };
      entry.conn = this.newConnection(entry, localId, 0, true);
      this.entries.set(localId, entry);
      this.counters.active++;
      // Queued before the SYN (nothing is sent before it is established), so open() takes it.
      if (opts.initialData && opts.initialData.length > 0) entry.conn.write(opts.initialData.slice(), now);
      entry.conn.open(now);
      this.arm(entry);
      this.deps.log?.debug('stream SYN sent', { to: b32FromHash(to).slice(0, 12), id: localId, lookupMs: now - started });
    });
  }

  /** Accepts incoming streams on a port (or on every port nobody else listens on). */
  listen(handler: (s: I2pStream) => void, opts: ListenOptions = {}): () => void {
    const key = opts.port === undefined ? 'any' : checkPort(opts.port);
    this.listeners.set(key, handler);
    return () => {
      if (this.listeners.get(key) === handler) this.listeners.delete(key);
    };
  }

  /** Resets every stream and stops listening. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.listeners.clear();
    const now = this.deps.clock.now();
    for (const e of [...this.entries.values()]) {
      if (e.connect) {
        this.deps.clock.clearTimer(e.connect.timer);
        e.connect.reject(new StreamError('CLOSED', 'the stream manager was closed'));
        e.connect = undefined;
      }
      e.conn.reset(now);
      this.dropEntry(e);
    }
    this.early.clear();
  }

  get streamCount(): number {
    return this.entries.size;
  }

  // ------------------------------------------------------------------------------------------

  /**
   * Whether one more stream fits. The limit is on open streams: at it, the oldest lingering ones
   * give way (a late CLOSE for one goes unanswered, which its peer's own timeout covers), so the
   * table never holds more than maxStreams. Counting them as open capped new streams at
   * maxStreams / lingerMs, about 100 a second per destination with the defaults.
   */
  private hasRoom(): boolean {
    for (const e of this.lingering) {
      if (this.entries.size < this.options.maxStreams) break;
      this.dropEntry(e);
    }
    return this.entries.size < this.options.maxStreams;
  }

  private newStreamId(): number {
    for (let i = 0; i < RANDOM_ID_TRIES; i++) {
      const id = 1 + this.deps.random.int(0xfffffffe);
      if (!this.entries.has(id)) return id;
    }
    throw new StreamError('LIMIT', 'no free stream id');
  }

  private newConnection(entry: Entry, localId: number, remoteId: number, outbound: boolean): StreamConnection {
    const now = this.deps.clock.now();
    return new StreamConnection(
      {
        send: (p) => this.sendPacket(entry, p),
        established: () => this.onEstablished(entry),
        data: (b) => entry.stream?.onData(b),
        remoteClosed: () => entry.stream?.onRemoteClosed(),
        writable: () => entry.stream?.onWritable(),
        localCloseAcked: () => entry.stream?.onLocalCloseAcked(),
        ended: (reason) => this.onEnded(entry, reason),
        timedOut: (consecutive) => {
          this.host.repath?.(entry.remoteHash);
          // A second timeout in a row, on a new path, is not congestion: the remote may no
          // longer decrypt our messages (a loss burst beyond its tag look-ahead).
          if (consecutive >= RESTART_SESSION_AFTER) {
            this.counters.sessionRestarts++;
            this.host.restartSession?.(entry.remoteHash);
          }
        },
        backlog: () => entry.stream?.backlog() ?? 0,
      },
      { localId, remoteId, now, outbound, ...(outbound && { synNacks: hashToNacks(entry.remoteHash) }) },
      this.options,
    );
  }

  private makeStream(entry: Entry): I2pStream {
    const driver = {
      write: (d: Uint8Array) => this.drive(entry, () => entry.conn.write(d, this.deps.clock.now())),
      canWrite: () => entry.conn.canWrite || entry.conn.isFinished,
      close: () => this.drive(entry, () => entry.conn.close(this.deps.clock.now())),
      reset: () => this.drive(entry, () => entry.conn.reset(this.deps.clock.now())),
      drained: () => this.drive(entry, () => entry.conn.drained(this.deps.clock.now())),
      setNagle: (on: boolean) => this.drive(entry, () => entry.conn.setNagle(on ? this.options.nagleMs : 0, this.deps.clock.now())),
      setTimer: (ms: number, fn: () => void) => this.deps.clock.setTimer(ms, fn),
      clearTimer: (h: unknown) => this.deps.clock.clearTimer(h as TimerHandle),
    };
    const dest = entry.remoteDestination!;
    return new I2pStream(
      { remoteDestination: dest, remoteHash: entry.remoteHash, remoteB32: b32FromHash(entry.remoteHash), localPort: entry.localPort, remotePort: entry.remotePort },
      driver,
      this.options.highWaterMark,
    );
  }

  private drive(entry: Entry, f: () => void): void {
    f();
    this.arm(entry);
  }

  /** One timer per stream, at the connection's next deadline. */
  private arm(entry: Entry): void {
    const d = entry.conn.isFinished ? undefined : entry.conn.nextDeadline();
    if (d === entry.deadline) return;
    if (entry.timer) this.deps.clock.clearTimer(entry.timer);
    entry.timer = undefined;
    entry.deadline = d;
    if (d === undefined) return;
    entry.timer = this.deps.clock.setTimer(Math.max(0, d - this.deps.clock.now()), () => {
      entry.timer = undefined;
      entry.deadline = undefined;
      entry.conn.tick(this.deps.clock.now());
      this.arm(entry);
    });
  }

  private onEstablished(entry: Entry): void {
    const c = entry.connect;
    if (!c) return;
    entry.connect = undefined;
    this.deps.clock.clearTimer(c.timer);
    entry.stream = this.makeStream(entry);
    this.counters.opened++;
    this.deps.log?.debug('stream established', { to: b32FromHash(entry.remoteHash).slice(0, 12), id: entry.conn.localId, synSends: entry.conn.stats.sent });
    c.resolve(entry.stream);
  }

  private onEnded(entry: Entry, reason: ConnectionEndReason | undefined): void {
    this.counters.retransmitted += entry.conn.stats.retransmitted;
    this.counters.rtoTimeouts += entry.conn.stats.timeouts;
    this.counters.fastRetransmits += entry.conn.stats.fastRetransmits;
    this.counters.active--;
    this.deps.log?.debug('stream ended', { reason: reason ?? 'closed', remote: b32FromHash(entry.remoteHash).slice(0, 12), ...entry.conn.stats, window: entry.conn.windowSize, rto: entry.conn.rto });
    if (reason === 'RESET') this.counters.resets++;
    if (reason === 'TIMEOUT') this.counters.timeouts++;
    if (entry.connect) {
      const c = entry.connect;
      entry.connect = undefined;
      this.deps.clock.clearTimer(c.timer);
      c.reject(
        reason === 'RESET'
          ? new StreamError('REFUSED', `${b32FromHash(entry.remoteHash)} refused the stream`)
          : new StreamError('TIMEOUT', `no answer from ${b32FromHash(entry.remoteHash)}`),
      );
    }
    entry.stream?.onEnded(reason);
    if (reason === undefined) {
      // Keep answering retransmitted CLOSEs for a while (TIME_WAIT), then forget the stream.
      entry.linger = this.deps.clock.setTimer(this.options.lingerMs, () => this.dropEntry(entry));
      this.lingering.add(entry);
    } else {
      this.dropEntry(entry);
    }
  }

  private dropEntry(entry: Entry): void {
    if (entry.timer) this.deps.clock.clearTimer(entry.timer);
    if (entry.linger) this.deps.clock.clearTimer(entry.linger);
    entry.timer = undefined;
    entry.linger = undefined;
    this.lingering.delete(entry);
    if (entry.connect) {
      const c = entry.connect;
      entry.connect = undefined;
      this.deps.clock.clearTimer(c.timer);
      c.reject(new StreamError('TIMEOUT', `no answer from ${b32FromHash(entry.remoteHash)}`));
    }
    if (this.entries.get(entry.conn.localId) === entry) this.entries.delete(entry.conn.localId);
    if (entry.incomingKey && this.incoming.get(entry.incomingKey) === entry) this.incoming.delete(entry.incomingKey);
  }

  // ------------------------------------------------------------------------------------------
  // Out

  private sendPacket(entry: Entry, p: StreamPacket): void {
    let bytes: Uint8Array;
    if (p.flags & FLAG_SIGNATURE_INCLUDED) {
      const keys = this.host.keys.privateKeys;
      const signed = { ...p, ...(p.flags & FLAG_FROM_INCLUDED ? { from: keys.destination } : {}) };
      bytes = signPacket(signed, this.sigType, keys.signingPrivateKey);
    } else {
      bytes = encodePacket(p);
    }
    const deflate = entry.storeNext === 0 && this.options.gzipLevel > 0 && bytes.length > SMALL_PACKET;
    if (entry.storeNext > 0) entry.storeNext--;
    const framed = this.transmit(entry.remoteHash, entry.localPort, entry.remotePort, bytes, deflate ? this.options.gzipLevel : 0);
    if (deflate && framed.length > 0.9 * bytes.length) entry.storeNext = this.options.gzipBackoff;
  }

  private transmit(to: Uint8Array, fromPort: number, toPort: number, bytes: Uint8Array, level = 0): Uint8Array {
    this.counters.packetsOut++;
    const framed = encodeI2cpPayload({ protocol: PROTO_STREAMING, sourcePort: fromPort, destPort: toPort, payload: bytes }, { level });
    this.host.send(to, framed).catch((e: Error) => {
      this.counters.sendErrors++;
      this.deps.log?.debug('streaming packet not sent', { error: e.message });
    });
    return framed;
  }

  /** A RESET answering a SYN nobody takes. */
  private refuse(syn: DecodedPacket, remoteHash: Uint8Array, localPort: number, remotePort: number): void {
    this.counters.refused++;
    const keys = this.host.keys.privateKeys;
    this.transmit(remoteHash, localPort, remotePort, signPacket(refusalFor(syn, keys.destination), this.sigType, keys.signingPrivateKey));
  }

  // ------------------------------------------------------------------------------------------
  // In

  private onPayload(i: I2cpPayload): void {
    if (this.closed) return;
    this.counters.packetsIn++;
    let p: DecodedPacket;
    try {
      p = decodePacket(i.payload);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      this.counters.badPackets++;
      return;
    }
    try {
      this.onPacket(i, p);
    } catch (e) {
      // Network input never takes the router down: count it and drop the packet.
      if (e instanceof StreamError) return;
      this.counters.badPackets++;
      this.deps.log?.debug('streaming packet refused', { error: (e as Error).message });
    }
  }

  private onPacket(i: I2cpPayload, p: DecodedPacket): void {
    const now = this.deps.clock.now();
    if (p.flags & FLAG_ECHO) {
      // A pong (sendStreamId 0) needs nothing; a ping gets one.
      const from = checkPing(i.payload, p, now);
      if (from === 'signature') this.counters.badSignatures++;
      if (typeof from === 'string') return;
      this.counters.pings++;
      this.transmit(keysAndCertHash(from), i.destPort, i.sourcePort, encodePacket(pongFor(p)));
      return;
    }
    if (p.sendStreamId !== 0) {
      const entry = this.entries.get(p.sendStreamId);
      if (!entry) this.counters.unknownStream++;
      else this.deliver(entry, i.payload, p, now);
      return;
    }
    if (p.flags & FLAG_SYNCHRONIZE) {
      this.onSyn(i, p, now);
      return;
    }
    // A follow-on before our reply SYN reached the peer (sendStreamId still 0): to its stream, or kept.
    const entry = this.findIncoming(p.receiveStreamId);
    if (entry) this.deliver(entry, i.payload, p, now);
    else if (!this.early.keep(p.receiveStreamId, i.payload, now)) this.counters.unknownStream++;
  }

  /** A packet of one of our streams, once its signature (where required) checks out. */
  private deliver(entry: Entry, bytes: Uint8Array, p: DecodedPacket, now: number): void {
    const ok = checkStreamPacket(bytes, p, entry, now);
    if (typeof ok === 'string') {
      this.count(ok);
      return;
    }
    entry.signer = ok.signer;
    entry.conn.receive(p, now);
    this.arm(entry);
  }

  private count(r: Rejection): void {
    if (r === 'signature') this.counters.badSignatures++;
    else if (r === 'replay') this.counters.replays++;
    else this.counters.badPackets++;
  }

  private onSyn(i: I2cpPayload, p: DecodedPacket, now: number): void {
    const syn = checkSyn(i.payload, p, this.host.hash, now);
    if (typeof syn === 'string') {
      this.count(syn);
      return;
    }
    const key = `${i2pBase64Encode(syn.remoteHash)}:${p.receiveStreamId}`;
    const existing = this.incoming.get(key);
    if (existing) {
      // The peer resent its SYN: our reply was lost or is late.
      existing.conn.receive(p, now);
      this.arm(existing);
      return;
    }
    // The same signed SYN once its stream is gone (or sent to us by a third party): a replay.
    if (this.replays.seen(toHex(p.signature!), now)) {
      this.counters.replays++;
      return;
    }
    const handler = this.listeners.get(i.destPort) ?? this.listeners.get('any');
    if (!handler || !this.hasRoom()) {
      this.refuse(p, syn.remoteHash, i.destPort, i.sourcePort);
      return;
    }
    const entry: Entry = {
      conn: undefined as unknown as StreamConnection,
      stream: undefined,
      outbound: false,
      remoteHash: syn.remoteHash,
      remoteDestination: syn.from,
      signer: syn.signer,
      localPort: i.destPort,
      remotePort: i.sourcePort,
      timer: undefined,
      deadline: undefined,
      linger: undefined,
      incomingKey: key,
      storeNext: 0,
      connect: undefined,
    };
    const localId = this.newStreamId();
    entry.conn = this.newConnection(entry, localId, p.receiveStreamId, false);
    entry.stream = this.makeStream(entry);
    this.entries.set(localId, entry);
    this.incoming.set(key, entry);
    this.counters.active++;
    this.counters.accepted++;
    entry.conn.accept(p, now);
    for (const bytes of this.early.take(p.receiveStreamId)) this.deliver(entry, bytes, decodePacket(bytes), now);
    this.arm(entry);
    handler(entry.stream);
  }

  private findIncoming(remoteId: number): Entry | undefined {
    for (const e of this.incoming.values()) if (e.conn.remoteId === remoteId) return e;
    return undefined;
  }
}

function checkPort(port: number): number {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) throw new StreamError('NO_ROUTE', `port ${port} is out of range 0..65535`);
  return port;
}

function withTimeout<T>(p: Promise<T>, clock: Clock, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = clock.setTimer(ms, () => reject(new StreamError('TIMEOUT', `no LeaseSet within ${ms} ms`)));
    p.then(
      (v) => {
        clock.clearTimer(t);
        resolve(v);
      },
      (e: unknown) => {
        clock.clearTimer(t);
        reject(e as Error);
      },
    );
  });
}
