import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  base32Decode,
  decodeCertificate,
  decodeDestination,
  decodeKeysAndCert,
  decodeLease2,
  decodeLeaseSet2,
  decodeMapping,
  decodePrivateKeys,
  decodeRouterAddress,
  decodeRouterInfo,
  decodeString,
  DecodeError,
  encodeCertificate,
  encodeKeysAndCert,
  encodeLease2,
  encodeLeaseSet2,
  encodeMapping,
  encodePrivateKeys,
  encodeRouterAddress,
  encodeRouterInfo,
  encodeString,
  i2pBase64Decode,
  inspectBytes,
  parseB32Address,
  signLeaseSet2,
  createPrivateKeys,
} from '../../../src/router/data/index.js';
import { fixture, ROUTER_INFO_FILES } from './fixtures.js';

/**
 * A decoder may return a value or throw DecodeError; anything else is a bug. Whatever it
 * accepts must re-encode to exactly the input: decoding is strict enough that every accepted
 * input is canonical (which is what lets a signature be checked over re-encoded fields).
 */
function onlyDecodeError(decode: () => unknown, input?: Uint8Array, encode?: (v: never) => Uint8Array): void {
  try {
    const value = decode();
    if (input && encode) expect(encode(value as never)).toEqual(input);
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    expect(e.offset).toBeGreaterThanOrEqual(0);
    expect(e.field.length).toBeGreaterThan(0);
  }
}

const keys = createPrivateKeys();
const sampleLeaseSet = encodeLeaseSet2(
  signLeaseSet2(
    {
      destination: keys.destination,
      published: 1_700_000_000,
      expires: 600,
      flags: 0,
      options: new Map([['_smtp._tcp', '0 86400 25']]),
      encryptionKeys: [{ type: 4, key: new Uint8Array(32).fill(3) }],
      leases: [{ gateway: new Uint8Array(32).fill(1), tunnelId: 7, endDate: 1_700_000_600 }],
    },
    keys.signingPrivateKey,
  ),
);

type Codec = [decode: (b: Uint8Array) => unknown, encode?: (v: never) => Uint8Array];
const decoders: Record<string, Codec> = {
  string: [(b) => decodeString(b), encodeString],
  mapping: [(b) => decodeMapping(b), encodeMapping],
  certificate: [decodeCertificate, encodeCertificate],
  keysAndCert: [decodeKeysAndCert, encodeKeysAndCert],
  destination: [decodeDestination, encodeKeysAndCert],
  routerAddress: [decodeRouterAddress, encodeRouterAddress],
  routerInfo: [decodeRouterInfo, encodeRouterInfo],
  lease2: [decodeLease2, encodeLease2],
  leaseSet2: [(b) => decodeLeaseSet2(b), (v) => encodeLeaseSet2(v)],
  leaseSet2Typed: [(b) => decodeLeaseSet2(b, { withTypeByte: true }), (v) => encodeLeaseSet2(v, { withTypeByte: true })],
  privateKeys: [decodePrivateKeys, encodePrivateKeys],
  inspect: [inspectBytes],
};

const seeds: Uint8Array[] = [
  ...ROUTER_INFO_FILES.map(fixture),
  fixture('eepsite-keys.dat'),
  fixture('eepsite-keys.dat').subarray(0, 391),
  sampleLeaseSet,
];

/** Mutations of valid bytes: flips, overwrites, truncation, extension, splices. */
const mutated = fc
  .tuple(
    fc.constantFrom(...seeds),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
    fc.oneof(fc.constant<'none'>('none'), fc.constant<'truncate'>('truncate'), fc.constant<'extend'>('extend')),
    fc.nat(),
  )
  .map(([seed, edits, shape, n]) => {
    let b = seed.slice();
    for (const [pos, val] of edits) b[pos % b.length] = val;
    if (shape === 'truncate') b = b.subarray(0, n % b.length);
    if (shape === 'extend') b = new Uint8Array([...b, ...new Uint8Array((n % 5) + 1).fill(n & 0xff)]);
    return b;
  });

describe('decoder fuzz: arbitrary and mutated bytes give a value or a DecodeError only', () => {
  for (const [name, [decode, encode]] of Object.entries(decoders)) {
    it(name, () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 1200 }), (b) => onlyDecodeError(() => decode(b), b, encode)), { numRuns: 300 });
      fc.assert(fc.property(mutated, (b) => onlyDecodeError(() => decode(b), b, encode)), { numRuns: 400 });
    });
  }

  it('text decoders (base64, base32, b32)', () => {
    const text = fc.string({ unit: 'binary', maxLength: 80 });
    const alphabetish = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABC234567-~=+/.'.split('')), maxLength: 80 });
    for (const arb of [text, alphabetish]) {
      fc.assert(
        fc.property(arb, (s) => {
          onlyDecodeError(() => i2pBase64Decode(s));
          onlyDecodeError(() => base32Decode(s));
          onlyDecodeError(() => parseB32Address(s));
          onlyDecodeError(() => parseB32Address(`${s}.b32.i2p`));
        }),
        { numRuns: 300 },
      );
    }
  });
});
