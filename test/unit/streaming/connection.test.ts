/**
 * The connection state machine over a simulated link (through the real packet codec) that
 * loses, duplicates and reorders packets, driven by a fake clock with deterministic seeds:
 * data arrives intact and in order both ways, the window halves on loss, a silent peer times
 * out after bounded retries, RESET ends both sides, and an application that does not read
 * chokes the sender.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type ConnectionEndReason, type ConnectionSink, StreamConnection } from '../../../src/router/client/streaming/connection.js';
import { decodePacket, encodePacket, FLAG_CLOSE, FLAG_FROM_INCLUDED, FLAG_RESET, FLAG_SIGNATURE_INCLUDED, FLAG_SYNCHRONIZE, type StreamPacket } from '../../../src/router/client/streaming/packet.js';
import type { ConnectionOptions } from '../../../src/router/client/streaming/options.js';
import { createPrivateKeys } from '../../../src/router/data/index.js';
import { ManualClock, SeededRandom, TokenBucket } from '../../../src/router/runtime/index.js';

const from = createPrivateKeys().destination;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

interface LinkOptions {
  loss: number;
  duplicate: number;
  latencyMs: number;
  jitterMs: number;
  /**
   * A router's bandwidth bucket on the path, shared by both directions (a transit hop carries
   * the tunnels of both): a packet finding it short of its bytes is dropped, silently.
   */
  rateBps?: number;
  burstBytes?: number;
}

class Side {
  conn: StreamConnection | undefined;
  readonly got: Uint8Array[] = [];
  remoteClosed = false;
  localCloseAcked = false;
  ended: ConnectionEndReason | undefined | 'open' = 'open';
  backlogBytes = 0;
  writable = 0;
  timeouts = 0;
  established = false;
  readonly packets: StreamPacket[] = [];
  private timer: ReturnType<ManualClock['setTimer']> | undefined;

  constructor(
    readonly name: string,
    private readonly h: Harness,
  ) {}

  sink(): ConnectionSink {
    return {
      send: (p) => {
        this.packets.push(p);
        this.h.transmit(this, p);
      },
      established: () => (this.established = true),
      data: (b) => {
        this.got.push(b);
        if (this.h.holdReads.has(this.name)) this.backlogBytes += b.length;
      },
      remoteClosed: () => (this.remoteClosed = true),
      writable: () => this.writable++,
      localCloseAcked: () => (this.localCloseAcked = true),
      ended: (r) => (this.ended = r),
      timedOut: () => this.timeouts++,
      backlog: () => this.backlogBytes,
    };
  }

  bytes(): Uint8Array {
    return Buffer.concat(this.got);
  }

  /** Re-arms the one timer at the connection's next deadline (what the manager does). */
  arm(): void {
    if (this.timer) this.h.clock.clearTimer(this.timer);
    this.timer = undefined;
    const d = this.conn?.nextDeadline();
    if (d === undefined) return;
    this.timer = this.h.clock.setTimer(Math.max(0, d - this.h.clock.now()), () => {
      this.timer = undefined;
      this.conn!.tick(this.h.clock.now());
      this.arm();
    });
  }
}

class Harness {
  readonly clock = new ManualClock(1_700_000_000_000);
  readonly random: SeededRandom;
  readonly a: Side;
  readonly b: Side;
  readonly holdReads = new Set<string>();
  /** Packets on the wire, by direction (after loss and duplication). */
  delivered = 0;
  lost = 0;
  /** Packets the bandwidth bucket dropped. */
  overLimit = 0;
  cut = false;
  private readonly bucket: TokenBucket | undefined;

  constructor(
    seed: string,
    private readonly link: LinkOptions,
    private readonly opts: Partial<ConnectionOptions> = {},
  ) {
    this.random = new SeededRandom(seed);
    if (link.rateBps !== undefined) this.bucket = new TokenBucket({ clock: this.clock, ratePerSecond: link.rateBps, burst: link.burstBytes ?? link.rateBps });
    this.a = new Side('a', this);
    this.b = new Side('b', this);
    this.a.conn = new StreamConnection(this.a.sink(), { localId: 1111, now: this.clock.now(), outbound: true, synNacks: [] }, opts);
  }

