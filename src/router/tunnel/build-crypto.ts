/**
 * Encryption of ECIES tunnel build records (tunnel-creation-ecies.rst).
 *
 * A request record is Noise N to the hop's X25519 identity key: truncated hash (16) |
 * ephemeral key (32) | ChaCha20-Poly1305(k, n = 0, cleartext, ad = h) — the same "e, es" as the
 * router garlic of ecies-routers.rst. From the final (ck, h):
 * - short records (218 bytes) derive the reply, layer and IV keys (and, at an OBEP, the garlic
 *   reply key and tag) by HKDF chains from ck; the hop's reply is AEAD under the reply key with
 *   n = record index and ad = h, and every other record is ChaCha20-layered with the same key and
 *   the record index at IV byte 4 (the Noise nonce layout, so one nonce table serves both);
 * - long records (528 bytes) carry their keys in the cleartext; the reply is AEAD under ck itself
 *   (n = 0, ad = h), the other records are AES-256-CBC-encrypted with the request's reply key/IV.
 *
 * The creator pre-applies the inverse of the earlier hops' layering so each hop finds its record as
 * it was sealed, and after the build undoes the later hops' layering to open each reply.
 * Records are handled whole and separately: nothing chains across records.
 */
import {
  aes256CbcDecrypt,
  aes256CbcEncrypt,
  AEAD_TAG_LENGTH,
  chacha20,
  chacha20Poly1305Decrypt,
  chacha20Poly1305Encrypt,
  CryptoError,
  hkdf,
  noiseNonce,
  sha256,
  SymmetricState,
  x25519,
  x25519Generate,
  x25519PublicKey,
  x25519Once,
  x25519PublicKeyOnce,
} from '../crypto/index.js';
import { DecodeError, EncodeError } from '../data/errors.js';
import { NOISE_N_PROTOCOL_NAME } from '../garlic/router-garlic.js';
import type { RandomSource } from '../runtime/random.js';
import {
  decodeLongBuildRequest,
  decodeShortBuildRequest,
  encodeLongBuildRequest,
  encodeShortBuildRequest,
  LONG_BUILD_REQUEST_LENGTH,
  SHORT_BUILD_REQUEST_LENGTH,
} from './build-request.js';
import {
  decodeLongBuildReply,
  decodeShortBuildReply,
  encodeLongBuildReply,
  encodeShortBuildReply,
} from './build-reply.js';
import type { BuildReply, BuildRequest, HopKeys, HopRole, LongBuildRequest } from './types.js';

export const TRUNCATED_HASH_LENGTH = 16;
const EPHEMERAL_KEY_LENGTH = 32;
const HEADER_LENGTH = TRUNCATED_HASH_LENGTH + EPHEMERAL_KEY_LENGTH;
export const SHORT_RECORD_LENGTH = HEADER_LENGTH + SHORT_BUILD_REQUEST_LENGTH + AEAD_TAG_LENGTH; // 218
export const LONG_RECORD_LENGTH = HEADER_LENGTH + LONG_BUILD_REQUEST_LENGTH + AEAD_TAG_LENGTH; // 528
/** ShortTunnelBuild and VariableTunnelBuild carry at most 8; the nonce byte could count to 255. */
export const MAX_BUILD_RECORDS = 8;

export type BuildRecordErrorReason =
  /** The record's hash prefix is not ours. */
  | 'NOT_FOR_US'
  /** AEAD verification failed: tampered, or sealed to another key. */
  | 'AUTH_FAILED'
  /** A wrong length, an unusable ephemeral key, or an authentic but malformed cleartext. */
  | 'BAD_RECORD';

