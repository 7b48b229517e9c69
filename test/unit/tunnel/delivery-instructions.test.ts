import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError, EncodeError } from '../../../src/router/data/errors.js';
import {
  decodeFragmentHeader,
  encodeFragmentHeader,
  fragmentHeaderLength,
  writeFragmentHeader,
  type FragmentHeader,
} from '../../../src/router/tunnel/delivery-instructions.js';
import { fragmentHeader } from './arbitraries.js';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s/g, ''), 'hex'));
const H = new Uint8Array(32).fill(0xab);

function decodeError(bytes: Uint8Array, offset = 0, base = 0): DecodeError {
  try {
    decodeFragmentHeader(bytes, offset, base);
  } catch (e) {
    expect(e).toBeInstanceOf(DecodeError);
    return e as DecodeError;
  }
  throw new Error('expected a DecodeError');
}

describe('tunnel delivery instructions round trip', () => {
  it('decode(encode(h)) === h, with the length it announces', () => {
    fc.assert(
      fc.property(fragmentHeader, fc.uint8Array({ maxLength: 20 }), (h, tail) => {
        const enc = encodeFragmentHeader(h);
        expect(enc.length).toBe(fragmentHeaderLength(h));
        // Decoding stops at the header's end whatever follows (the fragment).
        const { header, end } = decodeFragmentHeader(new Uint8Array([...enc, ...tail]));
        expect(header).toEqual(h);
        expect(end).toBe(enc.length);
      }),
      { numRuns: 1000 },
    );
  });

  it('decodes at an offset and writes at an offset', () => {
    fc.assert(
      fc.property(fragmentHeader, fc.nat(50), (h, at) => {
        const buf = new Uint8Array(at + 50);
        const end = writeFragmentHeader(h, buf, at);
        expect(end - at).toBe(fragmentHeaderLength(h));
        expect(decodeFragmentHeader(buf, at)).toEqual({ header: h, end });
      }),
      { numRuns: 300 },
    );
  });

  it('has the spec lengths: 3 LOCAL, 35 ROUTER, 39 TUNNEL, +4 when fragmented, 7 follow-on', () => {
    const t = { type: 'tunnel', tunnelId: 1, gateway: H } as const;
    expect(fragmentHeaderLength({ kind: 'first', delivery: { type: 'local' }, size: 1 })).toBe(3);
    expect(fragmentHeaderLength({ kind: 'first', delivery: { type: 'router', hash: H }, size: 1 })).toBe(35);
    expect(fragmentHeaderLength({ kind: 'first', delivery: t, size: 1 })).toBe(39);
    expect(fragmentHeaderLength({ kind: 'first', delivery: { type: 'router', hash: H }, messageId: 1, size: 1 })).toBe(39);
    expect(fragmentHeaderLength({ kind: 'first', delivery: t, messageId: 1, size: 1 })).toBe(43);
    expect(fragmentHeaderLength({ kind: 'follow-on', fragmentNumber: 1, last: false, messageId: 1, size: 1 })).toBe(7);
  });

  it('encodes the flag bits as the spec draws them', () => {
    expect(encodeFragmentHeader({ kind: 'first', delivery: { type: 'local' }, size: 0x0102 })).toEqual(hex('00 0102'));
    expect(encodeFragmentHeader({ kind: 'first', delivery: { type: 'local' }, messageId: 0x01020304, size: 5 })).toEqual(
      hex('08 01020304 0005'),
    );
    const tunnel = encodeFragmentHeader({ kind: 'first', delivery: { type: 'tunnel', tunnelId: 0xdeadbeef, gateway: H }, size: 9 });
    expect(tunnel[0]).toBe(0x20);
    expect(tunnel.subarray(1, 5)).toEqual(hex('deadbeef'));
    expect(tunnel.subarray(5, 37)).toEqual(H);
    expect(encodeFragmentHeader({ kind: 'first', delivery: { type: 'router', hash: H }, messageId: 7, size: 9 })[0]).toBe(0x48);
    // 1nnnnnnd: fragment 5, last → 1 000101 1
    expect(encodeFragmentHeader({ kind: 'follow-on', fragmentNumber: 5, last: true, messageId: 0xa0b0c0d0, size: 996 })).toEqual(
      hex('8b a0b0c0d0 03e4'),
    );
    expect(encodeFragmentHeader({ kind: 'follow-on', fragmentNumber: 63, last: false, messageId: 0, size: 1 })[0]).toBe(0xfe);
  });
});

