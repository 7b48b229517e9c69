import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DATAGRAM1_MAX_PAYLOAD,
  DATAGRAM2_MAX_PAYLOAD,
  DATAGRAM3_MAX_PAYLOAD,
  DatagramUnsupportedError,
  DatagramVerifyError,
  decodeDatagram1,
  decodeDatagram2,
  decodeDatagram3,
  decodeRawDatagram,
  encodeDatagram1,
  encodeDatagram2,
  encodeDatagram3,
  encodeRawDatagram,
  makeDatagram3,
  openDatagram1,
  openDatagram2,
  RAW_DATAGRAM_MAX_PAYLOAD,
  signDatagram1,
  signDatagram2,
  verifyDatagram1,
  verifyDatagram2,
} from '../../../src/router/client/datagram.js';
import { decodeI2cpPayload, encodeI2cpPayload, PROTO_DATAGRAM, PROTO_DATAGRAM2 } from '../../../src/router/client/i2cp-payload.js';
import { ed25519Verify } from '../../../src/router/crypto/ed25519.js';
import { sha256 } from '../../../src/router/crypto/hash.js';
import {
  concatBytes,
  createPrivateKeys,
  DecodeError,
  type Destination,
  encodeDestination,
  encodeMapping,
  EncodeError,
  keysAndCertHash,
} from '../../../src/router/data/index.js';

const alice = createPrivateKeys();
const bob = createPrivateKeys();
const bobHash = keysAndCertHash(bob.destination);
const aliceDestBytes = encodeDestination(alice.destination);

/** An old-style destination: NULL certificate, so ElGamal + DSA_SHA1 (40-byte signatures). */
const dsaDestination: Destination = {
  publicKey: new Uint8Array(256).fill(1),
  padding: new Uint8Array(0),
  signingPublicKey: new Uint8Array(128).fill(2),
  certificate: { type: 'null' },
};

const payloadArb = fc.uint8Array({ maxLength: 2000 });
const optionsArb = fc.option(
  fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ maxLength: 40 }), { maxKeys: 4 }).map((o) => new Map(Object.entries(o))),
  { nil: undefined },
);

function onlyDecodeError(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    expect(e.field.length).toBeGreaterThan(0);
  }
}

describe('raw datagrams (18)', () => {
  it('are the payload itself, within 64 KiB', () => {
    const p = new Uint8Array([1, 2, 3]);
    expect(encodeRawDatagram(p)).toEqual(p);
    expect(decodeRawDatagram(p)).toEqual(p);
    expect(encodeRawDatagram(new Uint8Array(RAW_DATAGRAM_MAX_PAYLOAD))).toHaveLength(RAW_DATAGRAM_MAX_PAYLOAD);
    expect(() => encodeRawDatagram(new Uint8Array(RAW_DATAGRAM_MAX_PAYLOAD + 1))).toThrow(EncodeError);
    expect(() => decodeRawDatagram(new Uint8Array(RAW_DATAGRAM_MAX_PAYLOAD + 1))).toThrow(DecodeError);
  });
});

