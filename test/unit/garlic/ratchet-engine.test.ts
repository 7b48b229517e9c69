import { describe, expect, it } from 'vitest';
import { x25519Generate } from '../../../src/router/crypto/index.js';
import { cloves, decodePayload, encodePayload, GarlicError, type PayloadBlock } from '../../../src/router/garlic/index.js';
import { RatchetEngine, type Opened, type RatchetEngineOptions } from '../../../src/router/garlic/ratchet/index.js';
import { ManualClock, SeededRandom } from '../../../src/router/runtime/index.js';

const NOW = 1_750_000_000_000;

const clove = (id: number, size = 24): PayloadBlock => ({
  type: 'clove',
  clove: {
    delivery: { type: 'local' },
    message: { type: 20, msgId: id, expiration: Math.floor(NOW / 1000 + 60) * 1000, payload: new Uint8Array(size).fill(id & 0xff) },
  },
});
const msgIds = (o: Opened) => cloves(o.blocks).map((c) => c.message.msgId);

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof GarlicError)) throw e;
    return e.code;
  }
  return 'none';
}

function pair(opts: RatchetEngineOptions = {}, seed = 'pair') {
  const clock = new ManualClock(NOW);
  const a = x25519Generate();
  const b = x25519Generate();
  const alice = new RatchetEngine({ staticPrivateKey: a.privateKey, staticPublicKey: a.publicKey, clock, random: new SeededRandom(seed + 'A'), opts });
  const bob = new RatchetEngine({ staticPrivateKey: b.privateKey, staticPublicKey: b.publicKey, clock, random: new SeededRandom(seed + 'B'), opts });
  const toBob = { staticPublicKey: b.publicKey, id: 'bob' };
  const toAlice = { staticPublicKey: a.publicKey, id: 'alice' };
  return { clock, alice, bob, toBob, toAlice, a, b };
}

/** NS → NSR → ES (Alice) → ES (Bob): both sides established. */
function established(opts: RatchetEngineOptions = {}, seed?: string) {
  const p = pair(opts, seed);
  p.bob.decrypt(p.alice.encrypt(p.toBob, [clove(1)]));
  p.alice.decrypt(p.bob.encrypt(p.toAlice, [clove(2)]));
  p.bob.decrypt(p.alice.encrypt(p.toBob, [clove(3)]));
  expect(p.alice.sessionFor(p.b.publicKey)?.state).toBe('established');
  expect(p.bob.sessionFor(p.a.publicKey)?.state).toBe('established');
  return p;
}