  open(): void {
    this.a.conn!.open(this.clock.now());
    this.a.arm();
  }

  transmit(from: Side, p: StreamPacket): void {
    // Through the codec, as on the wire (signatures are the driver's job: a dummy one here).
    const wire = encodePacket({
      ...p,
      ...(p.flags & FLAG_FROM_INCLUDED ? { from: fromDest } : {}),
      ...(p.flags & FLAG_SIGNATURE_INCLUDED ? { signature: new Uint8Array(64) } : {}),
    });
    const to = from === this.a ? this.b : this.a;
    const copies = this.random.int(1_000_000) < this.link.duplicate * 1_000_000 ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      if (this.cut || this.random.int(1_000_000) < this.link.loss * 1_000_000) {
        this.lost++;
        continue;
      }
      if (this.bucket && !this.bucket.take(wire.length)) {
        this.overLimit++;
        continue;
      }
      const delay = this.link.latencyMs + (this.link.jitterMs > 0 ? this.random.int(this.link.jitterMs + 1) : 0);
      this.clock.setTimer(delay, () => this.deliver(to, wire));
    }
  }

  private deliver(to: Side, wire: Uint8Array): void {
    this.delivered++;
    const p = decodePacket(wire);
    const now = this.clock.now();
    if (!to.conn) {
      if (!(p.flags & FLAG_SYNCHRONIZE)) return; // a follow-on before the SYN: the manager keeps it; here, lost
      to.conn = new StreamConnection(to.sink(), { localId: 2222, remoteId: p.receiveStreamId, now, outbound: false }, this.opts);
      to.conn.accept(p, now);
    } else {
      to.conn.receive(p, now);
    }
    to.arm();
  }

  write(s: Side, data: Uint8Array, chunk = 4096): void {
    for (let o = 0; o < data.length; o += chunk) s.conn!.write(data.subarray(o, o + chunk), this.clock.now());
    s.arm();
  }

  close(s: Side): void {
    s.conn!.close(this.clock.now());
    s.arm();
  }

  run(until: () => boolean, maxMs: number, stepMs = 10): boolean {
    for (let t = 0; t < maxMs; t += stepMs) {
      if (until()) return true;
      this.clock.advance(stepMs);
    }
    return until();
  }
}
const fromDest = from;

const CLEAN: LinkOptions = { loss: 0, duplicate: 0, latencyMs: 50, jitterMs: 0 };

function transfer(h: Harness, up: Uint8Array, down: Uint8Array, maxMs: number): void {
  h.open();
  expect(h.run(() => h.a.established, 60_000)).toBe(true);
  h.write(h.a, up);
  h.close(h.a);
  expect(h.run(() => h.b.conn !== undefined, 60_000)).toBe(true);
  h.write(h.b, down);
  h.close(h.b);
  expect(h.run(() => h.a.ended !== 'open' && h.b.ended !== 'open', maxMs)).toBe(true);
}

