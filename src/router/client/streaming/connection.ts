import {
  CHOKE_DELAY,
  FLAG_CLOSE,
  FLAG_FROM_INCLUDED,
  FLAG_MAX_PACKET_SIZE_INCLUDED,
  FLAG_NO_ACK,
  FLAG_RESET,
  FLAG_SIGNATURE_INCLUDED,
  FLAG_SYNCHRONIZE,
  type StreamPacket,
} from './packet.js';
import { type ConnectionOptions, DEFAULT_CONNECTION_OPTIONS } from './options.js';
import { RttEstimator } from './rtt.js';

/**
 * One streaming connection as a state machine (streaming.rst, streaming.html): no I/O and no
 * clock of its own. The driver feeds it verified packets, application writes and the time, and
 * it answers through `ConnectionSink` (packets to sign and send, data for the application) and
 * `nextDeadline()` (when `tick` wants to be called next).
 *
 * Sequence numbers: the SYN (and the reply SYN) is 0, every packet that carries data, CLOSE or
 * RESET takes the next; plain ACKs carry 0 and are never acknowledged.
 */

export type ConnectionState = 'syn-sent' | 'established' | 'closed';
/** RESET: the peer reset; TIMEOUT: the peer stopped acknowledging; CLOSED: we reset it. */
export type ConnectionEndReason = 'RESET' | 'TIMEOUT' | 'CLOSED';

export interface ConnectionSink {
  /** A packet to send. SIGNATURE_INCLUDED (and FROM_INCLUDED) are for the driver to fill in. */
  send(p: StreamPacket): void;
  established(): void;
  data(bytes: Uint8Array): void;
  /** The peer's CLOSE arrived in order: no more data will come. */
  remoteClosed(): void;
  /** Our send buffer fell below its bound. */
  writable(): void;
  /** Our CLOSE was acknowledged (everything we wrote arrived). */
  localCloseAcked(): void;
  /** Terminal: undefined for an orderly close in both directions. */
  ended(reason: ConnectionEndReason | undefined): void;
  /**
   * A retransmission timeout fired (not while choked): the path to the peer may be broken.
   * `consecutive` counts the timeouts since the peer last acknowledged anything (1 = the first).
   */
  timedOut(consecutive: number): void;
  /** Bytes delivered to the application and not read yet (for flow control). */
  backlog(): number;
}

interface InFlight {
  seq: number;
  flags: number;
  payload: Uint8Array;
  sentAt: number;
  transmissions: number;
  /** Timeouts that count toward giving up (not those while the peer had us choked). */
  tries: number;
  nackHits: number;
  /** Given up on by a timeout: resent as the window allows, not counted in flight until then. */
  lost: boolean;
}

interface Received {
  flags: number;
  payload: Uint8Array;
}

const EMPTY = new Uint8Array(0);
const MAX_NACKS = 255;

export class StreamConnection {
  state: ConnectionState;
  /** Our stream id: the peer puts it in sendStreamId. */
  readonly localId: number;
  /** The peer's stream id (0 until its SYN or reply SYN arrives). */
  remoteId: number;
  readonly stats = { sent: 0, retransmitted: 0, timeouts: 0, fastRetransmits: 0, received: 0, duplicates: 0, outOfOrder: 0, dropped: 0, acksSent: 0 };

  private readonly o: ConnectionOptions;
  /** The recipient's hash as 8 NACKs in our SYN (replay prevention); never in a reply SYN. */
  private readonly synNacks: number[];
  private readonly rtt: RttEstimator;
  private nextSeq = 0;
  private readonly inFlight = new Map<number, InFlight>();
  private cwnd: number;
  private ssthresh: number;
  /** The highest sequence number outstanding when we last halved the window (one cut per loss event). */
  private recoverSeq = -1;
  private remoteMtu: number;
  private remoteChoked = false;
  /** In-flight packets marked lost and not yet resent. */
  private lostCount = 0;
  /** Timeouts since the peer last acknowledged something. */
  private consecutiveTimeouts = 0;

  private readonly sendQueue: Uint8Array[] = [];
  private queuedBytes = 0;
  private flushAt: number | undefined;
  private nagleMs: number;
  private closeWanted = false;
  private closeSeq: number | undefined;
  private closeAcked = false;
  private wasOverLimit = false;

