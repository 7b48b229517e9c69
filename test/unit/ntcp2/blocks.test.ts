import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BlockError,
  decodeBlocks,
  encodeBlocks,
  MAX_FRAME_PAYLOAD,
  type Ntcp2Block,
} from '../../../src/router/transport/ntcp2/index.js';

const bytes = (max: number) => fc.uint8Array({ maxLength: max });
const u8 = fc.integer({ min: 0, max: 255 });
const u16 = fc.integer({ min: 0, max: 0xffff });

const body: fc.Arbitrary<Ntcp2Block> = fc.oneof(
  fc.record({ kind: fc.constant('dateTime' as const), timestamp: fc.integer({ min: 0, max: 0xffffffff }) }),
  fc.record({
    kind: fc.constant('options' as const),
    tmin: u8,
    tmax: u8,
    rmin: u8,
    rmax: u8,
    tdmy: u16,
    rdmy: u16,
    tdelay: u16,
    rdelay: u16,
    more: bytes(20),
  }),
  fc.record({ kind: fc.constant('routerInfo' as const), flood: fc.boolean(), routerInfo: bytes(600) }),
  fc.record({ kind: fc.constant('i2np' as const), message: fc.uint8Array({ minLength: 9, maxLength: 300 }) }),
  fc.record({
    kind: fc.constant('unknown' as const),
    type: fc.integer({ min: 5, max: 253 }).chain((t) => fc.constantFrom(t, 255)),
    data: bytes(40),
  }),
);
const termination: fc.Arbitrary<Ntcp2Block> = fc.record({
  kind: fc.constant('termination' as const),
  validFramesReceived: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  reason: u8,
  data: bytes(20),
});
const padding: fc.Arbitrary<Ntcp2Block> = fc.record({ kind: fc.constant('padding' as const), data: bytes(64) });

/** Valid data-phase frames: any blocks, then optionally termination, then optionally padding. */
const frame = fc
  .tuple(fc.array(body, { maxLength: 8 }), fc.option(termination, { nil: undefined }), fc.option(padding, { nil: undefined }))
  .map(([bs, t, p]) => [...bs, ...(t ? [t] : []), ...(p ? [p] : [])]);

