import type { Clock, Connection, RandomSource, TimerHandle } from '../../runtime/index.js';
import type { Ntcp2Block } from './blocks.js';
import { MAX_FRAME_PAYLOAD, BLOCK_HEADER_LENGTH } from './blocks.js';
import { Ntcp2DataPhase } from './data-phase.js';
import type { Ntcp2Error } from './errors.js';
import type { Ntcp2Established, Ntcp2Step } from './handshake.js';
import { Ntcp2Initiator, type Ntcp2InitiatorOptions } from './initiator.js';
import { Ntcp2Responder, type Ntcp2ResponderOptions } from './responder.js';
import { TerminationReason } from './termination.js';

/**
 * The thin socket driver of NTCP2: feeds a Connection's bytes to the handshake state machine,
 * then to the data phase, and turns the results into events. Everything the protocol decides
 * lives in the pure modules; this file only moves bytes, keeps timers and bounds queues.
 */

export interface Ntcp2ConnectionLimits {
  /** The whole handshake (i2pd allows 10 s; a peer feeding a byte a second is cut off). */
  handshakeTimeoutMs: number;
  /** No frame received for this long ends an established session. */
  idleTimeoutMs: number;
  /** Queued outbound I2NP bytes before `send` refuses (drop, never grow without bound). */
  maxQueuedBytes: number;
  /** Upper bound on how long a probe read lingers after a bad message 1. */
  probeTimeoutMs: number;
  /**
   * After we send Termination we keep reading (frames the peer sent before it saw ours are
   * still delivered) until the peer closes, at most this long.
   */
  lingerMs: number;
}

export const DEFAULT_CONNECTION_LIMITS: Ntcp2ConnectionLimits = {
  handshakeTimeoutMs: 15_000,
  idleTimeoutMs: 5 * 60_000,
  maxQueuedBytes: 1 << 20,
  probeTimeoutMs: 5_000,
  lingerMs: 10_000,
};

export interface Ntcp2CloseInfo {
  /** Why we closed (our termination reason), or why the peer did. */
  reason: string;
  /** The peer misbehaved (bad handshake, AEAD failure, garbage): count it against it. */
  penalize: boolean;
  /** True when it never got past the handshake. */
  duringHandshake: boolean;
  peerTermination?: number;
}

export interface Ntcp2ConnectionHandlers {
  established(conn: Ntcp2Connection, info: Ntcp2Established): void;
  /**
   * One I2NP message with the short header. The bytes are a copy the handler may keep. It may
   * come after `closed` when we terminated: what the peer sent before seeing our Termination.
   */
  message(conn: Ntcp2Connection, i2np: Uint8Array): void;
  routerInfo(conn: Ntcp2Connection, bytes: Uint8Array, flood: boolean): void;
  closed(conn: Ntcp2Connection, info: Ntcp2CloseInfo): void;
}

type Machine = { receive(bytes: Uint8Array): Ntcp2Step };

export interface Ntcp2ConnectionCommon {
  socket: Connection;
  clock: Clock;
  random: RandomSource;
  handlers: Ntcp2ConnectionHandlers;
  limits?: Partial<Ntcp2ConnectionLimits>;
}

export class Ntcp2Connection {
  readonly direction: 'inbound' | 'outbound';
  readonly socket: Connection;
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private readonly handlers: Ntcp2ConnectionHandlers;
  private readonly limits: Ntcp2ConnectionLimits;
  private machine: Machine | undefined;
  private data: Ntcp2DataPhase | undefined;
  private established: Ntcp2Established | undefined;
  private probeRemaining = -1;
  /** We sent Termination: still delivering what arrives until the peer closes (bounded). */
  private lingering = false;
  private timer: TimerHandle | undefined;
  private lastReceive = 0;
  private queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private flushScheduled = false;
  private closedInfo: Ntcp2CloseInfo | undefined;
  bytesIn = 0;
  bytesOut = 0;
  dropped = 0;

