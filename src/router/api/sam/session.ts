/**
 * A SAM session: one destination of ours, held by the control socket that created it, and its
 * subsessions (a STREAM/DATAGRAM/RAW session is its own single subsession; a PRIMARY one gets
 * them with SESSION ADD). Incoming datagrams are routed to a subsession by protocol and port
 * and handed to the client (forwarded over UDP or written on the control socket); incoming
 * streams wait for a STREAM ACCEPT (in a small backlog) or go to a STREAM FORWARD.
 */
import type { Destination } from '../../data/index.js';
import { encodeI2cpPayload, PROTO_DATAGRAM, PROTO_DATAGRAM_RAW, type I2cpPayload } from '../../client/i2cp-payload.js';
import { encodeDatagram1, openDatagram1, signDatagram1 } from '../../client/datagram.js';
import type { LocalDestination } from '../../client/destination.js';
import type { Logger } from '../../log.js';
import type { Clock } from '../../runtime/index.js';
import type { SamStream, SamStreams } from './backend.js';
import { rawForwardHeader, repliableForwardHeader } from './datagram-header.js';
import { destinationBase64 } from './keys.js';
import { listenConflict, routeIncoming, type ListenKey, type SamStyle } from './routing.js';
import { atLeast32, type SamVersion } from './version.js';

/** Incoming streams that may wait for a STREAM ACCEPT, per subsession, and how long. */
export const MAX_BACKLOG = 16;
export const BACKLOG_MS = 30_000;
/** Pending STREAM ACCEPTs per subsession. */
export const MAX_PENDING_ACCEPTS = 64;
/** Subsessions of one PRIMARY session. */
export const MAX_SUBSESSIONS = 32;
/** Datagrams of one session waiting for a LeaseSet lookup or a tunnel; more are dropped. */
export const MAX_DATAGRAMS_IN_FLIGHT = 256;

export interface DatagramForward {
  host: string;
  port: number;
}

export interface SubSession extends ListenKey {
  id: string;
  /** Defaults for what this subsession sends. */
  fromPort: number;
  toPort: number;
  /** RAW: the protocol sent with (default 18). */
  protocol: number;
  /** RAW: forwarded datagrams get a header line. */
  header: boolean;
  forward?: DatagramForward;
  session: SamSession;
}

export type Acceptor = (s: SamStream) => void;

interface StreamListener {
  unlisten: () => void;
  acceptors: Acceptor[];
  forward: Acceptor | undefined;
  backlog: { stream: SamStream; at: number }[];
}

export interface SessionIo {
  clock: Clock;
  log: Logger;
  version: SamVersion;
  /** Bytes on the control socket (DATAGRAM RECEIVED, RAW RECEIVED). */
  writeControl(bytes: Uint8Array): void;
  sendUdp(bytes: Uint8Array, to: DatagramForward): void;
  streams(): SamStreams;
}

export class SamSessionError extends Error {
  override readonly name = 'SamSessionError';
  constructor(
    readonly code: 'I2P_ERROR' | 'DUPLICATED_ID' | 'INVALID_ID',
    message: string,
  ) {
    super(message);
  }
}

export class SamSession {
  readonly subsessions = new Map<string, SubSession>();
  readonly counters = { datagramsIn: 0, datagramsOut: 0, dropped: 0, streamsIn: 0, streamsOut: 0 };
  private readonly listeners = new Map<string, StreamListener>();
  private readonly payloadOffs = new Map<number, () => void>();
  /** Sockets that live and die with this session (stream, acceptor and forward sockets). */
  private readonly attached = new Set<{ destroy(): void }>();
  private closed = false;
  private inFlight = 0;

  constructor(
    readonly id: string,
    readonly style: SamStyle | 'PRIMARY',
    readonly dest: LocalDestination,
    private readonly io: SessionIo,
  ) {}

