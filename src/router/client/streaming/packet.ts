import { ByteReader, ByteWriter } from '../../data/bytes.js';
import { DecodeError, EncodeError } from '../../data/errors.js';
import { type Destination, keyTypes, readKeysAndCert, writeKeysAndCert } from '../../data/keys-and-cert.js';
import { type OfflineSignature, readOfflineSignature, writeOfflineSignature } from '../../data/offline-signature.js';
import { signatureLength, signWithType, verifyWithType } from '../../data/signature.js';
import { sigTypeInfo } from '../../data/key-types.js';

/**
 * The streaming packet (streaming.rst, "Packet Format"). No length field: the I2CP payload
 * frames it. Options appear in the order DELAY_REQUESTED, FROM, MAX_PACKET_SIZE,
 * OFFLINE_SIGNATURE, SIGNATURE, each present when its flag is set.
 */

export const FLAG_SYNCHRONIZE = 0x0001;
export const FLAG_CLOSE = 0x0002;
export const FLAG_RESET = 0x0004;
export const FLAG_SIGNATURE_INCLUDED = 0x0008;
export const FLAG_SIGNATURE_REQUESTED = 0x0010;
export const FLAG_FROM_INCLUDED = 0x0020;
export const FLAG_DELAY_REQUESTED = 0x0040;
export const FLAG_MAX_PACKET_SIZE_INCLUDED = 0x0080;
export const FLAG_PROFILE_INTERACTIVE = 0x0100;
export const FLAG_ECHO = 0x0200;
export const FLAG_NO_ACK = 0x0400;
export const FLAG_OFFLINE_SIGNATURE = 0x0800;

/** The flags whose option data the codec writes from the packet's fields. */
const OPTION_FLAGS = FLAG_SIGNATURE_INCLUDED | FLAG_FROM_INCLUDED | FLAG_DELAY_REQUESTED | FLAG_MAX_PACKET_SIZE_INCLUDED | FLAG_OFFLINE_SIGNATURE;

/** 4+4+4+4 ids/seq/ack, NACK count, resend delay, flags (2), option size (2). */
export const MIN_HEADER_SIZE = 22;
/** A DELAY_REQUESTED above this means "choked: send nothing more until told". */
export const CHOKE_DELAY = 60_000;
/** Replay prevention (0.9.58): a SYN's NACK field holds the recipient's 32-byte hash as 8 NACKs. */
export const SYN_HASH_NACKS = 8;

export interface StreamPacket {
  sendStreamId: number;
  receiveStreamId: number;
  sequenceNum: number;
  ackThrough: number;
  /** At most 255 entries (the count is one byte). */
  nacks: number[];
  /** Seconds, 0..255; informational. */
  resendDelay: number;
  /** All 16 flag bits; the option bits are recomputed from the fields below on encode. */
  flags: number;
  delayRequested?: number;
  from?: Destination;
  maxPacketSize?: number;
  offlineSignature?: OfflineSignature;
  /** Present when SIGNATURE_INCLUDED; all zeroes while signing. */
  signature?: Uint8Array;
  payload: Uint8Array;
}

export interface DecodedPacket extends StreamPacket {
  /** Where the signature sits in the encoded bytes (for verification), when there is one. */
  signatureOffset?: number;
}

export interface DecodeOptions {
  /**
   * The signature length to expect when the packet carries no FROM (known from the stream's SYN).
   * Without it, the signature takes what remains of the option data (it is the last option).
   */
  signatureLength?: number;
}

function optionFlags(p: StreamPacket): number {
  let f = p.flags & ~OPTION_FLAGS;
  if (p.delayRequested !== undefined) f |= FLAG_DELAY_REQUESTED;
  if (p.from !== undefined) f |= FLAG_FROM_INCLUDED;
  if (p.maxPacketSize !== undefined) f |= FLAG_MAX_PACKET_SIZE_INCLUDED;
  if (p.offlineSignature !== undefined) f |= FLAG_OFFLINE_SIGNATURE;
  if (p.signature !== undefined) f |= FLAG_SIGNATURE_INCLUDED;
  return f;
}