  /** Highest sequence number received with everything before it (-1: nothing yet). */
  private lastInOrder = -1;
  private highestReceived = -1;
  private readonly outOfOrder = new Map<number, Received>();
  private outOfOrderBytes = 0;
  private ackAt: number | undefined;
  private unackedReceived = 0;
  private chokedPeer = false;
  private remoteCloseSeen = false;
  private endReason: ConnectionEndReason | undefined;

  constructor(
    private readonly sink: ConnectionSink,
    init: { localId: number; remoteId?: number; now: number; outbound: boolean; synNacks?: number[] },
    options: Partial<ConnectionOptions> = {},
  ) {
    this.o = { ...DEFAULT_CONNECTION_OPTIONS, ...options };
    this.rtt = new RttEstimator(this.o);
    this.cwnd = this.o.initialWindow;
    this.nagleMs = this.o.nagleMs;
    this.ssthresh = this.o.maxWindow;
    this.remoteMtu = this.o.mtu;
    this.localId = init.localId;
    this.synNacks = init.outbound ? (init.synNacks ?? []) : [];
    this.remoteId = init.remoteId ?? 0;
    this.state = init.outbound ? 'syn-sent' : 'established';
  }

  get windowSize(): number {
    return Math.floor(this.cwnd);
  }
  get rto(): number {
    return this.rtt.rto;
  }
  get bufferedBytes(): number {
    return this.queuedBytes;
  }
  get inFlightCount(): number {
    return this.inFlight.size;
  }
  get isFinished(): boolean {
    return this.state === 'closed';
  }
  get remoteClosed(): boolean {
    return this.remoteCloseSeen;
  }
  get reason(): ConnectionEndReason | undefined {
    return this.endReason;
  }
  /** True while the application may write more without waiting. */
  get canWrite(): boolean {
    return this.queuedBytes < this.o.sendBufferBytes;
  }

  /** Outbound: the SYN (sequence 0), with as much queued data as fits. */
  open(now: number): void {
    if (this.state !== 'syn-sent' || this.nextSeq !== 0) return;
    const payload = this.take(this.o.mtu);
    this.transmit(now, FLAG_SYNCHRONIZE | FLAG_FROM_INCLUDED | FLAG_SIGNATURE_INCLUDED | FLAG_MAX_PACKET_SIZE_INCLUDED | FLAG_NO_ACK, payload);
  }

  /** Inbound: the peer's SYN, already verified by the driver; answered at once with our SYN. */
  accept(syn: StreamPacket, now: number): void {
    this.remoteId = syn.receiveStreamId;
    if (syn.maxPacketSize !== undefined) this.remoteMtu = Math.max(this.o.minMtu, Math.min(this.o.mtu, syn.maxPacketSize));
    this.deliverInOrder(syn.sequenceNum, syn.flags, syn.payload);
    // The reply SYN acknowledges theirs, and carries no NACKs (PITFALLS: older peers would misread them).
    const payload = this.take(this.remoteMtu);
    this.transmit(now, FLAG_SYNCHRONIZE | FLAG_FROM_INCLUDED | FLAG_SIGNATURE_INCLUDED | FLAG_MAX_PACKET_SIZE_INCLUDED, payload);
    this.flush(now);
  }

  /** Application data: queued, sent as the window allows. */
  write(data: Uint8Array, now: number): void {
    if (this.isFinished || this.closeWanted || data.length === 0) return;
    this.sendQueue.push(data);
    this.queuedBytes += data.length;
    if (!this.canWrite) this.wasOverLimit = true;
    if (this.flushAt === undefined) this.flushAt = now + this.nagleMs;
    this.flush(now);
  }

  /** How long a short tail of data waits for more writes (0: sent at once). */
  setNagle(ms: number, now: number): void {
    this.nagleMs = Math.max(0, ms);
    if (this.flushAt !== undefined) this.flushAt = Math.min(this.flushAt, now + this.nagleMs);
    this.flush(now);
  }

  /** Half-close: a CLOSE after the queued data. */
  close(now: number): void {
    if (this.isFinished || this.closeWanted) return;
    this.closeWanted = true;
    this.flush(now, true);
  }

