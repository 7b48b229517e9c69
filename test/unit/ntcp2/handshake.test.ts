import { describe, expect, it } from 'vitest';
import { ntcp2Address } from '../../../src/router/data/index.js';
import { decodeFrame } from '../../../src/router/i2np/index.js';
import {
  MSG12_MAX_LENGTH,
  Ntcp2DataPhase,
  TerminationReason,
  type Ntcp2Block,
  type Ntcp2Established,
  type Ntcp2Step,
} from '../../../src/router/transport/ntcp2/index.js';
import { concat, feedBytewise, makePair, NET_ID, type Pair } from './helpers.js';

/** Runs the three messages in memory; returns both sides' results. */
function handshake(p: Pair, over: { initiator?: Parameters<Pair['initiator']>[0]; responder?: Parameters<Pair['responder']>[0] } = {}) {
  const alice = p.initiator(over.initiator);
  const bob = p.responder(over.responder);
  const msg1 = alice.start();
  const s1 = bob.receive(msg1);
  expect(s1.error).toBeUndefined();
  const msg2 = s1.send![0];
  const s2 = alice.receive(msg2);
  expect(s2.error).toBeUndefined();
  const msg3 = s2.send![0];
  const s3 = bob.receive(msg3);
  return { msg1, msg2, msg3, alice: s2, bob: s3, aliceSm: alice, bobSm: bob };
}

function i2npShort(type: number, msgId: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(9 + body.length);
  const dv = new DataView(out.buffer);
  out[0] = type;
  dv.setUint32(1, msgId);
  dv.setUint32(5, 1_750_000_060);
  out.set(body, 9);
  return out;
}

