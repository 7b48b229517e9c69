import { createHash, createHmac, hkdfSync } from 'node:crypto';

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

export function hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** RFC 5869 HKDF with SHA-256. `info` may be a string (the I2P specs name their labels as text). */
export function hkdf(salt: Uint8Array, ikm: Uint8Array, info: Uint8Array | string, length: number): Uint8Array {
  const infoBytes = typeof info === 'string' ? new TextEncoder().encode(info) : info;
  return new Uint8Array(hkdfSync('sha256', ikm, salt, infoBytes, length));
}

/** Incremental SHA-256, for hashing data that arrives in pieces. */
export class Sha256Stream {
  private readonly h = createHash('sha256');
  private done = false;

  update(data: Uint8Array): this {
    if (this.done) throw new Error('Sha256Stream: digest() already called');
    this.h.update(data);
    return this;
  }

  digest(): Uint8Array {
    this.done = true;
    return new Uint8Array(this.h.digest());
  }
}
