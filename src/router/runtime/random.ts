import { createCipheriv, createHash, randomFillSync, randomInt } from 'node:crypto';
import type { Cipher } from 'node:crypto';
import { RuntimeError } from './errors.js';

/** Randomness, from outside: real for a router, seeded for a reproducible simulation. */
export interface RandomSource {
  /** `n` fresh random bytes. */
  bytes(n: number): Uint8Array;
  /** A uniform integer in [0, maxExclusive); maxExclusive in 1..2^48. */
  int(maxExclusive: number): number;
}

const MAX_INT_RANGE = 2 ** 48;
const MAX_BYTES = 1 << 30;

function checkCount(n: number): void {
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_BYTES) throw new RuntimeError('EINVAL', `byte count ${n} out of range`);
}

function checkRange(maxExclusive: number): void {
  if (!Number.isSafeInteger(maxExclusive) || maxExclusive < 1 || maxExclusive > MAX_INT_RANGE) {
    throw new RuntimeError('EINVAL', `int range must be an integer in 1..2^48, got ${maxExclusive}`);
  }
}

/** The OS CSPRNG. The only source fit for keys. */
export const cryptoRandom: RandomSource = {
  bytes(n) {
    checkCount(n);
    // A fresh array, never a slice of Node's pooled Buffer.
    const out = new Uint8Array(n);
    randomFillSync(out);
    return out;
  },
  int(maxExclusive) {
    checkRange(maxExclusive);
    return maxExclusive === 1 ? 0 : randomInt(maxExclusive);
  },
};

/**
 * A deterministic stream for simulation: the ChaCha20 keystream (RFC 8439, counter from 0,
 * zero nonce) under key SHA-256("anon seeded random v1" || seed). Same seed, same bytes, on any
 * platform. NOT for keys in production: anyone who knows the seed knows every output.
 */
export class SeededRandom implements RandomSource {
  readonly #key: Uint8Array;
  readonly #cipher: Cipher;

  constructor(seed: Uint8Array | string) {
    const seedBytes = typeof seed === 'string' ? new TextEncoder().encode(seed) : seed;
    this.#key = new Uint8Array(createHash('sha256').update('anon seeded random v1').update(seedBytes).digest());
    // Node's chacha20 takes a 16-byte IV: 4-byte little-endian counter, then 12-byte nonce.
    this.#cipher = createCipheriv('chacha20', this.#key, new Uint8Array(16));
  }

  bytes(n: number): Uint8Array {
    checkCount(n);
    // The cipher keeps its position between calls, so this is one continuous keystream.
    return new Uint8Array(this.#cipher.update(new Uint8Array(n)));
  }

  int(maxExclusive: number): number {
    checkRange(maxExclusive);
    if (maxExclusive === 1) return 0;
    // Rejection sampling on 48-bit draws: unbiased. Each draw is rejected with probability
    // < 1/2, so the bound is reached only with probability < 2^-64.
    const limit = MAX_INT_RANGE - (MAX_INT_RANGE % maxExclusive);
    for (let i = 0; i < 64; i++) {
      const b = this.bytes(6);
      const v = b[0]! * 2 ** 40 + b[1]! * 2 ** 32 + b[2]! * 2 ** 24 + b[3]! * 2 ** 16 + b[4]! * 2 ** 8 + b[5]!;
      if (v < limit) return v % maxExclusive;
    }
    throw new RuntimeError('EINVAL', 'seeded random: rejection sampling did not terminate');
  }

  /**
   * An independent stream for `label` (e.g. one per simulated router), derived from this
   * stream's key, not its position: adding a router does not shift the others' randomness.
   */
  fork(label: string): SeededRandom {
    const seed = createHash('sha256').update(this.#key).update('fork').update(label).digest();
    return new SeededRandom(new Uint8Array(seed));
  }
}

export function seededRandom(seed: Uint8Array | string): SeededRandom {
  return new SeededRandom(seed);
}