describe('Datagram1 (17, repliable)', () => {
  it('is from, signature, payload; the Ed25519 signature is over the payload itself (no hash first)', () => {
    const payload = new TextEncoder().encode('ping');
    const dg = signDatagram1(alice.destination, alice.signingPrivateKey, payload);
    const bytes = encodeDatagram1(dg);
    expect(bytes.length).toBe(aliceDestBytes.length + 64 + 4);
    expect(bytes.subarray(0, aliceDestBytes.length)).toEqual(aliceDestBytes);
    expect(ed25519Verify(alice.destination.signingPublicKey, payload, bytes.subarray(aliceDestBytes.length, aliceDestBytes.length + 64))).toBe(true);
    expect(ed25519Verify(alice.destination.signingPublicKey, sha256(payload), dg.signature)).toBe(false);
  });

  it('signs, encodes, decodes and verifies any payload', () => {
    fc.assert(
      fc.property(payloadArb, (payload) => {
        const bytes = encodeDatagram1(signDatagram1(alice.destination, alice.signingPrivateKey, payload));
        const d = openDatagram1(bytes);
        expect(d.payload).toEqual(payload);
        expect(encodeDestination(d.from)).toEqual(aliceDestBytes);
        expect(encodeDatagram1(d)).toEqual(bytes);
      }),
      { numRuns: 100 },
    );
  });

  it('detects any change to the payload or signature', () => {
    fc.assert(
      fc.property(payloadArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (payload, at, x) => {
        const bytes = encodeDatagram1(signDatagram1(alice.destination, alice.signingPrivateKey, payload));
        const i = aliceDestBytes.length + (at % (bytes.length - aliceDestBytes.length));
        bytes[i] ^= x;
        expect(verifyDatagram1(decodeDatagram1(bytes))).toBe(false);
        expect(() => openDatagram1(bytes)).toThrow(DatagramVerifyError);
      }),
      { numRuns: 100 },
    );
  });

  it("does not verify under another sender's key", () => {
    const dg = signDatagram1(alice.destination, alice.signingPrivateKey, new Uint8Array([9]));
    expect(verifyDatagram1({ ...dg, from: bob.destination })).toBe(false);
    try {
      openDatagram1(encodeDatagram1({ ...dg, from: bob.destination }));
      expect.unreachable();
    } catch (e) {
      expect((e as DatagramVerifyError).code).toBe('BAD_SIGNATURE');
    }
  });

  it('decodes a DSA_SHA1 sender (40-byte signature) but reports it cannot verify it', () => {
    const dg = { from: dsaDestination, signature: new Uint8Array(40).fill(3), payload: new Uint8Array([1, 2]) };
    const bytes = encodeDatagram1(dg);
    expect(bytes.length).toBe(387 + 40 + 2);
    expect(decodeDatagram1(bytes)).toEqual(dg);
    expect(verifyDatagram1(dg)).toBeUndefined();
    try {
      openDatagram1(bytes);
      expect.unreachable();
    } catch (e) {
      expect((e as DatagramVerifyError).code).toBe('UNVERIFIABLE');
    }
  });

  it('bounds the payload at 63 KiB both ways', () => {
    const max = signDatagram1(alice.destination, alice.signingPrivateKey, new Uint8Array(DATAGRAM1_MAX_PAYLOAD));
    expect(decodeDatagram1(encodeDatagram1(max)).payload).toHaveLength(DATAGRAM1_MAX_PAYLOAD);
    expect(() => signDatagram1(alice.destination, alice.signingPrivateKey, new Uint8Array(DATAGRAM1_MAX_PAYLOAD + 1))).toThrow(EncodeError);
    const over = concatBytes(aliceDestBytes, new Uint8Array(64), new Uint8Array(DATAGRAM1_MAX_PAYLOAD + 1));
    expect(() => decodeDatagram1(over)).toThrow(DecodeError);
  });

  it('travels inside an I2CP payload with protocol 17', () => {
    const bytes = encodeDatagram1(signDatagram1(alice.destination, alice.signingPrivateKey, new Uint8Array(DATAGRAM1_MAX_PAYLOAD)));
    const framed = encodeI2cpPayload({ protocol: PROTO_DATAGRAM, sourcePort: 1234, destPort: 5678, payload: bytes });
    const p = decodeI2cpPayload(framed);
    expect(p.protocol).toBe(17);
    expect(openDatagram1(p.payload).payload).toHaveLength(DATAGRAM1_MAX_PAYLOAD);
  });
});