describe('a connection on a clean link', () => {
  it('opens with SYN / reply SYN (sequence 0 each, reply without NACKs) and carries data both ways', () => {
    const h = new Harness('clean', CLEAN);
    const rnd = new SeededRandom('clean data');
    const up = rnd.bytes(100_000);
    const down = rnd.bytes(50_000);
    transfer(h, up, down, 120_000);
    expect(sha(h.b.bytes())).toBe(sha(up));
    expect(sha(h.a.bytes())).toBe(sha(down));
    expect([h.a.ended, h.b.ended]).toEqual([undefined, undefined]);
    const syn = h.a.packets[0];
    expect(syn.sequenceNum).toBe(0);
    expect(syn.flags & FLAG_SYNCHRONIZE).toBe(FLAG_SYNCHRONIZE);
    expect(syn.maxPacketSize).toBe(1812);
    expect(syn.sendStreamId).toBe(0);
    const reply = h.b.packets[0];
    expect(reply.flags & (FLAG_SYNCHRONIZE | FLAG_SIGNATURE_INCLUDED | FLAG_FROM_INCLUDED)).toBe(FLAG_SYNCHRONIZE | FLAG_SIGNATURE_INCLUDED | FLAG_FROM_INCLUDED);
    expect(reply.nacks).toEqual([]);
    expect(reply.sequenceNum).toBe(0);
    expect(reply.ackThrough).toBe(0);
    expect(reply.sendStreamId).toBe(1111);
    expect(reply.receiveStreamId).toBe(2222);
    // Data packets are full (1812) except the last of each direction; CLOSE is signed.
    const data = h.a.packets.filter((p) => p.payload.length > 0 && !(p.flags & FLAG_SYNCHRONIZE));
    expect(data.slice(0, -1).every((p) => p.payload.length === 1812)).toBe(true);
    const close = h.a.packets.find((p) => p.flags & FLAG_CLOSE)!;
    expect(close.flags & FLAG_SIGNATURE_INCLUDED).toBe(FLAG_SIGNATURE_INCLUDED);
    expect(h.a.conn!.stats.retransmitted).toBe(0);
  });

  it('sends its CLOSE only once everything before it was acknowledged, as i2pd does', () => {
    // i2pd 2.45's SAM bridge stalls for good when a CLOSE lands while data still waits there.
    const h = new Harness('close after acks', CLEAN);
    const up = new SeededRandom('close').bytes(60_000);
    h.open();
    expect(h.run(() => h.a.established, 10_000)).toBe(true);
    h.write(h.a, up);
    h.close(h.a);
    const closeSent = () => h.a.packets.some((p) => p.flags & FLAG_CLOSE);
    expect(h.run(closeSent, 60_000)).toBe(true);
    // 50 ms each way: had the CLOSE left with the last data, b would not hold it all yet.
    expect(h.b.bytes().length).toBe(up.length);
    expect(h.a.conn!.inFlightCount).toBe(1);
    expect(h.run(() => h.a.localCloseAcked && h.b.remoteClosed, 10_000)).toBe(true);
    expect(sha(h.b.bytes())).toBe(sha(up));
  });

  it('grows its window from the initial size while everything is acknowledged', () => {
    const h = new Harness('growth', CLEAN, { initialWindow: 2 });
    h.open();
    h.run(() => h.a.established, 10_000);
    expect(h.a.conn!.windowSize).toBe(3); // the acknowledged SYN counted
    h.write(h.a, new SeededRandom('g').bytes(200_000));
    h.run(() => h.a.conn!.inFlightCount === 0 && h.a.conn!.bufferedBytes === 0, 60_000);
    expect(h.a.conn!.windowSize).toBeGreaterThan(20);
  });
});

describe('a connection on a lossy, duplicating, reordering link', () => {
  for (const [seed, link] of [
    ['loss 5%', { loss: 0.05, duplicate: 0.05, latencyMs: 40, jitterMs: 60 }],
    ['loss 15%', { loss: 0.15, duplicate: 0.1, latencyMs: 40, jitterMs: 100 }],
    ['reorder heavy', { loss: 0.02, duplicate: 0.2, latencyMs: 10, jitterMs: 300 }],
  ] as const) {
    it(`delivers both directions intact and in order (${seed})`, () => {
      const h = new Harness(seed, link);
      const rnd = new SeededRandom(`${seed} data`);
      const up = rnd.bytes(150_000);
      const down = rnd.bytes(80_000);
      transfer(h, up, down, 600_000);
      expect(sha(h.b.bytes())).toBe(sha(up));
      expect(sha(h.a.bytes())).toBe(sha(down));
      expect(h.b.remoteClosed && h.a.remoteClosed).toBe(true);
      expect(h.a.conn!.stats.retransmitted + h.b.conn!.stats.retransmitted).toBeGreaterThan(0);
      expect(h.b.conn!.stats.duplicates + h.a.conn!.stats.duplicates).toBeGreaterThan(0);
    });
  }

  it('halves the window on loss', () => {
    const h = new Harness('halving', CLEAN);
    h.open();
    h.run(() => h.a.established, 10_000);
    h.write(h.a, new SeededRandom('w').bytes(100_000));
    h.run(() => h.a.conn!.inFlightCount === 0 && h.a.conn!.bufferedBytes === 0, 60_000);
    const before = h.a.conn!.windowSize;
    h.cut = true;
    h.write(h.a, new Uint8Array(1812 * 3));
    h.clock.advance(h.a.conn!.rto + 10);
    expect(h.a.conn!.windowSize).toBeLessThanOrEqual(Math.max(1, Math.floor(before / 2)));
  });
});

