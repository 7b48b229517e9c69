/**
 * The three message forms of ECIES-X25519-AEAD-Ratchet as pure functions over keys and
 * handshake state (ecies.rst 1b/1c/1d, 1f, 1g, 1h). No session bookkeeping here: the engine
 * decides which form to use and what to keep.
 *
 * New Session (Noise "IKelg2+hs2", Alice → Bob):
 *   h = SHA256(name); ck = h; h = SHA256(h)                   (initial chain key, empty prologue)
 *   h = SHA256(h || bpk)
 *   h = SHA256(h || aepk)                                     (e; aepk goes out Elligator2-encoded)
 *   ck, k = MixKey(DH(aesk, bpk))                             (es)
 *   c1 = ENCRYPT(k, 0, apk or 32 zeros, h); h = SHA256(h || c1)   (s / flags section)
 *   bound:   ck, k = MixKey(DH(ask, bpk)); c2 = ENCRYPT(k, 0, payload, h)   (ss)
 *   unbound: c2 = ENCRYPT(k, 1, payload, h)                  (same k, next nonce)
 *   h = SHA256(h || c2)                                       (kept for the NSR)
 *
 * New Session Reply (Bob → Alice), from Alice's (ck, h) after her payload:
 *   h = SHA256(h || tag); h = SHA256(h || bepk)
 *   ck = MixKey(DH(besk, aepk))                               (ee)
 *   ck, k = MixKey(DH(besk, apk))                             (se)
 *   c = ENCRYPT(k, 0, ZEROLEN, h); h = SHA256(h || c)
 *   k_ab, k_ba = HKDF(ck, ZEROLEN, "", 64)                    (split)
 *   payload: ENCRYPT(HKDF(k_ba, ZEROLEN, "AttachPayloadKDF", 32), 0, payload, h)
 *
 * Existing Session: tag || ENCRYPT(session key, N, payload, ad = tag).
 */
import { AEAD_TAG_LENGTH, chacha20Poly1305DecryptN, chacha20Poly1305EncryptN } from '../../crypto/chacha.js';
import { CryptoError } from '../../crypto/errors.js';
import { elligator2Decode } from '../../crypto/elligator2.js';
import { SymmetricState } from '../../crypto/noise.js';
import { x25519 } from '../../crypto/x25519.js';
import { GarlicError } from '../errors.js';
import { MAX_PAYLOAD_LENGTH } from '../payload.js';
import type { EncodableKeyPair, KeyPair } from './ephemeral-pool.js';
import { SESSION_TAG_LENGTH } from '../tag-store.js';
import { attachPayloadKey, KEY_LENGTH, RATCHET_PROTOCOL_NAME, splitKeys } from './kdf.js';

/** Ephemeral key, flags/static section and its MAC, payload MAC. */
export const NS_OVERHEAD = KEY_LENGTH + KEY_LENGTH + AEAD_TAG_LENGTH + AEAD_TAG_LENGTH; // 96
/** Tag, ephemeral key, key-section MAC, payload MAC. */
export const NSR_OVERHEAD = SESSION_TAG_LENGTH + KEY_LENGTH + AEAD_TAG_LENGTH + AEAD_TAG_LENGTH; // 72
/** Tag and MAC. */
export const ES_OVERHEAD = SESSION_TAG_LENGTH + AEAD_TAG_LENGTH; // 24
/** An NS must carry at least a DateTime block (7 bytes). */
export const MIN_NS_LENGTH = NS_OVERHEAD + 7; // 103

const ZERO_KEY = new Uint8Array(KEY_LENGTH);
const EMPTY = new Uint8Array(0);

/** The state before "e": the same for every NS to this static key (Bob: precompute once). */
export function initialNsState(bobStaticPublicKey: Uint8Array): SymmetricState {
  const s = SymmetricState.initialize(RATCHET_PROTOCOL_NAME);
  s.mixHash(bobStaticPublicKey);
  return s;
}

