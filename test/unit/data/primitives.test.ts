import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ByteReader,
  ByteWriter,
  DecodeError,
  EncodeError,
  encodeString,
  readDate,
  readInteger,
  writeDate,
  writeInteger,
} from '../../../src/router/data/index.js';

describe('I2P Integer', () => {
  it('round trips every length 1..8 (fast-check)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }).chain((n) => fc.tuple(fc.constant(n), fc.bigInt({ min: 0n, max: (1n << BigInt(8 * n)) - 1n }))), ([n, v]) => {
        const w = new ByteWriter();
        writeInteger(w, 'i', v, n);
        const bytes = w.finish();
        expect(bytes.length).toBe(n);
        const r = new ByteReader(bytes);
        expect(readInteger(r, 'i', n)).toBe(v);
        expect(r.remaining).toBe(0);
      }),
    );
  });

  it('is big-endian and refuses values that do not fit', () => {
    const w = new ByteWriter();
    writeInteger(w, 'i', 0x0102, 3);
    expect(w.finish()).toEqual(new Uint8Array([0, 1, 2]));
    expect(() => writeInteger(new ByteWriter(), 'i', 256, 1)).toThrow(EncodeError);
    expect(() => writeInteger(new ByteWriter(), 'i', -1, 2)).toThrow(EncodeError);
  });
});

describe('I2P Date', () => {
  it('is 8 bytes of milliseconds; 0 stays 0 (undefined)', () => {
    const w = new ByteWriter();
    writeDate(w, 'd', 0);
    writeDate(w, 'd', 1_700_000_000_123);
    const r = new ByteReader(w.finish());
    expect(readDate(r, 'd')).toBe(0);
    expect(readDate(r, 'd')).toBe(1_700_000_000_123);
  });

  it('refuses dates beyond a safe integer with the field and offset', () => {
    const r = new ByteReader(new Uint8Array([0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
    r.u8('skip');
    try {
      readDate(r, 'published');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DecodeError);
      expect((e as DecodeError).field).toBe('published');
      expect((e as DecodeError).offset).toBe(1);
    }
  });
});

describe('I2P String', () => {
  it('counts bytes, not characters, and refuses more than 255', () => {
    expect(encodeString('é')).toEqual(new Uint8Array([2, 0xc3, 0xa9]));
    expect(encodeString('x'.repeat(255)).length).toBe(256);
    expect(() => encodeString('é'.repeat(128))).toThrow(EncodeError);
    expect(() => encodeString('\uD800')).toThrow(/surrogate/);
  });
});