  private constructor(direction: 'inbound' | 'outbound', c: Ntcp2ConnectionCommon) {
    this.direction = direction;
    this.socket = c.socket;
    this.clock = c.clock;
    this.random = c.random;
    this.handlers = c.handlers;
    this.limits = { ...DEFAULT_CONNECTION_LIMITS, ...c.limits };
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk) => this.onData(chunk));
    this.socket.on('close', () => {
      // The probe and linger timers outlive finish(); the socket's end is theirs too.
      this.clearTimer();
      this.lingering = false;
      this.finish({ reason: 'socket closed', penalize: false, duringHandshake: !this.established });
    });
    this.setTimer(this.limits.handshakeTimeoutMs, () => this.fail('handshake timeout', false));
  }

  /** We dial: message 1 goes out at once. */
  static outbound(c: Ntcp2ConnectionCommon, initiator: Omit<Ntcp2InitiatorOptions, 'now' | 'random'>): Ntcp2Connection {
    const conn = new Ntcp2Connection('outbound', c);
    const machine = new Ntcp2Initiator({ ...initiator, now: () => c.clock.now(), random: c.random });
    conn.machine = machine;
    try {
      conn.write(machine.start());
    } catch (e) {
      conn.fail(`cannot start handshake: ${(e as Error).message}`, false);
    }
    return conn;
  }

  /** A peer dialed us: wait for its message 1. */
  static inbound(c: Ntcp2ConnectionCommon, responder: Omit<Ntcp2ResponderOptions, 'now' | 'random'>): Ntcp2Connection {
    const conn = new Ntcp2Connection('inbound', c);
    conn.machine = new Ntcp2Responder({ ...responder, now: () => c.clock.now(), random: c.random });
    return conn;
  }

  get isEstablished(): boolean {
    return this.established !== undefined && this.closedInfo === undefined;
  }

  get isClosed(): boolean {
    return this.closedInfo !== undefined;
  }

  get peer(): Ntcp2Established | undefined {
    return this.established;
  }

  get queued(): number {
    return this.queuedBytes;
  }

  /**
   * Queue I2NP messages (short header). They leave together in as few frames as fit, on the
   * next turn of the event loop. False (and a drop counted) when the queue is full or closed.
   */
  send(i2np: Uint8Array): boolean {
    if (this.closedInfo) return false;
    if (i2np.length + BLOCK_HEADER_LENGTH > MAX_FRAME_PAYLOAD || this.queuedBytes + i2np.length > this.limits.maxQueuedBytes) {
      this.dropped++;
      return false;
    }
    this.queue.push(i2np);
    this.queuedBytes += i2np.length;
    if (this.established && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    return true;
  }

  /** A RouterInfo block (ours, to a peer that dialed us, or a flood request to a floodfill). */
  sendRouterInfo(bytes: Uint8Array, flood = false): void {
    if (!this.data || this.closedInfo) return;
    this.write(this.data.seal([{ kind: 'routerInfo', flood, routerInfo: bytes }, ...this.padding()]));
  }

  /**
   * Send a Termination block, then close our side. Frames the peer sent before it saw the
   * Termination are still delivered (a duplicate session dropped on a simultaneous dial may
   * carry messages) until the peer closes, or for at most `lingerMs`.
   */
  terminate(reason: number, why: string): void {
    if (this.closedInfo) return;
    if (this.data) {
      this.flush();
      this.write(this.data.terminate(reason));
    }
    this.finish({ reason: why, penalize: false, duringHandshake: !this.established });
    this.lingering = this.data !== undefined;
    this.timer = this.clock.setTimer(this.limits.lingerMs, () => this.destroySocket());
    this.socket.close();
  }

  private padding(): Ntcp2Block[] {
    const n = this.random.int(16);
    return n === 0 ? [] : [{ kind: 'padding', data: this.random.bytes(n) }];
  }

  private flush(): void {
    this.flushScheduled = false;
    if (!this.data || this.closedInfo) return;
    while (this.queue.length > 0) {
      const blocks: Ntcp2Block[] = [];
      // Leave room for a small padding block.
      let room = MAX_FRAME_PAYLOAD - 32;
      while (this.queue.length > 0 && this.queue[0].length + BLOCK_HEADER_LENGTH <= room) {
        const message = this.queue.shift()!;
        this.queuedBytes -= message.length;
        room -= message.length + BLOCK_HEADER_LENGTH;
        blocks.push({ kind: 'i2np', message });
      }
      this.write(this.data.seal([...blocks, ...this.padding()]));
    }
  }

  private write(bytes: Uint8Array): void {
    this.bytesOut += bytes.length;
    this.socket.write(bytes);
  }

  private setTimer(ms: number, fn: () => void): void {
    if (this.timer) this.clock.clearTimer(this.timer);
    this.timer = this.clock.setTimer(ms, fn);
  }

  private clearTimer(): void {
    if (this.timer) this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  /** The end of a probe read or a linger: no timer may outlive the socket. */
  private destroySocket(): void {
    this.clearTimer();
    this.lingering = false;
    this.socket.destroy();
  }

  private onData(chunk: Uint8Array): void {
    if (this.lingering) {
      this.bytesIn += chunk.length;
      return this.onFrames(chunk);
    }
    if (this.probeRemaining >= 0) {
      // Probing resistance: read a random amount after a bad message 1, then close.
      this.bytesIn += chunk.length;
      this.probeRemaining -= chunk.length;
      if (this.probeRemaining <= 0) this.destroySocket();
      return;
    }
    if (this.closedInfo) return;
    this.bytesIn += chunk.length;
    if (this.data) return this.onFrames(chunk);
    const step = this.machine!.receive(chunk);
    for (const out of step.send ?? []) this.write(out);
    if (step.error) return this.onHandshakeError(step.error);
    if (step.done) {
      this.machine = undefined;
      this.established = step.done;
      this.data = new Ntcp2DataPhase(step.done.dataPhase);
      this.lastReceive = this.clock.now();
      this.armIdle();
      this.handlers.established(this, step.done);
      // The handler may have terminated it (a duplicate session): frames behind message 3
      // are still the peer's messages, delivered while we linger.
      if (this.closedInfo && !this.lingering) return;
      if (!this.closedInfo && this.queue.length > 0) this.flush();
      if (step.leftover && step.leftover.length > 0) this.onFrames(step.leftover);
    }
  }

  private onHandshakeError(err: Ntcp2Error): void {
    if (err.probe && this.direction === 'inbound') {
      this.finish({ reason: `handshake: ${err.message}`, penalize: true, duringHandshake: true });
      this.probeRemaining = err.probe.readBytes;
      if (this.probeRemaining === 0) return this.destroySocket();
      // Bounded: a peer that stops sending is dropped after a random while.
      const wait = 1 + this.random.int(this.limits.probeTimeoutMs);
      this.timer = this.clock.setTimer(wait, () => this.destroySocket());
      return;
    }
    this.fail(`handshake: ${err.message}`, true);
  }

  private onFrames(chunk: Uint8Array): void {
    const { frames, error } = this.data!.push(chunk);
    if (frames.length > 0) this.lastReceive = this.clock.now();
    for (const blocks of frames) {
      for (const b of blocks) {
        if (this.closedInfo && !this.lingering) return;
        switch (b.kind) {
          case 'i2np':
            this.handlers.message(this, b.message.slice());
            break;
          case 'routerInfo':
            this.handlers.routerInfo(this, b.routerInfo.slice(), b.flood);
            break;
          case 'termination':
            if (this.lingering) return this.destroySocket();
            this.finish({ reason: `peer terminated (reason ${b.reason})`, penalize: false, duringHandshake: false, peerTermination: b.reason });
            // Bounded: a peer that says goodbye but keeps its side open is cut after lingerMs.
            this.timer = this.clock.setTimer(this.limits.lingerMs, () => this.destroySocket());
            this.socket.close();
            return;
          default:
            // DateTime, Options, Padding, unknown blocks: nothing to act on.
            break;
        }
      }
    }
    if (error) {
      // While lingering we already said goodbye; garbage now only ends the read.
      if (this.lingering) return this.destroySocket();
      this.write(this.data!.terminate(error.terminationReason ?? TerminationReason.DataPhaseAeadFailure));
      this.fail(`data phase: ${error.message}`, true);
    }
  }

  private armIdle(): void {
    const check = () => {
      const idle = this.clock.now() - this.lastReceive;
      if (idle >= this.limits.idleTimeoutMs) return this.terminate(TerminationReason.IdleTimeout, 'idle timeout');
      this.setTimer(this.limits.idleTimeoutMs - idle, check);
    };
    this.setTimer(this.limits.idleTimeoutMs, check);
  }

  private fail(reason: string, penalize: boolean): void {
    if (this.closedInfo) return;
    this.finish({ reason, penalize, duringHandshake: !this.established });
    this.socket.destroy();
  }

  private finish(info: Ntcp2CloseInfo): void {
    if (this.closedInfo) return;
    this.closedInfo = info;
    this.dropped += this.queue.length;
    this.queue = [];
    this.queuedBytes = 0;
    if (this.timer && this.probeRemaining < 0) this.clock.clearTimer(this.timer);
    this.handlers.closed(this, info);
  }
}