describe('Datagram2 (19, replay-resistant)', () => {
  it("signs the recipient's hash, flags, options and payload, with the signature last", () => {
    const payload = new TextEncoder().encode('announce');
    const options = new Map([['b', '2'], ['a', '1']]);
    const dg = signDatagram2({ from: alice.destination, payload, options }, alice.signingPrivateKey, bobHash);
    expect(dg.flags).toBe(0x0012); // version 2, options present
    const bytes = encodeDatagram2(dg);
    const mapping = encodeMapping(options); // sorted: a=1;b=2;
    const body = concatBytes(new Uint8Array([0x00, 0x12]), mapping, payload);
    expect(bytes).toEqual(concatBytes(aliceDestBytes, body, dg.signature));
    expect(ed25519Verify(alice.destination.signingPublicKey, concatBytes(bobHash, body), dg.signature)).toBe(true);
    // Without options: flags 0x0002 and no mapping at all.
    const plain = encodeDatagram2(signDatagram2({ from: alice.destination, payload }, alice.signingPrivateKey, bobHash));
    expect(plain.subarray(aliceDestBytes.length, aliceDestBytes.length + 2)).toEqual(new Uint8Array([0, 2]));
    expect(plain.length).toBe(aliceDestBytes.length + 2 + payload.length + 64);
  });

  it('round-trips and verifies only at the destination it was sent to', () => {
    fc.assert(
      fc.property(payloadArb, optionsArb, (payload, options) => {
        const bytes = encodeDatagram2(signDatagram2({ from: alice.destination, payload, ...(options && { options }) }, alice.signingPrivateKey, bobHash));
        const d = openDatagram2(bytes, bobHash);
        expect(d.payload).toEqual(payload);
        expect(d.options ?? new Map()).toEqual(options ?? new Map());
        expect(encodeDatagram2(d)).toEqual(bytes);
        // A replay towards anyone else fails: the target hash is in the signed data.
        expect(verifyDatagram2(d, keysAndCertHash(alice.destination))).toBe(false);
        expect(() => openDatagram2(bytes, sha256(new Uint8Array([1])))).toThrow(DatagramVerifyError);
      }),
      { numRuns: 100 },
    );
  });

  it('detects any change after the from field', () => {
    fc.assert(
      fc.property(payloadArb, optionsArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (payload, options, at, x) => {
        const bytes = encodeDatagram2(signDatagram2({ from: alice.destination, payload, ...(options && { options }) }, alice.signingPrivateKey, bobHash));
        bytes[aliceDestBytes.length + (at % (bytes.length - aliceDestBytes.length))] ^= x;
        try {
          expect(verifyDatagram2(decodeDatagram2(bytes), bobHash)).toBe(false);
        } catch (e) {
          expect(e).toBeInstanceOf(DecodeError); // the flip broke the flags or the mapping
        }
      }),
      { numRuns: 200 },
    );
  });

  it('keeps unused flag bits as sent, inside the signature', () => {
    const dg = signDatagram2({ from: alice.destination, payload: new Uint8Array([5]) }, alice.signingPrivateKey, bobHash);
    const odd = { ...dg, flags: dg.flags | 0x8000 };
    const bytes = encodeDatagram2(odd);
    expect(decodeDatagram2(bytes).flags).toBe(0x8002);
    expect(verifyDatagram2(decodeDatagram2(bytes), bobHash)).toBe(false);
  });

  it('refuses offline signatures with DatagramUnsupportedError and other versions with DecodeError', () => {
    const bytes = encodeDatagram2(signDatagram2({ from: alice.destination, payload: new Uint8Array(200) }, alice.signingPrivateKey, bobHash));
    const offline = bytes.slice();
    offline[aliceDestBytes.length + 1] |= 0x20;
    expect(() => decodeDatagram2(offline)).toThrow(DatagramUnsupportedError);
    const v3 = bytes.slice();
    v3[aliceDestBytes.length + 1] = 0x03;
    const e = (() => {
      try {
        decodeDatagram2(v3);
      } catch (err) {
        return err as DecodeError;
      }
    })();
    expect(e).toBeInstanceOf(DecodeError);
    expect(e).not.toBeInstanceOf(DatagramUnsupportedError);
    expect(e?.reason).toMatch(/version 3/);
    expect(() => encodeDatagram2({ ...signDatagram2({ from: alice.destination, payload: new Uint8Array(1) }, alice.signingPrivateKey, bobHash), flags: 0x22 })).toThrow(EncodeError);
  });

  it('refuses unsorted options (a signed Mapping must be sorted) and a missing signature', () => {
    // Mapping "b=1;a=;": both entries well-formed, keys out of order.
    const unsorted = new Uint8Array([0, 11, 1, 0x62, 0x3d, 1, 0x31, 0x3b, 1, 0x61, 0x3d, 0, 0x3b]);
    const bytes = concatBytes(aliceDestBytes, new Uint8Array([0, 0x12]), unsorted, new Uint8Array(64));
    expect(() => decodeDatagram2(bytes)).toThrow(/not sorted/);
    expect(() => decodeDatagram2(bytes)).toThrow(DecodeError);
    expect(() => decodeDatagram2(concatBytes(aliceDestBytes, new Uint8Array([0, 2]), new Uint8Array(63)))).toThrow(DecodeError);
  });

  it('bounds the payload at 61 KiB and needs a 32-byte target hash', () => {
    expect(() => signDatagram2({ from: alice.destination, payload: new Uint8Array(DATAGRAM2_MAX_PAYLOAD + 1) }, alice.signingPrivateKey, bobHash)).toThrow(EncodeError);
    const max = encodeDatagram2(signDatagram2({ from: alice.destination, payload: new Uint8Array(DATAGRAM2_MAX_PAYLOAD) }, alice.signingPrivateKey, bobHash));
    expect(openDatagram2(max, bobHash).payload).toHaveLength(DATAGRAM2_MAX_PAYLOAD);
    expect(() => decodeDatagram2(concatBytes(aliceDestBytes, new Uint8Array([0, 2]), new Uint8Array(DATAGRAM2_MAX_PAYLOAD + 1 + 64)))).toThrow(DecodeError);
    expect(() => signDatagram2({ from: alice.destination, payload: new Uint8Array(1) }, alice.signingPrivateKey, new Uint8Array(31))).toThrow(EncodeError);
  });

  it('travels inside an I2CP payload with protocol 19', () => {
    const bytes = encodeDatagram2(signDatagram2({ from: alice.destination, payload: new Uint8Array(100).fill(4) }, alice.signingPrivateKey, bobHash));
    const p = decodeI2cpPayload(encodeI2cpPayload({ protocol: PROTO_DATAGRAM2, sourcePort: 6881, destPort: 6881, payload: bytes }));
    expect(p.protocol).toBe(19);
    expect(openDatagram2(p.payload, bobHash).payload).toEqual(new Uint8Array(100).fill(4));
  });
});

