/**
 * SAM's keys: DEST GENERATE's PRIV and SESSION CREATE's DESTINATION are the base64 of a
 * private-keys file (common-structures.rst "Private Key File", i2pd's layout: encodePrivateKeys).
 * Our destinations also need the X25519 key of their LeaseSet2. With crypto type 4 in the
 * certificate (CRYPTO_TYPE=4, as i2pd makes it) that key is the file's own encryption private
 * key; with type 0 (the default, whose 256-byte key is unused) it is derived from the file's
 * secrets, so the same PRIV gives the same LeaseSet key in every session.
 */
import { ed25519Generate, ed25519PublicKey, sha256, x25519Generate, x25519PublicKey } from '../../crypto/index.js';
import {
  CRYPTO_ELGAMAL,
  CRYPTO_X25519,
  createDestination,
  decodePrivateKeys,
  encodeKeysAndCert,
  encodePrivateKeys,
  equalBytes,
  i2pBase64Decode,
  i2pBase64Encode,
  keyTypes,
  repeatingPadding,
  SIG_ED25519,
  sigTypeInfo,
  KNOWN_SIG_TYPES,
  type Destination,
  type PrivateKeys,
} from '../../data/index.js';
import type { DestinationKeys } from '../../client/destination-keys.js';
import type { RandomSource } from '../../runtime/index.js';

export class SamKeyError extends Error {
  override readonly name = 'SamKeyError';
  constructor(
    /** INVALID_KEY: not a private-keys file; I2P_ERROR: a valid one we cannot use. */
    readonly code: 'INVALID_KEY' | 'I2P_ERROR',
    message: string,
  ) {
    super(message);
  }
}

/** Signature types we can sign with. */
export const SUPPORTED_SIG_TYPES: readonly number[] = [SIG_ED25519];
/** The spec's default is DSA_SHA1, which we cannot sign with: every modern client asks for 7 anyway. */
export const DEFAULT_SIG_TYPE = SIG_ED25519;

/** SIGNATURE_TYPE by number ("7") or by name ("EdDSA_SHA512_Ed25519", any case); undefined when unknown. */
export function resolveSignatureType(value: string): number | undefined {
  if (/^\d{1,5}$/.test(value)) {
    const n = Number(value);
    return KNOWN_SIG_TYPES.includes(n) ? n : undefined;
  }
  const lower = value.toLowerCase();
  for (const t of KNOWN_SIG_TYPES) if (sigTypeInfo(t)!.name.toLowerCase() === lower) return t;
  return undefined;
}

/** The signature type a SIGNATURE_TYPE option asks for, refused with a reason when we cannot do it. */
export function chooseSignatureType(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_SIG_TYPE;
  const t = resolveSignatureType(value);
  if (t === undefined) throw new SamKeyError('I2P_ERROR', `unknown SIGNATURE_TYPE ${value}`);
  if (!SUPPORTED_SIG_TYPES.includes(t)) {
    throw new SamKeyError('I2P_ERROR', `SIGNATURE_TYPE ${sigTypeInfo(t)!.name} (${t}) is not supported: use 7 (EdDSA_SHA512_Ed25519)`);
  }
  return t;
}

export function chooseCryptoType(value: string | undefined): number {
  if (value === undefined || value === '') return CRYPTO_ELGAMAL;
  if (value === '0' || value === '4') return Number(value);
  throw new SamKeyError('I2P_ERROR', `CRYPTO_TYPE ${value} is not supported: use 4 (ECIES-X25519) or 0`);
}

/** A new destination: Ed25519, crypto type 0 (unused key field) or 4 (the X25519 key in the certificate). */
export function generatePrivateKeys(cryptoType: number, random: RandomSource): PrivateKeys {
  const signing = ed25519Generate();
  if (cryptoType === CRYPTO_X25519) {
    const x = x25519Generate();
    const destination: Destination = {
      publicKey: x.publicKey,
      padding: repeatingPadding(384 - 64),
      signingPublicKey: signing.publicKey,
      certificate: { type: 'key', sigType: SIG_ED25519, cryptoType: CRYPTO_X25519, excess: new Uint8Array(0) },
    };
    return { destination, encryptionPrivateKey: x.privateKey, signingPrivateKey: signing.privateKey };
  }
  // The 256-byte key of a type-0 destination is never used; random bytes, as i2pd writes it.
  return { destination: createDestination(signing.publicKey), encryptionPrivateKey: random.bytes(256), signingPrivateKey: signing.privateKey };
}

/** The LeaseSet2's X25519 pair for these keys (see the file comment). */
export function destinationKeysFor(pk: PrivateKeys): DestinationKeys {
  const privateKey = keyTypes(pk.destination).cryptoType === CRYPTO_X25519 ? pk.encryptionPrivateKey.slice() : sha256(new TextEncoder().encode('anon SAM X25519 v1'), pk.encryptionPrivateKey, pk.signingPrivateKey);
  return { privateKeys: pk, encryption: { privateKey, publicKey: x25519PublicKey(privateKey) } };
}

/** Base64 as clients send it; some drop the '=' padding (they split replies on '='). */
export function decodeSamBase64(text: string, field: string): Uint8Array {
  const padded = text.length % 4 === 0 ? text : text + '='.repeat(4 - (text.length % 4));
  return i2pBase64Decode(padded, field);
}

/** SESSION CREATE's DESTINATION: a private-keys file we can run a destination with. */
export function parseSamPrivateKeys(base64: string): PrivateKeys {
  let pk: PrivateKeys;
  try {
    pk = decodePrivateKeys(decodeSamBase64(base64, 'DESTINATION'));
  } catch (e) {
    throw new SamKeyError('INVALID_KEY', `not a private key: ${(e as Error).message}`);
  }
  const { sigType, cryptoType } = keyTypes(pk.destination);
  if (!SUPPORTED_SIG_TYPES.includes(sigType)) {
    throw new SamKeyError('I2P_ERROR', `signature type ${sigTypeInfo(sigType)?.name ?? sigType} is not supported: use 7 (EdDSA_SHA512_Ed25519)`);
  }
  if (cryptoType !== CRYPTO_ELGAMAL && cryptoType !== CRYPTO_X25519) throw new SamKeyError('I2P_ERROR', `crypto type ${cryptoType} is not supported`);
  if (pk.offline) throw new SamKeyError('I2P_ERROR', 'offline-signed keys are not supported');
  if (!equalBytes(ed25519PublicKey(pk.signingPrivateKey), pk.destination.signingPublicKey)) {
    throw new SamKeyError('INVALID_KEY', 'the signing private key does not belong to the destination');
  }
  if (cryptoType === CRYPTO_X25519 && !equalBytes(x25519PublicKey(pk.encryptionPrivateKey), pk.destination.publicKey)) {
    throw new SamKeyError('INVALID_KEY', 'the encryption private key does not belong to the destination');
  }
  return pk;
}

export function privateKeysBase64(pk: PrivateKeys): string {
  return i2pBase64Encode(encodePrivateKeys(pk));
}

export function destinationBase64(d: Destination): string {
  return i2pBase64Encode(encodeKeysAndCert(d));
}