describe('RatchetEngine handshake', () => {
  it('NS → NSR → ES both ways, with the replies owed reported along the way', () => {
    const { alice, bob, toBob, toAlice, a, b } = pair();
    const ns = alice.seal(toBob, [clove(1)]);
    expect(ns.kind).toBe('ns');
    expect(ns.session?.state).toBe('ns-sent');
    const r1 = bob.decrypt(ns.body);
    expect(r1.kind).toBe('ns');
    expect(r1.remoteStaticKey).toEqual(a.publicKey);
    expect(r1.blocks[0].type).toBe('dateTime');
    expect(msgIds(r1)).toEqual([1]);
    expect(r1.needsReply).toBe(true);
    expect(bob.pendingReplies()).toEqual([{ staticPublicKey: a.publicKey, remoteId: undefined, reasons: ['nsr'] }]);

    const nsr = bob.seal(toAlice, [clove(2)]);
    expect(nsr.kind).toBe('nsr');
    expect(bob.pendingReplies()).toEqual([]);
    const r2 = alice.decrypt(nsr.body);
    expect(r2.kind).toBe('nsr');
    expect(r2.remoteStaticKey).toEqual(b.publicKey);
    expect(msgIds(r2)).toEqual([2]);
    expect(r2.session?.state).toBe('established');
    expect(alice.pendingReplies()[0].reasons).toEqual(['es']);

    const es1 = alice.seal(toBob, []); // the "empty" ES the spec asks for: padding only
    expect(es1.kind).toBe('es');
    expect(alice.pendingReplies()).toEqual([]);
    const r3 = bob.decrypt(es1.body);
    expect(r3.kind).toBe('es');
    expect(r3.blocks.every((x) => x.type === 'padding')).toBe(true);
    expect(r3.session?.state).toBe('established');
    expect(r3.session?.remoteId).toBe('alice');

    const es2 = bob.seal(toAlice, [clove(4)]);
    expect(es2.kind).toBe('es');
    expect(msgIds(alice.decrypt(es2.body))).toEqual([4]);
    expect(alice.stats()).toMatchObject({ sessions: 1, established: 1, bound: 1 });
    expect(bob.stats()).toMatchObject({ sessions: 1, established: 1, bound: 1 });
  });

  it('Alice resends NS until a reply; Bob answers the newest and several NSRs; any order works', () => {
    const { alice, bob, toBob, toAlice } = pair();
    const ns1 = alice.encrypt(toBob, [clove(1)]);
    const ns2 = alice.encrypt(toBob, [clove(2)]);
    expect(ns1.subarray(0, 32)).not.toEqual(ns2.subarray(0, 32)); // never the same ephemeral key
    expect(msgIds(bob.decrypt(ns1))).toEqual([1]);
    expect(msgIds(bob.decrypt(ns2))).toEqual([2]);
    const nsrs = [3, 4, 5].map((i) => bob.encrypt(toAlice, [clove(i)]));
    expect(bob.encrypt(toAlice, [clove(6)]).length).toBeGreaterThan(0); // still NSR: no ES yet
    // Alice gets them out of order; the first one she sees fixes the ES tag sets.
    expect(msgIds(alice.decrypt(nsrs[1]))).toEqual([4]);
    expect(msgIds(alice.decrypt(nsrs[2]))).toEqual([5]);
    expect(msgIds(alice.decrypt(nsrs[0]))).toEqual([3]);
    const es = alice.seal(toBob, [clove(7)]);
    expect(es.kind).toBe('es');
    expect(msgIds(bob.decrypt(es.body))).toEqual([7]);
    expect(bob.seal(toAlice, [clove(8)]).kind).toBe('es');
    // The session of the first NS was superseded and goes at the handshake timeout.
    expect(bob.stats().sessions).toBe(2);
    expect(bob.expire(NOW + 181_000).sessions).toBe(1);
    expect(msgIds(alice.decrypt(bob.encrypt(toAlice, [clove(9)])))).toEqual([9]);
  });

  it('crossing NSs (both sides open at once) converge on one session pair and keep ratcheting', () => {
    const { alice, bob, toBob, toAlice } = pair({ ratchetThreshold: 5 });
    const nsA = alice.encrypt(toBob, [clove(1)]);
    const nsB = bob.encrypt(toAlice, [clove(2)]);
    expect(msgIds(bob.decrypt(nsA))).toEqual([1]);
    expect(msgIds(alice.decrypt(nsB))).toEqual([2]);
    const nsrA = alice.seal(toBob, [clove(3)]);
    const nsrB = bob.seal(toAlice, [clove(4)]);
    expect([nsrA.kind, nsrB.kind]).toEqual(['nsr', 'nsr']);
    expect(msgIds(bob.decrypt(nsrA.body))).toEqual([3]);
    expect(msgIds(alice.decrypt(nsrB.body))).toEqual([4]);
    // One side now sends ES, the other still NSR until that ES arrives; then ES both ways.
    for (let i = 0; i < 60; i++) {
      msgIds(bob.decrypt(alice.encrypt(toBob, [clove(100 + i)])));
      expect(msgIds(alice.decrypt(bob.encrypt(toAlice, [clove(200 + i)])))).toEqual([200 + i]);
    }
    const sa = alice.sessionFor(bob.staticPublicKey)!;
    const sb = bob.sessionFor(alice.staticPublicKey)!;
    expect(sa.state).toBe('established');
    expect(sb.state).toBe('established');
    expect(sa.role).not.toBe(sb.role); // the two ends of one pair
    expect(sa.sendTagSetId).toBeGreaterThanOrEqual(2);
    expect(sb.sendTagSetId).toBeGreaterThanOrEqual(2);
  });

  it('a one-time message needs no session on either side', () => {
    const { alice, bob, toBob } = pair();
    const sealed = alice.seal(toBob, [clove(9)], { needsReply: false });
    expect(sealed.kind).toBe('one-time');
    const got = bob.decrypt(sealed.body);
    expect(got.kind).toBe('ns');
    expect(got.remoteStaticKey).toBeUndefined();
    expect(msgIds(got)).toEqual([9]);
    expect(alice.stats().sessions).toBe(0);
    expect(bob.stats().sessions).toBe(0);
  });

  it('refuses ratchet blocks from the caller and termination outside ES', () => {
    const { alice, toBob } = pair();
    expect(codeOf(() => alice.encrypt(toBob, [{ type: 'ack', acks: [{ tagSetId: 0, n: 0 }] }]))).toBe('ENCODE');
    expect(codeOf(() => alice.encrypt(toBob, [{ type: 'nextKey', flags: 0, keyId: 0 }]))).toBe('ENCODE');
    expect(codeOf(() => alice.encrypt(toBob, [{ type: 'termination', reason: 0, data: new Uint8Array(0) }]))).toBe('ENCODE');
    expect(codeOf(() => alice.encrypt({ staticPublicKey: new Uint8Array(31) }, []))).toBe('BAD_KEY');
  });
});

