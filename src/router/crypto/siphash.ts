import { CryptoError, checkLength } from './errors.js';

/*
 * SipHash-2-4 on 32-bit limbs: NTCP2 runs it once per frame in each direction, so it avoids
 * BigInt. The state lives in module-level numbers (JS is single-threaded and the functions
 * below never yield), which keeps the hot path free of allocations.
 */
let v0h = 0, v0l = 0, v1h = 0, v1l = 0, v2h = 0, v2l = 0, v3h = 0, v3l = 0;

function sipRound(): void {
  let l: number, h: number;
  // v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
  l = v0l + v1l;
  v0h = (v0h + v1h + (l > 0xffffffff ? 1 : 0)) >>> 0;
  v0l = l >>> 0;
  h = (v1h << 13) | (v1l >>> 19);
  l = (v1l << 13) | (v1h >>> 19);
  v1h = (h ^ v0h) >>> 0;
  v1l = (l ^ v0l) >>> 0;
  h = v0h;
  v0h = v0l;
  v0l = h;
  // v2 += v3; v3 = rotl(v3, 16); v3 ^= v2
  l = v2l + v3l;
  v2h = (v2h + v3h + (l > 0xffffffff ? 1 : 0)) >>> 0;
  v2l = l >>> 0;
  h = (v3h << 16) | (v3l >>> 16);
  l = (v3l << 16) | (v3h >>> 16);
  v3h = (h ^ v2h) >>> 0;
  v3l = (l ^ v2l) >>> 0;
  // v0 += v3; v3 = rotl(v3, 21); v3 ^= v0
  l = v0l + v3l;
  v0h = (v0h + v3h + (l > 0xffffffff ? 1 : 0)) >>> 0;
  v0l = l >>> 0;
  h = (v3h << 21) | (v3l >>> 11);
  l = (v3l << 21) | (v3h >>> 11);
  v3h = (h ^ v0h) >>> 0;
  v3l = (l ^ v0l) >>> 0;
  // v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
  l = v2l + v1l;
  v2h = (v2h + v1h + (l > 0xffffffff ? 1 : 0)) >>> 0;
  v2l = l >>> 0;
  h = (v1h << 17) | (v1l >>> 15);
  l = (v1l << 17) | (v1h >>> 15);
  v1h = (h ^ v2h) >>> 0;
  v1l = (l ^ v2l) >>> 0;
  h = v2h;
  v2h = v2l;
  v2l = h;
}

function init(k0l: number, k0h: number, k1l: number, k1h: number): void {
  v0l = (k0l ^ 0x70736575) >>> 0;
  v0h = (k0h ^ 0x736f6d65) >>> 0;
  v1l = (k1l ^ 0x6e646f6d) >>> 0;
  v1h = (k1h ^ 0x646f7261) >>> 0;
  v2l = (k0l ^ 0x6e657261) >>> 0;
  v2h = (k0h ^ 0x6c796765) >>> 0;
  v3l = (k1l ^ 0x79746573) >>> 0;
  v3h = (k1h ^ 0x74656462) >>> 0;
}

function compress(ml: number, mh: number): void {
  v3l = (v3l ^ ml) >>> 0;
  v3h = (v3h ^ mh) >>> 0;
  sipRound();
  sipRound();
  v0l = (v0l ^ ml) >>> 0;
  v0h = (v0h ^ mh) >>> 0;
}

/** Finishes and returns the low word; the high word is left in `resultHigh`. */
let resultHigh = 0;
function finish(): number {
  v2l = (v2l ^ 0xff) >>> 0;
  sipRound();
  sipRound();
  sipRound();
  sipRound();
  resultHigh = (v0h ^ v1h ^ v2h ^ v3h) >>> 0;
  return (v0l ^ v1l ^ v2l ^ v3l) >>> 0;
}

function u32le(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}

/** The 128-bit key as four little-endian 32-bit words: k0 low, k0 high, k1 low, k1 high. */
export type SipHashKeyWords = readonly [number, number, number, number];

export function sipHashKeyWords(key: Uint8Array): SipHashKeyWords {
  checkLength('SipHash key', key, 16);
  return [u32le(key, 0), u32le(key, 4), u32le(key, 8), u32le(key, 12)];
}

/** SipHash-2-4 as two 32-bit words [low, high] of the little-endian 64-bit result. */
export function siphash24Words(key: SipHashKeyWords, message: Uint8Array): [number, number] {
  init(key[0], key[1], key[2], key[3]);
  const len = message.length;
  const whole = len - (len % 8);
  for (let i = 0; i < whole; i += 8) compress(u32le(message, i), u32le(message, i + 4));
  // Last block: the remaining bytes, then the length modulo 256 in the top byte.
  let ml = 0;
  let mh = ((len & 0xff) << 24) >>> 0;
  const rest = len - whole;
  for (let i = 0; i < rest; i++) {
    const b = message[whole + i];
    if (i < 4) ml |= b << (8 * i);
    else mh |= b << (8 * (i - 4));
  }
  compress(ml >>> 0, mh >>> 0);
  const lo = finish();
  return [lo, resultHigh];
}

/** SipHash-2-4 with a 16-byte key; returns the 8-byte (little-endian) output. */
export function siphash24(key: Uint8Array, message: Uint8Array): Uint8Array {
  if (!(message instanceof Uint8Array)) throw new CryptoError('BAD_LENGTH', 'SipHash message: expected bytes');
  const [lo, hi] = siphash24Words(sipHashKeyWords(key), message);
  const out = new Uint8Array(8);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, lo, true);
  dv.setUint32(4, hi, true);
  return out;
}

/**
 * NTCP2's frame-length obfuscation for one direction (ntcp2.rst, "SipHash obfuscated length"):
 * IV[n] = SipHash-2-4(k1, k2, IV[n-1]), and the mask is the low 16 bits of IV[n] read as a
 * little-endian integer (what i2pd and Java do), XOR-ed into the big-endian length.
 * `key` is sipkeys[0:16] (k1 || k2), `iv` is sipkeys[16:24].
 */
export class SipHashLengthMask {
  private readonly k: SipHashKeyWords;
  private ivLow: number;
  private ivHigh: number;

  constructor(key: Uint8Array, iv: Uint8Array) {
    this.k = sipHashKeyWords(key);
    checkLength('SipHash IV', iv, 8);
    this.ivLow = u32le(iv, 0);
    this.ivHigh = u32le(iv, 4);
  }

  /** Advances the IV chain and returns the next 16-bit mask. */
  next(): number {
    init(this.k[0], this.k[1], this.k[2], this.k[3]);
    compress(this.ivLow, this.ivHigh);
    compress(0, 0x08000000); // empty last block with length 8
    this.ivLow = finish();
    this.ivHigh = resultHigh;
    return this.ivLow & 0xffff;
  }

  /** The current IV (8 bytes), for tests and diagnostics. */
  get iv(): Uint8Array {
    const out = new Uint8Array(8);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, this.ivLow, true);
    dv.setUint32(4, this.ivHigh, true);
    return out;
  }
}
