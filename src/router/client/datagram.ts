import { sha256 } from '../crypto/hash.js';
import { ByteReader, ByteWriter, concatBytes } from '../data/bytes.js';
import { decodeFrom } from '../data/codec.js';
import { DecodeError, EncodeError } from '../data/errors.js';
import { type Destination, keyTypes, readKeysAndCert, writeKeysAndCert } from '../data/keys-and-cert.js';
import { SIG_DSA_SHA1, sigTypeInfo } from '../data/key-types.js';
import { type Mapping, readMapping, writeMapping } from '../data/mapping.js';
import { signatureLength, signWithType, verifyWithType } from '../data/signature.js';

/**
 * The datagram formats of datagrams.rst carried in an I2CP payload (see i2cp-payload.ts for
 * the protocol numbers): raw (18), Datagram1 "repliable" (17), Datagram2 (19, proposal 163:
 * signed with replay prevention) and Datagram3 (20: repliable, unsigned).
 */

/*
 * Size bounds from datagrams.rst. Raw: "0 - about 64 KB"; Datagram1: payload "0 to about
 * 63 KB"; Datagram2/3: payload "0 to about 61 KB" (the tunnel message limit). Every encoded
 * datagram stays within the 64 KiB an I2CP payload may inflate to by default.
 */
export const RAW_DATAGRAM_MAX_PAYLOAD = 64 * 1024;
export const DATAGRAM1_MAX_PAYLOAD = 63 * 1024;
export const DATAGRAM2_MAX_PAYLOAD = 61 * 1024;
export const DATAGRAM3_MAX_PAYLOAD = 61 * 1024;

const VERSION_MASK = 0x000f;
const FLAG_OPTIONS = 0x0010;
const FLAG_OFFLINE = 0x0020;
export const DATAGRAM2_VERSION = 2;
export const DATAGRAM3_VERSION = 3;

/** A datagram we can decode but do not support (Datagram2 with offline signatures). */
export class DatagramUnsupportedError extends DecodeError {}

