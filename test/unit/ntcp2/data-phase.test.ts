import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FrameReader,
  FrameSealer,
  MAX_FRAME_PAYLOAD,
  Ntcp2DataPhase,
  Ntcp2Error,
  TerminationReason,
  type DataPhaseKeys,
  type Ntcp2Block,
} from '../../../src/router/transport/ntcp2/index.js';

const k = (b: number, n: number): Uint8Array => new Uint8Array(n).fill(b);
const keysA: DataPhaseKeys = {
  sendKey: k(1, 32),
  recvKey: k(2, 32),
  sendSipKey16: k(3, 16),
  sendSipIv8: k(4, 8),
  recvSipKey16: k(5, 16),
  recvSipIv8: k(6, 8),
};
const keysB: DataPhaseKeys = {
  sendKey: keysA.recvKey,
  recvKey: keysA.sendKey,
  sendSipKey16: keysA.recvSipKey16,
  sendSipIv8: keysA.recvSipIv8,
  recvSipKey16: keysA.sendSipKey16,
  recvSipIv8: keysA.sendSipIv8,
};

describe('NTCP2 data phase', () => {
  it('carries a frame of exactly 65535 bytes and refuses one byte more', () => {
    const a = new Ntcp2DataPhase(keysA);
    const b = new Ntcp2DataPhase(keysB);
    const max: Ntcp2Block[] = [{ kind: 'i2np', message: new Uint8Array(MAX_FRAME_PAYLOAD - 3).fill(7) }];
    const frame = a.seal(max);
    expect(frame.length).toBe(2 + 65535);
    const got = b.push(frame);
    expect(got.error).toBeUndefined();
    expect(got.frames).toEqual([max]);
    expect(() => a.seal([{ kind: 'i2np', message: new Uint8Array(MAX_FRAME_PAYLOAD - 2) }])).toThrow(Ntcp2Error);
    // A refused seal does not consume a nonce: the next frame still opens.
    expect(b.push(a.seal([])).frames).toEqual([[]]);
  });

  it('reassembles frames from any split of the stream', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 9, maxLength: 2000 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 20 }),
        (messages, cuts) => {
          const a = new FrameSealer(keysA.sendKey, keysA.sendSipKey16, keysA.sendSipIv8);
          const r = new FrameReader(keysB.recvKey, keysB.recvSipKey16, keysB.recvSipIv8);
          const frames = messages.map((m) => a.seal([{ kind: 'i2np', message: m }]));
          const stream = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
          let o = 0;
          for (const f of frames) {
            stream.set(f, o);
            o += f.length;
          }
          const got: Ntcp2Block[][] = [];
          let at = 0;
          for (let i = 0; at < stream.length; i++) {
            const n = cuts[i % cuts.length];
            const res = r.push(stream.subarray(at, at + n));
            expect(res.error).toBeUndefined();
            got.push(...res.frames);
            at += n;
            expect(r.buffered).toBeLessThanOrEqual(2 + 65535);
          }
          expect(got).toEqual(messages.map((m) => [{ kind: 'i2np', message: m }]));
          expect(r.buffered).toBe(0);
          expect(r.validFramesReceived).toBe(messages.length);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('treats an authentication failure as fatal, with the AEAD reason code', () => {
    const a = new Ntcp2DataPhase(keysA);
    const b = new Ntcp2DataPhase(keysB);
    const good = a.seal([{ kind: 'dateTime', timestamp: 5 }]);
    const bad = a.seal([{ kind: 'dateTime', timestamp: 6 }]);
    bad[bad.length - 1] ^= 1;
    const res = b.push(new Uint8Array([...good, ...bad]));
    expect(res.frames).toEqual([[{ kind: 'dateTime', timestamp: 5 }]]);
    expect(res.error?.code).toBe('FRAME_AUTH_FAILED');
    expect(res.error?.terminationReason).toBe(TerminationReason.DataPhaseAeadFailure);
    // Fatal: later good input is refused too.
    expect(b.push(a.seal([])).error?.code).toBe('FRAME_AUTH_FAILED');
    // The Termination block reports the frames that were valid.
    const back = new Ntcp2DataPhase(keysA);
    const term = b.terminate(TerminationReason.DataPhaseAeadFailure);
    expect(back.push(term).frames).toEqual([
      [{ kind: 'termination', validFramesReceived: 1n, reason: 4, data: new Uint8Array(0) }],
    ]);
  });

  it('refuses a de-obfuscated length below 16 (AEAD framing error)', () => {
    const a = new FrameSealer(keysA.sendKey, keysA.sendSipKey16, keysA.sendSipIv8);
    const r = new FrameReader(keysB.recvKey, keysB.recvSipKey16, keysB.recvSipIv8);
    const f = a.seal([]);
    // Flip the length so it de-obfuscates to 16 ^ 0x10 = 0.
    f[1] ^= 0x10;
    const res = r.push(f);
    expect(res.error?.code).toBe('BAD_FRAME_LENGTH');
    expect(res.error?.terminationReason).toBe(TerminationReason.AeadFramingError);
  });

  it('refuses a frame that authenticates but holds malformed blocks', () => {
    const a = new FrameSealer(keysA.sendKey, keysA.sendSipKey16, keysA.sendSipIv8);
    const r = new FrameReader(keysB.recvKey, keysB.recvSipKey16, keysB.recvSipIv8);
    const res = r.push(a.sealPayload(Uint8Array.of(0, 0, 9, 1)));
    expect(res.error?.code).toBe('BAD_FRAME_PAYLOAD');
    expect(res.error?.terminationReason).toBe(TerminationReason.PayloadFormatError);
  });

  it('masks each length with the next SipHash output (same lengths look different on the wire)', () => {
    const a = new FrameSealer(keysA.sendKey, keysA.sendSipKey16, keysA.sendSipIv8);
    const heads = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const f = a.seal([]);
      heads.add((f[0] << 8) | f[1]);
    }
    expect(heads.size).toBeGreaterThan(15);
  });
});
