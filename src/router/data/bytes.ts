import { DecodeError, EncodeError } from './errors.js';

/**
 * A bounds-checked cursor over input bytes. Every read names its field, so a short or bad input
 * becomes a DecodeError with the field and the absolute offset. `base` is the offset of this
 * view inside the outermost input (for nested structures decoded from a slice).
 */
export class ByteReader {
  private pos = 0;
  constructor(
    readonly bytes: Uint8Array,
    readonly base = 0,
  ) {}

  get offset(): number {
    return this.base + this.pos;
  }
  get position(): number {
    return this.pos;
  }
  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  fail(field: string, reason: string, at = this.offset): never {
    throw new DecodeError(field, at, reason);
  }

  private need(field: string, n: number): void {
    if (n > this.remaining) {
      this.fail(field, `needs ${n} byte${n === 1 ? '' : 's'}, only ${this.remaining} left`);
    }
  }

  /** A copy, so a kept field never pins the (possibly pooled) input buffer. */
  bytesOf(field: string, n: number): Uint8Array {
    this.need(field, n);
    const out = this.bytes.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A view without copying, for data consumed at once (hashing, nested decoding). */
  view(field: string, n: number): Uint8Array {
    this.need(field, n);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A reader over the next n bytes whose offsets still count from the outermost input. */
  sub(field: string, n: number): ByteReader {
    const start = this.offset;
    return new ByteReader(this.view(field, n), start);
  }

  skip(field: string, n: number): void {
    this.need(field, n);
    this.pos += n;
  }

  u8(field: string): number {
    this.need(field, 1);
    return this.bytes[this.pos++];
  }

  u16(field: string): number {
    this.need(field, 2);
    const v = (this.bytes[this.pos] << 8) | this.bytes[this.pos + 1];
    this.pos += 2;
    return v;
  }

  u32(field: string): number {
    this.need(field, 4);
    const b = this.bytes;
    const p = this.pos;
    const v = b[p] * 0x1000000 + ((b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]);
    this.pos += 4;
    return v;
  }

  /** An 8-byte big-endian integer; I2P Dates (ms since epoch) fit in a safe integer. */
  u64(field: string): bigint {
    this.need(field, 8);
    const dv = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.pos, 8);
    this.pos += 8;
    return dv.getBigUint64(0);
  }

  /** A u64 that must be a safe JS number (dates, counters). */
  u64Number(field: string): number {
    const at = this.offset;
    const v = this.u64(field);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(field, `value ${v} is out of range`, at);
    return Number(v);
  }

  /** Fails unless every byte was consumed: trailing garbage is an error, not ignored. */
  end(what: string): void {
    if (this.remaining !== 0) this.fail(what, `${this.remaining} unexpected trailing byte(s)`);
  }
}

/** Appends to a growing buffer; `finish()` returns exactly the bytes written. */
export class ByteWriter {
  private buf: Uint8Array;
  private pos = 0;
  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
  }

  get length(): number {
    return this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** Exactly n bytes or an EncodeError: fixed-size fields never silently truncate or pad. */
  fixed(field: string, b: Uint8Array, n: number): this {
    if (b.length !== n) throw new EncodeError(field, `must be ${n} bytes, got ${b.length}`);
    return this.bytes(b);
  }

  u8(field: string, v: number): this {
    checkRange(field, v, 0xff);
    this.ensure(1);
    this.buf[this.pos++] = v;
    return this;
  }

  u16(field: string, v: number): this {
    checkRange(field, v, 0xffff);
    this.ensure(2);
    this.buf[this.pos++] = v >>> 8;
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  u32(field: string, v: number): this {
    checkRange(field, v, 0xffffffff);
    this.ensure(4);
    this.buf[this.pos++] = v >>> 24;
    this.buf[this.pos++] = (v >>> 16) & 0xff;
    this.buf[this.pos++] = (v >>> 8) & 0xff;
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  u64(field: string, v: bigint | number): this {
    const big = typeof v === 'bigint' ? v : BigInt(v);
    if (big < 0n || big > 0xffffffffffffffffn || (typeof v === 'number' && !Number.isSafeInteger(v))) {
      throw new EncodeError(field, `value ${v} is out of range for 8 bytes`);
    }
    this.ensure(8);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).setBigUint64(0, big);
    this.pos += 8;
    return this;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

function checkRange(field: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new EncodeError(field, `value ${v} is out of range 0..${max}`);
  }
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
}
