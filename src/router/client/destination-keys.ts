import { ed25519Generate, x25519Generate, x25519PublicKey } from '../crypto/index.js';
import { b32FromHash, createDestination, decodePrivateKeys, encodePrivateKeys, keysAndCertHash, type Destination, type PrivateKeys } from '../data/index.js';
import { DecodeError } from '../data/errors.js';
import type { RandomSource } from '../runtime/index.js';

/**
 * A destination's keys. The Destination itself is what i2pd makes for an ECIES destination:
 * crypto type 0 in its certificate (the 256-byte key field unused) and Ed25519 signing; the
 * X25519 key that others encrypt to lives only in its LeaseSet2 (common-structures.rst).
 */
export interface DestinationKeys {
  privateKeys: PrivateKeys;
  /** The LeaseSet2's X25519 key pair (crypto type 4). */
  encryption: { privateKey: Uint8Array; publicKey: Uint8Array };
}

export function createDestinationKeys(random: RandomSource): DestinationKeys {
  const signing = ed25519Generate();
  const destination = createDestination(signing.publicKey);
  const x = x25519Generate();
  return {
    // The ElGamal-sized private key is never used; random bytes, as i2pd fills it.
    privateKeys: { destination, encryptionPrivateKey: random.bytes(256), signingPrivateKey: signing.privateKey },
    encryption: { privateKey: x.privateKey, publicKey: x.publicKey },
  };
}

export function destinationHash(d: Destination): Uint8Array {
  return keysAndCertHash(d);
}

export function destinationB32(d: Destination): string {
  return b32FromHash(keysAndCertHash(d));
}

/**
 * Our file format: i2pd's private-keys layout (so the first part is what SAM's DEST GENERATE
 * gives and i2pd reads), then the 32-byte X25519 private key of the LeaseSet2.
 */
export function encodeDestinationKeys(k: DestinationKeys): Uint8Array {
  const pk = encodePrivateKeys(k.privateKeys);
  const out = new Uint8Array(pk.length + 32);
  out.set(pk, 0);
  out.set(k.encryption.privateKey, pk.length);
  return out;
}

export function decodeDestinationKeys(bytes: Uint8Array): DestinationKeys {
  if (bytes.length < 32 + 387) throw new DecodeError('destinationKeys', 0, `${bytes.length} bytes is too short`);
  const privateKeys = decodePrivateKeys(bytes.subarray(0, bytes.length - 32));
  const privateKey = bytes.slice(bytes.length - 32);
  return { privateKeys, encryption: { privateKey, publicKey: x25519PublicKey(privateKey) } };
}
