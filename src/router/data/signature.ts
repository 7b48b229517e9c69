import { ed25519Sign, ed25519Verify } from '../crypto/ed25519.js';
import { EncodeError } from './errors.js';
import { SIG_ED25519, sigTypeInfo } from './key-types.js';

/** Signature types this module can sign and verify. Others decode fine but cannot be checked. */
export function canVerify(sigType: number): boolean {
  return sigType === SIG_ED25519;
}

/** true/false for a supported type; undefined when the type cannot be verified here. */
export function verifyWithType(
  sigType: number,
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean | undefined {
  if (!canVerify(sigType)) return undefined;
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  return ed25519Verify(publicKey, message, signature);
}

export function signWithType(sigType: number, privateKey: Uint8Array, message: Uint8Array, field = 'signature'): Uint8Array {
  if (!canVerify(sigType)) {
    throw new EncodeError(field, `cannot sign with type ${sigType} (${sigTypeInfo(sigType)?.name ?? 'unknown'})`);
  }
  if (privateKey.length !== 32) throw new EncodeError(field, `Ed25519 private key must be 32 bytes, got ${privateKey.length}`);
  return ed25519Sign(privateKey, message);
}

/** Signature length for a type, for decoders (unknown types have no length: undefined). */
export function signatureLength(sigType: number): number | undefined {
  return sigTypeInfo(sigType)?.signatureLength;
}
