import { b32FromHash, decodeDestination, i2pBase64Decode, i2pBase64Encode, keysAndCertHash, parseB32Address } from '../../router/data/index.js';
import { GarlicError } from './errors.js';

/** naming.html: a host name is at most 67 characters with its ".i2p". */
const MAX_NAME = 67;
/** A base64 destination: 387 bytes at least (516 characters), certificates up to ~100 bytes more. */
const MIN_DESTINATION_B64 = 516;
const MAX_DESTINATION_B64 = 1024;

/** Where an app wants to go, as the user or a peer list gave it. */
export type GarlicAddress =
  | { kind: 'b32'; hash: Uint8Array; b32: string }
  /** A 32-byte destination hash given in I2P base64 (44 characters) or as bytes: compact peer lists. */
  | { kind: 'hash'; hash: Uint8Array; b32: string }
  | { kind: 'name'; name: string }
  | { kind: 'destination'; base64: string; hash: Uint8Array; b32: string };

/**
 * Reads "xxx.b32.i2p", "name.i2p" (also ".i2p.alt"), a base64 destination, or a 32-byte hash
 * (base64 or bytes). Anything else is BAD_ADDRESS: nothing here ever reaches DNS.
 */
export function parseGarlicAddress(to: string | Uint8Array): GarlicAddress {
  if (to instanceof Uint8Array) {
    if (to.length !== 32) throw new GarlicError('BAD_ADDRESS', `a destination hash is 32 bytes, got ${to.length}`);
    return { kind: 'hash', hash: to.slice(), b32: b32FromHash(to) };
  }
  if (typeof to !== 'string') throw new GarlicError('BAD_ADDRESS', 'the address must be a string');
  let s = to.trim();
  if (s.length === 0) throw new GarlicError('BAD_ADDRESS', 'the address is empty');
  const lower = s.toLowerCase();
  if (lower.endsWith('.i2p.alt')) s = s.slice(0, -'.alt'.length);
  if (lower.endsWith('.b32.i2p') || lower.endsWith('.b32.i2p.alt')) {
    try {
      const hash = parseB32Address(s);
      return { kind: 'b32', hash, b32: b32FromHash(hash) };
    } catch (e) {
      throw new GarlicError('BAD_ADDRESS', `${short(to)} is not a b32 address: ${(e as Error).message}`);
    }
  }
  if (s.toLowerCase().endsWith('.i2p')) {
    const name = s.toLowerCase();
    if (name.length > MAX_NAME || !/^[a-z0-9][a-z0-9.-]*\.i2p$/.test(name)) throw new GarlicError('BAD_ADDRESS', `${short(to)} is not a valid .i2p host name`);
    return { kind: 'name', name };
  }
  if (s.length === 44 || s.length === 43) {
    const hash = decodeB64(s, to);
    if (hash.length !== 32) throw new GarlicError('BAD_ADDRESS', `${short(to)} is not a 32-byte hash`);
    return { kind: 'hash', hash, b32: b32FromHash(hash) };
  }
  if (s.length >= MIN_DESTINATION_B64 && s.length <= MAX_DESTINATION_B64) {
    const bytes = decodeB64(s, to);
    try {
      const d = decodeDestination(bytes);
      const hash = keysAndCertHash(d);
      return { kind: 'destination', base64: i2pBase64Encode(bytes), hash, b32: b32FromHash(hash) };
    } catch (e) {
      throw new GarlicError('BAD_ADDRESS', `${short(to)} is not a destination: ${(e as Error).message}`);
    }
  }
  throw new GarlicError('BAD_ADDRESS', `${short(to)} is not an I2P address (expected a .b32.i2p address, a .i2p name, a base64 destination or a 32-byte hash)`);
}

function decodeB64(s: string, original: string): Uint8Array {
  try {
    return i2pBase64Decode(s.length === 43 ? s + '=' : s, 'address');
  } catch (e) {
    throw new GarlicError('BAD_ADDRESS', `${short(original)} is not I2P base64: ${(e as Error).message}`);
  }
}

/** The b32 of a base64 destination (throws BAD_ADDRESS). */
export function b32OfDestination(base64: string): string {
  const a = parseGarlicAddress(base64);
  if (a.kind !== 'destination') throw new GarlicError('BAD_ADDRESS', 'not a base64 destination');
  return a.b32;
}

function short(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s);
}
