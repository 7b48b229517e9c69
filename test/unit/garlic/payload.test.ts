import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkNewSessionBlocks,
  cloves,
  decodeClove,
  decodePayload,
  encodeClove,
  encodePayload,
  GarlicError,
  routerGarlicPayload,
  type CloveDelivery,
  type GarlicClove,
  type PayloadBlock,
} from '../../../src/router/garlic/index.js';

const hash = fc.uint8Array({ minLength: 32, maxLength: 32 });
const delivery: fc.Arbitrary<CloveDelivery> = fc.oneof(
  fc.constant<CloveDelivery>({ type: 'local' }),
  hash.map<CloveDelivery>((h) => ({ type: 'destination', hash: h })),
  hash.map<CloveDelivery>((h) => ({ type: 'router', hash: h })),
  fc.record({ gateway: hash, tunnelId: fc.integer({ min: 1, max: 0xffffffff }) }).map<CloveDelivery>((t) => ({ type: 'tunnel', ...t })),
);
const clove: fc.Arbitrary<GarlicClove> = fc.record({
  delivery,
  message: fc.record({
    type: fc.integer({ min: 0, max: 255 }),
    msgId: fc.integer({ min: 0, max: 0xffffffff }),
    // Whole seconds cross the wire.
    expiration: fc.integer({ min: 0, max: 0xffffffff }).map((s) => s * 1000),
    payload: fc.uint8Array({ maxLength: 300 }),
  }),
});
const block: fc.Arbitrary<PayloadBlock> = fc.oneof(
  fc.integer({ min: 0, max: 0xffffffff }).map<PayloadBlock>((timestamp) => ({ type: 'dateTime', timestamp })),
  clove.map<PayloadBlock>((c) => ({ type: 'clove', clove: c })),
  fc.uint8Array({ maxLength: 40 }).map<PayloadBlock>((data) => ({ type: 'options', data })),
  fc.integer({ min: 0, max: 0xffff }).map<PayloadBlock>((pn) => ({ type: 'messageNumber', pn })),
  fc
    .record({ flags: fc.integer({ min: 0, max: 255 }), keyId: fc.integer({ min: 0, max: 32767 }), key: hash })
    .map<PayloadBlock>(({ flags, keyId, key }) =>
      flags & 1 ? { type: 'nextKey', flags, keyId, publicKey: key } : { type: 'nextKey', flags, keyId },
    ),
  fc
    .array(fc.record({ tagSetId: fc.integer({ min: 0, max: 0xffff }), n: fc.integer({ min: 0, max: 0xffff }) }), { minLength: 1, maxLength: 5 })
    .map<PayloadBlock>((acks) => ({ type: 'ack', acks })),
  fc.integer({ min: 0, max: 255 }).map<PayloadBlock>((flags) => ({ type: 'ackRequest', flags })),
  fc
    .record({ blockType: fc.integer({ min: 12, max: 253 }), data: fc.uint8Array({ maxLength: 20 }) })
    .map<PayloadBlock>((u) => ({ type: 'unknown', ...u })),
);
const tail: fc.Arbitrary<PayloadBlock[]> = fc.oneof(
  fc.constant<PayloadBlock[]>([]),
  fc.integer({ min: 0, max: 64 }).map((length) => [{ type: 'padding', length } as PayloadBlock]),
  fc
    .record({ reason: fc.integer({ min: 0, max: 255 }), data: fc.uint8Array({ maxLength: 8 }), pad: fc.option(fc.nat(16)) })
    .map(({ reason, data, pad }) => [
      { type: 'termination', reason, data } as PayloadBlock,
      ...(pad === null ? [] : [{ type: 'padding', length: pad } as PayloadBlock]),
    ]),
);
const payload = fc.tuple(fc.array(block, { maxLength: 6 }), tail).map(([a, b]) => [...a, ...b]);

function expectGarlicError(fn: () => unknown, code?: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(GarlicError);
    if (code) expect((e as GarlicError).code).toBe(code);
    return;
  }
  expect.unreachable('no error thrown');
}

function onlyGarlicErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof GarlicError)) throw e;
  }
}

