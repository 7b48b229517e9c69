import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameReader, FrameSealer, Ntcp2Error, type Ntcp2Step } from '../../../src/router/transport/ntcp2/index.js';
import { makePair } from './helpers.js';

/*
 * Peer input must never make the state machines throw: every failure is a returned Ntcp2Error.
 * Random bytes, and real messages with bytes flipped, dropped or appended, fed in random pieces.
 */
const pair = makePair('fuzz');
const alice0 = pair.initiator();
const msg1 = alice0.start();
const msg2 = pair.responder().receive(msg1).send![0];

function mutate(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 4 }),
      fc.nat({ max: 8 }),
      fc.uint8Array({ maxLength: 40 }),
    )
    .map(([flips, cut, extra]) => {
      const b = base.slice(0, Math.max(0, base.length - cut));
      for (const [at, x] of flips) if (b.length) b[at % b.length] ^= x;
      return new Uint8Array([...b, ...extra]);
    });
}

function feed(receive: (b: Uint8Array) => Ntcp2Step, input: Uint8Array, cuts: number[]): Ntcp2Step[] {
  const steps: Ntcp2Step[] = [];
  let at = 0;
  for (let i = 0; at < input.length; i++) {
    const n = cuts[i % cuts.length];
    const s = receive(input.subarray(at, at + n));
    steps.push(s);
    if (s.error) expect(s.error).toBeInstanceOf(Ntcp2Error);
    at += n;
  }
  return steps;
}

const cuts = fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 8 });

describe('NTCP2 fuzz', () => {
  it('Responder: random bytes or a mutated message 1 never throw, buffering stays bounded', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 600 }), mutate(msg1)), cuts, (input, c) => {
        const bob = pair.responder();
        feed((b) => {
          const s = bob.receive(b);
          expect(bob.buffered).toBeLessThanOrEqual(64 + 256);
          return s;
        }, input, c);
      }),
      { numRuns: 400 },
    );
  });

  it('Responder: a valid handshake whose message 3 has bytes flipped never throws and never completes', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), cuts, (flips, c) => {
        const a = pair.initiator();
        const bob = pair.responder();
        const good = a.receive(bob.receive(a.start()).send![0]).send![0];
        const m3 = good.slice();
        for (const [at, x] of flips) m3[at % m3.length] ^= x;
        fc.pre(m3.some((b, i) => b !== good[i])); // flips that cancel out leave a valid message
        const steps = feed((b) => bob.receive(b), m3, c);
        expect(steps.some((s) => s.done)).toBe(false);
        expect(steps.at(-1)?.error).toBeInstanceOf(Ntcp2Error);
      }),
      { numRuns: 60 },
    );
  });

  it('Initiator: random bytes or a mutated message 2 never throw', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 600 }), mutate(msg2)), cuts, (input, c) => {
        const a = pair.initiator();
        a.start();
        const steps = feed((b) => {
          const s = a.receive(b);
          expect(a.buffered).toBeLessThanOrEqual(64 + 256);
          return s;
        }, input, c);
        // msg2 belongs to another handshake: never accepted.
        expect(steps.some((s) => s.done)).toBe(false);
      }),
      { numRuns: 400 },
    );
  });

  it('FrameReader: random and mutated frames never throw, buffering stays within one frame', () => {
    const key = new Uint8Array(32).fill(1);
    const sip = new Uint8Array(16).fill(2);
    const iv = new Uint8Array(8).fill(3);
    const sealer = new FrameSealer(key, sip, iv);
    const frame = sealer.seal([{ kind: 'i2np', message: new Uint8Array(300).fill(4) }]);
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 3000 }), mutate(frame)), cuts, (input, c) => {
        const r = new FrameReader(key, sip, iv);
        let at = 0;
        for (let i = 0; at < input.length; i++) {
          const n = c[i % c.length];
          const res = r.push(input.subarray(at, at + n));
          if (res.error) expect(res.error).toBeInstanceOf(Ntcp2Error);
          expect(r.buffered).toBeLessThanOrEqual(2 + 65535);
          at += n;
        }
      }),
      { numRuns: 400 },
    );
  });
});