/** A datagram that decoded but whose signature fails, or whose signature type we cannot check. */
export class DatagramVerifyError extends Error {
  override readonly name = 'DatagramVerifyError';
  constructor(
    readonly code: 'BAD_SIGNATURE' | 'UNVERIFIABLE',
    message: string,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------
// Raw (protocol 18): the payload alone, only the size is ours to check.

export function encodeRawDatagram(payload: Uint8Array): Uint8Array {
  checkPayload('rawDatagram.payload', payload, RAW_DATAGRAM_MAX_PAYLOAD);
  return payload.slice();
}

export function decodeRawDatagram(bytes: Uint8Array): Uint8Array {
  if (bytes.length > RAW_DATAGRAM_MAX_PAYLOAD) {
    throw new DecodeError('rawDatagram.payload', RAW_DATAGRAM_MAX_PAYLOAD, `${bytes.length} bytes, the limit is ${RAW_DATAGRAM_MAX_PAYLOAD}`);
  }
  return bytes.slice();
}

// ---------------------------------------------------------------------------------------------
// Datagram1 (protocol 17): from, signature, payload.

export interface Datagram1 {
  from: Destination;
  /** Length implied by the signature type of `from`. */
  signature: Uint8Array;
  payload: Uint8Array;
}

/**
 * What a Datagram1 signature covers: the payload itself, except for DSA_SHA1 where it is the
 * SHA-256 of the payload (a 0.9.14 redefinition left DSA as it was; DSA itself then hashes
 * that with SHA-1 internally).
 */
function datagram1Message(sigType: number, payload: Uint8Array): Uint8Array {
  return sigType === SIG_DSA_SHA1 ? sha256(payload) : payload;
}

export function signDatagram1(from: Destination, signingPrivateKey: Uint8Array, payload: Uint8Array): Datagram1 {
  checkPayload('datagram1.payload', payload, DATAGRAM1_MAX_PAYLOAD);
  const { sigType } = keyTypes(from);
  const signature = signWithType(sigType, signingPrivateKey, datagram1Message(sigType, payload), 'datagram1.signature');
  return { from, signature, payload: payload.slice() };
}

export function encodeDatagram1(d: Datagram1): Uint8Array {
  checkPayload('datagram1.payload', d.payload, DATAGRAM1_MAX_PAYLOAD);
  const w = new ByteWriter(450 + d.payload.length);
  writeKeysAndCert(w, 'datagram1.from', d.from);
  w.fixed('datagram1.signature', d.signature, sigLengthOf(d.from, 'datagram1.signature'));
  w.bytes(d.payload);
  return w.finish();
}

export function decodeDatagram1(bytes: Uint8Array): Datagram1 {
  return decodeFrom(bytes, 'datagram1', (r) => {
    const from = readKeysAndCert(r, 'datagram1.from');
    const signature = r.bytesOf('datagram1.signature', signatureLength(keyTypes(from).sigType) as number);
    const payload = readPayload(r, 'datagram1.payload', DATAGRAM1_MAX_PAYLOAD);
    return { from, signature, payload };
  });
}

/** true/false, or undefined when the sender's signature type cannot be verified here (e.g. DSA). */
export function verifyDatagram1(d: Datagram1): boolean | undefined {
  const { sigType } = keyTypes(d.from);
  return verifyWithType(sigType, d.from.signingPublicKey, datagram1Message(sigType, d.payload), d.signature);
}

/** Receive side: decode and verify, or throw (DecodeError, DatagramVerifyError). */
export function openDatagram1(bytes: Uint8Array): Datagram1 {
  const d = decodeDatagram1(bytes);
  requireVerified(verifyDatagram1(d), keyTypes(d.from).sigType, 'datagram1');
  return d;
}

// ---------------------------------------------------------------------------------------------
// Datagram2 (protocol 19): from, flags, [options], [offline signature], payload, signature.
// The signature covers the *recipient's* destination hash followed by flags..payload, so a
// datagram captured on its way to one destination does not verify at any other.

export interface Datagram2 {
  from: Destination;
  /**
   * The whole 16-bit flags field as sent: version 2 in bits 0-3, bit 4 options present, bit 5
   * offline signature (refused). Bits 6-15 are kept as received: they are signed.
   */
  flags: number;
  /** Present exactly when flags bit 4 is set (possibly empty). */
  options?: Mapping;
  payload: Uint8Array;
  signature: Uint8Array;
}

/** Flags for a Datagram2 we make: version 2, plus the options bit when there are options. */
function datagram2Flags(options: Mapping | undefined): number {
  return DATAGRAM2_VERSION | (options && options.size > 0 ? FLAG_OPTIONS : 0);
}

/** flags, options and payload as they appear on the wire: the signed part after the prelude. */
function datagram2Body(flags: number, options: Mapping | undefined, payload: Uint8Array): Uint8Array {
  checkDatagram2Flags(flags, options, 'datagram2');
  checkPayload('datagram2.payload', payload, DATAGRAM2_MAX_PAYLOAD);
  const w = new ByteWriter(64 + payload.length);
  w.u16('datagram2.flags', flags);
  if (options) writeMapping(w, 'datagram2.options', options);
  w.bytes(payload);
  return w.finish();
}

function checkDatagram2Flags(flags: number, options: Mapping | undefined, field: string): void {
  if (!Number.isInteger(flags) || flags < 0 || flags > 0xffff) throw new EncodeError(`${field}.flags`, `value ${flags} is out of range 0..65535`);
  if ((flags & VERSION_MASK) !== DATAGRAM2_VERSION) throw new EncodeError(`${field}.flags`, `version must be ${DATAGRAM2_VERSION}`);
  if (flags & FLAG_OFFLINE) throw new EncodeError(`${field}.flags`, 'offline signatures are not supported');
  if (Boolean(flags & FLAG_OPTIONS) !== (options !== undefined)) {
    throw new EncodeError(`${field}.options`, 'must be given exactly when flags bit 4 is set');
  }
}

function checkTargetHash(targetHash: Uint8Array): void {
  if (!(targetHash instanceof Uint8Array) || targetHash.length !== 32) {
    throw new EncodeError('datagram2.targetHash', 'must be the 32-byte hash of the recipient destination');
  }
}

/**
 * Signs a Datagram2 for the destination whose hash is `targetHash`. Options, if any, are
 * written sorted (Mapping rules), as Java I2P writes them.
 */
export function signDatagram2(
  d: { from: Destination; payload: Uint8Array; options?: Mapping },
  signingPrivateKey: Uint8Array,
  targetHash: Uint8Array,
): Datagram2 {
  checkTargetHash(targetHash);
  const options = d.options && d.options.size > 0 ? new Map(d.options) : undefined;
  const flags = datagram2Flags(options);
  const body = datagram2Body(flags, options, d.payload);
  const signature = signWithType(keyTypes(d.from).sigType, signingPrivateKey, concatBytes(targetHash, body), 'datagram2.signature');
  return { from: d.from, flags, ...(options && { options }), payload: d.payload.slice(), signature };
}

export function encodeDatagram2(d: Datagram2): Uint8Array {
  const body = datagram2Body(d.flags, d.options, d.payload);
  const w = new ByteWriter(450 + body.length);
  writeKeysAndCert(w, 'datagram2.from', d.from);
  w.bytes(body);
  w.fixed('datagram2.signature', d.signature, sigLengthOf(d.from, 'datagram2.signature'));
  return w.finish();
}

/**
 * Decodes without verifying. Options must be a valid, sorted Mapping (it is inside a signed
 * structure), so an accepted datagram re-encodes to exactly its input.
 */
export function decodeDatagram2(bytes: Uint8Array): Datagram2 {
  return decodeFrom(bytes, 'datagram2', (r) => {
    const from = readKeysAndCert(r, 'datagram2.from');
    const flagsAt = r.offset;
    const flags = r.u16('datagram2.flags');
    const version = flags & VERSION_MASK;
    if (version !== DATAGRAM2_VERSION) r.fail('datagram2.flags', `version ${version}, expected ${DATAGRAM2_VERSION}`, flagsAt);
    if (flags & FLAG_OFFLINE) throw new DatagramUnsupportedError('datagram2.offlineSignature', r.offset, 'offline-signed datagrams are not supported');
    const options = flags & FLAG_OPTIONS ? readMapping(r, 'datagram2.options') : undefined;
    const sigLen = signatureLength(keyTypes(from).sigType) as number;
    if (r.remaining < sigLen) r.fail('datagram2.signature', `needs ${sigLen} bytes, only ${r.remaining} left`);
    const payload = readPayload(r, 'datagram2.payload', DATAGRAM2_MAX_PAYLOAD, r.remaining - sigLen);
    const signature = r.bytesOf('datagram2.signature', sigLen);
    return { from, flags, ...(options && { options }), payload, signature };
  });
}

/** true/false, or undefined when the sender's signature type cannot be verified here. */
export function verifyDatagram2(d: Datagram2, targetHash: Uint8Array): boolean | undefined {
  checkTargetHash(targetHash);
  let body: Uint8Array;
  try {
    body = datagram2Body(d.flags, d.options, d.payload);
  } catch {
    return false;
  }
  return verifyWithType(keyTypes(d.from).sigType, d.from.signingPublicKey, concatBytes(targetHash, body), d.signature);
}

/**
 * Receive side: decode and verify against our own destination hash. The spec requires the
 * datagram be discarded when this fails ("ToHash Verification"), which is the replay defence.
 */
export function openDatagram2(bytes: Uint8Array, ourHash: Uint8Array): Datagram2 {
  const d = decodeDatagram2(bytes);
  requireVerified(verifyDatagram2(d, ourHash), keyTypes(d.from).sigType, 'datagram2');
  return d;
}

// ---------------------------------------------------------------------------------------------
// Datagram3 (protocol 20): fromhash, flags, [options], payload. Repliable, not authenticated.

export interface Datagram3 {
  /** The sender's destination hash; the reply needs its LeaseSet, looked up by this hash. */
  fromHash: Uint8Array;
  /** Version 3 in bits 0-3, bit 4 options present; bits 5-15 kept as received. */
  flags: number;
  options?: Mapping;
  payload: Uint8Array;
}

export function makeDatagram3(fromHash: Uint8Array, payload: Uint8Array, options?: Mapping): Datagram3 {
  const opts = options && options.size > 0 ? new Map(options) : undefined;
  return { fromHash: fromHash.slice(), flags: DATAGRAM3_VERSION | (opts ? FLAG_OPTIONS : 0), ...(opts && { options: opts }), payload: payload.slice() };
}

export function encodeDatagram3(d: Datagram3): Uint8Array {
  if (!Number.isInteger(d.flags) || d.flags < 0 || d.flags > 0xffff) throw new EncodeError('datagram3.flags', `value ${d.flags} is out of range 0..65535`);
  if ((d.flags & VERSION_MASK) !== DATAGRAM3_VERSION) throw new EncodeError('datagram3.flags', `version must be ${DATAGRAM3_VERSION}`);
  if (Boolean(d.flags & FLAG_OPTIONS) !== (d.options !== undefined)) throw new EncodeError('datagram3.options', 'must be given exactly when flags bit 4 is set');
  checkPayload('datagram3.payload', d.payload, DATAGRAM3_MAX_PAYLOAD);
  const w = new ByteWriter(40 + d.payload.length);
  w.fixed('datagram3.fromHash', d.fromHash, 32);
  w.u16('datagram3.flags', d.flags);
  if (d.options) writeMapping(w, 'datagram3.options', d.options);
  w.bytes(d.payload);
  return w.finish();
}

export function decodeDatagram3(bytes: Uint8Array): Datagram3 {
  return decodeFrom(bytes, 'datagram3', (r) => {
    const fromHash = r.bytesOf('datagram3.fromHash', 32);
    const flagsAt = r.offset;
    const flags = r.u16('datagram3.flags');
    const version = flags & VERSION_MASK;
    if (version !== DATAGRAM3_VERSION) r.fail('datagram3.flags', `version ${version}, expected ${DATAGRAM3_VERSION}`, flagsAt);
    // Datagram3 is unsigned, so unsorted options would do no harm; sorted keeps it canonical.
    const options = flags & FLAG_OPTIONS ? readMapping(r, 'datagram3.options') : undefined;
    const payload = readPayload(r, 'datagram3.payload', DATAGRAM3_MAX_PAYLOAD);
    return { fromHash, flags, ...(options && { options }), payload };
  });
}

// ---------------------------------------------------------------------------------------------

function sigLengthOf(from: Destination, field: string): number {
  const { sigType } = keyTypes(from);
  const info = sigTypeInfo(sigType);
  if (!info) throw new EncodeError(field, `unknown signature type ${sigType}`);
  return info.signatureLength;
}

function checkPayload(field: string, payload: Uint8Array, max: number): void {
  if (!(payload instanceof Uint8Array)) throw new EncodeError(field, 'must be a Uint8Array');
  if (payload.length > max) throw new EncodeError(field, `${payload.length} bytes, the limit is ${max}`);
}

function readPayload(r: ByteReader, field: string, max: number, n = r.remaining): Uint8Array {
  if (n > max) r.fail(field, `${n} bytes, the limit is ${max}`);
  return r.bytesOf(field, n);
}

function requireVerified(ok: boolean | undefined, sigType: number, what: string): void {
  if (ok === undefined) {
    throw new DatagramVerifyError('UNVERIFIABLE', `${what}: cannot verify signature type ${sigType} (${sigTypeInfo(sigType)?.name ?? 'unknown'})`);
  }
  if (!ok) throw new DatagramVerifyError('BAD_SIGNATURE', `${what}: the signature does not verify`);
}
