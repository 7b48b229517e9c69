import { createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto';
import { CryptoError } from './errors.js';
import { KeyObjectCache, privateKeyObject, publicKeyObject, rawPrivateKey, rawPublicKey } from './key-objects.js';

const cache = new KeyObjectCache();

export interface X25519KeyPair {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

export function x25519Generate(): X25519KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  return { privateKey: rawPrivateKey(privateKey), publicKey: rawPublicKey(publicKey) };
}

export function x25519PublicKey(privateKey: Uint8Array): Uint8Array {
  const priv = cache.get('x-priv', privateKey, () => privateKeyObject('x25519', privateKey));
  return rawPublicKey(createPublicKey(priv));
}

/**
 * X25519(privateKey, publicKey). OpenSSL refuses a low-order peer key (an all-zero shared
 * secret); that becomes a typed error so the caller can drop the peer.
 */
export function x25519(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  const priv = cache.get('x-priv', privateKey, () => privateKeyObject('x25519', privateKey));
  const pub = publicKeyObject('x25519', publicKey);
  try {
    return new Uint8Array(diffieHellman({ privateKey: priv, publicKey: pub }));
  } catch {
    throw new CryptoError('LOW_ORDER_POINT', 'X25519: the peer key is a low-order point');
  }
}

/**
 * X25519 with a one-time private key (an ephemeral of a build record, a garlic message): no
 * KeyObject is cached, so the key does not outlive its use in our memory (forward secrecy),
 * nor push the long-term keys out of the cache.
 */
export function x25519Once(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  const priv = privateKeyObject('x25519', privateKey);
  const pub = publicKeyObject('x25519', publicKey);
  try {
    return new Uint8Array(diffieHellman({ privateKey: priv, publicKey: pub }));
  } catch {
    throw new CryptoError('LOW_ORDER_POINT', 'X25519: the peer key is a low-order point');
  }
}

/** The public key of a one-time private key, without caching it (see x25519Once). */
export function x25519PublicKeyOnce(privateKey: Uint8Array): Uint8Array {
  return rawPublicKey(createPublicKey(privateKeyObject('x25519', privateKey)));
}
