/**
 * Key and signature type tables from common-structures.rst (Key Certificates, PublicKey,
 * SigningPublicKey, SigningPrivateKey, Signature). Lengths in bytes.
 */

export const CRYPTO_ELGAMAL = 0;
export const CRYPTO_X25519 = 4;

export const SIG_DSA_SHA1 = 0;
export const SIG_ED25519 = 7;
export const SIG_REDDSA_ED25519 = 11;

export interface SigTypeInfo {
  name: string;
  publicKeyLength: number;
  privateKeyLength: number;
  signatureLength: number;
}

const SIG_TYPES: ReadonlyMap<number, SigTypeInfo> = new Map([
  [0, { name: 'DSA_SHA1', publicKeyLength: 128, privateKeyLength: 20, signatureLength: 40 }],
  [1, { name: 'ECDSA_SHA256_P256', publicKeyLength: 64, privateKeyLength: 32, signatureLength: 64 }],
  [2, { name: 'ECDSA_SHA384_P384', publicKeyLength: 96, privateKeyLength: 48, signatureLength: 96 }],
  [3, { name: 'ECDSA_SHA512_P521', publicKeyLength: 132, privateKeyLength: 66, signatureLength: 132 }],
  [4, { name: 'RSA_SHA256_2048', publicKeyLength: 256, privateKeyLength: 512, signatureLength: 256 }],
  [5, { name: 'RSA_SHA384_3072', publicKeyLength: 384, privateKeyLength: 768, signatureLength: 384 }],
  [6, { name: 'RSA_SHA512_4096', publicKeyLength: 512, privateKeyLength: 1024, signatureLength: 512 }],
  [7, { name: 'EdDSA_SHA512_Ed25519', publicKeyLength: 32, privateKeyLength: 32, signatureLength: 64 }],
  [8, { name: 'EdDSA_SHA512_Ed25519ph', publicKeyLength: 32, privateKeyLength: 32, signatureLength: 64 }],
  [11, { name: 'RedDSA_SHA512_Ed25519', publicKeyLength: 32, privateKeyLength: 32, signatureLength: 64 }],
]);

export interface CryptoTypeInfo {
  name: string;
  publicKeyLength: number;
  privateKeyLength: number;
}

// Types 5-7 (ML-KEM hybrids) are leaseset-only; they are listed so a LeaseSet2 key's length
// can be checked, not because a KeysAndCert may carry them.
const CRYPTO_TYPES: ReadonlyMap<number, CryptoTypeInfo> = new Map([
  [0, { name: 'ElGamal', publicKeyLength: 256, privateKeyLength: 256 }],
  [1, { name: 'P256', publicKeyLength: 64, privateKeyLength: 32 }],
  [2, { name: 'P384', publicKeyLength: 96, privateKeyLength: 48 }],
  [3, { name: 'P521', publicKeyLength: 132, privateKeyLength: 66 }],
  [4, { name: 'X25519', publicKeyLength: 32, privateKeyLength: 32 }],
  [5, { name: 'MLKEM512_X25519', publicKeyLength: 32, privateKeyLength: 32 }],
  [6, { name: 'MLKEM768_X25519', publicKeyLength: 32, privateKeyLength: 32 }],
  [7, { name: 'MLKEM1024_X25519', publicKeyLength: 32, privateKeyLength: 32 }],
]);

/** Crypto types a KeysAndCert may name (the hybrids are for leasesets only). */
export const IDENTITY_CRYPTO_TYPES: readonly number[] = [0, 1, 2, 3, 4];

export function sigTypeInfo(type: number): SigTypeInfo | undefined {
  return SIG_TYPES.get(type);
}

export function cryptoTypeInfo(type: number): CryptoTypeInfo | undefined {
  return CRYPTO_TYPES.get(type);
}

export const KNOWN_SIG_TYPES: readonly number[] = [...SIG_TYPES.keys()];