describe('Garlic Clove (ecies.rst block 11, i2np.rst delivery instructions)', () => {
  it('round-trips all four delivery types', () => {
    fc.assert(
      fc.property(clove, (c) => {
        const bytes = encodeClove(c);
        expect(decodeClove(bytes)).toEqual(c);
        // 1, 33 or 37 bytes of instructions, then the 9-byte short header and the body.
        const di = c.delivery.type === 'local' ? 1 : c.delivery.type === 'tunnel' ? 37 : 33;
        expect(bytes.length).toBe(di + 9 + c.message.payload.length);
      }),
    );
  });

  it('lays out a TUNNEL clove as flag, gateway hash, tunnel id, type, msg id, expiration s, body', () => {
    const gw = new Uint8Array(32).fill(0xab);
    const bytes = encodeClove({
      delivery: { type: 'tunnel', gateway: gw, tunnelId: 0x01020304 },
      message: { type: 1, msgId: 0x0a0b0c0d, expiration: 1_700_000_000_000, payload: Uint8Array.of(9, 8) },
    });
    expect(bytes[0]).toBe(0x60);
    expect(bytes.subarray(1, 33)).toEqual(gw);
    expect([...bytes.subarray(33)]).toEqual([1, 2, 3, 4, 1, 0x0a, 0x0b, 0x0c, 0x0d, 0x65, 0x53, 0xf1, 0x00, 9, 8]);
    expect(encodeClove({ delivery: { type: 'router', hash: gw }, message: { type: 2, msgId: 0, expiration: 0, payload: new Uint8Array() } })[0]).toBe(0x40);
    expect(encodeClove({ delivery: { type: 'destination', hash: gw }, message: { type: 2, msgId: 0, expiration: 0, payload: new Uint8Array() } })[0]).toBe(0x20);
  });

  it('refuses what the spec forbids or nobody implements', () => {
    const body = new Uint8Array(9);
    expectGarlicError(() => decodeClove(Uint8Array.of(0x80, ...new Uint8Array(32), ...body)), 'UNSUPPORTED');
    expectGarlicError(() => decodeClove(Uint8Array.of(0x10, ...new Uint8Array(4), ...body)), 'UNSUPPORTED');
    expectGarlicError(() => decodeClove(Uint8Array.of(0x60, ...new Uint8Array(32), 0, 0, 0, 0, ...body)), 'MALFORMED'); // tunnel id 0
    expectGarlicError(() => decodeClove(Uint8Array.of(0x00, ...new Uint8Array(8))), 'MALFORMED'); // header cut short
    expectGarlicError(() => decodeClove(Uint8Array.of(0x40, ...new Uint8Array(31))), 'MALFORMED'); // hash cut short
    expectGarlicError(() => decodeClove(new Uint8Array(0)), 'MALFORMED');
    // Reserved bits 3-0 are ignored, as i2pd and Java do.
    expect(decodeClove(Uint8Array.of(0x0f, ...body)).delivery).toEqual({ type: 'local' });
    const msg = { type: 1, msgId: 1, expiration: 0, payload: new Uint8Array() };
    expectGarlicError(() => encodeClove({ delivery: { type: 'tunnel', gateway: new Uint8Array(32), tunnelId: 0 }, message: msg }), 'ENCODE');
    expectGarlicError(() => encodeClove({ delivery: { type: 'router', hash: new Uint8Array(31) }, message: msg }), 'ENCODE');
    expectGarlicError(() => encodeClove({ delivery: { type: 'local' }, message: { ...msg, expiration: 2 ** 33 * 1000 } }), 'ENCODE');
  });
});