/** The encoding, and where the signature lies in it (to fill in after signing). */
export function encodePacketWithOffsets(p: StreamPacket): { bytes: Uint8Array; signatureOffset?: number } {
  if (p.nacks.length > 255) throw new EncodeError('streaming.nacks', `${p.nacks.length} NACKs, at most 255`);
  if (p.offlineSignature && !p.from) throw new EncodeError('streaming.offlineSignature', 'OFFLINE_SIGNATURE requires FROM_INCLUDED');
  const w = new ByteWriter(MIN_HEADER_SIZE + 4 * p.nacks.length + (p.from ? 480 : 80) + p.payload.length);
  w.u32('streaming.sendStreamId', p.sendStreamId);
  w.u32('streaming.receiveStreamId', p.receiveStreamId);
  w.u32('streaming.sequenceNum', p.sequenceNum);
  w.u32('streaming.ackThrough', p.ackThrough);
  w.u8('streaming.nackCount', p.nacks.length);
  for (const n of p.nacks) w.u32('streaming.nack', n);
  w.u8('streaming.resendDelay', p.resendDelay);
  w.u16('streaming.flags', optionFlags(p));
  const o = new ByteWriter(480);
  if (p.delayRequested !== undefined) o.u16('streaming.delayRequested', p.delayRequested);
  if (p.from) writeKeysAndCert(o, 'streaming.from', p.from);
  if (p.maxPacketSize !== undefined) o.u16('streaming.maxPacketSize', p.maxPacketSize);
  if (p.offlineSignature) writeOfflineSignature(o, 'streaming.offlineSignature', p.offlineSignature, keyTypes(p.from!).sigType);
  let sigAt: number | undefined;
  if (p.signature) {
    sigAt = o.length;
    o.bytes(p.signature);
  }
  const options = o.finish();
  w.u16('streaming.optionSize', options.length);
  const optionsAt = w.length;
  w.bytes(options);
  w.bytes(p.payload);
  const bytes = w.finish();
  return sigAt === undefined ? { bytes } : { bytes, signatureOffset: optionsAt + sigAt };
}

export function encodePacket(p: StreamPacket): Uint8Array {
  return encodePacketWithOffsets(p).bytes;
}

/** The signature length a packet's signer uses: the transient key's when signed offline. */
export function packetSignatureLength(from: Destination, offline?: OfflineSignature): number | undefined {
  return signatureLength(offline ? offline.transientSigType : keyTypes(from).sigType);
}

export function decodePacket(bytes: Uint8Array, opts: DecodeOptions = {}): DecodedPacket {
  const r = new ByteReader(bytes);
  const sendStreamId = r.u32('streaming.sendStreamId');
  const receiveStreamId = r.u32('streaming.receiveStreamId');
  const sequenceNum = r.u32('streaming.sequenceNum');
  const ackThrough = r.u32('streaming.ackThrough');
  const nackCount = r.u8('streaming.nackCount');
  const nacks: number[] = [];
  for (let i = 0; i < nackCount; i++) nacks.push(r.u32('streaming.nack'));
  const resendDelay = r.u8('streaming.resendDelay');
  const flags = r.u16('streaming.flags');
  const optionSize = r.u16('streaming.optionSize');
  const o: ByteReader = r.sub('streaming.options', optionSize);
  const p: DecodedPacket = { sendStreamId, receiveStreamId, sequenceNum, ackThrough, nacks, resendDelay, flags, payload: new Uint8Array(0) };
  if (flags & FLAG_DELAY_REQUESTED) p.delayRequested = o.u16('streaming.delayRequested');
  if (flags & FLAG_FROM_INCLUDED) p.from = readKeysAndCert(o, 'streaming.from');
  if (flags & FLAG_MAX_PACKET_SIZE_INCLUDED) p.maxPacketSize = o.u16('streaming.maxPacketSize');
  if (flags & FLAG_OFFLINE_SIGNATURE) {
    const from = p.from;
    if (!from) o.fail('streaming.offlineSignature', 'OFFLINE_SIGNATURE without FROM_INCLUDED');
    const destType = keyTypes(from).sigType;
    if (signatureLength(destType) === undefined) o.fail('streaming.offlineSignature', `unknown destination signature type ${destType}`);
    p.offlineSignature = readOfflineSignature(o, 'streaming.offlineSignature', destType);
  }
  if (flags & FLAG_SIGNATURE_INCLUDED) {
    let len = opts.signatureLength ?? o.remaining;
    if (p.from) {
      const known = packetSignatureLength(p.from, p.offlineSignature);
      if (known === undefined) o.fail('streaming.signature', `unknown signature type ${keyTypes(p.from).sigType}`);
      len = known;
    }
    const at = o.offset;
    p.signature = o.bytesOf('streaming.signature', len);
    p.signatureOffset = at;
  }
  o.end('streaming.options');
  p.payload = r.bytesOf('streaming.payload', r.remaining);
  return p;
}