  /** Abnormal close: a RESET to the peer, and we are done. */
  reset(now: number): void {
    if (this.isFinished) return;
    if (this.state === 'established' || this.remoteId !== 0) this.sendControl(now, FLAG_RESET | FLAG_SIGNATURE_INCLUDED, this.nextSeq++);
    this.finish('CLOSED');
  }

  /** The application read what it was given: lift a choke we had advertised. */
  drained(now: number): void {
    if (this.chokedPeer && this.sink.backlog() < this.o.receiveBufferBytes / 2) {
      this.chokedPeer = false;
      this.sendAck(now);
    }
  }

  /** A packet from the peer (signature already verified by the driver where present). */
  receive(p: StreamPacket, now: number): void {
    if (this.isFinished) {
      // Lingering after an orderly close (the driver keeps us a while): answer a retransmitted
      // CLOSE so the peer can finish too.
      if (this.endReason === undefined && p.sequenceNum > 0 && p.sequenceNum <= this.lastInOrder) this.sendAck(now);
      return;
    }
    this.stats.received++;
    if (p.flags & FLAG_RESET) {
      this.finish('RESET');
      return;
    }
    if (p.flags & FLAG_SYNCHRONIZE && this.state === 'syn-sent') {
      // The reply SYN: the peer's id, its MTU, and the connection is up.
      this.remoteId = p.receiveStreamId;
      if (p.maxPacketSize !== undefined) this.remoteMtu = Math.max(this.o.minMtu, Math.min(this.o.mtu, p.maxPacketSize));
      this.state = 'established';
      this.sink.established();
    }
    if (p.delayRequested !== undefined && p.delayRequested > CHOKE_DELAY) this.remoteChoked = true;
    else this.remoteChoked = false;
    // A SYN's NACK field may hold a hash (replay prevention), never a loss report.
    if (!(p.flags & FLAG_NO_ACK)) this.processAck(p.ackThrough, p.flags & FLAG_SYNCHRONIZE ? [] : p.nacks, now);
    if (this.isFinished) return;

    const seq = p.sequenceNum;
    const carries = seq !== 0 || (p.flags & FLAG_SYNCHRONIZE) !== 0;
    if (carries) this.onSequenced(seq, p.flags, p.payload, now);
    if (!this.isFinished) this.flush(now);
  }

  /** When `tick` should run next (ms since the epoch), if anything is pending. */
  nextDeadline(): number | undefined {
    if (this.isFinished) return undefined;
    let d: number | undefined;
    const min = (t: number | undefined) => {
      if (t !== undefined && (d === undefined || t < d)) d = t;
    };
    min(this.ackAt);
    if (this.queuedBytes > 0 && this.canSend()) min(this.flushAt);
    // Retransmissions move a packet's send time: the earliest due may be any in flight (at most a window).
    const rto = this.rtt.rto;
    for (const f of this.inFlight.values()) if (!f.lost) min(f.sentAt + rto);
    return d;
  }

  tick(now: number): void {
    if (this.isFinished) return;
    this.retransmitDue(now);
    if (this.isFinished) return;
    this.flush(now);
    if (this.ackAt !== undefined && now >= this.ackAt) this.sendAck(now);
  }

  // ------------------------------------------------------------------------------------------
  // Receiving

