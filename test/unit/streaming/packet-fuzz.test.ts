/**
 * Fuzzing the streaming packet decoder and the manager's packet handling: any bytes either
 * decode or throw a DecodeError naming a field, and a StreamManager fed garbage (random bytes,
 * mutated real packets) only counts it and keeps working.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDestinationKeys, destinationHash } from '../../../src/router/client/destination-keys.js';
import { PROTO_STREAMING, type I2cpPayload } from '../../../src/router/client/i2cp-payload.js';
import { StreamManager } from '../../../src/router/client/streaming/manager.js';
import { decodePacket, encodePacket, FLAG_SYNCHRONIZE, signPacket } from '../../../src/router/client/streaming/packet.js';
import { createPrivateKeys, DecodeError } from '../../../src/router/data/index.js';
import { ManualClock, SeededRandom } from '../../../src/router/runtime/index.js';

const alice = createPrivateKeys();

function onlyDecodeError(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    expect(e.field.startsWith('streaming')).toBe(true);
    expect(e.offset).toBeGreaterThanOrEqual(0);
  }
}

const realPackets = [
  encodePacket({ sendStreamId: 1, receiveStreamId: 2, sequenceNum: 3, ackThrough: 2, nacks: [1, 2], resendDelay: 1, flags: 0, payload: new Uint8Array(30) }),
  signPacket({ sendStreamId: 0, receiveStreamId: 2, sequenceNum: 0, ackThrough: 0, nacks: [], resendDelay: 0, flags: FLAG_SYNCHRONIZE, from: alice.destination, maxPacketSize: 1812, payload: new Uint8Array(5) }, 7, alice.signingPrivateKey),
  encodePacket({ sendStreamId: 5, receiveStreamId: 6, sequenceNum: 0, ackThrough: 9, nacks: [], resendDelay: 0, flags: 0, delayRequested: 60001, payload: new Uint8Array(0) }),
];

describe('streaming packet decoder fuzz', () => {
  it('random bytes decode or throw DecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (b) => onlyDecodeError(() => decodePacket(b))),
      { numRuns: 2000 },
    );
  });

  it('real packets with bytes flipped, cut or appended decode or throw DecodeError', () => {
    fc.assert(
      fc.property(fc.constantFrom(...realPackets), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 6 }), fc.nat(), fc.uint8Array({ maxLength: 20 }), (p, flips, cut, extra) => {
        const b = p.slice();
        for (const [at, x] of flips) b[at % b.length] ^= x;
        onlyDecodeError(() => decodePacket(b));
        onlyDecodeError(() => decodePacket(b.subarray(0, cut % (b.length + 1))));
        onlyDecodeError(() => decodePacket(new Uint8Array([...b, ...extra]), { signatureLength: 64 }));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('a StreamManager fed garbage', () => {
  it('counts bad packets, sends nothing for them, and still accepts a real stream afterwards', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const random = new SeededRandom('manager fuzz');
    const keys = createDestinationKeys(random);
    const hash = destinationHash(keys.privateKeys.destination);
    let handler: ((p: I2cpPayload) => void) | undefined;
    const sent: Uint8Array[] = [];
    const host = {
      hash,
      keys,
      onPayload: (_proto: number, h: (p: I2cpPayload) => void) => {
        handler = h;
        return () => (handler = undefined);
      },
      send: async (_to: Uint8Array, payload: Uint8Array) => {
        sent.push(payload);
      },
      resolve: () => Promise.reject(new Error('no lookups here')),
    };
    const m = new StreamManager(host, { clock, random });
    let accepted = 0;
    m.listen(() => accepted++);
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 600 }), fc.constantFrom(...realPackets).chain((p) => fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([at, x]) => {
        const b = p.slice();
        b[at % b.length] ^= x;
        return b;
      }))), (payload) => {
        handler!({ protocol: PROTO_STREAMING, sourcePort: 1, destPort: 2, payload });
      }),
      { numRuns: 1500 },
    );
    expect(accepted).toBe(0);
    expect(m.counters.badPackets + m.counters.badSignatures + m.counters.unknownStream).toBeGreaterThan(0);
    // The original signed SYN (not mutated) still opens a stream, and is answered.
    const before = sent.length;
    handler!({ protocol: PROTO_STREAMING, sourcePort: 1, destPort: 2, payload: realPackets[1] });
    expect(accepted).toBe(1);
    expect(sent.length).toBeGreaterThan(before);
    m.close();
  });
});
