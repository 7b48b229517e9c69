import { randomBytes } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { FpLegendre } from '@noble/curves/abstract/modular.js';
import { CryptoError, checkLength } from './errors.js';
import { x25519Generate, type X25519KeyPair } from './x25519.js';

/*
 * Elligator2 for Curve25519 as I2P uses it (ecies.rst "2a) Elligator2"): keys and
 * representatives are 32 bytes little-endian; the representative r is at most (p-1)/2 (254 bits)
 * and the two top bits of byte 31 are random on the wire and masked off before decoding.
 * The non-square constant is u = 2, as in i2pd and Java I2P.
 */
const Fp = ed25519.Point.Fp;
const P = Fp.ORDER;
const HALF_P = (P - 1n) / 2n;
const A = 486662n;
const NEG_A = Fp.neg(A);

function bytesToNumberLE(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
  return n;
}

function numberToBytesLE(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

/** The square root of a square w in [0, (p-1)/2] — the canonical representative. */
function nonNegativeSqrt(w: bigint): bigint {
  const r = Fp.sqrt(w);
  return r > HALF_P ? Fp.neg(r) : r;
}

/**
 * DECODE_ELG2: representative → X25519 public key. The two random high bits are ignored.
 * Throws CryptoError('BAD_KEY') for the few representatives above (p-1)/2, which no encoder
 * produces (i2pd rejects them too).
 */
export function elligator2Decode(representative: Uint8Array): Uint8Array {
  checkLength('Elligator2 representative', representative, 32);
  const masked = representative.slice();
  masked[31] &= 0x3f;
  const r = bytesToNumberLE(masked);
  if (r > HALF_P) throw new CryptoError('BAD_KEY', 'Elligator2: representative out of range');
  // v = -A / (1 + 2r²); 1 + 2r² is never 0 because -1/2 is not a square mod p.
  const v = Fp.mul(NEG_A, Fp.inv(Fp.add(Fp.ONE, Fp.mul(2n, Fp.sqr(r)))));
  // Curve equation right-hand side v³ + Av² + v decides between v and -v - A.
  const t = Fp.add(Fp.mul(Fp.sqr(v), Fp.add(v, A)), v);
  const x = FpLegendre(Fp, t) === 1 ? v : Fp.sub(Fp.neg(v), A);
  return numberToBytesLE(x);
}

export interface Elligator2EncodeOptions {
  /** Which of the two representatives of the point (i2pd's `highY`); random by default. */
  alternative?: boolean;
  /** OR-ed into the top two bits of byte 31; random by default, 0 gives the bare 254-bit value. */
  highBits?: number;
}

/**
 * ENCODE_ELG2: X25519 public key → representative, or null when the point has none (about half
 * of all keys). With no options the result is randomized as the spec requires on the wire.
 */
export function elligator2Encode(publicKey: Uint8Array, options: Elligator2EncodeOptions = {}): Uint8Array | null {
  checkLength('X25519 public key', publicKey, 32);
  // i2pd and Java read all 256 bits and reduce mod p; do the same so that vectors agree.
  const x = Fp.create(bytesToNumberLE(publicKey));
  const xPlusA = Fp.add(x, A);
  // Degenerate points (u = 0, u = -A) are of small order: never useful as ephemeral keys.
  if (x === 0n || xPlusA === 0n) return null;
  // Encodable iff -2x(x + A) is a square.
  if (FpLegendre(Fp, Fp.neg(Fp.mul(2n, Fp.mul(x, xPlusA)))) !== 1) return null;
  let random = -1;
  if (options.alternative === undefined || options.highBits === undefined) random = randomBytes(1)[0];
  const alternative = options.alternative ?? (random & 1) === 1;
  const highBits = options.highBits ?? random;
  // r² = -(x + A) / 2x  or  r² = -x / 2(x + A)
  const w = alternative
    ? Fp.div(Fp.neg(xPlusA), Fp.mul(2n, x))
    : Fp.div(Fp.neg(x), Fp.mul(2n, xPlusA));
  const out = numberToBytesLE(nonNegativeSqrt(w));
  out[31] |= highBits & 0xc0;
  return out;
}

export interface Elligator2KeyPair extends X25519KeyPair {
  /** A randomized representative of `publicKey`, ready to send (the key is used once). */
  representative: Uint8Array;
}

/** A fresh X25519 keypair whose public key has a representative. */
export function elligator2Generate(maxTries = 128): Elligator2KeyPair {
  for (let i = 0; i < maxTries; i++) {
    const pair = x25519Generate();
    const representative = elligator2Encode(pair.publicKey);
    if (representative) return { ...pair, representative };
  }
  // Each try fails with probability 1/2: reaching here means the RNG is broken.
  throw new CryptoError('NOT_ENCODABLE', `Elligator2: no encodable key in ${maxTries} tries`);
}

/**
 * Half of all generated keys are thrown away, so encodable keys are made ahead of time.
 * `take()` never blocks on an empty pool: it generates one on the spot.
 */
export class Elligator2KeyPool {
  private readonly keys: Elligator2KeyPair[] = [];
  private filling = false;

  constructor(readonly capacity = 16) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
  }

  get size(): number {
    return this.keys.length;
  }

  take(): Elligator2KeyPair {
    return this.keys.pop() ?? elligator2Generate();
  }

  /** Fills synchronously up to capacity (or `count` keys). */
  fill(count = this.capacity): void {
    const target = Math.min(this.capacity, this.keys.length + count);
    while (this.keys.length < target) this.keys.push(elligator2Generate());
  }

  /** Fills up to capacity one key per event-loop turn, so that I/O is not starved. */
  async fillAsync(signal?: AbortSignal): Promise<void> {
    if (this.filling) return;
    this.filling = true;
    try {
      while (this.keys.length < this.capacity && !signal?.aborted) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        this.keys.push(elligator2Generate());
      }
    } finally {
      this.filling = false;
    }
  }
}
