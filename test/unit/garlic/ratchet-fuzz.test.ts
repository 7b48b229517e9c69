import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { elligator2Generate, x25519PublicKey } from '../../../src/router/crypto/index.js';
import { cloves, GarlicError, type PayloadBlock } from '../../../src/router/garlic/index.js';
import { RatchetEngine } from '../../../src/router/garlic/ratchet/index.js';
import { ManualClock, SeededRandom } from '../../../src/router/runtime/index.js';

const NOW = 1_750_000_000_000;

const clove = (id: number): PayloadBlock => ({
  type: 'clove',
  clove: { delivery: { type: 'local' }, message: { type: 20, msgId: id, expiration: NOW + 60_000, payload: Uint8Array.of(id & 0xff) } },
});

const keyPair = (privateKey: Uint8Array) => ({ privateKey, publicKey: x25519PublicKey(privateKey) });

function established(seed: string, ratchetThreshold = 8) {
  const clock = new ManualClock(NOW);
  const keyRandom = new SeededRandom(seed + 'keys');
  const a = keyPair(keyRandom.bytes(32));
  const b = keyPair(keyRandom.bytes(32));
  const opts = { ratchetThreshold };
  const alice = new RatchetEngine({ staticPrivateKey: a.privateKey, staticPublicKey: a.publicKey, clock, random: new SeededRandom(seed + 'A'), opts });
  const bob = new RatchetEngine({ staticPrivateKey: b.privateKey, staticPublicKey: b.publicKey, clock, random: new SeededRandom(seed + 'B'), opts });
  const toBob = { staticPublicKey: b.publicKey };
  const toAlice = { staticPublicKey: a.publicKey };
  bob.decrypt(alice.encrypt(toBob, [clove(0)]));
  alice.decrypt(bob.encrypt(toAlice, [clove(0)]));
  bob.decrypt(alice.encrypt(toBob, [clove(0)]));
  return { alice, bob, toBob, toAlice };
}

/** What memory and state look like from outside: must not move on a rejected body. */
function snapshot(e: RatchetEngine, staticKey: Uint8Array) {
  return { stats: e.stats(), session: e.sessionFor(staticKey), replies: e.pendingReplies() };
}

function expectGarlicError(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(GarlicError);
    return;
  }
  throw new Error('expected a GarlicError');
}

describe('RatchetEngine fuzz', () => {
  const { alice, bob } = established('garbage');
  const before = snapshot(bob, alice.staticPublicKey);

  it('random bodies: only GarlicError, and nothing changes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 400 }), (body) => {
        expectGarlicError(() => bob.decrypt(body));
      }),
      { numRuns: 400 },
    );
    expect(snapshot(bob, alice.staticPublicKey)).toEqual(before);
  });

  it('NS-shaped garbage (a valid Elligator2 key, then noise): only GarlicError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 71, maxLength: 300 }), (rest) => {
        const body = new Uint8Array(32 + rest.length);
        body.set(elligator2Generate().representative, 0);
        body.set(rest, 32);
        expectGarlicError(() => bob.decrypt(body));
      }),
      { numRuns: 100 },
    );
    expect(snapshot(bob, alice.staticPublicKey)).toEqual(before);
  });

  it('non-bytes input is a GarlicError too', () => {
    for (const junk of [undefined, null, 'x', 42, [1, 2, 3], {}]) expectGarlicError(() => bob.decrypt(junk as unknown as Uint8Array));
  });

  it('valid tags with garbage after them: only GarlicError, tags kept for the genuine message', () => {
    const { alice: a2, bob: b2, toBob } = established('tags');
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), fc.integer({ min: 0, max: 0xffff }), (tail, id) => {
        const genuine = a2.encrypt(toBob, [clove(id)]);
        const forged = new Uint8Array(8 + tail.length);
        forged.set(genuine.subarray(0, 8), 0);
        forged.set(tail, 8);
        const snap = snapshot(b2, a2.staticPublicKey);
        expectGarlicError(() => b2.decrypt(forged));
        expect(snapshot(b2, a2.staticPublicKey)).toEqual(snap);
        expect(cloves(b2.decrypt(genuine).blocks)[0].message.msgId).toBe(id);
      }),
      { numRuns: 150 },
    );
  });
});