/** X25519 on network input: any failure (low-order point, unparsable key) is a GarlicError. */
export function dh(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  try {
    return x25519(privateKey, publicKey);
  } catch (e) {
    throw new GarlicError('BAD_KEY', `X25519: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

export function decodeEphemeral(representative: Uint8Array): Uint8Array {
  try {
    return elligator2Decode(representative);
  } catch (e) {
    if (e instanceof CryptoError) throw new GarlicError('BAD_KEY', `Elligator2: ${e.message}`, { cause: e });
    throw e;
  }
}

function decrypt(state: SymmetricState, ciphertext: Uint8Array, what: string): Uint8Array {
  try {
    return state.decryptAndHash(ciphertext);
  } catch (e) {
    if (e instanceof CryptoError) throw new GarlicError('AUTH_FAILED', `${what}: AEAD verification failed`, { cause: e });
    throw e;
  }
}

function checkPayloadSize(payload: Uint8Array): void {
  if (payload.length > MAX_PAYLOAD_LENGTH) throw new GarlicError('ENCODE', `payload of ${payload.length} bytes exceeds ${MAX_PAYLOAD_LENGTH}`);
}

function isZero(b: Uint8Array): boolean {
  let acc = 0;
  for (const x of b) acc |= x;
  return acc === 0;
}

export interface NewSessionOut {
  body: Uint8Array;
  /** Chain key and hash after the payload: the NSR starts from them (bound sessions only). */
  chainKey: Uint8Array;
  hash: Uint8Array;
}

/**
 * Builds an NS. `alice` absent: the one-time / unbound form with a zero flags section
 * (ecies.rst 1c/1d), whose payload uses nonce 1 under the "es" key.
 */
export function encryptNewSession(args: {
  bobStaticPublicKey: Uint8Array;
  alice?: KeyPair;
  ephemeral: EncodableKeyPair;
  payload: Uint8Array;
  initialState?: SymmetricState;
}): NewSessionOut {
  checkPayloadSize(args.payload);
  const s = args.initialState ? args.initialState.clone() : initialNsState(args.bobStaticPublicKey);
  s.mixHash(args.ephemeral.publicKey);
  s.mixKey(dh(args.ephemeral.privateKey, args.bobStaticPublicKey));
  const c1 = s.encryptAndHash(args.alice ? args.alice.publicKey : ZERO_KEY);
  if (args.alice) s.mixKey(dh(args.alice.privateKey, args.bobStaticPublicKey));
  const c2 = s.encryptAndHash(args.payload);
  const body = new Uint8Array(KEY_LENGTH + c1.length + c2.length);
  body.set(args.ephemeral.representative, 0);
  body.set(c1, KEY_LENGTH);
  body.set(c2, KEY_LENGTH + c1.length);
  return { body, chainKey: s.chainingKey, hash: s.handshakeHash };
}

export interface NewSessionIn {
  /** Alice's ephemeral key, decoded. */
  ephemeralKey: Uint8Array;
  /** Alice's static key; undefined for a zero flags section (one-time / unbound). */
  aliceStaticKey: Uint8Array | undefined;
  payload: Uint8Array;
  chainKey: Uint8Array;
  hash: Uint8Array;
}

/**
 * Opens an NS addressed to `bob`. `ephemeralKey`, when given, is the already decoded first 32
 * bytes (the caller decoded it for its replay check). Throws GarlicError only.
 */
export function decryptNewSession(
  bob: KeyPair,
  body: Uint8Array,
  opts: { ephemeralKey?: Uint8Array; initialState?: SymmetricState } = {},
): NewSessionIn {
  if (body.length < NS_OVERHEAD) throw new GarlicError('MALFORMED', `NS of ${body.length} bytes is under ${NS_OVERHEAD}`);
  if (body.length - KEY_LENGTH - KEY_LENGTH - AEAD_TAG_LENGTH > MAX_PAYLOAD_LENGTH + AEAD_TAG_LENGTH) {
    throw new GarlicError('MALFORMED', `NS of ${body.length} bytes exceeds one ChaChaPoly frame`);
  }
  const aepk = opts.ephemeralKey ?? decodeEphemeral(body.subarray(0, KEY_LENGTH));
  const s = opts.initialState ? opts.initialState.clone() : initialNsState(bob.publicKey);
  s.mixHash(aepk);
  s.mixKey(dh(bob.privateKey, aepk));
  const fs = decrypt(s, body.subarray(KEY_LENGTH, KEY_LENGTH + KEY_LENGTH + AEAD_TAG_LENGTH), 'NS static key section');
  const bound = !isZero(fs);
  if (bound) s.mixKey(dh(bob.privateKey, fs));
  const payload = decrypt(s, body.subarray(KEY_LENGTH + KEY_LENGTH + AEAD_TAG_LENGTH), 'NS payload section');
  return { ephemeralKey: aepk, aliceStaticKey: bound ? fs : undefined, payload, chainKey: s.chainingKey, hash: s.handshakeHash };
}

export interface ReplyKeys {
  /** Chain key after "se": the root key of both ES tag sets. */
  chainKey: Uint8Array;
  kab: Uint8Array;
  kba: Uint8Array;
}

/** The NSR KDF shared by both sides, from "MixHash(tag)" to the split. */
function replyKdf(
  chainKey: Uint8Array,
  hash: Uint8Array,
  tag: Uint8Array,
  bepk: Uint8Array,
  ee: Uint8Array,
  se: Uint8Array,
): SymmetricState {
  const s = SymmetricState.fromState(chainKey, hash);
  s.mixHash(tag);
  s.mixHash(bepk);
  s.mixKey(ee); // only its chain key matters: the spec's HKDF(ck, ee, "", 32)
  s.mixKey(se);
  return s;
}

export interface NewSessionReplyOut extends ReplyKeys {
  body: Uint8Array;
}

/** Builds an NSR (Bob). `chainKey`/`hash` are those after Alice's NS payload. */
export function encryptNewSessionReply(args: {
  chainKey: Uint8Array;
  hash: Uint8Array;
  tag: Uint8Array;
  aliceEphemeralKey: Uint8Array;
  aliceStaticKey: Uint8Array;
  ephemeral: EncodableKeyPair;
  payload: Uint8Array;
}): NewSessionReplyOut {
  checkPayloadSize(args.payload);
  const ee = dh(args.ephemeral.privateKey, args.aliceEphemeralKey);
  const se = dh(args.ephemeral.privateKey, args.aliceStaticKey);
  const state = replyKdf(args.chainKey, args.hash, args.tag, args.ephemeral.publicKey, ee, se);
  const keyMac = state.encryptAndHash(EMPTY);
  const ck = state.chainingKey;
  const { kab, kba } = splitKeys(ck);
  const c = chacha20Poly1305EncryptN(attachPayloadKey(kba), 0, args.payload, state.handshakeHash);
  const body = new Uint8Array(SESSION_TAG_LENGTH + KEY_LENGTH + keyMac.length + c.length);
  body.set(args.tag, 0);
  body.set(args.ephemeral.representative, SESSION_TAG_LENGTH);
  body.set(keyMac, SESSION_TAG_LENGTH + KEY_LENGTH);
  body.set(c, SESSION_TAG_LENGTH + KEY_LENGTH + keyMac.length);
  return { body, chainKey: ck, kab, kba };
}

export interface NewSessionReplyIn extends ReplyKeys {
  payload: Uint8Array;
}

/** Opens an NSR (Alice) with the state kept from the NS it answers. Throws GarlicError only. */
export function decryptNewSessionReply(args: {
  chainKey: Uint8Array;
  hash: Uint8Array;
  aliceEphemeralPrivateKey: Uint8Array;
  aliceStaticPrivateKey: Uint8Array;
  body: Uint8Array;
}): NewSessionReplyIn {
  const { body } = args;
  if (body.length < NSR_OVERHEAD) throw new GarlicError('MALFORMED', `NSR of ${body.length} bytes is under ${NSR_OVERHEAD}`);
  if (body.length - NSR_OVERHEAD > MAX_PAYLOAD_LENGTH) throw new GarlicError('MALFORMED', `NSR of ${body.length} bytes exceeds one ChaChaPoly frame`);
  const tag = body.subarray(0, SESSION_TAG_LENGTH);
  const bepk = decodeEphemeral(body.subarray(SESSION_TAG_LENGTH, SESSION_TAG_LENGTH + KEY_LENGTH));
  const ee = dh(args.aliceEphemeralPrivateKey, bepk);
  const se = dh(args.aliceStaticPrivateKey, bepk);
  const state = replyKdf(args.chainKey, args.hash, tag, bepk, ee, se);
  const macAt = SESSION_TAG_LENGTH + KEY_LENGTH;
  decrypt(state, body.subarray(macAt, macAt + AEAD_TAG_LENGTH), 'NSR key section');
  const ck = state.chainingKey;
  const { kab, kba } = splitKeys(ck);
  let payload: Uint8Array;
  try {
    payload = chacha20Poly1305DecryptN(attachPayloadKey(kba), 0, body.subarray(macAt + AEAD_TAG_LENGTH), state.handshakeHash);
  } catch (e) {
    if (e instanceof CryptoError) throw new GarlicError('AUTH_FAILED', 'NSR payload section: AEAD verification failed', { cause: e });
    throw e;
  }
  return { payload, chainKey: ck, kab, kba };
}

/** tag || ENCRYPT(key, n, payload, ad = tag). */
export function encryptExistingSession(tag: Uint8Array, key: Uint8Array, n: number, payload: Uint8Array): Uint8Array {
  checkPayloadSize(payload);
  const c = chacha20Poly1305EncryptN(key, n, payload, tag);
  const body = new Uint8Array(SESSION_TAG_LENGTH + c.length);
  body.set(tag, 0);
  body.set(c, SESSION_TAG_LENGTH);
  return body;
}

export function decryptExistingSession(key: Uint8Array, n: number, body: Uint8Array): Uint8Array {
  if (body.length < ES_OVERHEAD) throw new GarlicError('MALFORMED', `ES of ${body.length} bytes is under ${ES_OVERHEAD}`);
  if (body.length - ES_OVERHEAD > MAX_PAYLOAD_LENGTH) throw new GarlicError('MALFORMED', `ES of ${body.length} bytes exceeds one ChaChaPoly frame`);
  try {
    return chacha20Poly1305DecryptN(key, n, body.subarray(SESSION_TAG_LENGTH), body.subarray(0, SESSION_TAG_LENGTH));
  } catch (e) {
    if (e instanceof CryptoError) throw new GarlicError('AUTH_FAILED', 'ES: AEAD verification failed', { cause: e });
    throw e;
  }
}