describe('tunnel delivery instructions: what the decoder accepts and refuses', () => {
  it('ignores the reserved bits 1-0', () => {
    expect(decodeFragmentHeader(hex('03 0010')).header).toEqual({ kind: 'first', delivery: { type: 'local' }, size: 16 });
  });

  it('skips extended options by their length byte (flag bit 2)', () => {
    // LOCAL, fragmented, extended: messageId, then 1+2 bytes of options, then size.
    const { header, end } = decodeFragmentHeader(hex('0c 00000009 02 aabb 0010'));
    expect(header).toEqual({ kind: 'first', delivery: { type: 'local' }, messageId: 9, size: 16 });
    expect(end).toBe(10);
    expect(decodeError(hex('04 00 0010')).field).toBe('extendedOptions');
    expect(decodeError(hex('04 05 aabb')).field).toBe('extendedOptions');
  });

  it('refuses the delay flag (bit 4): implementations disagree on whether a byte follows', () => {
    const e = decodeError(hex('10 01 0010'));
    expect(e.field).toBe('flag');
    expect(e.offset).toBe(0);
  });

  it('refuses delivery type 3, a zero tunnel id, a zero size, follow-on number 0', () => {
    expect(decodeError(hex('60 0010')).field).toBe('flag');
    expect(decodeError(new Uint8Array([0x20, 0, 0, 0, 0, ...H, 0, 1]))).toMatchObject({ field: 'tunnelId', offset: 1 });
    expect(decodeError(hex('00 0000'))).toMatchObject({ field: 'size', offset: 1 });
    expect(decodeError(hex('81 00000001 0010'))).toMatchObject({ field: 'flag', offset: 0 });
  });

  it('names the truncated field with its absolute offset', () => {
    const delivery = { type: 'tunnel', tunnelId: 5, gateway: H } as const;
    const full = encodeFragmentHeader({ kind: 'first', delivery, messageId: 3, size: 4 });
    const fields = ['flag', 'tunnelId', 'gateway', 'messageId', 'size'];
    for (let cut = 0; cut < full.length; cut++) {
      const input = new Uint8Array([0xee, 0xee, ...full.subarray(0, cut)]);
      const e = decodeError(input, 2, 100);
      expect(fields).toContain(e.field);
      expect(e.offset).toBeGreaterThanOrEqual(102);
    }
    expect(decodeError(hex('82 0000'), 0, 40)).toMatchObject({ field: 'messageId', offset: 41 });
    expect(decodeError(hex('00'), 1)).toMatchObject({ field: 'flag', offset: 1 });
  });

  it('the encoder refuses what the decoder would refuse', () => {
    const bad: FragmentHeader[] = [
      { kind: 'first', delivery: { type: 'local' }, size: 0 },
      { kind: 'first', delivery: { type: 'local' }, size: 0x10000 },
      { kind: 'first', delivery: { type: 'tunnel', tunnelId: 0, gateway: H }, size: 1 },
      { kind: 'first', delivery: { type: 'tunnel', tunnelId: 2 ** 32, gateway: H }, size: 1 },
      { kind: 'first', delivery: { type: 'router', hash: new Uint8Array(31) }, size: 1 },
      { kind: 'first', delivery: { type: 'bogus' } as never, size: 1 },
      { kind: 'first', delivery: { type: 'local' }, messageId: -1, size: 1 },
      { kind: 'follow-on', fragmentNumber: 0, last: true, messageId: 1, size: 1 },
      { kind: 'follow-on', fragmentNumber: 64, last: true, messageId: 1, size: 1 },
      { kind: 'follow-on', fragmentNumber: 1, last: true, messageId: 2 ** 32, size: 1 },
    ];
    for (const h of bad) expect(() => encodeFragmentHeader(h)).toThrow(EncodeError);
    expect(() => writeFragmentHeader({ kind: 'first', delivery: { type: 'local' }, size: 1 }, new Uint8Array(2), 0)).toThrow(
      EncodeError,
    );
  });
});
