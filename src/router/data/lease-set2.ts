import { ByteReader, ByteWriter } from './bytes.js';
import { decodeFrom, type DecodeInput } from './codec.js';
import { EncodeError } from './errors.js';
import { cryptoTypeInfo, sigTypeInfo } from './key-types.js';
import { type Destination, keysAndCertHash, keyTypes, readKeysAndCert, writeKeysAndCert } from './keys-and-cert.js';
import { type Mapping, readMapping, writeMapping } from './mapping.js';
import {
  type OfflineSignature,
  readOfflineSignature,
  verifyOfflineSignature,
  writeOfflineSignature,
} from './offline-signature.js';
import { signWithType, verifyWithType } from './signature.js';

/** The DatabaseStore type of a LeaseSet2; the signature covers this byte before the body. */
export const LEASESET2_TYPE = 3;

export const LS2_FLAG_OFFLINE_KEYS = 1 << 0;
export const LS2_FLAG_UNPUBLISHED = 1 << 1;
/** Blinded and encrypted when published (0.9.42); implies UNPUBLISHED. */
export const LS2_FLAG_BLINDED = 1 << 2;

export const MAX_LEASES = 16;

/** A Lease2: a tunnel gateway, its tunnel id, and an end date in seconds. 40 bytes. */
export interface Lease2 {
  gateway: Uint8Array;
  tunnelId: number;
  /** Seconds since the epoch. */
  endDate: number;
}

export interface LeaseSet2EncryptionKey {
  /** Crypto type (4 = X25519). */
  type: number;
  key: Uint8Array;
}

export interface LeaseSet2 {
  destination: Destination;
  /** Seconds since the epoch; each new LeaseSet2 of a destination must advance it. */
  published: number;
  /** Seconds after `published` (about 660 at most for a LeaseSet2). */
  expires: number;
  /** Header flags; bit 0 must be set exactly when `offlineSignature` is present. */
  flags: number;
  offlineSignature?: OfflineSignature;
  options: Mapping;
  /** In order of preference, most preferred first. At least one. */
  encryptionKeys: readonly LeaseSet2EncryptionKey[];
  leases: readonly Lease2[];
  signature: Uint8Array;
}
export type LeaseSet2Fields = Omit<LeaseSet2, 'signature'>;

export interface LeaseSet2DecodeOptions {
  /** The input starts with the type byte 3 (as a netDb store carries it). */
  withTypeByte?: boolean;
}

export function readLease2(r: ByteReader, field = 'lease'): Lease2 {
  const gateway = r.bytesOf(`${field}.gateway`, 32);
  const tunnelId = r.u32(`${field}.tunnelId`);
  const endDate = r.u32(`${field}.endDate`);
  return { gateway, tunnelId, endDate };
}

export function writeLease2(w: ByteWriter, field: string, l: Lease2): void {
  w.fixed(`${field}.gateway`, l.gateway, 32).u32(`${field}.tunnelId`, l.tunnelId).u32(`${field}.endDate`, l.endDate);
}

export const decodeLease2 = (input: DecodeInput): Lease2 => decodeFrom(input, 'lease', (r) => readLease2(r));
export function encodeLease2(l: Lease2): Uint8Array {
  const w = new ByteWriter(40);
  writeLease2(w, 'lease', l);
  return w.finish();
}

/** Signature type of the LeaseSet2's own signature: the transient key's when offline. */
export function leaseSet2SigType(ls: Pick<LeaseSet2, 'destination' | 'offlineSignature'>): number {
  return ls.offlineSignature ? ls.offlineSignature.transientSigType : keyTypes(ls.destination).sigType;
}

export function readLeaseSet2(r: ByteReader, field = 'leaseSet2'): LeaseSet2 {
  const destination = readKeysAndCert(r, `${field}.destination`);
  const destSigType = keyTypes(destination).sigType;
  const published = r.u32(`${field}.published`);
  const expires = r.u16(`${field}.expires`);
  const flags = r.u16(`${field}.flags`);
  const offlineSignature =
    flags & LS2_FLAG_OFFLINE_KEYS ? readOfflineSignature(r, `${field}.offlineSignature`, destSigType) : undefined;
  const options = readMapping(r, `${field}.options`);
  const numkAt = r.offset;
  const numk = r.u8(`${field}.numk`);
  if (numk < 1) r.fail(`${field}.numk`, 'at least one encryption key is required', numkAt);
  const encryptionKeys: LeaseSet2EncryptionKey[] = [];
  for (let i = 0; i < numk; i++) {
    const f = `${field}.encryptionKeys[${i}]`;
    const type = r.u16(`${f}.type`);
    const lenAt = r.offset;
    const len = r.u16(`${f}.length`);
    // Unknown types are kept (their length is given so a floodfill can still parse them).
    const known = cryptoTypeInfo(type);
    if (known && known.publicKeyLength !== len) {
      r.fail(`${f}.length`, `${known.name} keys are ${known.publicKeyLength} bytes, not ${len}`, lenAt);
    }
    encryptionKeys.push({ type, key: r.bytesOf(`${f}.key`, len) });
  }
  const numAt = r.offset;
  const num = r.u8(`${field}.num`);
  if (num > MAX_LEASES) r.fail(`${field}.num`, `at most ${MAX_LEASES} leases, got ${num}`, numAt);
  const leases: Lease2[] = [];
  for (let i = 0; i < num; i++) leases.push(readLease2(r, `${field}.leases[${i}]`));
  const sigType = offlineSignature ? offlineSignature.transientSigType : destSigType;
  const signature = r.bytesOf(`${field}.signature`, (sigTypeInfo(sigType) as { signatureLength: number }).signatureLength);
  return { destination, published, expires, flags, offlineSignature, options, encryptionKeys, leases, signature };
}

