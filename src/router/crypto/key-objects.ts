import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { checkLength } from './errors.js';

// Node 20 has no raw import for X25519/Ed25519: the 32 raw bytes are wrapped in the fixed
// PKCS#8 / SPKI DER prefixes (RFC 8410).
const PKCS8_PREFIX = {
  x25519: Buffer.from('302e020100300506032b656e04220420', 'hex'),
  ed25519: Buffer.from('302e020100300506032b657004220420', 'hex'),
};
const SPKI_PREFIX = {
  x25519: Buffer.from('302a300506032b656e032100', 'hex'),
  ed25519: Buffer.from('302a300506032b6570032100', 'hex'),
};

export type Curve = 'x25519' | 'ed25519';

export function privateKeyObject(curve: Curve, raw: Uint8Array): KeyObject {
  checkLength(`${curve} private key`, raw, 32);
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX[curve], raw]), format: 'der', type: 'pkcs8' });
}

export function publicKeyObject(curve: Curve, raw: Uint8Array): KeyObject {
  checkLength(`${curve} public key`, raw, 32);
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX[curve], raw]), format: 'der', type: 'spki' });
}

export function rawPublicKey(key: KeyObject): Uint8Array {
  const der = key.export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(der.length - 32));
}

export function rawPrivateKey(key: KeyObject): Uint8Array {
  const der = key.export({ format: 'der', type: 'pkcs8' });
  return new Uint8Array(der.subarray(der.length - 32));
}

/**
 * Static keys are used for every handshake and signature: caching their KeyObjects avoids a DER
 * parse per operation. Bounded so that a stream of peer keys cannot grow it without limit.
 */
export class KeyObjectCache {
  private readonly entries = new Map<string, KeyObject>();
  constructor(private readonly limit = 1024) {}

  get(kind: string, raw: Uint8Array, make: () => KeyObject): KeyObject {
    const id = kind + Buffer.from(raw.buffer, raw.byteOffset, raw.length).toString('base64');
    let key = this.entries.get(id);
    if (key) return key;
    key = make();
    if (this.entries.size >= this.limit) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(id, key);
    return key;
  }
}
