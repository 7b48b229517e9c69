import { sha256 } from '../crypto/hash.js';
import { base32Decode, base32Encode } from './base32.js';
import { DecodeError } from './errors.js';

const SUFFIX = '.b32.i2p';

/** The b32 address of a destination hash: 52 base32 characters + ".b32.i2p". */
export function b32FromHash(hash: Uint8Array): string {
  if (hash.length !== 32) throw new RangeError(`b32 needs a 32-byte hash, got ${hash.length}`);
  return base32Encode(hash) + SUFFIX;
}

/** The b32 address of a destination given its encoded bytes (the hash covers all of them). */
export function b32FromDestinationBytes(destination: Uint8Array): string {
  return b32FromHash(sha256(destination));
}

/**
 * Parses "<52 chars>.b32.i2p" into the 32-byte destination hash. Host names are case-insensitive,
 * so upper case is accepted. Longer names (b33, encrypted leasesets) are refused here.
 */
export function parseB32Address(address: string): Uint8Array {
  const lower = address.toLowerCase();
  if (!lower.endsWith(SUFFIX)) throw new DecodeError('b32', 0, `does not end in ${SUFFIX}`);
  const label = lower.slice(0, -SUFFIX.length);
  if (label.length !== 52) {
    throw new DecodeError('b32', 0, `expected 52 base32 characters, got ${label.length}`);
  }
  return base32Decode(label, 'b32');
}

export function isB32Address(address: string): boolean {
  try {
    parseB32Address(address);
    return true;
  } catch {
    return false;
  }
}
