/**
 * The streaming packet codec (streaming.rst "Packet Format"): byte layout checked against the
 * spec's table by hand, signatures over the packet with the signature field zeroed, the SYN's
 * NACK-field hash, and round trips of any packet.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodePacket,
  encodePacket,
  encodePacketWithOffsets,
  FLAG_CLOSE,
  FLAG_DELAY_REQUESTED,
  FLAG_FROM_INCLUDED,
  FLAG_MAX_PACKET_SIZE_INCLUDED,
  FLAG_NO_ACK,
  FLAG_OFFLINE_SIGNATURE,
  FLAG_SIGNATURE_INCLUDED,
  FLAG_SYNCHRONIZE,
  hashToNacks,
  MIN_HEADER_SIZE,
  nacksToHash,
  packetSigner,
  signPacket,
  type StreamPacket,
  verifyPacket,
} from '../../../src/router/client/streaming/packet.js';
import { ed25519Generate, ed25519Verify } from '../../../src/router/crypto/ed25519.js';
import { createOfflineSignature, createPrivateKeys, DecodeError, EncodeError, encodeDestination } from '../../../src/router/data/index.js';
import { captureDecodeError } from '../../helpers/decode-error.js';

const alice = createPrivateKeys();
const aliceBytes = encodeDestination(alice.destination);
const empty = new Uint8Array(0);

function plain(over: Partial<StreamPacket> = {}): StreamPacket {
  return { sendStreamId: 0x01020304, receiveStreamId: 0x05060708, sequenceNum: 9, ackThrough: 8, nacks: [], resendDelay: 3, flags: 0, payload: empty, ...over };
}

describe('streaming packet layout', () => {
  it('writes the 22-byte header in the order of the spec, big-endian', () => {
    const bytes = encodePacket(plain({ nacks: [7], payload: new Uint8Array([0xaa, 0xbb]) }));
    expect(Array.from(bytes)).toEqual([
      1, 2, 3, 4, // sendStreamId
      5, 6, 7, 8, // receiveStreamId
      0, 0, 0, 9, // sequenceNum
      0, 0, 0, 8, // ackThrough
      1, 0, 0, 0, 7, // NACK count, NACKs
      3, // resendDelay
      0, 0, // flags
      0, 0, // option size
      0xaa, 0xbb, // payload
    ]);
    expect(encodePacket(plain())).toHaveLength(MIN_HEADER_SIZE);
  });

  it('orders options DELAY, FROM, MAX_PACKET_SIZE, SIGNATURE and sizes the signature by the FROM', () => {
    const p = plain({ flags: FLAG_SYNCHRONIZE | FLAG_NO_ACK, delayRequested: 0x1234, from: alice.destination, maxPacketSize: 1812, signature: new Uint8Array(64).fill(0x55), payload: new Uint8Array([1]) });
    const { bytes, signatureOffset } = encodePacketWithOffsets(p);
    const flags = (bytes[18] << 8) | bytes[19];
    expect(flags).toBe(FLAG_SYNCHRONIZE | FLAG_NO_ACK | FLAG_DELAY_REQUESTED | FLAG_FROM_INCLUDED | FLAG_MAX_PACKET_SIZE_INCLUDED | FLAG_SIGNATURE_INCLUDED);
    const optionSize = (bytes[20] << 8) | bytes[21];
    expect(optionSize).toBe(2 + aliceBytes.length + 2 + 64);
    expect(Array.from(bytes.subarray(22, 24))).toEqual([0x12, 0x34]);
    expect(bytes.subarray(24, 24 + aliceBytes.length)).toEqual(aliceBytes);
    const mtuAt = 24 + aliceBytes.length;
    expect((bytes[mtuAt] << 8) | bytes[mtuAt + 1]).toBe(1812);
    expect(signatureOffset).toBe(mtuAt + 2);
    expect(bytes.subarray(signatureOffset!, signatureOffset! + 64)).toEqual(new Uint8Array(64).fill(0x55));
    expect(bytes.at(-1)).toBe(1);
    const d = decodePacket(bytes);
    expect(d.from).toEqual(alice.destination);
    expect(d.delayRequested).toBe(0x1234);
    expect(d.maxPacketSize).toBe(1812);
    expect(d.signatureOffset).toBe(signatureOffset);
  });

  it('decodes a SYN laid out as i2pd 2.45.1 writes it (no NACKs, FROM, MTU, signature, then payload)', () => {
    // Built byte by byte from the layout in Streaming.cpp's SendBuffer, not with our encoder.
    const sig = new Uint8Array(64).fill(9);
    const options = new Uint8Array([...aliceBytes, 0x07, 0x14, ...sig]);
    const flags = FLAG_SYNCHRONIZE | FLAG_FROM_INCLUDED | FLAG_SIGNATURE_INCLUDED | FLAG_MAX_PACKET_SIZE_INCLUDED | FLAG_NO_ACK;
    const bytes = new Uint8Array([0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, flags >> 8, flags & 0xff, options.length >> 8, options.length & 0xff, ...options, 0x47, 0x45, 0x54]);
    const d = decodePacket(bytes);
    expect(d.receiveStreamId).toBe(0xdeadbeef);
    expect(d.nacks).toEqual([]);
    expect(d.maxPacketSize).toBe(1812);
    expect(d.signature).toEqual(sig);
    expect(new TextDecoder().decode(d.payload)).toBe('GET');
  });

  it('takes a signature without FROM at the length the stream knows, or what the options leave', () => {
    const p = plain({ flags: FLAG_CLOSE, signature: new Uint8Array(64).fill(1) });
    const bytes = encodePacket(p);
    expect(decodePacket(bytes).signature).toHaveLength(64);
    expect(decodePacket(bytes, { signatureLength: 64 }).signature).toHaveLength(64);
    // A stream expecting a 40-byte signature finds 24 stray bytes left in the options.
    expect(captureDecodeError(() => decodePacket(bytes, { signatureLength: 40 })).field).toBe('streaming.options');
  });
});

describe('streaming packet signatures', () => {
  it('sign over the whole packet with the signature field zeroed, and verify', () => {
    const p = plain({ flags: FLAG_SYNCHRONIZE, from: alice.destination, maxPacketSize: 1812, payload: new Uint8Array([1, 2, 3]) });
    const bytes = signPacket(p, 7, alice.signingPrivateKey);
    const d = decodePacket(bytes);
    const zeroed = bytes.slice();
    zeroed.fill(0, d.signatureOffset!, d.signatureOffset! + 64);
    expect(ed25519Verify(alice.destination.signingPublicKey, zeroed, d.signature!)).toBe(true);
    expect(verifyPacket(bytes, d, packetSigner(d.from!))).toBe(true);
  });

  it('detect any change to a signed packet', () => {
    const bytes = signPacket(plain({ flags: FLAG_CLOSE, from: alice.destination, payload: new Uint8Array(40) }), 7, alice.signingPrivateKey);
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), (at, x) => {
        const b = bytes.slice();
        b[at % b.length] ^= x;
        let d;
        try {
          d = decodePacket(b);
        } catch (e) {
          expect(e).toBeInstanceOf(DecodeError);
          return;
        }
        const signer = d.from ? packetSigner(d.from) : packetSigner(alice.destination);
        expect(verifyPacket(b, d, signer)).not.toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('with an offline signature, the transient key signs and its signature length counts', () => {
    const transient = ed25519Generate();
    const offline = createOfflineSignature(alice.destination, alice.signingPrivateKey, { expires: 2_000_000_000, sigType: 7, publicKey: transient.publicKey });
    const p = plain({ flags: FLAG_SYNCHRONIZE, from: alice.destination, offlineSignature: offline });
    const bytes = signPacket(p, 7, transient.privateKey);
    const d = decodePacket(bytes);
    expect(d.flags & FLAG_OFFLINE_SIGNATURE).toBe(FLAG_OFFLINE_SIGNATURE);
    expect(d.offlineSignature).toEqual(offline);
    expect(verifyPacket(bytes, d, packetSigner(d.from!, d.offlineSignature))).toBe(true);
    expect(verifyPacket(bytes, d, packetSigner(d.from!))).toBe(false);
    expect(() => encodePacket(plain({ offlineSignature: offline }))).toThrow(EncodeError);
  });
});

describe('the SYN hash in the NACK field (replay prevention)', () => {
  it('is the 32 bytes as 8 big-endian NACKs, and back', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (h) => {
        const nacks = hashToNacks(h);
        expect(nacks).toHaveLength(8);
        expect(nacks[0]).toBe(((h[0] << 24) | (h[1] << 16) | (h[2] << 8) | h[3]) >>> 0);
        expect(nacksToHash(nacks)).toEqual(h);
        expect(decodePacket(encodePacket(plain({ nacks }))).nacks).toEqual(nacks);
      }),
    );
    expect(() => hashToNacks(new Uint8Array(31))).toThrow(EncodeError);
    expect(() => nacksToHash([1, 2])).toThrow(DecodeError);
  });
});

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const packetArb: fc.Arbitrary<StreamPacket> = fc.record(
  {
    sendStreamId: u32,
    receiveStreamId: u32,
    sequenceNum: u32,
    ackThrough: u32,
    nacks: fc.array(u32, { maxLength: 20 }),
    resendDelay: fc.integer({ min: 0, max: 255 }),
    flags: fc.integer({ min: 0, max: 0xffff }).map((f) => f & ~(FLAG_SIGNATURE_INCLUDED | FLAG_FROM_INCLUDED | FLAG_DELAY_REQUESTED | FLAG_MAX_PACKET_SIZE_INCLUDED | FLAG_OFFLINE_SIGNATURE)),
    delayRequested: fc.option(fc.integer({ min: 0, max: 0xffff }), { nil: undefined }),
    from: fc.option(fc.constant(alice.destination), { nil: undefined }),
    maxPacketSize: fc.option(fc.integer({ min: 0, max: 0xffff }), { nil: undefined }),
    signature: fc.option(fc.uint8Array({ minLength: 64, maxLength: 64 }), { nil: undefined }),
    payload: fc.uint8Array({ maxLength: 2000 }),
  },
  { requiredKeys: ['sendStreamId', 'receiveStreamId', 'sequenceNum', 'ackThrough', 'nacks', 'resendDelay', 'flags', 'payload'] },
);

describe('streaming packet round trips', () => {
  it('decode(encode(p)) gives p back, flags set from the options present', () => {
    fc.assert(
      fc.property(packetArb, (p) => {
        const bytes = encodePacket(p);
        const d = decodePacket(bytes);
        expect(d.sendStreamId).toBe(p.sendStreamId);
        expect(d.receiveStreamId).toBe(p.receiveStreamId);
        expect(d.sequenceNum).toBe(p.sequenceNum);
        expect(d.ackThrough).toBe(p.ackThrough);
        expect(d.nacks).toEqual(p.nacks);
        expect(d.resendDelay).toBe(p.resendDelay);
        expect(d.delayRequested).toBe(p.delayRequested);
        expect(d.maxPacketSize).toBe(p.maxPacketSize);
        expect(d.signature).toEqual(p.signature);
        expect(d.from === undefined).toBe(p.from === undefined);
        expect(d.payload).toEqual(p.payload);
        expect(encodePacket(d)).toEqual(bytes);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses more than 255 NACKs and out-of-range fields on encode', () => {
    expect(() => encodePacket(plain({ nacks: new Array(256).fill(1) }))).toThrow(EncodeError);
    expect(() => encodePacket(plain({ sequenceNum: 2 ** 32 }))).toThrow(EncodeError);
    expect(() => encodePacket(plain({ resendDelay: 256 }))).toThrow(EncodeError);
  });

  it('names the field of a short packet', () => {
    expect(captureDecodeError(() => decodePacket(new Uint8Array(10))).field).toBe('streaming.sequenceNum');
    const withNacks = encodePacket(plain({ nacks: [1, 2, 3] }));
    expect(captureDecodeError(() => decodePacket(withNacks.subarray(0, 20))).field).toBe('streaming.nack');
    const syn = encodePacket(plain({ from: alice.destination, signature: new Uint8Array(64) }));
    expect(captureDecodeError(() => decodePacket(syn.subarray(0, 100))).field).toBe('streaming.options');
  });
});
