import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  base32Decode,
  base32Encode,
  decodeCertificate,
  decodeKeysAndCert,
  decodeLease2,
  decodeLeaseSet2,
  decodeMapping,
  decodePrivateKeys,
  decodeRouterAddress,
  decodeRouterInfo,
  decodeString,
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
  i2pBase64Encode,
} from '../../../src/router/data/index.js';
import * as arb from './arbitraries.js';

/** decode(encode(v)) equals v, and encoding that again gives the same bytes. */
function roundTrips<T>(value: T, encode: (v: T) => Uint8Array, decode: (b: Uint8Array) => T): void {
  const bytes = encode(value);
  const back = decode(bytes);
  expect(back).toEqual(value);
  expect(encode(back)).toEqual(bytes);
}

const runs = { numRuns: 200 };

describe('round trips (fast-check)', () => {
  it('I2P Base64', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
        const text = i2pBase64Encode(b);
        expect(text).toMatch(/^[A-Za-z0-9~-]*={0,2}$/);
        expect(i2pBase64Decode(text)).toEqual(b);
        expect(text).toBe(Buffer.from(b).toString('base64').replace(/\+/g, '-').replace(/\//g, '~'));
      }),
      runs,
    );
  });

  it('base32', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
        const text = base32Encode(b);
        expect(text).toMatch(/^[a-z2-7]*$/);
        expect(base32Decode(text)).toEqual(b);
      }),
      runs,
    );
  });

  it('String', () => {
    fc.assert(fc.property(arb.i2pString, (s) => roundTrips(s, (v) => encodeString(v), (b) => decodeString(b))), runs);
  });

  it('Mapping', () => {
    fc.assert(fc.property(arb.mapping, (m) => roundTrips(m, encodeMapping, (b) => decodeMapping(b))), runs);
  });

  it('Certificate', () => {
    fc.assert(fc.property(arb.certificate, (c) => roundTrips(c, encodeCertificate, decodeCertificate)), runs);
  });

  it('KeysAndCert', () => {
    fc.assert(fc.property(arb.keysAndCert, (k) => roundTrips(k, encodeKeysAndCert, decodeKeysAndCert)), runs);
  });

  it('RouterAddress', () => {
    fc.assert(fc.property(arb.routerAddress, (a) => roundTrips(a, encodeRouterAddress, decodeRouterAddress)), runs);
  });

  it('RouterInfo', () => {
    fc.assert(fc.property(arb.routerInfo, (ri) => roundTrips(ri, encodeRouterInfo, decodeRouterInfo)), { numRuns: 100 });
  });

  it('Lease2', () => {
    fc.assert(fc.property(arb.lease2, (l) => roundTrips(l, encodeLease2, decodeLease2)), runs);
  });

  it('LeaseSet2, with and without the type byte', () => {
    fc.assert(
      fc.property(arb.leaseSet2, (ls) => {
        roundTrips(ls, encodeLeaseSet2, (b) => decodeLeaseSet2(b));
        const typed = encodeLeaseSet2(ls, { withTypeByte: true });
        expect(typed[0]).toBe(3);
        expect(decodeLeaseSet2(typed, { withTypeByte: true })).toEqual(ls);
      }),
      { numRuns: 100 },
    );
  });

  it('PrivateKeys', () => {
    fc.assert(fc.property(arb.privateKeys, (pk) => roundTrips(pk, encodePrivateKeys, decodePrivateKeys)), { numRuns: 100 });
  });
});
