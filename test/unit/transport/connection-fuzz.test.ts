import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock, seededRandom } from '../../../src/router/runtime/index.js';
import {
  DEFAULT_CONNECTION_LIMITS,
  Ntcp2Connection,
  type Ntcp2CloseInfo,
  type Ntcp2ConnectionLimits,
} from '../../../src/router/transport/ntcp2/connection.js';
import { MSG12_MAX_LENGTH, ReplayCache } from '../../../src/router/transport/ntcp2/index.js';
import { makePair, NET_ID, T0 } from '../ntcp2/helpers.js';
import { dataMessage, FakeSocket, msgIdOf } from './helpers.js';

/*
 * The socket driver under hostile input: random and mutated bytes in random pieces, fed to an
 * inbound connection and to an outbound one after message 1. It must never throw, must end
 * closed (penalising the peer when the peer misbehaved), must leave no timer behind, and must
 * keep its queues bounded. A FakeSocket and a ManualClock make every run synchronous and exact.
 */

const pair = makePair('connection-fuzz');
const LIMITS: Ntcp2ConnectionLimits = { ...DEFAULT_CONNECTION_LIMITS, idleTimeoutMs: 30_000, maxQueuedBytes: 4_096 };
/** Longer than any timer the driver sets with LIMITS: handshake, idle, probe, linger. */
const EVERYTHING = 10 * 60_000;

const microtasks = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

interface Harness {
  conn: Ntcp2Connection;
  socket: FakeSocket;
  clock: ManualClock;
  closed: { info: Ntcp2CloseInfo; at: number }[];
  established: number;
  messages: Uint8Array[];
}

function handlers(h: Omit<Harness, 'conn'>) {
  return {
    established: () => void h.established++,
    message: (_c: Ntcp2Connection, m: Uint8Array) => void h.messages.push(m),
    routerInfo: () => undefined,
    closed: (_c: Ntcp2Connection, info: Ntcp2CloseInfo) => void h.closed.push({ info, at: h.clock.now() }),
  };
}

function inbound(seed: string, limits: Partial<Ntcp2ConnectionLimits> = LIMITS, socket = new FakeSocket()): Harness {
  const clock = new ManualClock(T0);
  const h = { socket, clock, closed: [], established: 0, messages: [] } as unknown as Harness;
  h.conn = Ntcp2Connection.inbound(
    { socket, clock, random: seededRandom(seed), handlers: handlers(h), limits },
    {
      staticPrivateKey: pair.bob.ntcp2.privateKey,
      staticPublicKey: pair.bob.ntcp2.publicKey,
      routerHash: pair.bob.hash,
      iv: pair.bob.iv,
      netId: NET_ID,
      replayCache: new ReplayCache({ now: () => clock.now() }),
    },
  );
  return h;
}

function outbound(seed: string, limits: Partial<Ntcp2ConnectionLimits> = LIMITS, socket = new FakeSocket('127.0.0.2', 9002)): Harness {
  const clock = new ManualClock(T0);
  const h = { socket, clock, closed: [], established: 0, messages: [] } as unknown as Harness;
  h.conn = Ntcp2Connection.outbound(
    { socket, clock, random: seededRandom(seed), handlers: handlers(h), limits },
    {
      staticPrivateKey: pair.alice.ntcp2.privateKey,
      staticPublicKey: pair.alice.ntcp2.publicKey,
      routerInfo: () => pair.alice.routerInfo(clock.now()),
      peer: { routerHash: pair.bob.hash, staticKey: pair.bob.ntcp2.publicKey, iv: pair.bob.iv },
      netId: NET_ID,
    },
  );
  return h;
}

function feed(h: Harness, input: Uint8Array, cuts: number[]): void {
  let at = 0;
  for (let i = 0; at < input.length; i++) {
    const n = Math.max(1, cuts[i % cuts.length]);
    h.socket.push(input.subarray(at, at + n));
    at += n;
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(parts.flatMap((p) => [...p]));
}

/** Lets every timer fire and every close propagate; then nothing may be left. */
async function runOut(h: Harness): Promise<void> {
  await microtasks();
  h.clock.advance(EVERYTHING);
  await microtasks();
  expect(h.conn.isClosed).toBe(true);
  expect(h.closed).toHaveLength(1);
  expect(h.socket.state).not.toBe('open');
  expect(h.clock.pending).toBe(0);
  expect(h.conn.queued).toBe(0);
}

/** A failure the peer caused (not a timeout, not our own close) must be penalised. */
function expectPenaltyIffPeerFault(info: Ntcp2CloseInfo): void {
  const benign = info.reason === 'handshake timeout' || info.reason === 'socket closed' || info.reason === 'idle timeout';
  expect(info.penalize, info.reason).toBe(!benign);
}

const chunks = fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 6 });
const cuts = fc.array(fc.integer({ min: 1, max: 120 }), { minLength: 1, maxLength: 6 });