/** Every failure on network input here is this (a DecodeError, if any, is its cause). */
export class BuildRecordError extends Error {
  override readonly name = 'BuildRecordError';
  constructor(
    readonly reason: BuildRecordErrorReason,
    message: string,
    /** Creator side: the hop (0 = first) whose reply failed. */
    readonly hop?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Long records need no derived keys: the reply AEAD key is the request's final ck. */
export interface LongHopKeys {
  replyKey: Uint8Array;
  h: Uint8Array;
}

export interface ShortHopSpec {
  hash: Uint8Array;
  /** The hop's X25519 identity encryption key. */
  publicKey: Uint8Array;
  request: BuildRequest;
}

export interface LongHopSpec {
  hash: Uint8Array;
  publicKey: Uint8Array;
  request: LongBuildRequest;
}

export interface CreateRecordsOptions {
  /**
   * Inbound builds: the creator's own fake record (its hash prefix and a real X25519 key), at
   * `slot`, layered as if it were one more hop's so that the last hop sees an ordinary record for
   * its next hop. It comes back unchanged: compare it with the returned `creatorRecord`.
   */
  creator?: { hash: Uint8Array; slot: number };
}

export interface ShortBuildRecords {
  records: Uint8Array[];
  hopKeys: HopKeys[];
  /** What the creator's record must read once the build returns (inbound builds only). */
  creatorRecord?: Uint8Array;
}

export interface LongBuildRecords {
  records: Uint8Array[];
  hopKeys: LongHopKeys[];
  creatorRecord?: Uint8Array;
}

const EMPTY = new Uint8Array(0);
/**
 * The ChaCha20 layering of the other records starts at block counter 1, not 0: the spec does not
 * say, but i2pd (and so every router it interoperates with) does, like the AEAD's payload blocks.
 * Measured against i2pd 2.45.1: with counter 0 it fails every reply ("Response AEAD decryption failed").
 */
export const LAYER_COUNTER = 1;
const encoder = new TextEncoder();
const REPLY_KEY_INFO = encoder.encode('SMTunnelReplyKey');
const LAYER_KEY_INFO = encoder.encode('SMTunnelLayerKey');
const IV_KEY_INFO = encoder.encode('TunnelLayerIVKey');
const GARLIC_INFO = encoder.encode('RGarlicKeyAndTag');

// ck and h after Initialize with the empty prologue: the same for every record to every router.
const INITIAL = SymmetricState.initialize(NOISE_N_PROTOCOL_NAME);
const CK0 = INITIAL.chainingKey;
const H0 = INITIAL.handshakeHash;

const NONCES = Array.from({ length: MAX_BUILD_RECORDS }, (_, i) => noiseNonce(i));
/** n = i as a Noise nonce: 4 zero bytes, then i little-endian — i.e. IV byte 4 = i. */
function recordNonce(i: number): Uint8Array {
  return i < NONCES.length ? NONCES[i] : noiseNonce(i);
}

function isBytes(b: unknown, n: number): b is Uint8Array {
  return b instanceof Uint8Array && b.length === n;
}

/** The short-record KDF chain; the OBEP takes one more step for its IV key, then the garlic pair. */
export function deriveShortHopKeys(ck: Uint8Array, h: Uint8Array, role: HopRole): HopKeys {
  const reply = hkdf(ck, EMPTY, REPLY_KEY_INFO, 64);
  const layer = hkdf(reply.subarray(0, 32), EMPTY, LAYER_KEY_INFO, 64);
  const replyKey = reply.slice(32);
  const layerKey = layer.slice(32);
  if (role !== 'obep') return { replyKey, layerKey, ivKey: layer.slice(0, 32), h };
  const iv = hkdf(layer.subarray(0, 32), EMPTY, IV_KEY_INFO, 64);
  const garlic = hkdf(iv.subarray(0, 32), EMPTY, GARLIC_INFO, 64);
  return {
    replyKey,
    layerKey,
    ivKey: iv.slice(32),
    h,
    garlicReplyKey: garlic.slice(32),
    garlicReplyTag: garlic.slice(0, 8),
  };
}

interface Opened {
  cleartext: Uint8Array;
  ck: Uint8Array;
  h: Uint8Array;
  ephemeralKey: Uint8Array;
}

export interface DecryptedShortRecord {
  request: BuildRequest;
  keys: HopKeys;
  /** The sender's ephemeral key, for a replay cache. */
  ephemeralKey: Uint8Array;
}

export interface DecryptedLongRecord {
  request: LongBuildRequest;
  keys: LongHopKeys;
  ephemeralKey: Uint8Array;
}

export interface RouterEncryptionIdentity {
  /** Our router hash (32 bytes). */
  hash: Uint8Array;
  staticPrivateKey: Uint8Array;
  staticPublicKey: Uint8Array;
}

/**
 * The hop side. Holds our hash prefix and h = MixHash(hepk), which every request to us shares,
 * so a record costs one DH, one HKDF, the AEAD and two SHA-256 (plus the key HKDFs).
 */
export class BuildRecordDecryptor {
  readonly #prefix: Uint8Array;
  readonly #privateKey: Uint8Array;
  readonly #h1: Uint8Array;

  constructor(identity: RouterEncryptionIdentity) {
    const { hash, staticPrivateKey, staticPublicKey } = identity;
    if (!isBytes(hash, 32)) throw new CryptoError('BAD_LENGTH', 'router hash: expected 32 bytes');
    if (!isBytes(staticPrivateKey, 32)) throw new CryptoError('BAD_LENGTH', 'static private key: expected 32 bytes');
    if (!isBytes(staticPublicKey, 32)) throw new CryptoError('BAD_LENGTH', 'static public key: expected 32 bytes');
    // A mismatched pair would fail every build silently (AUTH_FAILED on each record): refuse it here.
    const derived = x25519PublicKey(staticPrivateKey);
    if (!derived.every((b, i) => b === staticPublicKey[i])) {
      throw new CryptoError('BAD_KEY', 'static public key does not belong to the private key');
    }
    this.#prefix = hash.slice(0, TRUNCATED_HASH_LENGTH);
    this.#privateKey = staticPrivateKey.slice();
    this.#h1 = sha256(H0, staticPublicKey);
  }

  /** True when the record starts with our truncated hash. */
  isForUs(record: Uint8Array): boolean {
    if (!(record instanceof Uint8Array) || record.length < TRUNCATED_HASH_LENGTH) return false;
    const p = this.#prefix;
    for (let i = 0; i < TRUNCATED_HASH_LENGTH; i++) if (record[i] !== p[i]) return false;
    return true;
  }

  /** Index of the first record addressed to us, or -1. */
  findRecord(records: readonly Uint8Array[]): number {
    for (let i = 0; i < records.length; i++) if (this.isForUs(records[i])) return i;
    return -1;
  }

  decryptShort(record: Uint8Array): DecryptedShortRecord {
    const o = this.#open(record, SHORT_RECORD_LENGTH, 'short');
    const request = decodeOrBad(() => decodeShortBuildRequest(o.cleartext), 'short build request');
    return { request, keys: deriveShortHopKeys(o.ck, o.h, request.role), ephemeralKey: o.ephemeralKey };
  }

  decryptLong(record: Uint8Array): DecryptedLongRecord {
    const o = this.#open(record, LONG_RECORD_LENGTH, 'long');
    const request = decodeOrBad(() => decodeLongBuildRequest(o.cleartext), 'long build request');
    return { request, keys: { replyKey: o.ck, h: o.h }, ephemeralKey: o.ephemeralKey };
  }

  /** Noise N "e, es" then the payload, from the precomputed h. */
  #open(record: Uint8Array, length: number, what: string): Opened {
    if (!isBytes(record, length)) {
      const input: unknown = record;
      const got = input instanceof Uint8Array ? `${input.length} bytes` : typeof input;
      throw new BuildRecordError('BAD_RECORD', `${what} build record: expected ${length} bytes, got ${got}`);
    }
    if (!this.isForUs(record)) throw new BuildRecordError('NOT_FOR_US', `${what} build record: not our hash prefix`);
    const ephemeralKey = record.subarray(TRUNCATED_HASH_LENGTH, HEADER_LENGTH);
    // No X25519 implementation emits the top bit; ElGamal records (and some buggy senders) set it
    // half the time. Refusing before the DH is the spec's advice to save CPU.
    if (ephemeralKey[31] & 0x80) throw new BuildRecordError('BAD_RECORD', `${what} build record: ephemeral key has its top bit set`);
    let shared: Uint8Array;
    try {
      shared = x25519(this.#privateKey, ephemeralKey);
    } catch (e) {
      if (e instanceof CryptoError) throw new BuildRecordError('BAD_RECORD', `${what} build record: ${e.message}`, undefined, { cause: e });
      throw e;
    }
    let h = sha256(this.#h1, ephemeralKey);
    const keydata = hkdf(CK0, shared, EMPTY, 64);
    const ciphertext = record.subarray(HEADER_LENGTH);
    let cleartext: Uint8Array;
    try {
      cleartext = chacha20Poly1305Decrypt(keydata.subarray(32), NONCES[0], ciphertext, h);
    } catch (e) {
      if (e instanceof CryptoError) {
        throw new BuildRecordError('AUTH_FAILED', `${what} build record: AEAD verification failed`, undefined, { cause: e });
      }
      throw e;
    }
    h = sha256(h, ciphertext);
    return { cleartext, ck: keydata.slice(0, 32), h, ephemeralKey: ephemeralKey.slice() };
  }
}

function decodeOrBad<T>(decode: () => T, what: string, hop?: number): T {
  try {
    return decode();
  } catch (e) {
    if (e instanceof DecodeError) throw new BuildRecordError('BAD_RECORD', `${what}: ${e.message}`, hop, { cause: e });
    throw e;
  }
}

function checkHopRecords(records: readonly Uint8Array[], ownIndex: number, length: number): void {
  if (!Array.isArray(records) || records.length < 1 || records.length > MAX_BUILD_RECORDS) {
    throw new BuildRecordError('BAD_RECORD', `build message: 1..${MAX_BUILD_RECORDS} records expected`);
  }
  if (!Number.isInteger(ownIndex) || ownIndex < 0 || ownIndex >= records.length) {
    throw new BuildRecordError('BAD_RECORD', `own record index ${ownIndex} is not in 0..${records.length - 1}`);
  }
  records.forEach((r, i) => {
    if (!isBytes(r, length)) throw new BuildRecordError('BAD_RECORD', `record ${i}: expected ${length} bytes`);
  });
}

/**
 * The hop's answer to a short build: its own record becomes the AEAD reply (n = its index,
 * ad = h) and every other record is ChaCha20-layered under the reply key. Replaces the entries of
 * `records`; the byte arrays it held are not modified. The reply is encoded first, so an
 * EncodeError leaves `records` as it was.
 */
export function encryptShortReplyInPlace(
  records: Uint8Array[],
  ownIndex: number,
  keys: HopKeys,
  reply: BuildReply,
  random: RandomSource,
): void {
  checkHopRecords(records, ownIndex, SHORT_RECORD_LENGTH);
  const cleartext = encodeShortBuildReply(reply, random);
  for (let i = 0; i < records.length; i++) {
    records[i] =
      i === ownIndex
        ? chacha20Poly1305Encrypt(keys.replyKey, recordNonce(i), cleartext, keys.h)
        : chacha20(keys.replyKey, recordNonce(i), records[i], LAYER_COUNTER);
  }
}

/**
 * The hop's answer to a long (VariableTunnelBuild) build: own record = AEAD under ck (n = 0,
 * ad = h), 528 bytes; the others AES-256-CBC-encrypted, each on its own, with the request's reply
 * key and IV. Replaces entries of `records` as `encryptShortReplyInPlace` does.
 */
export function encryptLongReplyInPlace(
  records: Uint8Array[],
  ownIndex: number,
  request: LongBuildRequest,
  keys: LongHopKeys,
  reply: BuildReply,
  random: RandomSource,
): void {
  checkHopRecords(records, ownIndex, LONG_RECORD_LENGTH);
  const cleartext = encodeLongBuildReply(reply, random);
  for (let i = 0; i < records.length; i++) {
    records[i] =
      i === ownIndex
        ? chacha20Poly1305Encrypt(keys.replyKey, NONCES[0], cleartext, keys.h)
        : aes256CbcEncrypt(request.replyKey, request.replyIv, records[i]);
  }
}

/**
 * A record no hop can open but that looks like one: the hash prefix, a real X25519 public key
 * (a random 32 bytes would have its top bit set half the time, which gives it away), then random
 * bytes.
 */
export function fakeRecordFor(hash: Uint8Array, random: RandomSource, length = SHORT_RECORD_LENGTH): Uint8Array {
  if (!(hash instanceof Uint8Array) || hash.length < TRUNCATED_HASH_LENGTH) {
    throw new EncodeError('hash', `needs at least ${TRUNCATED_HASH_LENGTH} bytes`);
  }
  if (length !== SHORT_RECORD_LENGTH && length !== LONG_RECORD_LENGTH) {
    throw new EncodeError('length', `a build record is ${SHORT_RECORD_LENGTH} or ${LONG_RECORD_LENGTH} bytes`);
  }
  const out = new Uint8Array(length);
  out.set(hash.subarray(0, TRUNCATED_HASH_LENGTH), 0);
  out.set(x25519Generate().publicKey, TRUNCATED_HASH_LENGTH);
  out.set(random.bytes(length - HEADER_LENGTH), HEADER_LENGTH);
  return out;
}

interface Sealed {
  record: Uint8Array;
  ck: Uint8Array;
  h: Uint8Array;
}

/** The creator's Noise N: a fresh ephemeral key per record, as the spec requires. */
function sealRecord(hop: ShortHopSpec | LongHopSpec, cleartext: Uint8Array, random: RandomSource, index: number): Sealed {
  const ephemeralPrivate = random.bytes(32);
  const ephemeralPublic = x25519PublicKeyOnce(ephemeralPrivate);
  let shared: Uint8Array;
  try {
    shared = x25519Once(ephemeralPrivate, hop.publicKey);
  } catch (e) {
    if (e instanceof CryptoError) throw new EncodeError(`hops[${index}].publicKey`, e.message);
    throw e;
  } finally {
    ephemeralPrivate.fill(0);
  }
  let h = sha256(sha256(H0, hop.publicKey), ephemeralPublic);
  const keydata = hkdf(CK0, shared, EMPTY, 64);
  const ciphertext = chacha20Poly1305Encrypt(keydata.subarray(32), NONCES[0], cleartext, h);
  h = sha256(h, ciphertext);
  const record = new Uint8Array(HEADER_LENGTH + ciphertext.length);
  record.set(hop.hash.subarray(0, TRUNCATED_HASH_LENGTH), 0);
  record.set(ephemeralPublic, TRUNCATED_HASH_LENGTH);
  record.set(ciphertext, HEADER_LENGTH);
  return { record, ck: keydata.slice(0, 32), h };
}

function checkLayout(hopCount: number, slots: readonly number[], totalRecords: number, creatorSlot?: number): void {
  if (!Number.isInteger(totalRecords) || totalRecords < 1 || totalRecords > MAX_BUILD_RECORDS) {
    throw new EncodeError('totalRecords', `must be 1..${MAX_BUILD_RECORDS}, got ${totalRecords}`);
  }
  if (!Array.isArray(slots) || slots.length !== hopCount) {
    throw new EncodeError('slots', `one slot per hop expected (${hopCount})`);
  }
  const used = new Set<number>();
  const all = creatorSlot === undefined ? slots : [...slots, creatorSlot];
  all.forEach((s, i) => {
    const field = i < hopCount ? `slots[${i}]` : 'creator.slot';
    if (!Number.isInteger(s) || s < 0 || s >= totalRecords) throw new EncodeError(field, `${s} is not in 0..${totalRecords - 1}`);
    if (used.has(s)) throw new EncodeError(field, `slot ${s} is used twice`);
    used.add(s);
  });
}

function checkHop(hop: ShortHopSpec | LongHopSpec, i: number): void {
  if (hop === null || typeof hop !== 'object') throw new EncodeError(`hops[${i}]`, 'must be an object');
  if (!isBytes(hop.hash, 32)) throw new EncodeError(`hops[${i}].hash`, 'must be 32 bytes');
  if (!isBytes(hop.publicKey, 32)) throw new EncodeError(`hops[${i}].publicKey`, 'must be 32 bytes');
}

function encodeFor<T>(i: number, encode: () => T): T {
  try {
    return encode();
  } catch (e) {
    if (e instanceof EncodeError) throw new EncodeError(`hops[${i}].request.${e.field}`, e.reason);
    throw e;
  }
}

/** Places the sealed records and the creator's record, fills the rest with random bytes. */
function assemble(
  sealed: Uint8Array[],
  slots: readonly number[],
  totalRecords: number,
  length: number,
  random: RandomSource,
  creator: CreateRecordsOptions['creator'],
): { records: Uint8Array[]; creatorRecord?: Uint8Array } {
  const records = new Array<Uint8Array>(totalRecords);
  sealed.forEach((r, i) => (records[slots[i]] = r));
  let creatorRecord: Uint8Array | undefined;
  if (creator) {
    creatorRecord = fakeRecordFor(creator.hash, random, length);
    records[creator.slot] = creatorRecord;
  }
  // Fake records of outbound builds are never seen by a hop in the clear: random bytes suffice.
  for (let s = 0; s < totalRecords; s++) if (records[s] === undefined) records[s] = random.bytes(length);
  return creatorRecord ? { records, creatorRecord } : { records };
}

/**
 * The creator side of a ShortTunnelBuild: hop i's record goes to `records[slots[i]]` (hop 0 is
 * the first to receive the message). Each record is pre-layered with the ChaCha20 streams of the
 * hops before it, which cancel as those hops layer it on the way.
 */
export function createShortBuildRecords(
  hops: readonly ShortHopSpec[],
  slots: readonly number[],
  totalRecords: number,
  random: RandomSource,
  opts: CreateRecordsOptions = {},
): ShortBuildRecords {
  if (!Array.isArray(hops) || hops.length < 1) throw new EncodeError('hops', 'at least one hop');
  checkLayout(hops.length, slots, totalRecords, opts.creator?.slot);
  const hopKeys: HopKeys[] = [];
  const sealed = hops.map((hop, i) => {
    checkHop(hop, i);
    const cleartext = encodeFor(i, () => encodeShortBuildRequest(hop.request, random));
    const s = sealRecord(hop, cleartext, random, i);
    hopKeys.push(deriveShortHopKeys(s.ck, s.h, hop.request.role));
    return s.record;
  });
  const { records, creatorRecord } = assemble(sealed, slots, totalRecords, SHORT_RECORD_LENGTH, random, opts.creator);
  // XOR streams commute: the order of the earlier hops' layers does not matter.
  const layer = (slot: number, upTo: number): void => {
    for (let j = 0; j < upTo; j++) records[slot] = chacha20(hopKeys[j].replyKey, recordNonce(slot), records[slot], LAYER_COUNTER);
  };
  for (let i = 1; i < hops.length; i++) layer(slots[i], i);
  if (opts.creator) layer(opts.creator.slot, hops.length);
  return { records, hopKeys, creatorRecord };
}

function checkReplyLayout(records: readonly Uint8Array[], slots: readonly number[], hopCount: number, length: number): void {
  if (!Array.isArray(records) || records.length < 1 || records.length > MAX_BUILD_RECORDS) {
    throw new BuildRecordError('BAD_RECORD', `build reply: 1..${MAX_BUILD_RECORDS} records expected`);
  }
  if (!Array.isArray(slots) || slots.length !== hopCount) {
    throw new BuildRecordError('BAD_RECORD', `build reply: one slot per hop expected (${hopCount})`);
  }
  slots.forEach((s, i) => {
    if (!Number.isInteger(s) || s < 0 || s >= records.length) {
      throw new BuildRecordError('BAD_RECORD', `hop ${i}: slot ${s} is not among the ${records.length} records`, i);
    }
    if (!isBytes(records[s], length)) throw new BuildRecordError('BAD_RECORD', `hop ${i}: record ${s} is not ${length} bytes`, i);
  });
}

function openReply(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, h: Uint8Array, hop: number, slot: number): Uint8Array {
  try {
    return chacha20Poly1305Decrypt(key, nonce, sealed, h);
  } catch (e) {
    if (e instanceof CryptoError) {
      throw new BuildRecordError('AUTH_FAILED', `hop ${hop} (record ${slot}): reply failed authentication`, hop, { cause: e });
    }
    throw e;
  }
}

/**
 * The creator opens the replies: for hop i, it removes the layers of hops i+1..n-1 (each layered
 * every record but its own, so hop i's reply carries all of them), then the AEAD. Inputs are
 * not modified.
 */
export function decryptShortReplies(records: readonly Uint8Array[], slots: readonly number[], hopKeys: readonly HopKeys[]): BuildReply[] {
  checkReplyLayout(records, slots, hopKeys.length, SHORT_RECORD_LENGTH);
  return hopKeys.map((keys, i) => {
    const slot = slots[i];
    const nonce = recordNonce(slot);
    let rec = records[slot];
    for (let j = i + 1; j < hopKeys.length; j++) rec = chacha20(hopKeys[j].replyKey, nonce, rec, LAYER_COUNTER);
    const cleartext = openReply(keys.replyKey, nonce, rec, keys.h, i, slot);
    return decodeOrBad(() => decodeShortBuildReply(cleartext), `hop ${i} (record ${slot}): short build reply`, i);
  });
}

/**
 * The creator side of a VariableTunnelBuild with ECIES long records. Hops AES-CBC-encrypt the
 * records they pass on, so the creator pre-decrypts hop i's record with hops i-1 down to 0
 * (CBC does not commute: the outermost layer, the last applied, comes off first).
 */
export function createLongBuildRecords(
  hops: readonly LongHopSpec[],
  slots: readonly number[],
  totalRecords: number,
  random: RandomSource,
  opts: CreateRecordsOptions = {},
): LongBuildRecords {
  if (!Array.isArray(hops) || hops.length < 1) throw new EncodeError('hops', 'at least one hop');
  checkLayout(hops.length, slots, totalRecords, opts.creator?.slot);
  const hopKeys: LongHopKeys[] = [];
  const sealed = hops.map((hop, i) => {
    checkHop(hop, i);
    const cleartext = encodeFor(i, () => encodeLongBuildRequest(hop.request, random));
    const s = sealRecord(hop, cleartext, random, i);
    hopKeys.push({ replyKey: s.ck, h: s.h });
    return s.record;
  });
  const { records, creatorRecord } = assemble(sealed, slots, totalRecords, LONG_RECORD_LENGTH, random, opts.creator);
  const layer = (slot: number, upTo: number): void => {
    for (let j = upTo - 1; j >= 0; j--) {
      const r = hops[j].request;
      records[slot] = aes256CbcDecrypt(r.replyKey, r.replyIv, records[slot]);
    }
  };
  for (let i = 1; i < hops.length; i++) layer(slots[i], i);
  if (opts.creator) layer(opts.creator.slot, hops.length);
  return { records, hopKeys, creatorRecord };
}

/** Opens long replies: hop i's record loses the AES layers of hops n-1 down to i+1, then the AEAD. */
export function decryptLongReplies(
  records: readonly Uint8Array[],
  slots: readonly number[],
  hopKeys: readonly LongHopKeys[],
  requests: readonly LongBuildRequest[],
): BuildReply[] {
  checkReplyLayout(records, slots, hopKeys.length, LONG_RECORD_LENGTH);
  if (!Array.isArray(requests) || requests.length !== hopKeys.length) {
    throw new BuildRecordError('BAD_RECORD', `build reply: one request per hop expected (${hopKeys.length})`);
  }
  return hopKeys.map((keys, i) => {
    const slot = slots[i];
    let rec = records[slot];
    for (let j = hopKeys.length - 1; j > i; j--) rec = aes256CbcDecrypt(requests[j].replyKey, requests[j].replyIv, rec);
    const cleartext = openReply(keys.replyKey, NONCES[0], rec, keys.h, i, slot);
    return decodeOrBad(() => decodeLongBuildReply(cleartext), `hop ${i} (record ${slot}): long build reply`, i);
  });
}

