import { randomBytes } from 'node:crypto';
import { ed25519Generate } from '../crypto/ed25519.js';
import { ByteReader, ByteWriter } from './bytes.js';
import { decodeFrom, type DecodeInput } from './codec.js';
import { EncodeError } from './errors.js';
import { CRYPTO_X25519, sigTypeInfo } from './key-types.js';
import { createDestination, type Destination, keyTypes, readKeysAndCert, writeKeysAndCert } from './keys-and-cert.js';
import {
  type OfflineSignature,
  offlineSignedBytes,
  readOfflineSignature,
  verifyOfflineSignature,
} from './offline-signature.js';

/**
 * i2pd's private-keys file (e.g. eepsite-keys.dat, also SAM's DEST GENERATE output):
 * the Destination, the encryption private key (32 bytes for crypto type 4, else 256), the
 * signing private key (length by signature type). A signing key of all zeros means offline
 * keys: an OfflineSignature block and the transient signing private key follow.
 */
export interface PrivateKeys {
  destination: Destination;
  encryptionPrivateKey: Uint8Array;
  /** All zeros when `offline` is set (the long-term key is kept elsewhere). */
  signingPrivateKey: Uint8Array;
  offline?: {
    signature: OfflineSignature;
    transientSigningPrivateKey: Uint8Array;
  };
}

function encryptionPrivateKeyLength(destination: Destination): number {
  return keyTypes(destination).cryptoType === CRYPTO_X25519 ? 32 : 256;
}

function signingPrivateKeyLength(destination: Destination): number {
  return (sigTypeInfo(keyTypes(destination).sigType) as { privateKeyLength: number }).privateKeyLength;
}

const allZero = (b: Uint8Array): boolean => b.every((x) => x === 0);

export function readPrivateKeys(r: ByteReader, field = 'privateKeys'): PrivateKeys {
  const destination = readKeysAndCert(r, `${field}.destination`);
  const encryptionPrivateKey = r.bytesOf(`${field}.encryptionPrivateKey`, encryptionPrivateKeyLength(destination));
  const signingPrivateKey = r.bytesOf(`${field}.signingPrivateKey`, signingPrivateKeyLength(destination));
  if (!allZero(signingPrivateKey)) return { destination, encryptionPrivateKey, signingPrivateKey };

  const at = r.offset;
  const signature = readOfflineSignature(r, `${field}.offlineSignature`, keyTypes(destination).sigType);
  // As i2pd does: a keys file whose offline signature does not verify is refused.
  const status = verifyOfflineSignature(destination, signature);
  if (status === undefined) {
    r.fail(`${field}.offlineSignature`, `cannot verify signature type ${keyTypes(destination).sigType}`, at);
  }
  if (!status) r.fail(`${field}.offlineSignature`, 'signature does not verify', at);
  const transientInfo = sigTypeInfo(signature.transientSigType) as { privateKeyLength: number };
  const transientSigningPrivateKey = r.bytesOf(`${field}.transientSigningPrivateKey`, transientInfo.privateKeyLength);
  return { destination, encryptionPrivateKey, signingPrivateKey, offline: { signature, transientSigningPrivateKey } };
}

export function writePrivateKeys(w: ByteWriter, pk: PrivateKeys, field = 'privateKeys'): void {
  writeKeysAndCert(w, `${field}.destination`, pk.destination);
  w.fixed(`${field}.encryptionPrivateKey`, pk.encryptionPrivateKey, encryptionPrivateKeyLength(pk.destination));
  w.fixed(`${field}.signingPrivateKey`, pk.signingPrivateKey, signingPrivateKeyLength(pk.destination));
  // The all-zero key is the offline marker, so the two must agree or the file decodes differently.
  if (allZero(pk.signingPrivateKey) !== (pk.offline !== undefined)) {
    throw new EncodeError(`${field}.signingPrivateKey`, 'must be all zeros exactly when offline keys are present');
  }
  if (pk.offline) {
    const o = pk.offline.signature;
    w.bytes(offlineSignedBytes(o, `${field}.offlineSignature`));
    const sigLen = (sigTypeInfo(keyTypes(pk.destination).sigType) as { signatureLength: number }).signatureLength;
    w.fixed(`${field}.offlineSignature.signature`, o.signature, sigLen);
    const transientLen = (sigTypeInfo(o.transientSigType) as { privateKeyLength: number }).privateKeyLength;
    w.fixed(`${field}.transientSigningPrivateKey`, pk.offline.transientSigningPrivateKey, transientLen);
  }
}

export function decodePrivateKeys(input: DecodeInput): PrivateKeys {
  return decodeFrom(input, 'privateKeys', (r) => readPrivateKeys(r));
}

export function encodePrivateKeys(pk: PrivateKeys): Uint8Array {
  const w = new ByteWriter(700);
  writePrivateKeys(w, pk);
  return w.finish();
}

/** The key that signs for this destination now: the transient one when offline keys are used. */
export function activeSigningPrivateKey(pk: PrivateKeys): Uint8Array {
  return pk.offline ? pk.offline.transientSigningPrivateKey : pk.signingPrivateKey;
}

/**
 * A fresh keys file in i2pd's shape: Ed25519 destination with crypto type 0. The 256-byte
 * encryption private key is random filler: a type-0 destination's key is never used (the
 * LeaseSet2 carries the real X25519 key, whose private half the caller keeps separately).
 */
export function createPrivateKeys(): PrivateKeys {
  const signing = ed25519Generate();
  return {
    destination: createDestination(signing.publicKey),
    encryptionPrivateKey: new Uint8Array(randomBytes(256)),
    signingPrivateKey: signing.privateKey,
  };
}
