import { x25519Generate, x25519PublicKey } from '../crypto/index.js';
import { equalBytes } from '../data/index.js';
import { readKeyFile, writeKeyFile } from '../../state/index.js';

/**
 * The NTCP2 static key and IV a router publishes as `s` and `i` in its NTCP2 address. They are
 * long-lived (peers cache our RouterInfo), so they are kept in their own 0600 file:
 * private key (32) ‖ public key (32) ‖ IV (16).
 */
export interface Ntcp2Keys {
  staticPrivateKey: Uint8Array;
  staticPublicKey: Uint8Array;
  iv: Uint8Array;
}

const FILE_LENGTH = 80;

export class Ntcp2KeysError extends Error {
  override readonly name = 'Ntcp2KeysError';
}

export function createNtcp2Keys(random: (n: number) => Uint8Array): Ntcp2Keys {
  const { privateKey, publicKey } = x25519Generate();
  return { staticPrivateKey: privateKey, staticPublicKey: publicKey, iv: random(16) };
}

export function encodeNtcp2Keys(k: Ntcp2Keys): Uint8Array {
  const out = new Uint8Array(FILE_LENGTH);
  out.set(k.staticPrivateKey, 0);
  out.set(k.staticPublicKey, 32);
  out.set(k.iv, 64);
  return out;
}

export function decodeNtcp2Keys(bytes: Uint8Array, what = 'ntcp2.keys'): Ntcp2Keys {
  if (bytes.length !== FILE_LENGTH) throw new Ntcp2KeysError(`${what}: expected ${FILE_LENGTH} bytes, found ${bytes.length}`);
  const k = { staticPrivateKey: bytes.slice(0, 32), staticPublicKey: bytes.slice(32, 64), iv: bytes.slice(64, 80) };
  if (!equalBytes(x25519PublicKey(k.staticPrivateKey), k.staticPublicKey)) {
    throw new Ntcp2KeysError(`${what}: the static private key does not match its public key`);
  }
  return k;
}

export async function loadOrCreateNtcp2Keys(path: string, random: (n: number) => Uint8Array): Promise<Ntcp2Keys> {
  const existing = await readKeyFile(path);
  if (existing) return decodeNtcp2Keys(existing, path);
  const keys = createNtcp2Keys(random);
  await writeKeyFile(path, encodeNtcp2Keys(keys));
  return keys;
}