describe('RatchetEngine data phase', () => {
  it('1200 messages each way cross several NextKey DH ratchets in both directions', () => {
    const { alice, bob, toBob, toAlice } = established({ ratchetThreshold: 100 });
    const seenA: number[] = [];
    const seenB: number[] = [];
    let maxTags = 0;
    for (let i = 0; i < 1200; i++) {
      const fromA = bob.decrypt(alice.encrypt(toBob, [clove(i)]));
      seenB.push(...msgIds(fromA));
      const fromB = alice.decrypt(bob.encrypt(toAlice, [clove(i)]));
      seenA.push(...msgIds(fromB));
      maxTags = Math.max(maxTags, alice.stats().inboundTags, bob.stats().inboundTags);
    }
    const ids = [...Array(1200).keys()];
    expect(seenA).toEqual(ids);
    expect(seenB).toEqual(ids);
    const sa = alice.sessionFor(bob.staticPublicKey)!;
    const sb = bob.sessionFor(alice.staticPublicKey)!;
    // About one tag set per ~100 messages, each one a DH ratchet (odd and even tag set ids).
    expect(sa.sendTagSetId).toBeGreaterThanOrEqual(10);
    expect(sb.sendTagSetId).toBeGreaterThanOrEqual(10);
    expect(sa.receiveTagSetId).toBe(sb.sendTagSetId);
    expect(sb.receiveTagSetId).toBe(sa.sendTagSetId);
    // Look-ahead windows plus the superseded tag sets kept for stragglers: bounded.
    expect(maxTags).toBeLessThan(4 * 250);
  });

  it('a NextKey with no reverse traffic is reported as owed and answered by an explicit reply', () => {
    const { alice, bob, toBob, toAlice } = established({ ratchetThreshold: 4 });
    for (let i = 0; i < 6; i++) bob.decrypt(alice.encrypt(toBob, [clove(i)]));
    expect(alice.sessionFor(bob.staticPublicKey)?.sendTagSetId).toBe(0);
    expect(bob.pendingReplies()[0].reasons).toContain('next-key');
    alice.decrypt(bob.encrypt(toAlice, []));
    expect(bob.pendingReplies()).toEqual([]);
    alice.encrypt(toBob, []); // still needed: the first message on the new tag set
    expect(alice.sessionFor(bob.staticPublicKey)?.sendTagSetId).toBe(1);
    const got = bob.decrypt(alice.encrypt(toBob, [clove(50)]));
    expect(got.tagSetId).toBe(1);
    expect(msgIds(got)).toEqual([50]);
  });

  it('out-of-order delivery within the window and lost messages', () => {
    const { alice, bob, toBob } = established();
    const rnd = new SeededRandom('shuffle');
    const bodies = [...Array(20).keys()].map((i) => alice.encrypt(toBob, [clove(i)]));
    const order = [...bodies.keys()];
    for (let i = order.length - 1; i > 0; i--) {
      const j = rnd.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    const got = order.map((i) => msgIds(bob.decrypt(bodies[i]))[0]);
    expect(got).toEqual(order);
    // 15 lost in a row, then delivery resumes.
    for (let i = 0; i < 15; i++) alice.encrypt(toBob, [clove(100 + i)]);
    expect(msgIds(bob.decrypt(alice.encrypt(toBob, [clove(200)])))).toEqual([200]);
    // A late one far behind the window is gone.
    const late = alice.encrypt(toBob, [clove(300)]);
    for (let i = 0; i < 200; i++) bob.decrypt(alice.encrypt(toBob, [clove(400 + i)]));
    expect(() => bob.decrypt(late)).toThrow(GarlicError);
  });

  it('more lost in a row than the look-ahead kills a session; restart() recovers with an NS', () => {
    const { alice, bob, toBob, toAlice, b } = established();
    for (let i = 0; i < 10; i++) bob.decrypt(alice.encrypt(toBob, [clove(i)]));
    // tsmin 24 + N/4 tags ahead at N ~ 12: lose 60 in a row and the session is gone for Bob.
    for (let i = 0; i < 60; i++) alice.encrypt(toBob, [clove(100 + i)]);
    expect(codeOf(() => bob.decrypt(alice.encrypt(toBob, [clove(200)])))).not.toBe('none');
    // Still dead: Alice does not know, and would go on like this.
    expect(alice.seal(toBob, [clove(201)]).kind).toBe('es');
    expect(alice.restart(b.publicKey)).toBe(true);
    const ns = alice.seal(toBob, [clove(202)]);
    expect(ns.kind).toBe('ns');
    expect(msgIds(bob.decrypt(ns.body))).toEqual([202]);
    // Restarting a session still in its handshake changes nothing (its NSs already get through).
    expect(alice.restart(b.publicKey)).toBe(false);
    expect(alice.seal(toBob, [clove(203)]).kind).toBe('ns');
    // Bob's side of the old session still works for what he sends.
    expect(msgIds(alice.decrypt(bob.encrypt(toAlice, [clove(204)])))).toEqual([204]);
  });

  it('replays are rejected: NS (even with other random top bits) and ES', () => {
    const { alice, bob, toBob, toAlice } = pair();
    const ns = alice.encrypt(toBob, [clove(1)]);
    bob.decrypt(ns);
    expect(codeOf(() => bob.decrypt(ns))).toBe('REPLAY');
    const flipped = ns.slice();
    flipped[31] ^= 0xc0; // the two random bits of the Elligator2 representative
    expect(codeOf(() => bob.decrypt(flipped))).toBe('REPLAY');
    alice.decrypt(bob.encrypt(toAlice, [clove(2)]));
    const es = alice.encrypt(toBob, [clove(3)]);
    bob.decrypt(es);
    expect(codeOf(() => bob.decrypt(es))).toBe('REPLAY');
  });

  it('a tampered message fails and leaves the session as it was', () => {
    const { alice, bob, toBob, toAlice } = pair();
    const ns = alice.encrypt(toBob, [clove(1)]);
    const badNs = ns.slice();
    badNs[ns.length - 1] ^= 1;
    expect(codeOf(() => bob.decrypt(badNs))).toBe('AUTH_FAILED');
    expect(bob.stats()).toMatchObject({ sessions: 0, replayCache: 0 });
    bob.decrypt(ns); // the genuine one still opens (its key was not taken by the forgery)

    const nsr = bob.encrypt(toAlice, [clove(2)]);
    const badNsr = nsr.slice();
    badNsr[60] ^= 1;
    const before = alice.stats();
    expect(codeOf(() => alice.decrypt(badNsr))).toBe('AUTH_FAILED');
    expect(alice.stats()).toEqual(before);
    alice.decrypt(nsr);

    bob.decrypt(alice.encrypt(toBob, []));
    for (let round = 0; round < 3; round++) {
      const es = alice.encrypt(toBob, [clove(10 + round)]);
      for (const at of [8, es.length - 1]) {
        const bad = es.slice();
        bad[at] ^= 0x80;
        const stats = bob.stats();
        const info = bob.sessionFor(alice.staticPublicKey);
        expect(codeOf(() => bob.decrypt(bad))).toBe('AUTH_FAILED');
        expect(bob.stats()).toEqual(stats);
        expect(bob.sessionFor(alice.staticPublicKey)).toEqual(info);
      }
      expect(msgIds(bob.decrypt(es))).toEqual([10 + round]);
    }
    // A tag changed: an unknown tag, then not a valid NS either.
    const es = alice.encrypt(toBob, [clove(20)]);
    const badTag = es.slice();
    badTag[0] ^= 1;
    expect(() => bob.decrypt(badTag)).toThrow(GarlicError);
    expect(msgIds(bob.decrypt(es))).toEqual([20]);
  });

  it('ACK requests are queued, reported and answered in-band', () => {
    const { alice, bob, toBob, toAlice } = established();
    const sent = alice.seal(toBob, [clove(5)], { ackRequest: true });
    expect(sent.ackId).toEqual({ tagSetId: 0, n: sent.session!.sendIndex! - 1 });
    const got = bob.decrypt(sent.body);
    expect(got.needsReply).toBe(true);
    expect(bob.pendingReplies()[0].reasons).toEqual(['ack']);
    const reply = alice.decrypt(bob.encrypt(toAlice, []));
    expect(reply.acks).toEqual([sent.ackId]);
    expect(bob.pendingReplies()).toEqual([]);
    expect(alice.seal(toBob, [], { ackRequest: false }).ackId).toBeUndefined();
  });

  it('termination ends the session on both sides; the next message starts a new one', () => {
    const { alice, bob, toBob, toAlice } = established();
    const got = bob.decrypt(alice.encrypt(toBob, [clove(1), { type: 'termination', reason: 0, data: new Uint8Array(0) }]));
    expect(got.blocks.some((x) => x.type === 'termination')).toBe(true);
    expect(bob.sessionFor(alice.staticPublicKey)).toBeUndefined();
    expect(alice.sessionFor(bob.staticPublicKey)).toBeUndefined();
    expect(bob.seal(toAlice, [clove(2)]).kind).toBe('ns');
    expect(alice.seal(toBob, [clove(3)]).kind).toBe('ns');
  });

  it('an NS refuses a DateTime outside the window', () => {
    const { alice, bob, toBob, clock } = pair();
    const ns = alice.encrypt(toBob, [clove(1)]);
    clock.advance(6 * 60_000);
    expect(codeOf(() => bob.decrypt(ns))).toBe('CLOCK_SKEW');
    expect(bob.stats().sessions).toBe(0);
  });

  it('a late duplicate NS does not replace a fresh established session', () => {
    const p = pair();
    const ns1 = p.alice.encrypt(p.toBob, [clove(1)]);
    const ns2 = p.alice.encrypt(p.toBob, [clove(2)]);
    p.bob.decrypt(ns1);
    p.alice.decrypt(p.bob.encrypt(p.toAlice, []));
    p.bob.decrypt(p.alice.encrypt(p.toBob, []));
    const got = p.bob.decrypt(ns2);
    expect(msgIds(got)).toEqual([2]);
    expect(p.bob.sessionFor(p.a.publicKey)?.state).toBe('established');
    expect(p.bob.seal(p.toAlice, [clove(3)]).kind).toBe('es');
  });
});

describe('RatchetEngine expiry and memory', () => {
  it('unanswered handshakes and idle sessions expire; a stale session restarts with an NS', () => {
    const { alice, bob, toBob, toAlice, clock } = pair();
    alice.encrypt(toBob, [clove(1)]);
    clock.advance(181_000);
    expect(alice.expire(clock.now()).sessions).toBe(1);
    expect(alice.stats()).toMatchObject({ sessions: 0, inboundTags: 0 });

    bob.decrypt(alice.encrypt(toBob, [clove(2)]));
    alice.decrypt(bob.encrypt(toAlice, []));
    bob.decrypt(alice.encrypt(toBob, []));
    const old = alice.encrypt(toBob, [clove(3)]);
    clock.advance(9 * 60_000); // nothing received for longer than the outbound idle time
    expect(alice.seal(toBob, [clove(4)]).kind).toBe('ns');
    clock.advance(2 * 60_000);
    expect(bob.expire(clock.now()).sessions).toBe(1);
    expect(bob.stats()).toMatchObject({ sessions: 0, inboundTags: 0 });
    expect(() => bob.decrypt(old)).toThrow(GarlicError);
    alice.expire(clock.now() + 10 * 60_000);
    expect(alice.stats().inboundTags).toBe(0);
  });

  it('an outbound tag set used up without a ratchet answer ends in a new session', () => {
    const { alice, bob, toBob } = established({ ratchetThreshold: 65_000 });
    let last = alice.seal(toBob, []);
    let es = 0;
    for (; last.kind === 'es'; es++) {
      expect(last.session?.sendTagSetId).toBe(0);
      last = alice.seal(toBob, []);
    }
    // N = 1 .. 65533 here (N = 0 went in established()): i2pd's receivers stop at 65533.
    expect(es).toBe(65533);
    expect(last.kind).toBe('ns');
    expect(alice.stats().sessions).toBe(2);
    expect(msgIds(bob.decrypt(last.body))).toEqual([]);
  });

  it('superseded inbound tag sets are dropped after the grace time', () => {
    const { alice, bob, toBob, toAlice, clock } = established({ ratchetThreshold: 3 });
    for (let i = 0; i < 12; i++) {
      bob.decrypt(alice.encrypt(toBob, [clove(i)]));
      alice.decrypt(bob.encrypt(toAlice, [clove(i)]));
    }
    const before = bob.stats().inboundTags;
    clock.advance(3 * 60_000 + 1);
    alice.decrypt(bob.encrypt(toAlice, []));
    bob.decrypt(alice.encrypt(toBob, []));
    expect(bob.expire(clock.now()).tagSets).toBeGreaterThan(0);
    expect(bob.stats().inboundTags).toBeLessThan(before);
    expect(msgIds(bob.decrypt(alice.encrypt(toBob, [clove(99)])))).toEqual([99]);
  });

  it('many remotes: sessions stay within maxSessions', () => {
    const clock = new ManualClock(NOW);
    const b = x25519Generate();
    const bob = new RatchetEngine({
      staticPrivateKey: b.privateKey,
      staticPublicKey: b.publicKey,
      clock,
      random: new SeededRandom('bob'),
      opts: { maxSessions: 5 },
    });
    for (let i = 0; i < 12; i++) {
      const a = x25519Generate();
      const alice = new RatchetEngine({ staticPrivateKey: a.privateKey, staticPublicKey: a.publicKey, clock, random: new SeededRandom(`a${i}`) });
      bob.decrypt(alice.encrypt({ staticPublicKey: b.publicKey }, [clove(i)]));
      expect(bob.stats().sessions).toBeLessThanOrEqual(5);
    }
    expect(bob.stats().inboundTags).toBe(0); // handshakes only: no ES tags before an NSR
  });

  it('one remote resending NS keeps a bounded number of handshakes', () => {
    const { alice, bob, toBob, toAlice } = pair({ maxHandshakesPerRemote: 3 });
    for (let i = 0; i < 10; i++) bob.decrypt(alice.encrypt(toBob, [clove(i)]));
    expect(alice.stats().inboundTags).toBe(3 * 12); // three NSR tag sets
    expect(bob.stats().sessions).toBeLessThanOrEqual(3);
    for (let i = 0; i < 4; i++) bob.encrypt(toAlice, [clove(i)]);
    expect(bob.stats().sessions).toBeLessThanOrEqual(3);
  });
});

describe('payload through the engine', () => {
  it('blocks survive byte for byte, padding stays last', () => {
    const { alice, bob, toBob } = established();
    const blocks: PayloadBlock[] = [clove(1, 500), { type: 'options', data: new Uint8Array([1, 2]) }, { type: 'padding', length: 9 }];
    const got = bob.decrypt(alice.encrypt(toBob, blocks, { ackRequest: true }));
    expect(got.blocks.at(-1)).toEqual({ type: 'padding', length: 9 });
    expect(got.blocks.filter((x) => x.type !== 'ackRequest')).toEqual(decodePayload(encodePayload(blocks)));
  });
});
