import { createPublicKey, generateKeyPairSync, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { checkLength } from './errors.js';
import { KeyObjectCache, privateKeyObject, publicKeyObject, rawPrivateKey, rawPublicKey } from './key-objects.js';

const cache = new KeyObjectCache();

export interface Ed25519KeyPair {
  /** The 32-byte seed (the RFC 8032 private key). */
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

export function ed25519Generate(): Ed25519KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey: rawPrivateKey(privateKey), publicKey: rawPublicKey(publicKey) };
}

function privateKey(seed: Uint8Array) {
  return cache.get('ed-priv', seed, () => privateKeyObject('ed25519', seed));
}

export function ed25519PublicKey(seed: Uint8Array): Uint8Array {
  return rawPublicKey(createPublicKey(privateKey(seed)));
}

export function ed25519Sign(seed: Uint8Array, message: Uint8Array): Uint8Array {
  return new Uint8Array(nodeSign(null, message, privateKey(seed)));
}

/** Strict RFC 8032 verification (OpenSSL). A key that is not a curve point is simply invalid. */
export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  checkLength('Ed25519 public key', publicKey, 32);
  if (signature.length !== 64) return false;
  try {
    const key = cache.get('ed-pub', publicKey, () => publicKeyObject('ed25519', publicKey));
    return nodeVerify(null, message, key, signature);
  } catch {
    return false;
  }
}