  private onSequenced(seq: number, flags: number, payload: Uint8Array, now: number): void {
    if (seq <= this.lastInOrder) {
      // A duplicate: our ACK was lost, say it again now.
      this.stats.duplicates++;
      this.sendAck(now);
      return;
    }
    if (seq === this.lastInOrder + 1) {
      if (this.sink.backlog() >= 2 * this.o.receiveBufferBytes) {
        // The application is not reading: drop without acknowledging, the peer resends later.
        this.stats.dropped++;
        this.chokedPeer = true;
        this.sendAck(now);
        return;
      }
      this.deliverInOrder(seq, flags, payload);
      while (!this.isFinished) {
        const next = this.outOfOrder.get(this.lastInOrder + 1);
        if (!next) break;
        this.outOfOrder.delete(this.lastInOrder + 1);
        this.outOfOrderBytes -= next.payload.length;
        this.deliverInOrder(this.lastInOrder + 1, next.flags, next.payload);
      }
      if (this.sink.backlog() >= this.o.receiveBufferBytes) this.chokedPeer = true;
      this.unackedReceived++;
      // A gap just closed, or the peer closed, or enough to acknowledge: at once; else shortly.
      if (this.outOfOrder.size > 0 || this.highestReceived > this.lastInOrder || this.remoteCloseSeen || this.chokedPeer || this.unackedReceived >= this.o.ackEvery) {
        this.sendAck(now);
      } else if (this.ackAt === undefined) {
        this.ackAt = now + Math.min(this.o.ackDelayMs, Math.max(1, Math.floor(this.rtt.srttOr(this.o.ackDelayMs * 10) / 10)));
      }
      return;
    }
    // Out of order: keep it if it is within the bounds, and NACK the gap at once.
    if (seq - this.lastInOrder <= this.o.maxOutOfOrder && !this.outOfOrder.has(seq) && this.outOfOrderBytes + payload.length <= this.o.receiveBufferBytes) {
      this.outOfOrder.set(seq, { flags, payload });
      this.outOfOrderBytes += payload.length;
      if (seq > this.highestReceived) this.highestReceived = seq;
      this.stats.outOfOrder++;
    } else {
      this.stats.dropped++;
    }
    this.sendAck(now);
  }

  private deliverInOrder(seq: number, flags: number, payload: Uint8Array): void {
    this.lastInOrder = seq;
    if (seq > this.highestReceived) this.highestReceived = seq;
    if (payload.length > 0 && !this.remoteCloseSeen) this.sink.data(payload);
    if (flags & FLAG_CLOSE && !this.remoteCloseSeen) {
      this.remoteCloseSeen = true;
      this.sink.remoteClosed();
      this.checkDone();
    }
  }

  /** ackThrough and NACKs from the peer: what left the window, what to resend at once. */
  private processAck(ackThrough: number, nacks: number[], now: number): void {
    if (ackThrough >= this.nextSeq) return;
    const nacked = nacks.length > 0 ? new Set(nacks) : undefined;
    let acked = 0;
    for (const f of this.inFlight.values()) {
      if (f.seq > ackThrough) break;
      if (nacked?.has(f.seq)) {
        f.nackHits++;
        continue;
      }
      this.inFlight.delete(f.seq);
      if (f.lost) this.lostCount--;
      acked++;
      // Karn: only packets sent once give an RTT sample.
      if (f.transmissions === 1) this.rtt.sample(now - f.sentAt);
      if (f.seq === this.closeSeq) {
        this.closeAcked = true;
        this.sink.localCloseAcked();
      }
    }
    if (acked > 0) {
      this.rtt.resetBackoff();
      this.consecutiveTimeouts = 0;
      for (let i = 0; i < acked; i++) {
        if (this.cwnd < this.ssthresh) this.cwnd += 1;
        else this.cwnd += 1 / this.cwnd;
      }
      if (this.cwnd > this.o.maxWindow) this.cwnd = this.o.maxWindow;
    }
    // Two NACKs of a packet ask for a fast retransmit (streaming.rst).
    if (nacked) {
      for (const f of this.inFlight.values()) {
        if (!f.lost && f.nackHits >= 2 && now - f.sentAt >= this.rtt.srttOr(0) / 2) {
          f.nackHits = 0;
          this.stats.fastRetransmits++;
          this.onLoss(f.seq);
          this.resend(f, now);
        }
      }
    }
    if (this.wasOverLimit && this.canWrite) {
      this.wasOverLimit = false;
      this.sink.writable();
    }
    this.checkDone();
  }

  // ------------------------------------------------------------------------------------------
  // Sending

  private canSend(): boolean {
    // Choked, one packet stays in flight as a probe: its ACKs tell us when the choke lifts
    // (an unchoke ACK may be lost).
    const window = this.remoteChoked ? 1 : Math.max(1, Math.floor(this.cwnd));
    return this.state === 'established' && this.inFlight.size - this.lostCount < window;
  }