describe('NTCP2 blocks', () => {
  it('round-trips every valid frame payload', () => {
    fc.assert(
      fc.property(frame, (blocks) => {
        const encoded = encodeBlocks(blocks);
        expect(decodeBlocks(encoded)).toEqual(blocks);
        expect(decodeBlocks(encoded, 'dataPhase', 0, false)).toEqual(blocks);
      }),
      { numRuns: 300 },
    );
  });

  it('encodes the wire layout of the spec', () => {
    const out = encodeBlocks([
      { kind: 'dateTime', timestamp: 0x01020304 },
      { kind: 'routerInfo', flood: true, routerInfo: Uint8Array.of(9) },
      { kind: 'termination', validFramesReceived: 5n, reason: 7, data: new Uint8Array(0) },
      { kind: 'padding', data: Uint8Array.of(0xee) },
    ]);
    expect([...out]).toEqual([
      0, 0, 4, 1, 2, 3, 4, // DateTime
      2, 0, 2, 1, 9, // RouterInfo, flag 1 = flood
      4, 0, 9, 0, 0, 0, 0, 0, 0, 0, 5, 7, // Termination
      254, 0, 1, 0xee, // Padding
    ]);
  });

  it('enforces ordering: padding last and single, termination last but for padding', () => {
    const pad: Ntcp2Block = { kind: 'padding', data: new Uint8Array(1) };
    const dt: Ntcp2Block = { kind: 'dateTime', timestamp: 1 };
    const term: Ntcp2Block = { kind: 'termination', validFramesReceived: 0n, reason: 0, data: new Uint8Array(0) };
    for (const bad of [[pad, dt], [pad, pad], [term, dt], [term, pad, pad]]) {
      expect(() => encodeBlocks(bad)).toThrow(RangeError);
      const wire = new Uint8Array(bad.reduce((n, b) => n + encodeBlocks([b]).length, 0));
      let o = 0;
      for (const b of bad) {
        const e = encodeBlocks([b]);
        wire.set(e, o);
        o += e.length;
      }
      expect(() => decodeBlocks(wire)).toThrow(BlockError);
    }
  });

  it('checks message 3 part 2: RouterInfo, then Options, then Padding, nothing else', () => {
    const ri: Ntcp2Block = { kind: 'routerInfo', flood: false, routerInfo: new Uint8Array(5) };
    const opt: Ntcp2Block = { kind: 'options', tmin: 0, tmax: 0, rmin: 0, rmax: 0, tdmy: 0, rdmy: 0, tdelay: 0, rdelay: 0, more: new Uint8Array(0) };
    const pad: Ntcp2Block = { kind: 'padding', data: new Uint8Array(3) };
    const dt: Ntcp2Block = { kind: 'dateTime', timestamp: 1 };
    const unknown: Ntcp2Block = { kind: 'unknown', type: 9, data: new Uint8Array(0) };
    for (const ok of [[ri], [ri, opt], [ri, pad], [ri, opt, pad]]) {
      expect(decodeBlocks(encodeBlocks(ok), 'message3')).toEqual(ok);
    }
    for (const bad of [[], [opt], [pad], [ri, dt], [pad, ri], [ri, pad, opt], [ri, ri], [ri, opt, opt], [ri, unknown]]) {
      const wire = new Uint8Array(bad.reduce((n, b) => n + encodeBlocks([b]).length, 0));
      let o = 0;
      for (const b of bad) {
        const e = encodeBlocks([b]);
        wire.set(e, o);
        o += e.length;
      }
      expect(() => decodeBlocks(wire, 'message3')).toThrow(BlockError);
    }
  });

  it('refuses sizes that the spec fixes or bounds, and never reads past a block', () => {
    const cases: [string, number[]][] = [
      ['DateTime of 3', [0, 0, 3, 1, 2, 3]],
      ['DateTime of 5', [0, 0, 5, 1, 2, 3, 4, 5]],
      ['Options of 11', [1, 0, 11, ...new Array(11).fill(0)]],
      ['RouterInfo without flag', [2, 0, 0]],
      ['I2NP of 8', [3, 0, 8, ...new Array(8).fill(0)]],
      ['Termination of 8', [4, 0, 8, ...new Array(8).fill(0)]],
      ['size past the end', [3, 0, 20, ...new Array(19).fill(0)]],
      ['truncated header', [254, 0]],
    ];
    for (const [name, wire] of cases) {
      expect(() => decodeBlocks(Uint8Array.from(wire)), name).toThrow(BlockError);
    }
  });

  it('keeps unknown block types (to be ignored) and allows an empty frame', () => {
    expect(decodeBlocks(Uint8Array.of(200, 0, 1, 5))).toEqual([{ kind: 'unknown', type: 200, data: Uint8Array.of(5) }]);
    expect(decodeBlocks(new Uint8Array(0))).toEqual([]);
  });

  it('refuses to encode a payload above 65519 bytes and accepts exactly that', () => {
    const exact: Ntcp2Block[] = [{ kind: 'padding', data: new Uint8Array(MAX_FRAME_PAYLOAD - 3) }];
    expect(encodeBlocks(exact).length).toBe(MAX_FRAME_PAYLOAD);
    expect(() => encodeBlocks([{ kind: 'padding', data: new Uint8Array(MAX_FRAME_PAYLOAD - 2) }])).toThrow(RangeError);
    expect(() => encodeBlocks([{ kind: 'i2np', message: new Uint8Array(8) }])).toThrow(RangeError);
    expect(() => encodeBlocks([{ kind: 'unknown', type: 3, data: new Uint8Array(0) }])).toThrow(RangeError);
  });

  it('decodes arbitrary bytes to blocks or a BlockError, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom('dataPhase' as const, 'message3' as const), (wire, ctx) => {
        try {
          const blocks = decodeBlocks(wire, ctx);
          // Canonical except the RouterInfo flag's unused bits 7-1, which are not kept.
          expect(decodeBlocks(encodeBlocks(blocks), ctx)).toEqual(blocks);
          expect(encodeBlocks(blocks).length).toBe(wire.length);
        } catch (e) {
          if (!(e instanceof BlockError)) throw e;
        }
      }),
      { numRuns: 2000 },
    );
  });
});
