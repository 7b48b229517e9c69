/**
 * The key derivations of ECIES-X25519-AEAD-Ratchet (ecies.rst), one function per KDF box of the
 * spec, each named after it. HKDF(salt, ikm, info, n) is RFC 5869 with SHA-256; the spec's first
 * argument is always the salt. ZEROLEN input keying material is a zero-length ikm (HKDF-Extract
 * is then HMAC(salt, "") — what i2pd computes by hand for its "zerolen" case).
 */
import { hkdf } from '../../crypto/hash.js';
import { SESSION_TAG_LENGTH } from '../tag-store.js';

/** 40 bytes, so Noise hashes it: h = SHA256(name), ck = h, then h = SHA256(h) (empty prologue). */
export const RATCHET_PROTOCOL_NAME = 'Noise_IKelg2+hs2_25519_ChaChaPoly_SHA256';
export const KEY_LENGTH = 32;

const ZEROLEN = new Uint8Array(0);

/** What DH_INITIALIZE(rootKey, k) leaves for one tag set (ecies.rst "DH INITIALIZATION KDF"). */
export interface TagSetKeys {
  /** Root key for the next DH ratchet in the same direction. */
  nextRootKey: Uint8Array;
  /** sessTag_ck: input of the session tag ratchet (before "STInitialization"). */
  sessTagCk: Uint8Array;
  /** symmKey_ck: input of the symmetric key ratchet. */
  symmKeyCk: Uint8Array;
}

/**
 * DH_INITIALIZE(rootKey, k):
 *   keydata = HKDF(rootKey, k, "KDFDHRatchetStep", 64); nextRootKey = [0:32], ck = [32:64]
 *   keydata = HKDF(ck, ZEROLEN, "TagAndKeyGenKeys", 64); sessTag_ck = [0:32], symmKey_ck = [32:64]
 */
export function dhInitialize(rootKey: Uint8Array, k: Uint8Array): TagSetKeys {
  const kd = hkdf(rootKey, k, 'KDFDHRatchetStep', 64);
  const kd2 = hkdf(kd.subarray(32, 64), ZEROLEN, 'TagAndKeyGenKeys', 64);
  return { nextRootKey: kd.slice(0, 32), sessTagCk: kd2.slice(0, 32), symmKeyCk: kd2.slice(32, 64) };
}

/** RATCHET_TAG initialization: HKDF(sessTag_ck, ZEROLEN, "STInitialization", 64) → chain key, SESSTAG_CONSTANT. */
export function sessionTagInit(sessTagCk: Uint8Array): { chainKey: Uint8Array; constant: Uint8Array } {
  const kd = hkdf(sessTagCk, ZEROLEN, 'STInitialization', 64);
  return { chainKey: kd.slice(0, 32), constant: kd.slice(32, 64) };
}

/** KDF_ST: HKDF(chainKey, SESSTAG_CONSTANT, "SessionTagKeyGen", 64) → next chain key [0:32], tag [32:40]. */
export function sessionTagStep(chainKey: Uint8Array, constant: Uint8Array): { chainKey: Uint8Array; tag: Uint8Array } {
  const kd = hkdf(chainKey, constant, 'SessionTagKeyGen', 64);
  return { chainKey: kd.slice(0, 32), tag: kd.slice(32, 32 + SESSION_TAG_LENGTH) };
}

/** KDF_CK: HKDF(symmKey_ck, ZEROLEN, "SymmetricRatchet", 64) → next chain key [0:32], key [32:64]. */
export function symmetricKeyStep(chainKey: Uint8Array): { chainKey: Uint8Array; key: Uint8Array } {
  const kd = hkdf(chainKey, ZEROLEN, 'SymmetricRatchet', 64);
  return { chainKey: kd.slice(0, 32), key: kd.slice(32, 64) };
}

/** "KDF for Reply TagSet": tagsetKey = HKDF(chainKey, ZEROLEN, "SessionReplyTags", 32). */
export function nsrTagSetKeys(chainKey: Uint8Array): TagSetKeys {
  return dhInitialize(chainKey, hkdf(chainKey, ZEROLEN, 'SessionReplyTags', 32));
}

/** split(): keydata = HKDF(chainKey, ZEROLEN, "", 64); k_ab = [0:32], k_ba = [32:64]. */
export function splitKeys(chainKey: Uint8Array): { kab: Uint8Array; kba: Uint8Array } {
  const kd = hkdf(chainKey, ZEROLEN, '', 64);
  return { kab: kd.slice(0, 32), kba: kd.slice(32, 64) };
}

/** NSR payload key: HKDF(k_ba, ZEROLEN, "AttachPayloadKDF", 32). */
export function attachPayloadKey(kba: Uint8Array): Uint8Array {
  return hkdf(kba, ZEROLEN, 'AttachPayloadKDF', 32);
}

/** DH RATCHET KDF: tagsetKey = HKDF(sharedSecret, ZEROLEN, "XDHRatchetTagSet", 32). */
export function xdhTagSetKey(sharedSecret: Uint8Array): Uint8Array {
  return hkdf(sharedSecret, ZEROLEN, 'XDHRatchetTagSet', 32);
}

/** The 8 tag bytes as a map key (little-endian, as i2pd reads them into a uint64). */
export function tagKey(tag: Uint8Array, offset = 0): bigint {
  return new DataView(tag.buffer, tag.byteOffset + offset, SESSION_TAG_LENGTH).getBigUint64(0, true);
}