  /** Sends queued data as whole packets while the window allows; a short tail waits for `flushAt`. */
  private flush(now: number, force = false): void {
    // What a timeout gave up on goes first, oldest first, as the window reopens.
    if (this.lostCount > 0) {
      for (const f of this.inFlight.values()) {
        if (this.lostCount === 0 || !this.canSend()) break;
        if (!f.lost) continue;
        f.lost = false;
        this.lostCount--;
        this.resend(f, now);
      }
    }
    while (this.canSend() && this.queuedBytes > 0) {
      const mtu = this.remoteMtu;
      if (this.queuedBytes < mtu && !force && !this.closeWanted && this.flushAt !== undefined && now < this.flushAt) break;
      const payload = this.take(mtu);
      this.transmit(now, 0, payload);
    }
    if (this.queuedBytes === 0) this.flushAt = undefined;
    else if (this.flushAt === undefined) this.flushAt = now + this.nagleMs;
    // The CLOSE waits until everything before it was acknowledged, as i2pd's does (Stream::Close):
    // a CLOSE arriving with data still queued at the receiver's end makes i2pd 2.45's SAM bridge
    // deliver one more buffer of it and then stall, never closing (SAMSocket::I2PReceive).
    if (this.closeWanted && this.closeSeq === undefined && this.queuedBytes === 0 && this.inFlight.size === 0 && this.state === 'established') {
      this.closeSeq = this.nextSeq;
      this.transmit(now, FLAG_CLOSE | FLAG_SIGNATURE_INCLUDED, EMPTY);
    }
    if (this.wasOverLimit && this.canWrite) {
      this.wasOverLimit = false;
      this.sink.writable();
    }
  }

  private take(max: number): Uint8Array {
    if (this.queuedBytes === 0) return EMPTY;
    const n = Math.min(max, this.queuedBytes);
    const out = new Uint8Array(n);
    let o = 0;
    while (o < n) {
      const head = this.sendQueue[0];
      const k = Math.min(head.length, n - o);
      out.set(head.subarray(0, k), o);
      o += k;
      if (k === head.length) this.sendQueue.shift();
      else this.sendQueue[0] = head.subarray(k);
    }
    this.queuedBytes -= n;
    return out;
  }

  private transmit(now: number, flags: number, payload: Uint8Array): void {
    const f: InFlight = { seq: this.nextSeq++, flags, payload, sentAt: now, transmissions: 0, tries: 0, nackHits: 0, lost: false };
    this.inFlight.set(f.seq, f);
    this.resend(f, now);
  }

  private resend(f: InFlight, now: number): void {
    if (f.transmissions > 0) this.stats.retransmitted++;
    f.transmissions++;
    f.sentAt = now;
    this.stats.sent++;
    const syn = (f.flags & FLAG_SYNCHRONIZE) !== 0;
    const p = this.header(f.seq, f.flags, f.payload);
    if (syn) {
      p.maxPacketSize = this.o.mtu;
      p.nacks = this.synNacks;
    }
    this.sink.send(p);
  }

  /** A packet of ours: ids, our acknowledgement state piggybacked. */
  private header(seq: number, flags: number, payload: Uint8Array): StreamPacket {
    const p: StreamPacket = {
      sendStreamId: this.remoteId,
      receiveStreamId: this.localId,
      sequenceNum: seq,
      ackThrough: Math.max(0, this.lastInOrder),
      nacks: [],
      resendDelay: Math.min(255, Math.floor(this.rtt.rto / 1000)),
      flags: this.lastInOrder < 0 ? flags | FLAG_NO_ACK : flags & ~FLAG_NO_ACK,
      payload,
    };
    if (this.chokedPeer) p.delayRequested = CHOKE_DELAY + 1;
    // Data piggybacks the in-order acknowledgement: nothing is left for the delayed ACK.
    if (this.lastInOrder >= 0 && this.highestReceived === this.lastInOrder) {
      this.ackAt = undefined;
      this.unackedReceived = 0;
    }
    return p;
  }

  private sendControl(now: number, flags: number, seq: number): void {
    this.stats.sent++;
    this.sink.send(this.header(seq, flags, EMPTY));
    void now;
  }