describe('a connection through a rate-limited hop that drops what exceeds its bucket', () => {
  // Our routers' default: 128 KB/s shared, 80 % of it for transit, four seconds of burst. The
  // window outgrows the bucket within a second and whole flights are dropped; recovery must not
  // resend whole flights at once (they are dropped again, with the ACKs), or the stream stalls.
  const HOP: LinkOptions = { loss: 0, duplicate: 0, latencyMs: 30, jitterMs: 10, rateBps: 104_857, burstBytes: 4 * 104_857 };

  it('carries 1 MB each way at once, intact, and both sides close in order', () => {
    const h = new Harness('bucket', HOP);
    const rnd = new SeededRandom('bucket data');
    const up = rnd.bytes(1024 * 1024);
    const down = rnd.bytes(1024 * 1024);
    h.open();
    expect(h.run(() => h.a.established, 10_000)).toBe(true);
    h.write(h.a, up);
    expect(h.run(() => h.b.conn !== undefined, 10_000)).toBe(true);
    h.write(h.b, down);
    h.close(h.a);
    h.close(h.b);
    // 2 MB through ~100 KB/s takes ~20 s at best; bounded retries would have given up long before 120 s.
    expect(h.run(() => h.a.ended !== 'open' && h.b.ended !== 'open', 120_000)).toBe(true);
    expect([h.a.ended, h.b.ended]).toEqual([undefined, undefined]);
    expect(sha(h.b.bytes())).toBe(sha(up));
    expect(sha(h.a.bytes())).toBe(sha(down));
    // The condition under test did occur: the bucket dropped packets, and they were resent.
    expect(h.overLimit).toBeGreaterThan(0);
    expect(h.a.conn!.stats.retransmitted + h.b.conn!.stats.retransmitted).toBeGreaterThan(0);
  });

  it('a timeout resends only the oldest packet and restarts from a window of one', () => {
    const h = new Harness('rto one', CLEAN);
    h.open();
    h.run(() => h.a.established, 10_000);
    h.write(h.a, new SeededRandom('warm').bytes(100_000));
    h.run(() => h.a.conn!.inFlightCount === 0 && h.a.conn!.bufferedBytes === 0, 60_000);
    expect(h.a.conn!.windowSize).toBeGreaterThan(8);
    h.cut = true;
    h.write(h.a, new Uint8Array(1812 * 8));
    const sentBefore = h.a.packets.length;
    h.clock.advance(h.a.conn!.rto + 10);
    const resent = h.a.packets.slice(sentBefore);
    // One packet goes out again (the oldest outstanding), not the whole flight of eight.
    expect(resent).toHaveLength(1);
    expect(resent[0].sequenceNum).toBe(Math.min(...h.a.packets.slice(sentBefore - 8, sentBefore).map((p) => p.sequenceNum)));
    expect(h.a.conn!.windowSize).toBe(1);
    // The link heals: everything still arrives.
    h.cut = false;
    expect(h.run(() => h.a.conn!.inFlightCount === 0 && h.a.conn!.bufferedBytes === 0, 120_000)).toBe(true);
    expect(h.b.bytes().length).toBe(100_000 + 1812 * 8);
  });
});