type Action = { dir: 0 | 1; op: 'send' | 'deliver' | 'dup' | 'tamper' | 'flush'; k: number };

describe('RatchetEngine under reordering, duplication, tampering (property)', () => {
  it('every genuine message opens exactly once with its content; nothing else opens', () => {
    const action: fc.Arbitrary<Action> = fc.record({
      dir: fc.constantFrom<0 | 1>(0, 1),
      op: fc.constantFrom<Action['op']>('send', 'send', 'send', 'deliver', 'deliver', 'dup', 'tamper', 'flush'),
      k: fc.nat(),
    });
    let furthest = 0;
    fc.assert(
      fc.property(fc.array(action, { minLength: 40, maxLength: 200 }), (actions) => {
        // Keys from the actions themselves: a counterexample replays identically.
        const { alice, bob, toBob, toAlice } = established(JSON.stringify(actions), 2);
        const ends = [
          { from: alice, to: bob, remote: toBob },
          { from: bob, to: alice, remote: toAlice },
        ];
        const queues: { body: Uint8Array; id: number }[][] = [[], []];
        const delivered: Uint8Array[][] = [[], []];
        let next = 1;
        const deliver = (dir: 0 | 1, i: number) => {
          const [m] = queues[dir].splice(i, 1);
          const got = ends[dir].to.decrypt(m.body);
          const ids = cloves(got.blocks).map((c) => c.message.msgId);
          expect(ids).toEqual(m.id === 0 ? [] : [m.id]);
          delivered[dir].push(m.body);
        };
        for (const a of actions) {
          const q = queues[a.dir];
          const end = ends[a.dir];
          switch (a.op) {
            case 'send': {
              const id = next++;
              q.push({ body: end.from.encrypt(end.remote, [clove(id)]), id });
              break;
            }
            case 'deliver':
              if (q.length > 0) deliver(a.dir, a.k % q.length);
              break;
            case 'dup': {
              const done = delivered[a.dir];
              if (done.length > 0) expectGarlicError(() => end.to.decrypt(done[a.k % done.length]));
              break;
            }
            case 'tamper':
              if (q.length > 0) {
                const m = q[a.k % q.length];
                const bad = m.body.slice();
                // Bits 0-5 only: the top two bits of an Elligator2 representative are random padding
                // that nobody authenticates (ecies.rst DECODE_ELG2 masks them off).
                bad[(a.k >> 4) % bad.length] ^= 1 << (a.k % 6);
                expectGarlicError(() => end.to.decrypt(bad));
              }
              break;
            case 'flush':
              // The explicit ratchet-layer reply a caller sends when owed one.
              if (end.from.pendingReplies().length > 0) q.push({ body: end.from.encrypt(end.remote, []), id: 0 });
              break;
          }
        }
        for (const dir of [0, 1] as const) while (queues[dir].length > 0) deliver(dir, 0);
        expect(alice.sessionFor(bob.staticPublicKey)?.state).toBe('established');
        expect(bob.sessionFor(alice.staticPublicKey)?.state).toBe('established');
        // Ratchets kept the two ends in step: the receiver is at most one exchange ahead.
        for (const [rx, tx] of [
          [alice, bob],
          [bob, alice],
        ]) {
          const newest = rx.sessionFor(tx.staticPublicKey)!.receiveTagSetId!;
          const sending = tx.sessionFor(rx.staticPublicKey)!.sendTagSetId!;
          expect(newest - sending).toBeGreaterThanOrEqual(0);
          expect(newest - sending).toBeLessThanOrEqual(1);
          furthest = Math.max(furthest, sending);
        }
      }),
      { numRuns: Number(process.env.RATCHET_RUNS ?? 40) },
    );
    expect(furthest).toBeGreaterThanOrEqual(2); // the runs did cross DH ratchets
  });
});

