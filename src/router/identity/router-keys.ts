import { ed25519Generate, ed25519PublicKey, x25519Generate, x25519PublicKey } from '../crypto/index.js';
import {
  createRouterIdentity,
  decodePrivateKeys,
  encodePrivateKeys,
  equalBytes,
  keysAndCertHash,
  keyTypes,
  type PrivateKeys,
  type RouterIdentity,
  CRYPTO_X25519,
  SIG_ED25519,
} from '../data/index.js';
import { readKeyFile, writeKeyFile } from '../../state/index.js';

/** A router's long-term keys: X25519 (crypto type 4) for encryption, Ed25519 (type 7) for signing. */
export interface RouterKeys {
  identity: RouterIdentity;
  /** SHA-256 of the identity: the router hash. */
  hash: Uint8Array;
  encryptionPrivateKey: Uint8Array;
  signingPrivateKey: Uint8Array;
}

export class RouterKeysError extends Error {
  override readonly name = 'RouterKeysError';
}

export function createRouterKeys(): RouterKeys {
  const enc = x25519Generate();
  const sig = ed25519Generate();
  const identity = createRouterIdentity(enc.publicKey, sig.publicKey);
  return { identity, hash: keysAndCertHash(identity), encryptionPrivateKey: enc.privateKey, signingPrivateKey: sig.privateKey };
}

/** The file layout is i2pd's router.keys (identity, then the private keys), so either tool reads it. */
export function encodeRouterKeys(keys: RouterKeys): Uint8Array {
  const pk: PrivateKeys = {
    destination: keys.identity,
    encryptionPrivateKey: keys.encryptionPrivateKey,
    signingPrivateKey: keys.signingPrivateKey,
  };
  return encodePrivateKeys(pk);
}

/**
 * Decodes a router.keys file and checks that its private keys belong to its identity: a file
 * whose halves disagree would sign RouterInfos no peer can verify.
 */
export function decodeRouterKeys(bytes: Uint8Array, what = 'router.keys'): RouterKeys {
  const pk = decodePrivateKeys(bytes);
  const { cryptoType, sigType } = keyTypes(pk.destination);
  if (cryptoType !== CRYPTO_X25519 || sigType !== SIG_ED25519 || pk.offline) {
    throw new RouterKeysError(`${what}: a router needs X25519 (type 4) and Ed25519 (type 7) keys, found crypto ${cryptoType}, signature ${sigType}`);
  }
  if (!equalBytes(ed25519PublicKey(pk.signingPrivateKey), pk.destination.signingPublicKey)) {
    throw new RouterKeysError(`${what}: the signing private key does not match the identity`);
  }
  if (!equalBytes(x25519PublicKey(pk.encryptionPrivateKey), pk.destination.publicKey)) {
    throw new RouterKeysError(`${what}: the encryption private key does not match the identity`);
  }
  return {
    identity: pk.destination,
    hash: keysAndCertHash(pk.destination),
    encryptionPrivateKey: pk.encryptionPrivateKey,
    signingPrivateKey: pk.signingPrivateKey,
  };
}

/** Loads the router's keys, creating (and durably writing, mode 0600) them on first use. */
export async function loadOrCreateRouterKeys(path: string): Promise<{ keys: RouterKeys; created: boolean }> {
  const existing = await readKeyFile(path);
  if (existing) return { keys: decodeRouterKeys(existing, path), created: false };
  const keys = createRouterKeys();
  await writeKeyFile(path, encodeRouterKeys(keys));
  return { keys, created: true };
}