describe('failures', () => {
  it('a peer that stops answering ends the connection with TIMEOUT after bounded retries', () => {
    const h = new Harness('silent', CLEAN, { maxRetransmissions: 4 });
    h.open();
    h.run(() => h.a.established, 10_000);
    h.cut = true;
    h.write(h.a, new Uint8Array(5000));
    expect(h.run(() => h.a.ended !== 'open', 600_000, 100)).toBe(true);
    expect(h.a.ended).toBe('TIMEOUT');
    // 1 send + 4 retries of the first packet, then a RESET.
    const sends = h.a.packets.filter((p) => p.sequenceNum === 1).length;
    expect(sends).toBe(5);
    expect(h.a.packets.at(-1)!.flags & FLAG_RESET).toBe(FLAG_RESET);
    // Each timeout told the driver the path may be broken (LocalDestination picks another).
    expect(h.a.timeouts).toBe(4);
  });

  it('an unanswered SYN times out too', () => {
    const h = new Harness('no answer', CLEAN, { maxRetransmissions: 3 });
    h.cut = true;
    h.open();
    expect(h.run(() => h.a.ended !== 'open', 600_000, 100)).toBe(true);
    expect(h.a.ended).toBe('TIMEOUT');
    expect(h.a.packets.filter((p) => p.flags & FLAG_SYNCHRONIZE)).toHaveLength(4);
  });

  it('a RESET ends both sides: RESET for the receiver, CLOSED for the sender', () => {
    const h = new Harness('reset', CLEAN);
    h.open();
    h.run(() => h.a.established, 10_000);
    h.a.conn!.reset(h.clock.now());
    expect(h.a.ended).toBe('CLOSED');
    expect(h.run(() => h.b.ended !== 'open', 10_000)).toBe(true);
    expect(h.b.ended).toBe('RESET');
  });

  it('a lost reply SYN is sent again, and the duplicate SYN is acknowledged', () => {
    const h = new Harness('reply syn', CLEAN, { initialRtoMs: 1_000 });
    let drop = true;
    const orig = h.transmit.bind(h);
    h.transmit = (side, p) => {
      if (side === h.b && p.flags & FLAG_SYNCHRONIZE && drop) {
        drop = false;
        return;
      }
      orig(side, p);
    };
    h.open();
    expect(h.run(() => h.a.established, 30_000)).toBe(true);
    expect(h.b.packets.filter((p) => p.flags & FLAG_SYNCHRONIZE).length).toBeGreaterThanOrEqual(2);
  });
});

describe('flow control', () => {
  it('an application that does not read chokes the sender, and reading unchokes it', () => {
    const h = new Harness('choke', CLEAN, { receiveBufferBytes: 50_000 });
    h.holdReads.add('b');
    h.open();
    h.run(() => h.a.established, 10_000);
    const data = new SeededRandom('choke data').bytes(400_000);
    h.write(h.a, data);
    h.run(() => false, 20_000);
    // The receiver took at most twice its buffer, then dropped and choked; the sender waits.
    expect(h.b.backlogBytes).toBeLessThanOrEqual(100_000 + 1812);
    expect(h.b.packets.some((p) => p.delayRequested !== undefined && p.delayRequested > 60_000)).toBe(true);
    const delivered = h.b.bytes().length;
    h.run(() => false, 20_000);
    expect(h.b.bytes().length).toBe(delivered);
    // The application reads everything: the choke lifts and the rest arrives.
    h.holdReads.delete('b');
    h.b.backlogBytes = 0;
    h.b.conn!.drained(h.clock.now());
    h.b.arm();
    expect(h.run(() => h.b.bytes().length === data.length, 300_000)).toBe(true);
    expect(sha(h.b.bytes())).toBe(sha(data));
  });

  it('write reports writable again once its send buffer drains', () => {
    const h = new Harness('send buffer', CLEAN, { sendBufferBytes: 10_000 });
    h.open();
    h.run(() => h.a.established, 10_000);
    h.write(h.a, new Uint8Array(200_000));
    expect(h.a.conn!.canWrite).toBe(false);
    expect(h.run(() => h.a.conn!.canWrite, 60_000)).toBe(true);
    expect(h.a.writable).toBeGreaterThanOrEqual(1);
  });
});