describe('RatchetEngine handshakes under reordering (property)', () => {
  it('from no session, crossing or not: every genuine message opens once, and both ends converge', () => {
    const action: fc.Arbitrary<Action> = fc.record({
      dir: fc.constantFrom<0 | 1>(0, 1),
      op: fc.constantFrom<Action['op']>('send', 'send', 'deliver', 'deliver', 'dup', 'tamper', 'flush'),
      k: fc.nat(),
    });
    fc.assert(
      fc.property(fc.array(action, { minLength: 1, maxLength: 80 }), fc.boolean(), (actions, bobMayOpen) => {
        const clock = new ManualClock(NOW);
        const keyRandom = new SeededRandom(JSON.stringify(actions) + bobMayOpen);
        const a = keyPair(keyRandom.bytes(32));
        const b = keyPair(keyRandom.bytes(32));
        // Enough room that no handshake state is dropped for lack of space in this run.
        const opts = { ratchetThreshold: 3, maxHandshakesPerRemote: 64, maxNsrPerSession: 1000 };
        const alice = new RatchetEngine({ staticPrivateKey: a.privateKey, staticPublicKey: a.publicKey, clock, random: keyRandom.fork('A'), opts });
        const bob = new RatchetEngine({ staticPrivateKey: b.privateKey, staticPublicKey: b.publicKey, clock, random: keyRandom.fork('B'), opts });
        const ends = [
          { from: alice, to: bob, remote: { staticPublicKey: b.publicKey } },
          { from: bob, to: alice, remote: { staticPublicKey: a.publicKey } },
        ];
        const queues: { body: Uint8Array; id: number }[][] = [[], []];
        const delivered: Uint8Array[][] = [[], []];
        let next = 1;
        const deliver = (dir: 0 | 1, i: number) => {
          const [m] = queues[dir].splice(i, 1);
          const got = ends[dir].to.decrypt(m.body);
          expect(cloves(got.blocks).map((c) => c.message.msgId)).toEqual(m.id === 0 ? [] : [m.id]);
          delivered[dir].push(m.body);
        };
        const send = (dir: 0 | 1, id: number) => {
          const e = ends[dir];
          queues[dir].push({ body: e.from.encrypt(e.remote, id === 0 ? [] : [clove(id)]), id });
        };
        for (const act of actions) {
          const q = queues[act.dir];
          const end = ends[act.dir];
          switch (act.op) {
            case 'send':
              // Without bobMayOpen, Bob only answers (no crossing NS).
              if (act.dir === 0 || bobMayOpen || bob.sessionFor(a.publicKey)) send(act.dir, next++);
              break;
            case 'deliver':
              if (q.length > 0) deliver(act.dir, act.k % q.length);
              break;
            case 'dup': {
              const done = delivered[act.dir];
              if (done.length > 0) expectGarlicError(() => end.to.decrypt(done[act.k % done.length]));
              break;
            }
            case 'tamper':
              if (q.length > 0) {
                const bad = q[act.k % q.length].body.slice();
                bad[(act.k >> 4) % bad.length] ^= 1 << (act.k % 6); // not the representatives' random top bits
                expectGarlicError(() => end.to.decrypt(bad));
              }
              break;
            case 'flush':
              if (end.from.pendingReplies().length > 0) send(act.dir, 0);
              break;
          }
        }
        for (const dir of [0, 1] as const) while (queues[dir].length > 0) deliver(dir, 0);
        if (!alice.sessionFor(b.publicKey) && !bob.sessionFor(a.publicKey)) return; // nothing was ever sent
        // Settle: talk until both ends send ES on one pair.
        for (let round = 0; round < 4; round++) {
          for (const dir of [0, 1] as const) {
            send(dir, next++);
            deliver(dir, 0);
          }
        }
        const sa = alice.sessionFor(b.publicKey)!;
        const sb = bob.sessionFor(a.publicKey)!;
        expect([sa.state, sb.state]).toEqual(['established', 'established']);
        expect(sa.role).not.toBe(sb.role);
        expect(alice.seal(ends[0].remote, []).kind).toBe('es');
        expect(bob.seal(ends[1].remote, []).kind).toBe('es');
      }),
      { numRuns: Number(process.env.RATCHET_RUNS ?? 40) },
    );
  });
});
