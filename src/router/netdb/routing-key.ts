import { sha256 } from '../crypto/index.js';

/**
 * Kademlia keys of the network database (network-database.html, "Routing keys"): a router's
 * or a destination's place in the keyspace is SHA-256(hash ‖ the UTC date as "yyyyMMdd" in
 * ASCII), so it moves every midnight UTC and an attacker cannot camp next to a key for long.
 * Closeness is the XOR distance between that routing key and a peer's plain router hash,
 * compared as a 256-bit big-endian number.
 */

const HASH_LENGTH = 32;

function checkHash(h: Uint8Array, what: string): void {
  if (h.length !== HASH_LENGTH) throw new RangeError(`${what} must be ${HASH_LENGTH} bytes, got ${h.length}`);
}

/** The UTC date of `now` (ms since the epoch) as "yyyyMMdd". */
export function routingKeyDate(now: number): string {
  if (!Number.isFinite(now)) throw new RangeError(`time must be finite, got ${now}`);
  const d = new Date(now);
  const y = d.getUTCFullYear();
  if (y < 0 || y > 9999) throw new RangeError(`year ${y} does not fit yyyyMMdd`);
  return `${String(y).padStart(4, '0')}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
}

/** The routing key of a 32-byte router or destination hash on the UTC day of `now`. */
export function routingKey(hash: Uint8Array, now: number): Uint8Array {
  checkHash(hash, 'hash');
  return sha256(hash, new TextEncoder().encode(routingKeyDate(now)));
}

/** a XOR b, for two 32-byte keys. */
export function xorDistance(a: Uint8Array, b: Uint8Array): Uint8Array {
  checkHash(a, 'a');
  checkHash(b, 'b');
  const out = new Uint8Array(HASH_LENGTH);
  for (let i = 0; i < HASH_LENGTH; i++) out[i] = a[i] ^ b[i];
  return out;
}

/** Compares two distances (or any equal-length byte strings) as big-endian numbers: -1, 0, 1. */
export function compareDistance(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new RangeError(`cannot compare ${a.length} bytes with ${b.length}`);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

/** Which of `a` and `b` is closer to `key`: negative for a, positive for b, 0 if the same. */
export function compareByDistance(key: Uint8Array, a: Uint8Array, b: Uint8Array): number {
  return compareDistance(xorDistance(key, a), xorDistance(key, b));
}

/**
 * The `n` of `hashes` closest to `key` by XOR distance, nearest first; ties keep input order.
 * `key` is a routing key and `hashes` are router hashes as they are: the spec transforms "only
 * the search key [...], not the floodfill router hashes" (network-database.html), and Java
 * I2P and i2pd both compare routingKey(target) with raw peer hashes.
 */
export function closest(key: Uint8Array, hashes: Iterable<Uint8Array>, n: number): Uint8Array[] {
  return closestBy(key, hashes, n);
}

/** The `n` of `hashes` closest to the routing key of `target` on the UTC day of `now`. */
export function closestToTarget(target: Uint8Array, hashes: Iterable<Uint8Array>, n: number, now: number): Uint8Array[] {
  return closestBy(routingKey(target, now), hashes, n);
}

function closestBy(key: Uint8Array, hashes: Iterable<Uint8Array>, n: number): Uint8Array[] {
  checkHash(key, 'key');
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer, got ${n}`);
  if (n === 0) return [];
  // Sort everything: O(m log m) for any n, and m (the netDb) is capped at a few thousand.
  const best: { hash: Uint8Array; distance: Uint8Array }[] = [];
  for (const hash of hashes) best.push({ hash, distance: xorDistance(key, hash) });
  best.sort((x, y) => compareDistance(x.distance, y.distance)); // stable: ties keep input order
  best.length = Math.min(best.length, n);
  return best.map((b) => b.hash);
}
