import { createHash, createHmac } from 'node:crypto';

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

/**
 * RFC 5869 HKDF with SHA-256. `info` may be a string (the I2P specs name their labels as text).
 * Built on HMAC rather than `hkdfSync`: the ratchet derives keys per message, and for these 32-
 * and 64-byte outputs hkdfSync's per-call setup (a KeyObject each time) costs twice as much.
 */
export function hkdf(salt: Uint8Array, ikm: Uint8Array, info: Uint8Array | string, length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 1 || length > 255 * 32) throw new RangeError(`hkdf: length ${length} is not 1..${255 * 32}`);
  const infoBytes = typeof info === 'string' ? new TextEncoder().encode(info) : info;
  const prk = createHmac('sha256', salt).update(ikm).digest();
  const blocks = Math.ceil(length / 32);
  const out = new Uint8Array(blocks * 32);
  let previous: Uint8Array = new Uint8Array(0);
  for (let i = 1; i <= blocks; i++) {
    previous = createHmac('sha256', prk).update(previous).update(infoBytes).update(Uint8Array.of(i)).digest();
    out.set(previous, (i - 1) * 32);
  }
  return length === out.length ? out : out.slice(0, length);
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
