import fc from 'fast-check';
import { constants, deflateRawSync, gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  decodeI2cpPayload,
  encodeI2cpPayload,
  I2CP_PAYLOAD_DEFAULT_MAX_SIZE,
  PayloadTooLargeError,
  PROTO_DATAGRAM,
  PROTO_STREAMING,
  readI2cpPayloadHeader,
  type I2cpPayload,
} from '../../../src/router/client/i2cp-payload.js';
import { DecodeError, EncodeError } from '../../../src/router/data/errors.js';
import { crc32 } from '../../../src/router/netdb/crc32.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
/** Byte equality for large arrays (toEqual compares element by element, slowly). */
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));

function decodeError(fn: () => unknown): DecodeError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DecodeError);
    return e as DecodeError;
  }
  throw new Error('expected a DecodeError');
}

/** A gzip member around raw deflate `data` with our header and a trailer for `payload`. */
function member(data: Uint8Array, payload: Uint8Array, header: number[] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 18]): Uint8Array {
  const out = new Uint8Array(header.length + data.length + 8);
  out.set(header, 0);
  out.set(data, header.length);
  const dv = new DataView(out.buffer, header.length + data.length);
  dv.setUint32(0, crc32(payload), true);
  dv.setUint32(4, payload.length, true);
  return out;
}

const payloadArb = fc.record({
  protocol: fc.integer({ min: 0, max: 255 }),
  sourcePort: fc.integer({ min: 0, max: 0xffff }),
  destPort: fc.integer({ min: 0, max: 0xffff }),
  payload: fc.oneof(fc.uint8Array({ maxLength: 3000 }), fc.string({ maxLength: 3000 }).map(ascii)),
});

