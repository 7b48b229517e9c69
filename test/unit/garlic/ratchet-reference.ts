/**
 * An independent reading of ecies.rst's KDF boxes with @noble primitives only, for differential
 * tests of the ratchet engine. Written from the spec text, line by line; shares no code with
 * src/router/garlic/ratchet.
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { _map_to_curve_elligator2_curve25519, ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';

const utf8 = (s: string) => new TextEncoder().encode(s);
export const cat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const ZEROLEN = new Uint8Array(0);
const H = (...parts: Uint8Array[]) => sha256(cat(...parts));
export const HKDF = (salt: Uint8Array, ikm: Uint8Array, info: string, n: number) => hkdf(sha256, ikm, salt, utf8(info), n);
function nonce(n: number): Uint8Array {
  const out = new Uint8Array(12);
  new DataView(out.buffer).setBigUint64(4, BigInt(n), true);
  return out;
}
export const ENCRYPT = (k: Uint8Array, n: number, pt: Uint8Array, ad: Uint8Array) => chacha20poly1305(k, nonce(n), ad).encrypt(pt);
export const DECRYPT = (k: Uint8Array, n: number, ct: Uint8Array, ad: Uint8Array) => chacha20poly1305(k, nonce(n), ad).decrypt(ct);
export const DH = (priv: Uint8Array, pub: Uint8Array) => x25519.getSharedSecret(priv, pub);
export const DERIVE_PUBLIC = (priv: Uint8Array) => x25519.getPublicKey(priv);

/** DECODE_ELG2 via RFC 9380's map (noble), after masking the two random bits. */
export function DECODE_ELG2(rep: Uint8Array): Uint8Array {
  const r = rep.slice();
  r[31] &= 0x3f;
  let n = 0n;
  for (let i = 31; i >= 0; i--) n = (n << 8n) | BigInt(r[i]);
  const Fp = ed25519.Point.Fp;
  const { xMn, xMd } = _map_to_curve_elligator2_curve25519(n);
  let x = Fp.div(xMn, xMd);
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

export interface RefTagSet {
  nextRootKey: Uint8Array;
  /** tag_i and k_i of the tag set, i = 0..count-1. */
  entries: { tag: Uint8Array; key: Uint8Array }[];
}

/** DH_INITIALIZE, then RATCHET_TAG / RATCHET_KEY `count` times. */
export function DH_INITIALIZE(rootKey: Uint8Array, k: Uint8Array, count: number): RefTagSet {
  const keydata = HKDF(rootKey, k, 'KDFDHRatchetStep', 64);
  const nextRootKey = keydata.slice(0, 32);
  const ck = keydata.slice(32, 64);
  const kd2 = HKDF(ck, ZEROLEN, 'TagAndKeyGenKeys', 64);
  const sessTag_ck = kd2.slice(0, 32);
  let symmKey_ck = kd2.slice(32, 64);
  const init = HKDF(sessTag_ck, ZEROLEN, 'STInitialization', 64);
  let sessTag_chainKey = init.slice(0, 32);
  const SESSTAG_CONSTANT = init.slice(32, 64);
  const entries: { tag: Uint8Array; key: Uint8Array }[] = [];
  for (let i = 0; i < count; i++) {
    const kt = HKDF(sessTag_chainKey, SESSTAG_CONSTANT, 'SessionTagKeyGen', 64);
    sessTag_chainKey = kt.slice(0, 32);
    const kk = HKDF(symmKey_ck, ZEROLEN, 'SymmetricRatchet', 64);
    symmKey_ck = kk.slice(0, 32);
    entries.push({ tag: kt.slice(32, 40), key: kk.slice(32, 64) });
  }
  return { nextRootKey, entries };
}

export interface RefNs {
  body: Uint8Array;
  chainKey: Uint8Array;
  h: Uint8Array;
}

/** Alice's New Session (1b, with static key), ecies.rst "1f) KDFs for New Session Message". */
export function refNewSession(bpk: Uint8Array, ask: Uint8Array, aesk: Uint8Array, elg2_aepk: Uint8Array, payload: Uint8Array): RefNs {
  let h = sha256(utf8('Noise_IKelg2+hs2_25519_ChaChaPoly_SHA256'));
  let chainKey = h;
  h = sha256(h);
  h = H(h, bpk);
  const aepk = DERIVE_PUBLIC(aesk);
  h = H(h, aepk);
  let keydata = HKDF(chainKey, DH(aesk, bpk), '', 64);
  chainKey = keydata.slice(0, 32);
  let k = keydata.slice(32, 64);
  const apk = DERIVE_PUBLIC(ask);
  const c1 = ENCRYPT(k, 0, apk, h);
  h = H(h, c1);
  keydata = HKDF(chainKey, DH(ask, bpk), '', 64);
  chainKey = keydata.slice(0, 32);
  k = keydata.slice(32, 64);
  const c2 = ENCRYPT(k, 0, payload, h);
  h = H(h, c2);
  return { body: cat(elg2_aepk, c1, c2), chainKey, h };
}

/** One-time New Session (1d): zero flags section, payload under the same k with n = 1. */
export function refOneTime(bpk: Uint8Array, aesk: Uint8Array, elg2_aepk: Uint8Array, payload: Uint8Array): Uint8Array {
  let h = sha256(utf8('Noise_IKelg2+hs2_25519_ChaChaPoly_SHA256'));
  const chainKey = h;
  h = sha256(h);
  h = H(h, bpk);
  h = H(h, DERIVE_PUBLIC(aesk));
  const keydata = HKDF(chainKey, DH(aesk, bpk), '', 64);
  const k = keydata.slice(32, 64);
  const c1 = ENCRYPT(k, 0, new Uint8Array(32), h);
  h = H(h, c1);
  const c2 = ENCRYPT(k, 1, payload, h);
  return cat(elg2_aepk, c1, c2);
}

/** The NSR tag set Alice expects ("KDF for Reply TagSet"). */
export function refNsrTags(chainKey: Uint8Array, count: number): Uint8Array[] {
  const tagsetKey = HKDF(chainKey, ZEROLEN, 'SessionReplyTags', 32);
  return DH_INITIALIZE(chainKey, tagsetKey, count).entries.map((e) => e.tag);
}

export interface RefNsrOpened {
  payload: Uint8Array;
  /** tagset_ab (Alice → Bob) and tagset_ba (Bob → Alice) */
  ab: RefTagSet;
  ba: RefTagSet;
}

/** Alice opens Bob's NSR ("1g) New Session Reply format" KDFs). */
export function refOpenNsr(ns: RefNs, ask: Uint8Array, aesk: Uint8Array, body: Uint8Array, esCount: number): RefNsrOpened {
  const tag = body.slice(0, 8);
  let h = H(ns.h, tag);
  const bepk = DECODE_ELG2(body.slice(8, 40));
  h = H(h, bepk);
  let chainKey = HKDF(ns.chainKey, DH(aesk, bepk), '', 32); // "ee": keydata[0:31] only
  const keydata = HKDF(chainKey, DH(ask, bepk), '', 64); // "se"
  chainKey = keydata.slice(0, 32);
  const k = keydata.slice(32, 64);
  const mac = body.slice(40, 56);
  DECRYPT(k, 0, mac, h); // throws if the key section does not verify
  h = H(h, mac);
  const split = HKDF(chainKey, ZEROLEN, '', 64);
  const k_ab = split.slice(0, 32);
  const k_ba = split.slice(32, 64);
  const payloadKey = HKDF(k_ba, ZEROLEN, 'AttachPayloadKDF', 32);
  const payload = DECRYPT(payloadKey, 0, body.slice(56), h);
  return { payload, ab: DH_INITIALIZE(chainKey, k_ab, esCount), ba: DH_INITIALIZE(chainKey, k_ba, esCount) };
}

/** An ES: tag || ENCRYPT(k, N, payload, ad = tag). */
export function refEs(entry: { tag: Uint8Array; key: Uint8Array }, n: number, payload: Uint8Array): Uint8Array {
  return cat(entry.tag, ENCRYPT(entry.key, n, payload, entry.tag));
}
