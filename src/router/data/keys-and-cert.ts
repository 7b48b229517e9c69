import { randomBytes } from 'node:crypto';
import { sha256 } from '../crypto/hash.js';
import { ByteReader, ByteWriter, concatBytes, equalBytes } from './bytes.js';
import {
  type Certificate,
  CRYPTO_KEY_AREA,
  keyLayout,
  type KeyLayout,
  layoutFor,
  readCertificate,
  SIGNING_KEY_AREA,
  writeCertificate,
} from './certificate.js';
import { decodeFrom, type DecodeInput } from './codec.js';
import { EncodeError } from './errors.js';
import { CRYPTO_ELGAMAL, CRYPTO_X25519, SIG_ED25519 } from './key-types.js';

const KEY_AREA = CRYPTO_KEY_AREA + SIGNING_KEY_AREA;

/**
 * A KeysAndCert (RouterIdentity, Destination). The keys are whole (including any excess bytes
 * the certificate carries); `padding` is whatever lay between them, kept as a field because the
 * spec lets it be random (or, since 0.9.57, a repeated 32-byte pattern) and the hash covers it.
 */
export interface KeysAndCert {
  publicKey: Uint8Array;
  padding: Uint8Array;
  signingPublicKey: Uint8Array;
  certificate: Certificate;
}
export type RouterIdentity = KeysAndCert;
export type Destination = KeysAndCert;

function inlineLengths(layout: KeyLayout): { crypto: number; signing: number; padding: number } {
  const crypto = layout.cryptoKeyLength - layout.excessCrypto;
  const signing = layout.signingKeyLength - layout.excessSigning;
  return { crypto, signing, padding: KEY_AREA - crypto - signing };
}

export function readKeysAndCert(r: ByteReader, field = 'keysAndCert'): KeysAndCert {
  const area = r.view(`${field}.keys`, KEY_AREA);
  const certificate = readCertificate(r, `${field}.certificate`);
  const layout = keyLayout(certificate);
  const n = inlineLengths(layout);
  const excess = certificate.type === 'key' ? certificate.excess : new Uint8Array(0);
  // The crypto key sits at the start of the area, the signing key at its end.
  return {
    publicKey: concatBytes(area.subarray(0, n.crypto), excess.subarray(layout.excessSigning)),
    padding: area.slice(n.crypto, n.crypto + n.padding),
    signingPublicKey: concatBytes(area.subarray(KEY_AREA - n.signing), excess.subarray(0, layout.excessSigning)),
    certificate,
  };
}

export function writeKeysAndCert(w: ByteWriter, field: string, kc: KeysAndCert): void {
  const cert = kc.certificate;
  if (cert.type === 'key' && !layoutFor(cert.sigType, cert.cryptoType)) {
    throw new EncodeError(`${field}.certificate`, `unknown key types ${cert.sigType}/${cert.cryptoType}`);
  }
  const layout = keyLayout(cert);
  const n = inlineLengths(layout);
  checkLength(`${field}.publicKey`, kc.publicKey, layout.cryptoKeyLength);
  checkLength(`${field}.signingPublicKey`, kc.signingPublicKey, layout.signingKeyLength);
  checkLength(`${field}.padding`, kc.padding, n.padding);
  if (cert.type === 'key') {
    const excess = concatBytes(kc.signingPublicKey.subarray(n.signing), kc.publicKey.subarray(n.crypto));
    if (!equalBytes(excess, cert.excess)) {
      throw new EncodeError(`${field}.certificate.excess`, 'does not match the key bytes beyond the 384-byte area');
    }
  }
  w.bytes(kc.publicKey.subarray(0, n.crypto));
  w.bytes(kc.padding);
  w.bytes(kc.signingPublicKey.subarray(0, n.signing));
  writeCertificate(w, `${field}.certificate`, cert);
}

function checkLength(field: string, b: Uint8Array, n: number): void {
  if (!(b instanceof Uint8Array) || b.length !== n) {
    throw new EncodeError(field, `must be ${n} bytes, got ${b instanceof Uint8Array ? b.length : typeof b}`);
  }
}

export function decodeKeysAndCert(input: DecodeInput): KeysAndCert {
  return decodeFrom(input, 'keysAndCert', (r) => readKeysAndCert(r));
}

export function encodeKeysAndCert(kc: KeysAndCert): Uint8Array {
  const w = new ByteWriter(400);
  writeKeysAndCert(w, 'keysAndCert', kc);
  return w.finish();
}

export const decodeRouterIdentity = (input: DecodeInput): RouterIdentity =>
  decodeFrom(input, 'routerIdentity', (r) => readKeysAndCert(r, 'routerIdentity'));
export const decodeDestination = (input: DecodeInput): Destination =>
  decodeFrom(input, 'destination', (r) => readKeysAndCert(r, 'destination'));
export const encodeRouterIdentity = encodeKeysAndCert;
export const encodeDestination = encodeKeysAndCert;

/** SHA-256 of the whole encoding: a router's identity hash, a destination's hash. */
export function keysAndCertHash(kc: KeysAndCert): Uint8Array {
  return sha256(encodeKeysAndCert(kc));
}

/** Signing and crypto types named by the certificate (ElGamal/DSA_SHA1 without a KEY cert). */
export function keyTypes(kc: KeysAndCert): { sigType: number; cryptoType: number } {
  const { sigType, cryptoType } = keyLayout(kc.certificate);
  return { sigType, cryptoType };
}

/**
 * Proposal 161 padding: 32 random bytes repeated, so the structure compresses well in I2NP,
 * streaming and datagrams while the keys still give the hash its entropy.
 */
export function repeatingPadding(length: number, seed: Uint8Array = randomBytes(32)): Uint8Array {
  if (seed.length !== 32) throw new RangeError('padding seed must be 32 bytes');
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = seed[i % 32];
  return out;
}

/** A RouterIdentity as current routers make it: X25519 (type 4) + Ed25519 (type 7). */
export function createRouterIdentity(x25519PublicKey: Uint8Array, ed25519PublicKey: Uint8Array): RouterIdentity {
  checkLength('routerIdentity.publicKey', x25519PublicKey, 32);
  checkLength('routerIdentity.signingPublicKey', ed25519PublicKey, 32);
  return {
    publicKey: x25519PublicKey.slice(),
    padding: repeatingPadding(KEY_AREA - 64),
    signingPublicKey: ed25519PublicKey.slice(),
    certificate: { type: 'key', sigType: SIG_ED25519, cryptoType: CRYPTO_X25519, excess: new Uint8Array(0) },
  };
}

/**
 * A Destination as i2pd writes it: crypto type 0 in the certificate with the unused 256-byte
 * key field filled by the same repeating pattern as the padding (the real X25519 key goes in the
 * LeaseSet2), Ed25519 signing.
 */
export function createDestination(ed25519PublicKey: Uint8Array): Destination {
  checkLength('destination.signingPublicKey', ed25519PublicKey, 32);
  const filler = repeatingPadding(KEY_AREA - 32);
  return {
    publicKey: filler.slice(0, 256),
    padding: filler.slice(256),
    signingPublicKey: ed25519PublicKey.slice(),
    certificate: { type: 'key', sigType: SIG_ED25519, cryptoType: CRYPTO_ELGAMAL, excess: new Uint8Array(0) },
  };
}