/**
 * Encodes and signs: the signature covers the whole packet with its own field zeroed.
 * `sigType` is the signer's type (the destination's, or the transient key's when offline).
 */
export function signPacket(p: StreamPacket, sigType: number, signingPrivateKey: Uint8Array): Uint8Array {
  const len = sigTypeInfo(sigType)?.signatureLength;
  if (len === undefined) throw new EncodeError('streaming.signature', `unknown signature type ${sigType}`);
  const { bytes, signatureOffset } = encodePacketWithOffsets({ ...p, signature: new Uint8Array(len) });
  const sig = signWithType(sigType, signingPrivateKey, bytes, 'streaming.signature');
  bytes.set(sig, signatureOffset!);
  return bytes;
}

/**
 * Checks the signature of a decoded packet against the signer's key (the FROM of this packet or
 * of the stream's SYN; the transient key when an offline signature was given). undefined when
 * the signature type cannot be verified here.
 */
export function verifyPacket(bytes: Uint8Array, p: DecodedPacket, signer: { sigType: number; publicKey: Uint8Array }): boolean | undefined {
  if (!p.signature || p.signatureOffset === undefined) return false;
  const zeroed = bytes.slice();
  zeroed.fill(0, p.signatureOffset, p.signatureOffset + p.signature.length);
  return verifyWithType(signer.sigType, signer.publicKey, zeroed, p.signature);
}

/** The signer of a packet that carries FROM: the transient key when signed offline. */
export function packetSigner(from: Destination, offline?: OfflineSignature): { sigType: number; publicKey: Uint8Array } {
  return offline ? { sigType: offline.transientSigType, publicKey: offline.transientPublicKey } : { sigType: keyTypes(from).sigType, publicKey: from.signingPublicKey };
}

/** A 32-byte hash as the 8 NACKs of a SYN (replay prevention), and back. */
export function hashToNacks(hash: Uint8Array): number[] {
  if (hash.length !== 32) throw new EncodeError('streaming.nacks', `hash must be 32 bytes, got ${hash.length}`);
  const dv = new DataView(hash.buffer, hash.byteOffset, 32);
  return Array.from({ length: SYN_HASH_NACKS }, (_, i) => dv.getUint32(4 * i));
}

export function nacksToHash(nacks: number[]): Uint8Array {
  if (nacks.length !== SYN_HASH_NACKS) throw new DecodeError('streaming.nacks', 17, `${nacks.length} NACKs, a hash needs ${SYN_HASH_NACKS}`);
  const out = new Uint8Array(32);
  const dv = new DataView(out.buffer);
  nacks.forEach((n, i) => dv.setUint32(4 * i, n));
  return out;
}