function writeBody(w: ByteWriter, field: string, ls: LeaseSet2Fields): void {
  const offline = (ls.flags & LS2_FLAG_OFFLINE_KEYS) !== 0;
  if (offline !== (ls.offlineSignature !== undefined)) {
    throw new EncodeError(`${field}.flags`, 'bit 0 must be set exactly when offlineSignature is present');
  }
  writeKeysAndCert(w, `${field}.destination`, ls.destination);
  w.u32(`${field}.published`, ls.published).u16(`${field}.expires`, ls.expires).u16(`${field}.flags`, ls.flags);
  if (ls.offlineSignature) {
    writeOfflineSignature(w, `${field}.offlineSignature`, ls.offlineSignature, keyTypes(ls.destination).sigType);
  }
  writeMapping(w, `${field}.options`, ls.options);
  if (ls.encryptionKeys.length < 1 || ls.encryptionKeys.length > 255) {
    throw new EncodeError(`${field}.encryptionKeys`, `needs 1 to 255 keys, got ${ls.encryptionKeys.length}`);
  }
  w.u8(`${field}.numk`, ls.encryptionKeys.length);
  ls.encryptionKeys.forEach((k, i) => {
    const f = `${field}.encryptionKeys[${i}]`;
    const known = cryptoTypeInfo(k.type);
    if (known && known.publicKeyLength !== k.key.length) {
      throw new EncodeError(`${f}.key`, `${known.name} keys are ${known.publicKeyLength} bytes, not ${k.key.length}`);
    }
    w.u16(`${f}.type`, k.type).u16(`${f}.length`, k.key.length).bytes(k.key);
  });
  if (ls.leases.length > MAX_LEASES) throw new EncodeError(`${field}.leases`, `at most ${MAX_LEASES}, got ${ls.leases.length}`);
  w.u8(`${field}.num`, ls.leases.length);
  ls.leases.forEach((l, i) => writeLease2(w, `${field}.leases[${i}]`, l));
}

/** What the signature covers: the type byte 3, then the body up to the signature. */
export function leaseSet2SignedBytes(ls: LeaseSet2Fields): Uint8Array {
  const w = new ByteWriter(1024);
  w.u8('type', LEASESET2_TYPE);
  writeBody(w, 'leaseSet2', ls);
  return w.finish();
}

export function writeLeaseSet2(w: ByteWriter, ls: LeaseSet2): void {
  writeBody(w, 'leaseSet2', ls);
  const info = sigTypeInfo(leaseSet2SigType(ls));
  if (!info) throw new EncodeError('leaseSet2.signature', `unknown signature type ${leaseSet2SigType(ls)}`);
  w.fixed('leaseSet2.signature', ls.signature, info.signatureLength);
}

export function decodeLeaseSet2(input: DecodeInput, opts: LeaseSet2DecodeOptions = {}): LeaseSet2 {
  return decodeFrom(input, 'leaseSet2', (r) => {
    if (opts.withTypeByte) {
      const at = r.offset;
      const t = r.u8('type');
      if (t !== LEASESET2_TYPE) r.fail('type', `expected ${LEASESET2_TYPE} (LeaseSet2), got ${t}`, at);
    }
    return readLeaseSet2(r);
  });
}

/** The encoding without the type byte (pass withTypeByte for the netDb form). */
export function encodeLeaseSet2(ls: LeaseSet2, opts: LeaseSet2DecodeOptions = {}): Uint8Array {
  const w = new ByteWriter(1024);
  if (opts.withTypeByte) w.u8('type', LEASESET2_TYPE);
  writeLeaseSet2(w, ls);
  return w.finish();
}

/**
 * Signs with the destination's signing private key, or with the transient private key when
 * `fields.offlineSignature` is set.
 */
export function signLeaseSet2(fields: LeaseSet2Fields, signingPrivateKey: Uint8Array): LeaseSet2 {
  const signature = signWithType(leaseSet2SigType(fields), signingPrivateKey, leaseSet2SignedBytes(fields), 'leaseSet2.signature');
  return { ...fields, signature };
}

export interface LeaseSet2VerifyOptions {
  /** When given (ms since the epoch), an expired offline (transient) key fails verification. */
  now?: number;
}

/**
 * true/false, or undefined when a signature type involved is not supported here. With offline
 * keys both signatures must hold: the destination's over the transient key, and the transient
 * key's over the LeaseSet2.
 */
export function leaseSet2SignatureStatus(ls: LeaseSet2, opts: LeaseSet2VerifyOptions = {}): boolean | undefined {
  let signed: Uint8Array;
  try {
    signed = leaseSet2SignedBytes(ls);
  } catch {
    return false;
  }
  let key = ls.destination.signingPublicKey;
  if (ls.offlineSignature) {
    const offline = verifyOfflineSignature(ls.destination, ls.offlineSignature);
    if (offline !== true) return offline;
    if (opts.now !== undefined && ls.offlineSignature.expires * 1000 <= opts.now) return false;
    key = ls.offlineSignature.transientPublicKey;
  }
  return verifyWithType(leaseSet2SigType(ls), key, signed, ls.signature);
}

export function verifyLeaseSet2(ls: LeaseSet2, opts: LeaseSet2VerifyOptions = {}): boolean {
  return leaseSet2SignatureStatus(ls, opts) === true;
}

/** The netDb key of a LeaseSet2: the hash of its destination. */
export function leaseSet2Hash(ls: Pick<LeaseSet2, 'destination'>): Uint8Array {
  return keysAndCertHash(ls.destination);
}
