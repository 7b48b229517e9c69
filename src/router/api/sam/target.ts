/**
 * Where a STREAM CONNECT, a datagram or a NAMING LOOKUP points: a full base64 Destination, a
 * b32 address, or an address-book name (samv3.html accepts all three since 0.9.48). Names are
 * looked up in the router's address book only: never DNS.
 */
import { decodeDestination, keysAndCertHash, type Destination } from '../../data/index.js';
import type { SamBackend } from './backend.js';
import { decodeSamBase64 } from './keys.js';

export class SamTargetError extends Error {
  override readonly name = 'SamTargetError';
  constructor(
    readonly code: 'INVALID_KEY' | 'KEY_NOT_FOUND',
    message: string,
  ) {
    super(message);
  }
}

export interface Target {
  hash: Uint8Array;
  /** Known when the client gave it in full or the address book holds it. */
  destination?: Destination;
}

/** Longest text we try to read as a destination (616 base64 characters, plus slack for padding). */
const MAX_DESTINATION_TEXT = 1024;

export async function resolveTarget(text: string, backend: Pick<SamBackend, 'resolveName'>): Promise<Target> {
  if (text === '') throw new SamTargetError('INVALID_KEY', 'no destination given');
  if (/\.i2p$/i.test(text)) {
    let r;
    try {
      r = await backend.resolveName(text);
    } catch (e) {
      throw new SamTargetError('INVALID_KEY', (e as Error).message);
    }
    if (!r) throw new SamTargetError('KEY_NOT_FOUND', `${text} is not in the address book`);
    return r.kind === 'name' ? { hash: r.hash, destination: r.destination } : { hash: r.hash };
  }
  if (text.length > MAX_DESTINATION_TEXT) throw new SamTargetError('INVALID_KEY', 'destination too long');
  let destination: Destination;
  try {
    destination = decodeDestination(decodeSamBase64(text, 'DESTINATION'));
  } catch (e) {
    throw new SamTargetError('INVALID_KEY', `not a destination, b32 address or .i2p name: ${(e as Error).message}`);
  }
  return { hash: keysAndCertHash(destination), destination };
}