describe('ECIES payload blocks', () => {
  it('round-trips any well-ordered block list', () => {
    fc.assert(
      fc.property(payload, (blocks) => {
        expect(decodePayload(encodePayload(blocks))).toEqual(blocks);
      }),
    );
  });

  it('reads the payload i2pd builds for a router (CreateGarlicPayload) and writes the same bytes', () => {
    const ts = 1_700_000_123;
    const body = Uint8Array.of(0, 0, 0, 42, 0, 0, 0, 0, 0, 0, 0, 1);
    const bytes = Uint8Array.of(
      0, 0, 4, ...u32(ts), // DateTime
      11, 0, body.length + 10, 0, 10, ...u32(0xdeadbeef), ...u32(ts + 8), ...body, // LOCAL clove, size = body + 10
      254, 0, 3, 0, 0, 0, // padding
    );
    const blocks = decodePayload(bytes);
    const c: GarlicClove = { delivery: { type: 'local' }, message: { type: 10, msgId: 0xdeadbeef, expiration: (ts + 8) * 1000, payload: body } };
    expect(blocks).toEqual([{ type: 'dateTime', timestamp: ts }, { type: 'clove', clove: c }, { type: 'padding', length: 3 }]);
    expect(cloves(blocks)).toEqual([c]);
    expect(encodePayload(routerGarlicPayload([c], ts * 1000 + 999, 3))).toEqual(bytes);
    expect(checkNewSessionBlocks(blocks)).toBe(ts);
  });

  it('checks every block size and the ordering rules', () => {
    expectGarlicError(() => decodePayload(Uint8Array.of(0, 0, 3, 1, 2, 3)), 'MALFORMED'); // DateTime of 3
    expectGarlicError(() => decodePayload(Uint8Array.of(0, 0, 5, 1, 2, 3, 4)), 'MALFORMED'); // runs past the end
    expectGarlicError(() => decodePayload(Uint8Array.of(254, 0, 0, 0)), 'MALFORMED'); // a stray byte
    expectGarlicError(() => decodePayload(Uint8Array.of(254, 0, 0, 254, 0, 0)), 'MALFORMED'); // padding not last
    expectGarlicError(() => decodePayload(Uint8Array.of(4, 0, 1, 0, 0, 0, 4, 1, 2, 3, 4)), 'MALFORMED'); // after termination
    expectGarlicError(() => decodePayload(Uint8Array.of(4, 0, 0)), 'MALFORMED');
    expectGarlicError(() => decodePayload(Uint8Array.of(6, 0, 1, 0)), 'MALFORMED');
    expectGarlicError(() => decodePayload(Uint8Array.of(7, 0, 3, 1, 0, 0)), 'MALFORMED'); // key flag, no key
    expectGarlicError(() => decodePayload(Uint8Array.of(7, 0, 3, 0, 0x80, 0)), 'MALFORMED'); // key id > 32767
    expectGarlicError(() => decodePayload(Uint8Array.of(8, 0, 6, 0, 0, 0, 0, 0, 0)), 'MALFORMED');
    expectGarlicError(() => decodePayload(Uint8Array.of(8, 0, 0)), 'MALFORMED');
    expectGarlicError(() => decodePayload(Uint8Array.of(9, 0, 2, 0, 0)), 'MALFORMED');
    expectGarlicError(() => decodePayload(Uint8Array.of(11, 0, 1, 0)), 'MALFORMED'); // clove too short
    expectGarlicError(() => decodePayload(new Uint8Array(65520)), 'MALFORMED');
    // A clove never reads into the next block: its size bounds it.
    expectGarlicError(() => decodePayload(Uint8Array.of(11, 0, 5, 0, 1, 2, 3, 4, 254, 0, 4, 0, 0, 0, 0)), 'MALFORMED');
    expect(decodePayload(new Uint8Array(0))).toEqual([]);
    expect(decodePayload(Uint8Array.of(200, 0, 1, 7))).toEqual([{ type: 'unknown', blockType: 200, data: Uint8Array.of(7) }]);
  });

  it('refuses to encode out-of-range fields, misordered blocks and oversize payloads', () => {
    expectGarlicError(() => encodePayload([{ type: 'padding', length: 1 }, { type: 'dateTime', timestamp: 1 }]), 'ENCODE');
    expectGarlicError(() => encodePayload([{ type: 'dateTime', timestamp: -1 }]), 'ENCODE');
    expectGarlicError(() => encodePayload([{ type: 'dateTime', timestamp: 2 ** 32 }]), 'ENCODE');
    expectGarlicError(() => encodePayload([{ type: 'nextKey', flags: 1, keyId: 0 }]), 'ENCODE');
    expectGarlicError(() => encodePayload([{ type: 'ack', acks: [] }]), 'ENCODE');
    expectGarlicError(() => encodePayload([{ type: 'unknown', blockType: 11, data: new Uint8Array() }]), 'ENCODE');
    expectGarlicError(() => encodePayload([{ type: 'padding', length: 65000 }, { type: 'padding', length: 600 }]), 'ENCODE');
    expectGarlicError(() => encodePayload([{ type: 'options', data: new Uint8Array(65000) }, { type: 'padding', length: 600 }]), 'ENCODE');
    expect(encodePayload([{ type: 'padding', length: 65516 }]).length).toBe(65519);
  });

  it('applies the New Session rules to router messages', () => {
    expectGarlicError(() => checkNewSessionBlocks([]), 'NO_DATETIME');
    expectGarlicError(() => checkNewSessionBlocks([{ type: 'padding', length: 0 }, { type: 'dateTime', timestamp: 1 }]), 'NO_DATETIME');
    expectGarlicError(() => checkNewSessionBlocks([{ type: 'dateTime', timestamp: 1 }, { type: 'ackRequest', flags: 0 }]), 'MALFORMED');
    expectGarlicError(() => checkNewSessionBlocks([{ type: 'dateTime', timestamp: 1 }, { type: 'dateTime', timestamp: 1 }]), 'MALFORMED');
    expect(checkNewSessionBlocks([{ type: 'dateTime', timestamp: 5 }, { type: 'unknown', blockType: 99, data: new Uint8Array() }])).toBe(5);
  });

  it('fuzz: random and mutated input only ever throws GarlicError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => onlyGarlicErrors(() => decodePayload(bytes))), { numRuns: 2000 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => onlyGarlicErrors(() => decodeClove(bytes))), { numRuns: 1000 });
    fc.assert(
      fc.property(payload, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (blocks, edits) => {
        const bytes = encodePayload(blocks);
        if (bytes.length === 0) return;
        for (const [at, v] of edits) bytes[at % bytes.length] = v;
        onlyGarlicErrors(() => decodePayload(bytes));
        onlyGarlicErrors(() => decodePayload(bytes.subarray(0, edits[0][0] % bytes.length)));
      }),
      { numRuns: 1000 },
    );
  });
});

function u32(v: number): number[] {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}