  get destinationBase64(): string {
    return destinationBase64(this.dest.keys.privateKeys.destination);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get version(): SamVersion {
    return this.io.version;
  }

  /** A subsession (for a single-style session: the session itself, under its own ID). */
  add(sub: Omit<SubSession, 'session'>): SubSession {
    if (this.subsessions.size >= MAX_SUBSESSIONS) throw new SamSessionError('I2P_ERROR', `at most ${MAX_SUBSESSIONS} subsessions`);
    if (listenConflict(this.subsessions.values(), sub)) {
      throw new SamSessionError('I2P_ERROR', `another ${sub.style} subsession listens on port ${sub.listenPort}${sub.style === 'RAW' ? ` protocol ${sub.listenProtocol}` : ''}`);
    }
    const s: SubSession = { ...sub, session: this };
    this.subsessions.set(s.id, s);
    if (s.style === 'STREAM') this.listenStreams(s);
    else this.listenPayload(s.style === 'DATAGRAM' ? PROTO_DATAGRAM : s.listenProtocol || PROTO_DATAGRAM_RAW);
    return s;
  }

  remove(id: string): boolean {
    const s = this.subsessions.get(id);
    if (!s) return false;
    this.subsessions.delete(id);
    const l = this.listeners.get(id);
    if (l) {
      l.unlisten();
      for (const b of l.backlog) b.stream.destroy();
      this.listeners.delete(id);
    }
    return true;
  }

  // ---- streams ---------------------------------------------------------------------------

  private listenStreams(s: SubSession): void {
    const l: StreamListener = { unlisten: () => {}, acceptors: [], forward: undefined, backlog: [] };
    this.listeners.set(s.id, l);
    l.unlisten = this.io.streams().listen((stream) => this.incomingStream(l, stream), s.listenPort === 0 ? {} : { port: s.listenPort });
  }

  private incomingStream(l: StreamListener, stream: SamStream): void {
    if (this.closed) {
      stream.destroy();
      return;
    }
    this.counters.streamsIn++;
    if (l.forward) return l.forward(stream);
    const a = l.acceptors.shift();
    if (a) return a(stream);
    this.pruneBacklog(l);
    if (l.backlog.length >= MAX_BACKLOG) {
      this.io.log.debug('incoming stream refused: backlog full', { session: this.id });
      stream.destroy();
      return;
    }
    const entry = { stream, at: this.io.clock.now() };
    l.backlog.push(entry);
    stream.once('close', () => {
      const i = l.backlog.indexOf(entry);
      if (i >= 0) l.backlog.splice(i, 1);
    });
  }

  private pruneBacklog(l: StreamListener): void {
    const now = this.io.clock.now();
    while (l.backlog.length > 0 && now - l.backlog[0].at > BACKLOG_MS) l.backlog.shift()!.stream.destroy();
  }

  private streamListener(subId: string): StreamListener {
    const l = this.listeners.get(subId);
    if (!l) throw new SamSessionError('I2P_ERROR', `${subId} is not a STREAM session`);
    return l;
  }

  /** STREAM ACCEPT: the next incoming stream (a waiting one at once); returns a cancel function. */
  accept(subId: string, a: Acceptor): () => void {
    const l = this.streamListener(subId);
    if (l.forward) throw new SamSessionError('I2P_ERROR', 'the session is forwarding its streams (STREAM FORWARD)');
    this.pruneBacklog(l);
    const waiting = l.backlog.shift();
    if (waiting) {
      a(waiting.stream);
      return () => {};
    }
    if (l.acceptors.length >= MAX_PENDING_ACCEPTS) throw new SamSessionError('I2P_ERROR', `at most ${MAX_PENDING_ACCEPTS} pending STREAM ACCEPTs`);
    l.acceptors.push(a);
    return () => {
      const i = l.acceptors.indexOf(a);
      if (i >= 0) l.acceptors.splice(i, 1);
    };
  }

  /** STREAM FORWARD: every incoming stream to `a` until the returned function is called. */
  forwardStreams(subId: string, a: Acceptor): () => void {
    const l = this.streamListener(subId);
    if (l.acceptors.length > 0) throw new SamSessionError('I2P_ERROR', 'STREAM ACCEPTs are pending on the session');
    if (l.forward) throw new SamSessionError('I2P_ERROR', 'the session already forwards its streams');
    l.forward = a;
    for (const b of l.backlog.splice(0)) a(b.stream);
    return () => {
      if (l.forward === a) l.forward = undefined;
    };
  }

  attach(sock: { destroy(): void }): () => void {
    if (this.closed) {
      sock.destroy();
      return () => {};
    }
    this.attached.add(sock);
    return () => this.attached.delete(sock);
  }

  // ---- datagrams -------------------------------------------------------------------------

  /** One subscription per I2CP protocol; routeIncoming picks the subsession of each payload. */
  private listenPayload(protocol: number): void {
    if (this.payloadOffs.has(protocol)) return;
    this.payloadOffs.set(protocol, this.dest.onPayload(protocol, (m) => this.incomingPayload(m)));
  }

  private incomingPayload(m: I2cpPayload): void {
    if (this.closed) return;
    const sub = routeIncoming(this.subsessions.values(), m.protocol, m.destPort);
    if (!sub) {
      this.counters.dropped++;
      return;
    }
    let from: Destination | undefined;
    let payload = m.payload;
    if (m.protocol === PROTO_DATAGRAM) {
      try {
        const dg = openDatagram1(m.payload);
        from = dg.from;
        payload = dg.payload;
      } catch {
        this.counters.dropped++;
        return;
      }
    }
    this.counters.datagramsIn++;
    this.deliver(sub, { from, fromPort: m.sourcePort, toPort: m.destPort, protocol: m.protocol, payload });
  }

  private deliver(sub: SubSession, d: { from?: Destination; fromPort: number; toPort: number; protocol: number; payload: Uint8Array }): void {
    const ports = atLeast32(this.io.version);
    if (sub.forward) {
      let head = '';
      if (d.from) head = repliableForwardHeader(destinationBase64(d.from), d.fromPort, d.toPort, ports);
      else if (sub.header) head = rawForwardHeader(d.fromPort, d.toPort, d.protocol);
      this.io.sendUdp(Buffer.concat([Buffer.from(head, 'utf8'), d.payload]), sub.forward);
      return;
    }
    const portFields = ports ? ` FROM_PORT=${d.fromPort} TO_PORT=${d.toPort}` : '';
    const line = d.from
      ? `DATAGRAM RECEIVED DESTINATION=${destinationBase64(d.from)} SIZE=${d.payload.length}${portFields}\n`
      : `RAW RECEIVED SIZE=${d.payload.length}${portFields}${ports ? ` PROTOCOL=${d.protocol}` : ''}\n`;
    this.io.writeControl(Buffer.concat([Buffer.from(line, 'utf8'), d.payload]));
  }

  /**
   * A datagram out of a DATAGRAM or RAW subsession: repliable ones signed by our destination,
   * raw ones as they are; ports and protocol from the subsession unless given. Unreliable by
   * nature: a failed send (no LeaseSet found, no tunnel yet) is counted and dropped.
   */
  sendDatagram(sub: SubSession, to: Uint8Array, payload: Uint8Array, o: { fromPort?: number; toPort?: number; protocol?: number }): boolean {
    if (this.closed || sub.style === 'STREAM') return false;
    if (this.inFlight >= MAX_DATAGRAMS_IN_FLIGHT) {
      this.counters.dropped++;
      return false;
    }
    const { privateKeys } = this.dest.keys;
    const repliable = sub.style === 'DATAGRAM';
    const body = repliable ? encodeDatagram1(signDatagram1(privateKeys.destination, privateKeys.signingPrivateKey, payload)) : payload;
    const framed = encodeI2cpPayload({
      protocol: repliable ? PROTO_DATAGRAM : (o.protocol ?? sub.protocol),
      sourcePort: o.fromPort ?? sub.fromPort,
      destPort: o.toPort ?? sub.toPort,
      payload: body,
    });
    this.inFlight++;
    this.counters.datagramsOut++;
    this.dest
      .send(to, framed)
      .catch((e: Error) => {
        this.counters.dropped++;
        this.io.log.debug('datagram not sent', { session: sub.id, error: e.message });
      })
      .finally(() => this.inFlight--);
    return true;
  }

  // ---- end -------------------------------------------------------------------------------

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const id of [...this.subsessions.keys()]) this.remove(id);
    for (const off of this.payloadOffs.values()) off();
    this.payloadOffs.clear();
    for (const s of this.attached) s.destroy();
    this.attached.clear();
  }
}