describe('NTCP2 handshake in memory', () => {
  it('completes, agrees on keys, and both data-phase directions work', () => {
    const p = makePair();
    const r = handshake(p);
    expect(r.bob.error).toBeUndefined();
    const a = r.alice.done as Ntcp2Established;
    const b = r.bob.done as Ntcp2Established;
    expect(a.role).toBe('initiator');
    expect(b.role).toBe('responder');
    expect(a.peerRouterHash).toEqual(p.bob.hash);
    expect(b.peerRouterHash).toEqual(p.alice.hash);
    expect(b.peerStaticKey).toEqual(p.alice.ntcp2.publicKey);
    expect(b.peerRouterInfo?.routerInfo.published).toBe(p.aliceClock.now());
    expect(a.dataPhase.sendKey).toEqual(b.dataPhase.recvKey);
    expect(a.dataPhase.recvKey).toEqual(b.dataPhase.sendKey);
    expect(a.dataPhase.sendSipKey16).toEqual(b.dataPhase.recvSipKey16);
    expect(a.dataPhase.sendSipIv8).toEqual(b.dataPhase.recvSipIv8);
    expect(a.dataPhase.recvSipIv8).toEqual(b.dataPhase.sendSipIv8);
    expect(a.dataPhase.sendKey).not.toEqual(a.dataPhase.recvKey);

    const da = new Ntcp2DataPhase(a.dataPhase);
    const db = new Ntcp2DataPhase(b.dataPhase);
    // Several I2NP messages in one frame, then padding.
    const msgs = [1, 2, 3].map((i) => i2npShort(18, i, new Uint8Array(100 * i).fill(i)));
    const blocks: Ntcp2Block[] = [
      { kind: 'dateTime', timestamp: 1_750_000_000 },
      ...msgs.map((m): Ntcp2Block => ({ kind: 'i2np', message: m })),
      { kind: 'padding', data: new Uint8Array(7) },
    ];
    const frame = da.seal(blocks);
    const got = db.push(frame);
    expect(got.error).toBeUndefined();
    expect(got.frames).toHaveLength(1);
    expect(got.frames[0]).toEqual(blocks);
    const i2np = got.frames[0].filter((x) => x.kind === 'i2np');
    expect(i2np.map((x) => decodeFrame((x as { message: Uint8Array }).message, 'short').msgId)).toEqual([1, 2, 3]);

    // Bob → Alice, two frames in one push, then one byte at a time.
    const back = concat([db.seal([{ kind: 'i2np', message: msgs[0] }]), db.seal([{ kind: 'i2np', message: msgs[1] }])]);
    const r2 = da.push(back);
    expect(r2.frames.map((f) => f[0])).toEqual([
      { kind: 'i2np', message: msgs[0] },
      { kind: 'i2np', message: msgs[1] },
    ]);
    const third = db.seal([{ kind: 'i2np', message: msgs[2] }]);
    const frames: Ntcp2Block[][] = [];
    for (let i = 0; i < third.length; i++) frames.push(...da.push(third.subarray(i, i + 1)).frames);
    expect(frames).toEqual([[{ kind: 'i2np', message: msgs[2] }]]);
    expect(da.reader.validFramesReceived).toBe(3);
  });

  it('keeps messages 1 and 2 within 287 bytes and message 3 at the announced size', () => {
    for (let i = 0; i < 40; i++) {
      const p = makePair(`sizes ${i}`);
      const r = handshake(p);
      expect(r.msg1.length).toBeGreaterThanOrEqual(64);
      expect(r.msg1.length).toBeLessThanOrEqual(MSG12_MAX_LENGTH);
      expect(r.msg2.length).toBeLessThanOrEqual(MSG12_MAX_LENGTH);
      expect(r.bob.done).toBeDefined();
    }
  });

  it('completes when every message arrives one byte at a time, with data right after message 3', () => {
    const p = makePair('bytewise');
    const alice = p.initiator();
    const bob = p.responder();
    const msg1 = alice.start();
    const s1 = feedBytewise((b) => bob.receive(b), msg1);
    expect(s1).toHaveLength(1);
    expect(bob.buffered).toBe(0);
    const s2 = feedBytewise((b) => alice.receive(b), s1[0].send![0]);
    expect(s2).toHaveLength(1);
    const a = s2[0].done!;
    const da = new Ntcp2DataPhase(a.dataPhase);
    const frame = da.seal([{ kind: 'i2np', message: i2npShort(1, 7, new Uint8Array(3)) }]);
    // Message 3 and the first frame in one chunk: the frame comes back as leftover.
    const s3 = bob.receive(concat([s2[0].send![0], frame]));
    expect(s3.done).toBeDefined();
    const db = new Ntcp2DataPhase(s3.done!.dataPhase);
    expect(db.push(s3.leftover!).frames).toHaveLength(1);
  });

  it('delivers message 3 options and ignores RouterInfo growth within the reserved room', () => {
    const p = makePair('growth');
    let calls = 0;
    const r = handshake(p, {
      initiator: {
        message3PaddingMax: 64,
        routerInfo: () => {
          calls++;
          // Same RouterInfo re-signed a second later: same size, new `published`.
          return p.alice.routerInfo(p.aliceClock.now() + (calls > 1 ? 1000 : 0));
        },
      },
    });
    expect(calls).toBe(2);
    expect(r.bob.done?.peerRouterInfo?.routerInfo.published).toBe(p.aliceClock.now() + 1000);
  });

  it('sends the fresh RouterInfo when it fits the announced m3p2len, else the one sized at message 1', () => {
    // With no reserve, message 3 has room for the first RouterInfo plus an empty padding block (3 bytes).
    for (const [delta, freshSent] of [
      [200, false],
      [1, false],
      [2, false],
      [3, true], // exactly fills the room: no padding block at all
      [-1, true],
    ] as const) {
      const p = makePair(`refit ${delta}`);
      const now = p.aliceClock.now();
      const first = p.alice.routerInfo(now);
      let fresh: Uint8Array = new Uint8Array(0);
      let calls = 0;
      const r = handshake(p, {
        initiator: {
          message3PaddingMax: 0,
          routerInfo: () => {
            if (calls++ === 0) return first;
            // A later RouterInfo whose host is `delta` characters longer (or shorter).
            const host = delta > 0 ? '127.0.0.1'.padEnd(9 + delta, '0') : '127.0.0.1'.slice(0, 9 + delta);
            fresh = p.alice.routerInfo(now + 5000, {
              addresses: [ntcp2Address({ host, port: 12345, s: p.alice.ntcp2.publicKey, i: p.alice.iv })],
            });
            expect(fresh.length).toBe(first.length + delta);
            return fresh;
          },
        },
      });
      expect(calls).toBe(2);
      expect(r.bob.done?.peerRouterInfo?.bytes).toEqual(freshSent ? fresh : first);
    }
  });

  it('accepts a network id of 0 (spec: only a nonzero id is checked) and refuses another network', () => {
    const p = makePair('netid');
    expect(handshake(p, { initiator: { netId: 0 } }).bob.done).toBeDefined();
    const bob = p.responder();
    const s = bob.receive(p.initiator({ netId: NET_ID + 1 }).start());
    expect(s.send).toBeUndefined();
    expect(s.error?.code).toBe('BAD_NETWORK_ID');
    expect(s.error?.terminationReason).toBe(TerminationReason.Message1Error);
    expect(s.error?.probe?.readBytes).toBeGreaterThanOrEqual(0);
    expect(s.error?.probe?.readBytes).toBeLessThan(MSG12_MAX_LENGTH);
  });

  it('refuses a clock skew of 61 s (Bob still answers so Alice learns his time) and accepts 59 s', () => {
    for (const sign of [1, -1]) {
      const p = makePair(`skew ${sign}`);
      p.bobClock.t += sign * 61_000;
      const alice = p.initiator();
      const bob = p.responder();
      const s1 = bob.receive(alice.start());
      expect(s1.error?.code).toBe('CLOCK_SKEW');
      expect(s1.error?.terminationReason).toBe(TerminationReason.ClockSkew);
      expect(s1.error?.skewSeconds).toBe(-sign * 61);
      expect(s1.send).toHaveLength(1);
      // Alice decrypts message 2 and sees the skew herself.
      const s2 = alice.receive(s1.send![0]);
      expect(s2.error?.code).toBe('CLOCK_SKEW');
      expect(s2.error?.terminationReason).toBe(TerminationReason.ClockSkew);
      expect(s2.error?.skewSeconds).toBe(sign * 61);
    }
    const p = makePair('skew ok');
    p.bobClock.t += 59_000;
    const r = handshake(p);
    expect(r.bob.done?.clockSkewSeconds).toBe(-59);
    expect(r.alice.done?.clockSkewSeconds).toBe(59);
  });

  it('refuses a replayed message 1', () => {
    const p = makePair('replay');
    const msg1 = p.initiator().start();
    expect(p.responder().receive(msg1).send).toHaveLength(1);
    const s = p.responder().receive(msg1);
    expect(s.error?.code).toBe('REPLAY');
    expect(s.error?.probe).toBeDefined();
    expect(s.send).toBeUndefined();
    // After the cache's lifetime the clock check is what stops it.
    p.bobClock.t += 181_000;
    expect(p.responder().receive(msg1).error?.code).toBe('CLOCK_SKEW');
  });

  it('refuses extra data after message 1 and after message 2', () => {
    const p = makePair('extra');
    const alice = p.initiator({ paddingMax: 0 });
    const s = p.responder().receive(concat([alice.start(), new Uint8Array(1)]));
    expect(s.error?.code).toBe('UNEXPECTED_DATA');
    const alice2 = p.initiator();
    const s1 = p.responder({ paddingMax: 0 }).receive(alice2.start());
    const s2 = alice2.receive(concat([s1.send![0], new Uint8Array(1)]));
    expect(s2.error?.code).toBe('UNEXPECTED_DATA');
  });

  it('detects tampering with any message', () => {
    const p = makePair('tamper');
    // Message 1: flipped AEAD byte → probe.
    const m1 = p.initiator().start();
    m1[40] ^= 1;
    const e1 = p.responder().receive(m1).error!;
    expect(e1.code).toBe('MSG1_AUTH_FAILED');
    expect(e1.probe).toBeDefined();
    // Message 1 padding tampered: Bob cannot tell, Alice fails message 2 (the padding entered h).
    let a = p.initiator();
    let good = a.start();
    for (let i = 0; good.length === 64 && i < 20; i++) {
      a = p.initiator();
      good = a.start();
    }
    expect(good.length).toBeGreaterThan(64);
    good[good.length - 1] ^= 1;
    const s1 = p.responder().receive(good);
    expect(s1.send).toHaveLength(1);
    expect(a.receive(s1.send![0]).error?.code).toBe('MSG2_AUTH_FAILED');
    // Message 3: each part.
    for (const at of [10, 60, -20]) {
      const a = p.initiator();
      const b = p.responder();
      const s2 = a.receive(b.receive(a.start()).send![0]);
      const m3 = s2.send![0];
      m3[at < 0 ? m3.length + at : at] ^= 1;
      const e3 = b.receive(m3).error!;
      expect(e3.code).toBe('MSG3_AUTH_FAILED');
      expect(e3.terminationReason).toBe(TerminationReason.Message3Error);
    }
  });

  it("refuses a RouterInfo whose NTCP2 s differs from the handshake's static key", () => {
    const p = makePair('wrong s');
    const other = new Uint8Array(32).fill(9);
    const r = handshake(p, { initiator: { routerInfo: () => p.alice.routerInfo(p.aliceClock.now(), { s: other }) } });
    expect(r.bob.error?.code).toBe('STATIC_KEY_MISMATCH');
    expect(r.bob.error?.terminationReason).toBe(TerminationReason.BadStaticKeyParameter);
    const none = handshake(p, { initiator: { routerInfo: () => p.alice.routerInfo(p.aliceClock.now(), { addresses: [] }) } });
    expect(none.bob.error?.code).toBe('STATIC_KEY_MISMATCH');
  });

  it('refuses a stale, future, foreign-network or badly signed RouterInfo', () => {
    const p = makePair('bad ri');
    const now = p.aliceClock.now();
    const stale = handshake(p, { initiator: { routerInfo: () => p.alice.routerInfo(now - 91 * 60_000) } });
    expect(stale.bob.error?.code).toBe('BAD_ROUTER_INFO');
    const future = handshake(p, { initiator: { routerInfo: () => p.alice.routerInfo(now + 3 * 60_000) } });
    expect(future.bob.error?.code).toBe('BAD_ROUTER_INFO');
    const foreign = handshake(p, { initiator: { routerInfo: () => p.alice.routerInfo(now, { netId: '2' }) } });
    expect(foreign.bob.error?.code).toBe('BAD_ROUTER_INFO');
    const forged = handshake(p, {
      initiator: {
        routerInfo: () => {
          const ri = p.alice.routerInfo(now);
          ri[ri.length - 1] ^= 1; // last signature byte
          return ri;
        },
      },
    });
    expect(forged.bob.error?.code).toBe('ROUTER_INFO_SIGNATURE');
    expect(forged.bob.error?.terminationReason).toBe(TerminationReason.RouterInfoSignatureVerificationFail);
  });

  it('fails Alice when Bob is not who his RouterInfo says (wrong static key)', () => {
    const p = makePair('impostor');
    const alice = p.initiator({ peer: { routerHash: p.bob.hash, staticKey: p.alice.ntcp2.publicKey, iv: p.bob.iv } });
    const s = p.responder().receive(alice.start());
    expect(s.error?.code).toBe('MSG1_AUTH_FAILED');
  });

  it('answers nothing after done or failure', () => {
    const p = makePair('after');
    const r = handshake(p);
    expect(r.bobSm.receive(new Uint8Array(1)).error?.code).toBe('BAD_STATE');
    expect(r.aliceSm.receive(new Uint8Array(1)).error?.code).toBe('BAD_STATE');
    const step: Ntcp2Step = p.responder().receive(new Uint8Array(64));
    expect(step.error).toBeDefined();
  });
});