/** Bytes flipped, the tail cut, bytes appended: a damaged copy of a real message. */
interface Mutation {
  flips: [number, number][];
  cut: number;
  extra: Uint8Array;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 3 }),
  cut: fc.nat({ max: 6 }),
  extra: fc.uint8Array({ maxLength: 24 }),
});

function mutate(base: Uint8Array, m: Mutation | null): { bytes: Uint8Array; changed: boolean } {
  if (!m) return { bytes: base, changed: false };
  const b = base.slice(0, Math.max(0, base.length - m.cut));
  for (const [at, x] of m.flips) if (b.length) b[at % b.length] ^= x;
  const bytes = concat([b, m.extra]);
  return { bytes, changed: bytes.length !== base.length || bytes.some((v, i) => v !== base[i]) };
}

describe('Ntcp2Connection under random input', () => {
  it('inbound: random bytes never throw; the peer is penalised and nothing is answered', async () => {
    await fc.assert(
      fc.asyncProperty(chunks, fc.string(), async (parts, seed) => {
        const h = inbound(seed);
        for (const p of parts) h.socket.push(p);
        const total = parts.reduce((a, p) => a + p.length, 0);
        if (total >= 64) {
          // Message 1 cannot authenticate: closed at once (probing resistance may still read).
          expect(h.closed).toHaveLength(1);
          expect(h.closed[0].info).toMatchObject({ penalize: true, duringHandshake: true });
          expect(h.closed[0].info.reason).toMatch(/^handshake: /);
        }
        await runOut(h);
        if (total < 64) expect(h.closed[0].info).toMatchObject({ reason: 'handshake timeout', penalize: false });
        // Probing resistance: garbage is never answered.
        expect(h.socket.bytesWritten).toBe(0);
        expect(h.established).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('outbound after message 1: random bytes as message 2 never throw; the responder is penalised', async () => {
    await fc.assert(
      fc.asyncProperty(chunks, fc.string(), async (parts, seed) => {
        const h = outbound(seed);
        const msg1Length = h.socket.bytesWritten;
        expect(msg1Length).toBeGreaterThanOrEqual(64);
        expect(msg1Length).toBeLessThanOrEqual(MSG12_MAX_LENGTH);
        for (const p of parts) h.socket.push(p);
        const total = parts.reduce((a, p) => a + p.length, 0);
        if (total >= 64) expect(h.closed[0]?.info).toMatchObject({ penalize: true, duringHandshake: true });
        await runOut(h);
        expectPenaltyIffPeerFault(h.closed[0].info);
        // Nothing but message 1 went out.
        expect(h.socket.bytesWritten).toBe(msg1Length);
        expect(h.established).toBe(0);
      }),
      { numRuns: 200 },
    );
  });
});

describe('Ntcp2Connection under mutated handshakes', () => {
  it('inbound: a real initiator with message 1 and 3 mutated in random pieces', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string(),
        cuts,
        fc.option(mutation),
        fc.option(mutation),
        async (seed, cutList, mutate1, mutate3) => {
          const alice = pair.initiator();
          const msg1 = alice.start();
          const m1 = mutate(msg1, mutate1);
          const h = inbound(seed);
          feed(h, m1.bytes, cutList);
          let sawMsg3 = false;
          let m3changed = false;
          if (h.socket.written.length > 0) {
            const step = alice.receive(concat(h.socket.written));
            if (step.done && step.send) {
              sawMsg3 = true;
              const msg3 = step.send[0];
              const m3 = mutate(msg3, mutate3);
              m3changed = m3.changed;
              feed(h, m3.bytes, cutList);
            }
          }
          if (!m1.changed && !m3changed) {
            expect(sawMsg3).toBe(true);
            expect(h.established).toBe(1);
          }
          if (h.established === 0 && h.closed.length === 1) expectPenaltyIffPeerFault(h.closed[0].info);
          await runOut(h);
          expectPenaltyIffPeerFault(h.closed[0].info);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('outbound: a real responder with message 2 mutated in random pieces', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string(), cuts, fc.option(mutation), async (seed, cutList, m) => {
        const h = outbound(seed);
        const bob = pair.responder({ replayCache: new ReplayCache({ now: () => T0 }) });
        const step = bob.receive(concat(h.socket.written));
        expect(step.send).toHaveLength(1);
        const msg2 = step.send![0];
        const m2 = mutate(msg2, m);
        const before = h.socket.bytesWritten;
        feed(h, m2.bytes, cutList);
        if (!m2.changed) expect(h.established).toBe(1);
        if (h.established === 1) {
          // Message 3 went out; Bob accepts it unless message 2's padding was changed.
          expect(h.socket.bytesWritten).toBeGreaterThan(before);
        }
        await runOut(h);
        expectPenaltyIffPeerFault(h.closed[0].info);
      }),
      { numRuns: 150 },
    );
  });
});

/** Two drivers joined by their FakeSockets; `pump` moves what each wrote to the other. */
function connectedPair(seed: string) {
  const b = inbound(`${seed}-b`);
  const a = outbound(`${seed}-a`);
  // Each has its own ManualClock, both at T0: timestamps agree; runOut drives each.
  let sentA = 0;
  let sentB = 0;
  const pump = (): number => {
    let moved = 0;
    while (sentA < a.socket.written.length || sentB < b.socket.written.length) {
      while (sentA < a.socket.written.length) {
        const chunk = a.socket.written[sentA++];
        moved += chunk.length;
        b.socket.push(chunk);
      }
      while (sentB < b.socket.written.length) {
        const chunk = b.socket.written[sentB++];
        moved += chunk.length;
        a.socket.push(chunk);
      }
    }
    return moved;
  };
  return { a, b, pump };
}

describe('Ntcp2Connection in the data phase', () => {
  it('a good session delivers; garbage or a mutated frame then closes it with a penalty', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string(), fc.nat(), fc.oneof(fc.constant('random' as const), fc.constant('mutate' as const)), fc.uint8Array({ minLength: 1, maxLength: 400 }), async (seed, which, kind, garbage) => {
        const { a, b, pump } = connectedPair(seed);
        // Both handshakes ran on their own clocks, both at T0.
        pump();
        expect(a.established).toBe(1);
        expect(b.established).toBe(1);
        for (let id = 1; id <= 5; id++) expect(a.conn.send(dataMessage(id, 100 * id))).toBe(true);
        await new Promise((r) => setImmediate(r));
        for (let id = 6; id <= 8; id++) a.conn.send(dataMessage(id, 50));
        await new Promise((r) => setImmediate(r));
        pump();
        expect(b.messages.map(msgIdOf)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
        // Now hostile bytes on the same stream, in place of a frame.
        let hostile: Uint8Array;
        if (kind === 'random') hostile = garbage;
        else {
          a.conn.send(dataMessage(9, 200));
          await new Promise((r) => setImmediate(r));
          const frame = a.socket.written.pop()!; // the peer never sees the real one
          hostile = frame.slice();
          hostile[2 + (which % (frame.length - 2))] ^= 1 + (which % 255);
        }
        b.socket.push(hostile);
        await runOut(b);
        const info = b.closed[0].info;
        expect(info.duringHandshake).toBe(false);
        // A random length prefix may announce a frame longer than the garbage: then only the
        // idle timeout ends it. Anything that completed a frame failed authentication.
        if (info.reason !== 'idle timeout') {
          expect(info).toMatchObject({ penalize: true });
          expect(info.reason).toMatch(/^data phase: /);
        }
        expectPenaltyIffPeerFault(info);
        // Nothing garbage-derived was delivered.
        expect(b.messages.map(msgIdOf)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
        a.conn.terminate(0, 'test done');
        await runOut(a);
      }),
      { numRuns: 60 },
    );
  });

  it('a Termination from the peer closes without a penalty; frames before it are delivered', async () => {
    const { a, b, pump } = connectedPair('termination');
    pump();
    a.conn.send(dataMessage(1));
    a.conn.send(dataMessage(2));
    a.conn.terminate(3, 'shutting down');
    pump();
    expect(b.messages.map(msgIdOf)).toEqual([1, 2]);
    expect(b.closed[0].info).toMatchObject({ penalize: false, duringHandshake: false, peerTermination: 3 });
    await runOut(b);
    // Its side closed by us at once; had the peer kept its own open, cut after lingerMs.
    expect(b.socket.state).toBe('destroyed');
    await runOut(a);
  });

  it('after we terminate, frames the peer sent before seeing it are still delivered (bounded linger)', async () => {
    const { a, b, pump } = connectedPair('linger');
    pump();
    // B says goodbye while A, not yet knowing, sends two messages.
    b.conn.terminate(0, 'duplicate session');
    expect(b.closed).toHaveLength(1);
    const before = a.socket.written.length;
    a.conn.send(dataMessage(7));
    a.conn.send(dataMessage(8));
    await new Promise((r) => setImmediate(r));
    const written = a.socket.written.slice(before); // A's frames, before B's Termination reaches A
    for (const c of written) b.socket.push(c);
    expect(b.messages.map(msgIdOf)).toEqual([7, 8]);
    // A peer that never closes is cut after lingerMs.
    expect(b.socket.state).toBe('ended');
    await runOut(b);
    expect(b.socket.state).toBe('destroyed');
    a.conn.terminate(0, 'done');
    await runOut(a);
  });
});

describe('Ntcp2Connection: timeouts, probing resistance, bounded queues', () => {
  it('a handshake fed one byte a second is cut at the handshake timeout', async () => {
    const h = inbound('slow', { ...LIMITS, handshakeTimeoutMs: 15_000 });
    const bytes = seededRandom('slow bytes').bytes(63); // never a whole message 1
    for (let i = 0; i < bytes.length && !h.conn.isClosed; i++) {
      h.socket.push(bytes.subarray(i, i + 1));
      h.clock.advance(1_000);
    }
    expect(h.closed).toHaveLength(1);
    expect(h.closed[0]).toEqual({ info: { reason: 'handshake timeout', penalize: false, duringHandshake: true }, at: T0 + 15_000 });
    expect(h.conn.bytesIn).toBe(15);
    await microtasks();
    expect(h.socket.state).toBe('destroyed');
    expect(h.clock.pending).toBe(0);
  });

  it('an outbound handshake without an answer is cut at the handshake timeout', async () => {
    const h = outbound('silent', { ...LIMITS, handshakeTimeoutMs: 10_000 });
    h.clock.advance(9_999);
    expect(h.conn.isClosed).toBe(false);
    h.clock.advance(1);
    expect(h.closed[0].info).toEqual({ reason: 'handshake timeout', penalize: false, duringHandshake: true });
    await runOut(h);
  });

  it('after a bad message 1 the probe reads a random amount (< 287 bytes), then closes', async () => {
    const amounts = new Set<number>();
    await fc.assert(
      fc.asyncProperty(fc.string(), async (seed) => {
        const h = inbound(seed, { ...LIMITS, probeTimeoutMs: 5_000 });
        h.socket.push(seededRandom(`${seed} garbage`).bytes(64));
        expect(h.closed).toHaveLength(1);
        expect(h.closed[0].info).toMatchObject({ penalize: true, duringHandshake: true });
        let read = 0;
        while (h.socket.state === 'open' && read < 1_000) {
          h.socket.push(new Uint8Array([read & 0xff]));
          read++;
        }
        expect(h.socket.state).toBe('destroyed');
        expect(read).toBeLessThan(MSG12_MAX_LENGTH);
        amounts.add(read);
        // Nothing answered, the probe timer is gone with the socket.
        expect(h.socket.bytesWritten).toBe(0);
        await microtasks();
        expect(h.clock.pending).toBe(0);
        expect(h.closed).toHaveLength(1);
      }),
      { numRuns: 100 },
    );
    // The amount is random, not a fixed tell.
    expect(amounts.size).toBeGreaterThan(20);
  });

  it('a prober that stops sending is dropped within probeTimeoutMs', async () => {
    for (const seed of ['p1', 'p2', 'p3', 'p4', 'p5']) {
      const h = inbound(seed, { ...LIMITS, probeTimeoutMs: 5_000 });
      h.socket.push(seededRandom(`${seed} garbage`).bytes(64));
      h.clock.advance(5_000);
      expect(h.socket.state).toBe('destroyed');
      await microtasks();
      expect(h.clock.pending).toBe(0);
    }
  });

  it('a peer closing during the probe leaves no timer behind', async () => {
    const h = inbound('closing prober', { ...LIMITS, probeTimeoutMs: 5_000 });
    h.socket.push(seededRandom('x').bytes(64));
    if (h.socket.state === 'open') {
      h.socket.peerClosed();
      await microtasks();
    }
    expect(h.clock.pending).toBe(0);
  });

  it('the send queue is bounded before the handshake and emptied on close', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 2_000 }), { maxLength: 60 }), async (sizes) => {
        const h = outbound('queue');
        let accepted = 0;
        for (const [i, size] of sizes.entries()) {
          const ok = h.conn.send(dataMessage(i, size));
          if (ok) accepted++;
          expect(h.conn.queued).toBeLessThanOrEqual(LIMITS.maxQueuedBytes);
        }
        expect(h.conn.dropped).toBe(sizes.length - accepted);
        // Too large for one frame: refused whatever the queue holds.
        expect(h.conn.send(new Uint8Array(65_535))).toBe(false);
        await runOut(h);
        expect(h.conn.dropped).toBe(sizes.length - accepted + 1 + accepted);
        expect(h.conn.send(dataMessage(1))).toBe(false);
      }),
      { numRuns: 50 },
    );
  });
});