describe('Datagram3 (20, repliable, unsigned)', () => {
  it('is fromhash, flags (version 3), options, payload', () => {
    const from = keysAndCertHash(alice.destination);
    const bytes = encodeDatagram3(makeDatagram3(from, new Uint8Array([7, 8])));
    expect(bytes).toEqual(concatBytes(from, new Uint8Array([0, 3, 7, 8])));
    const withOptions = encodeDatagram3(makeDatagram3(from, new Uint8Array(0), new Map([['k', 'v']])));
    expect(withOptions).toEqual(concatBytes(from, new Uint8Array([0, 0x13]), encodeMapping(new Map([['k', 'v']]))));
  });

  it('round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), payloadArb, optionsArb, (from, payload, options) => {
        const d = makeDatagram3(from, payload, options);
        const bytes = encodeDatagram3(d);
        expect(decodeDatagram3(bytes)).toEqual(d);
      }),
    );
  });

  it('refuses a wrong version, a short input and an oversized payload', () => {
    expect(() => decodeDatagram3(new Uint8Array(33))).toThrow(DecodeError);
    expect(() => decodeDatagram3(concatBytes(new Uint8Array(32), new Uint8Array([0, 2])))).toThrow(/version 2/);
    expect(() => decodeDatagram3(concatBytes(new Uint8Array(32), new Uint8Array([0, 3]), new Uint8Array(DATAGRAM3_MAX_PAYLOAD + 1)))).toThrow(DecodeError);
    expect(() => encodeDatagram3(makeDatagram3(new Uint8Array(32), new Uint8Array(DATAGRAM3_MAX_PAYLOAD + 1)))).toThrow(EncodeError);
    expect(() => encodeDatagram3(makeDatagram3(new Uint8Array(31), new Uint8Array(1)))).toThrow(EncodeError);
  });
});

describe('datagram fuzz', () => {
  const samples = [
    encodeDatagram1(signDatagram1(alice.destination, alice.signingPrivateKey, new Uint8Array(40).fill(1))),
    encodeDatagram2(signDatagram2({ from: alice.destination, payload: new Uint8Array(40).fill(2), options: new Map([['x', 'y']]) }, alice.signingPrivateKey, bobHash)),
  ];

  it('random bytes give a datagram or a DecodeError, and whatever decodes re-encodes to the input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        onlyDecodeError(() => expect(encodeDatagram1(decodeDatagram1(bytes))).toEqual(bytes));
        onlyDecodeError(() => expect(encodeDatagram2(decodeDatagram2(bytes))).toEqual(bytes));
        onlyDecodeError(() => expect(encodeDatagram3(decodeDatagram3(bytes))).toEqual(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it('mutated valid datagrams give a datagram or a DecodeError, never another exception', () => {
    fc.assert(
      fc.property(fc.constantFrom(0, 1), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 6 }), fc.nat(700), (which, flips, cut) => {
        const bytes = samples[which].slice(0, Math.max(1, samples[which].length - (cut % 50)));
        for (const [at, x] of flips) bytes[at % bytes.length] ^= x;
        onlyDecodeError(() => {
          const d = which === 0 ? decodeDatagram1(bytes) : decodeDatagram2(bytes);
          const ok = which === 0 ? verifyDatagram1(d) : verifyDatagram2(d as never, bobHash);
          expect(typeof ok === 'boolean' || ok === undefined).toBe(true);
        });
      }),
      { numRuns: 1000 },
    );
  });
});