  /** A plain ACK (sequence 0): ackThrough the highest received, NACKs for the holes below it. */
  private sendAck(now: number): void {
    this.ackAt = undefined;
    this.unackedReceived = 0;
    if (this.lastInOrder < 0 || this.remoteId === 0) return;
    let ackThrough = this.highestReceived;
    const nacks: number[] = [];
    for (let s = this.lastInOrder + 1; s < this.highestReceived; s++) {
      if (this.outOfOrder.has(s)) continue;
      if (nacks.length === MAX_NACKS) {
        ackThrough = s - 1;
        break;
      }
      nacks.push(s);
    }
    // Never acknowledge a hole we dropped past the NACK limit.
    while (ackThrough > this.lastInOrder && !this.outOfOrder.has(ackThrough)) ackThrough--;
    const p: StreamPacket = {
      sendStreamId: this.remoteId,
      receiveStreamId: this.localId,
      sequenceNum: 0,
      ackThrough,
      nacks: nacks.filter((n) => n < ackThrough),
      resendDelay: 0,
      flags: 0,
      payload: EMPTY,
    };
    // Choked: ask the peer to hold off. No delay option otherwise: 0 would ask for an immediate
    // ACK of an ACK, and any packet without a choke lifts one.
    if (this.chokedPeer) p.delayRequested = CHOKE_DELAY + 1;
    this.stats.acksSent++;
    this.sink.send(p);
    void now;
  }

  // ------------------------------------------------------------------------------------------
  // Loss and the end

  private onLoss(seq: number): void {
    if (seq <= this.recoverSeq) return;
    this.recoverSeq = this.nextSeq - 1;
    this.ssthresh = Math.max(this.o.minWindow, Math.floor(this.cwnd / 2));
    this.cwnd = this.ssthresh;
  }

  /** A timeout by RFC 5681's rule: restart from a window of one packet. */
  private onTimeoutLoss(): void {
    const outstanding = this.inFlight.size - this.lostCount;
    this.recoverSeq = this.nextSeq - 1;
    this.ssthresh = Math.max(this.o.minWindow, Math.floor(Math.max(this.cwnd, outstanding) / 2));
    this.cwnd = Math.max(1, this.o.minWindow);
  }

  /**
   * The oldest packet due goes again at once; everything else sent before it was lost too, but
   * is resent only as acknowledgements reopen the window. Resending a whole flight at once
   * refills the queue that dropped it (a router's bandwidth bucket drops it again, with the
   * peer's ACKs), and every copy spends a garlic session tag: a flight resent a few times
   * outruns the receiver's tag look-ahead and the session can no longer be decrypted.
   */
  private retransmitDue(now: number): void {
    const rto = this.rtt.rto;
    let first: InFlight | undefined;
    for (const f of this.inFlight.values()) {
      if (!f.lost && now >= f.sentAt + rto) {
        first = f;
        break;
      }
    }
    if (!first) return;
    // The peer of a closed connection may be gone (i2pd drops a stream once it has sent its
    // CLOSE): an unanswered final CLOSE is not an error, and not worth many tries.
    const onlyClose = this.remoteCloseSeen && this.inFlight.size === 1 && first.seq === this.closeSeq;
    if (first.tries >= (onlyClose ? this.o.closeRetransmissions : this.o.maxRetransmissions)) {
      if (!onlyClose) this.sendControl(now, FLAG_RESET | FLAG_SIGNATURE_INCLUDED, this.nextSeq++);
      this.finish(onlyClose ? undefined : 'TIMEOUT');
      return;
    }
    this.stats.timeouts++;
    if (!this.remoteChoked) {
      this.onTimeoutLoss();
      this.consecutiveTimeouts++;
      this.sink.timedOut(this.consecutiveTimeouts);
      first.tries++;
      // Packets sent well before this timeout would have been acknowledged by now.
      const cutoff = now - rto / 2;
      for (const f of this.inFlight.values()) {
        if (f === first || f.lost || f.sentAt > cutoff) continue;
        f.lost = true;
        f.nackHits = 0;
        this.lostCount++;
      }
    }
    this.rtt.backoff();
    this.resend(first, now);
  }

  private checkDone(): void {
    if (this.isFinished) return;
    if (this.remoteCloseSeen && this.closeAcked && this.inFlight.size === 0) {
      this.finish(undefined);
    }
  }

  private finish(reason: ConnectionEndReason | undefined): void {
    if (this.isFinished) return;
    this.state = 'closed';
    this.endReason = reason;
    this.inFlight.clear();
    this.lostCount = 0;
    this.outOfOrder.clear();
    this.sendQueue.length = 0;
    this.queuedBytes = 0;
    this.ackAt = undefined;
    this.flushAt = undefined;
    this.sink.ended(reason);
  }
}