describe('I2CP payload framing', () => {
  it('puts the ports big-endian in bytes 4-7, XFL 2 in byte 8 and the protocol in byte 9', () => {
    const out = encodeI2cpPayload({ protocol: PROTO_STREAMING, sourcePort: 0x1234, destPort: 0xabcd, payload: ascii('hi') });
    expect([...out.subarray(0, 10)]).toEqual([0x1f, 0x8b, 0x08, 0x00, 0x12, 0x34, 0xab, 0xcd, 0x02, 6]);
    expect(readI2cpPayloadHeader(out)).toEqual({ protocol: 6, sourcePort: 0x1234, destPort: 0xabcd });
  });

  it('round-trips any ports, protocol, payload and level, and Node gunzips what it writes', () => {
    fc.assert(
      fc.property(payloadArb, fc.integer({ min: 0, max: 9 }), (p, level) => {
        const out = encodeI2cpPayload(p, { level });
        expect(decodeI2cpPayload(out)).toEqual(p);
        expect(new Uint8Array(gunzipSync(out))).toEqual(p.payload);
      }),
      { numRuns: 300 },
    );
  });

  it('writes stored blocks at level 0, several of them past 65535 bytes, which gunzip reads', () => {
    const payload = new Uint8Array(200_000).map((_, i) => (i * 7) & 0xff);
    const out = encodeI2cpPayload({ protocol: 18, sourcePort: 0, destPort: 0, payload }, { level: 0 });
    // 4 stored blocks of at most 65535 bytes, 5 header bytes each.
    expect(out.length).toBe(10 + payload.length + 4 * 5 + 8);
    expect(same(gunzipSync(out), payload)).toBe(true);
    expect(same(decodeI2cpPayload(out, { maxSize: 200_000 }).payload, payload)).toBe(true);
    // The empty payload is one final empty stored block.
    const empty = encodeI2cpPayload({ protocol: 18, sourcePort: 0, destPort: 0, payload: new Uint8Array(0) }, { level: 0 });
    expect([...empty.subarray(10, 15)]).toEqual([1, 0, 0, 0xff, 0xff]);
    expect(gunzipSync(empty).length).toBe(0);
  });

  it('falls back to stored blocks when deflate would not shrink the data, and compresses what it can', () => {
    const random = new Uint8Array(1000).map((_, i) => (i * 2654435761) >>> 24);
    const incompressible = encodeI2cpPayload({ protocol: 17, sourcePort: 1, destPort: 2, payload: random }, { level: 9 });
    expect(incompressible.length).toBeLessThanOrEqual(10 + 1000 + 5 + 8);
    const zeros = encodeI2cpPayload({ protocol: 17, sourcePort: 1, destPort: 2, payload: new Uint8Array(1000) }, { level: 6 });
    expect(zeros.length).toBeLessThan(100);
    expect(decodeI2cpPayload(zeros).payload).toEqual(new Uint8Array(1000));
  });

  it("reads Node's gzip (XFL and OS bytes as zlib sets them, ports patched in) and members with optional header fields", () => {
    const payload = ascii('hello, hello, hello');
    const z = new Uint8Array(gzipSync(payload, { level: 9 }));
    z[4] = 0;
    z[5] = 80;
    z[9] = PROTO_DATAGRAM;
    expect(decodeI2cpPayload(z)).toEqual({ protocol: 17, sourcePort: 80, destPort: 0, payload });

    // FEXTRA (2 bytes), FNAME "a", FCOMMENT "b", FHCRC over all of that.
    const head = [0x1f, 0x8b, 8, 0x04 | 0x08 | 0x10 | 0x02, 0, 7, 0, 9, 0, 20, 2, 0, 0xaa, 0xbb, 0x61, 0, 0x62, 0];
    const hcrc = crc32(Uint8Array.from(head)) & 0xffff;
    const m = member(deflateRawSync(payload), payload, [...head, hcrc & 0xff, hcrc >>> 8]);
    expect(new Uint8Array(gunzipSync(m))).toEqual(payload);
    expect(decodeI2cpPayload(m)).toEqual({ protocol: 20, sourcePort: 7, destPort: 9, payload });
    const badHcrc = m.slice();
    badHcrc[head.length] ^= 1;
    expect(decodeError(() => decodeI2cpPayload(badHcrc)).field).toBe('i2cpPayload.hcrc');
  });

  it('refuses a bad CRC-32, a wrong ISIZE and a corrupted payload', () => {
    const out = encodeI2cpPayload({ protocol: 18, sourcePort: 0, destPort: 0, payload: ascii('some payload bytes') }, { level: 0 });
    const badCrc = out.slice();
    badCrc[out.length - 8] ^= 0x01;
    const e = decodeError(() => decodeI2cpPayload(badCrc));
    expect(e.field).toBe('i2cpPayload.crc32');
    expect(e.offset).toBe(out.length - 8);
    expect(() => gunzipSync(badCrc)).toThrow(); // zlib agrees it is corrupt

    const corrupt = out.slice();
    corrupt[10 + 5 + 3] ^= 0x20; // inside the stored data
    expect(decodeError(() => decodeI2cpPayload(corrupt)).field).toBe('i2cpPayload.crc32');

    const badSize = out.slice();
    badSize[out.length - 4] ^= 0x01;
    expect(decodeError(() => decodeI2cpPayload(badSize)).field).toBe('i2cpPayload.isize');
  });

  it('refuses a bad magic, method, reserved flags, truncation and bytes after the deflate stream', () => {
    const good = encodeI2cpPayload({ protocol: 6, sourcePort: 1, destPort: 2, payload: ascii('abcabcabcabc') });
    const patched = (at: number, v: number) => {
      const b = good.slice();
      b[at] = v;
      return b;
    };
    expect(decodeError(() => decodeI2cpPayload(patched(0, 0x1e))).field).toBe('i2cpPayload.magic');
    expect(decodeError(() => decodeI2cpPayload(patched(1, 0))).field).toBe('i2cpPayload.magic');
    expect(decodeError(() => decodeI2cpPayload(patched(2, 7))).field).toBe('i2cpPayload.method');
    expect(decodeError(() => decodeI2cpPayload(patched(3, 0x20))).field).toBe('i2cpPayload.flags');
    expect(decodeError(() => decodeI2cpPayload(good.subarray(0, 17))).field).toBe('i2cpPayload');
    expect(decodeError(() => decodeI2cpPayload(good.subarray(0, good.length - 1))).field).toMatch(/^i2cpPayload\./);
    // A complete deflate stream followed by junk before the trailer.
    const payload = ascii('abc');
    const withJunk = member(new Uint8Array([...deflateRawSync(payload), 0x00, 0x00]), payload);
    const e = decodeError(() => decodeI2cpPayload(withJunk));
    expect(e.reason).toMatch(/between the end of the deflate stream and the trailer/);
    // Two members (gunzip would accept the concatenation): the first member's trailer is not last.
    expect(() => decodeI2cpPayload(new Uint8Array([...good, ...good]))).toThrow(DecodeError);
  });

  it('accepts a payload of exactly maxSize and refuses one byte more', () => {
    const payload = new Uint8Array(1000).fill(7);
    const out = encodeI2cpPayload({ protocol: 18, sourcePort: 0, destPort: 0, payload });
    expect(decodeI2cpPayload(out, { maxSize: 1000 }).payload).toEqual(payload);
    const e = decodeError(() => decodeI2cpPayload(out, { maxSize: 999 }));
    expect(e).toBeInstanceOf(PayloadTooLargeError);
    expect((e as PayloadTooLargeError).limit).toBe(999);
    const empty = encodeI2cpPayload({ protocol: 18, sourcePort: 0, destPort: 0, payload: new Uint8Array(0) });
    expect(decodeI2cpPayload(empty, { maxSize: 0 }).payload).toEqual(new Uint8Array(0));
    expect(I2CP_PAYLOAD_DEFAULT_MAX_SIZE).toBe(65536);
  });

  it('refuses a gzip bomb that lies about its size, without inflating all of it', () => {
    // 1 MiB of zeros, full-flushed so the segment is byte-aligned and self-contained: 4096 copies
    // and a final empty block make a ~4 MB stream that inflates to 4 GiB. Inflating it all would
    // exhaust memory; the bound stops it after the first chunks.
    const segment = deflateRawSync(new Uint8Array(1 << 20), { finishFlush: constants.Z_FULL_FLUSH });
    const finalBlock = [0x01, 0x00, 0x00, 0xff, 0xff];
    const small = new Uint8Array([...segment, ...segment, ...segment, ...finalBlock]);
    expect(same(gunzipSync(member(small, new Uint8Array(3 << 20))), new Uint8Array(3 << 20))).toBe(true); // the construction is sound
    const data = new Uint8Array(segment.length * 4096 + finalBlock.length);
    for (let i = 0; i < 4096; i++) data.set(segment, i * segment.length);
    data.set(finalBlock, segment.length * 4096);
    const bomb = member(data, ascii('tiny')); // the trailer claims 4 bytes
    const e = decodeError(() => decodeI2cpPayload(bomb));
    expect(e).toBeInstanceOf(PayloadTooLargeError);
    expect((e as PayloadTooLargeError).limit).toBe(I2CP_PAYLOAD_DEFAULT_MAX_SIZE);
    expect(e.reason).toMatch(/inflates past the limit/);

    // An honest trailer over the bound is refused before inflating anything.
    const honest = encodeI2cpPayload({ protocol: 18, sourcePort: 0, destPort: 0, payload: new Uint8Array(100_000) });
    const h = decodeError(() => decodeI2cpPayload(honest));
    expect(h).toBeInstanceOf(PayloadTooLargeError);
    expect(h.reason).toMatch(/trailer declares 100000 bytes/);
  });

  it('refuses out-of-range fields when encoding', () => {
    const base: I2cpPayload = { protocol: 6, sourcePort: 0, destPort: 0, payload: new Uint8Array(1) };
    expect(() => encodeI2cpPayload({ ...base, sourcePort: 65536 })).toThrow(EncodeError);
    expect(() => encodeI2cpPayload({ ...base, destPort: -1 })).toThrow(EncodeError);
    expect(() => encodeI2cpPayload({ ...base, protocol: 256 })).toThrow(EncodeError);
    expect(() => encodeI2cpPayload(base, { level: 10 })).toThrow(EncodeError);
  });
});

describe('I2CP payload fuzz', () => {
  it('random bytes give a payload or a DecodeError, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (bytes, gzipHeader) => {
        const input = gzipHeader && bytes.length >= 4 ? new Uint8Array([0x1f, 0x8b, 8, bytes[0] & 0x1f, ...bytes.subarray(1)]) : bytes;
        try {
          const p = decodeI2cpPayload(input);
          expect(new Uint8Array(gunzipSync(input))).toEqual(p.payload);
        } catch (e) {
          if (!(e instanceof DecodeError)) throw e;
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('mutated valid payloads give the original, another payload that zlib agrees on, or a DecodeError', () => {
    fc.assert(
      fc.property(payloadArb, fc.integer({ min: 0, max: 9 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), (p, level, flips) => {
        const out = encodeI2cpPayload(p, { level });
        for (const [at, x] of flips) out[at % out.length] ^= x;
        try {
          const d = decodeI2cpPayload(out);
          // Anything accepted passed the CRC: gunzip must read the same bytes.
          expect(new Uint8Array(gunzipSync(out))).toEqual(d.payload);
        } catch (e) {
          if (!(e instanceof DecodeError)) throw e;
        }
      }),
      { numRuns: 1000 },
    );
  });
});
