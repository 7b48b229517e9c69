import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeReseedSu3, decodeSu3, Su3Error, type Su3ErrorCode } from '../../../src/router/netdb/su3.js';
import { buildSu3, buildZip } from './helpers.js';

const zip = buildZip([{ name: 'routerInfo-x.dat', data: new Uint8Array([1, 2, 3]) }]);

function su3Error(fn: () => unknown): Su3Error {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(Su3Error);
    return err as Su3Error;
  }
  throw new Error('expected an Su3Error');
}

describe('SU3', () => {
  it('parses the header, version, signer, content and signature', () => {
    const file = buildSu3(zip, { version: '1764028800', signerId: 'reseed@example.i2p' });
    const su3 = decodeReseedSu3(file);
    expect(su3).toMatchObject({ sigType: 6, version: '1764028800', signerId: 'reseed@example.i2p', fileType: 0, contentType: 3 });
    expect(su3.content).toEqual(zip);
    expect(su3.signature.length).toBe(512);
    expect(su3.signedBytes.length).toBe(file.length - 512);
    expect(su3.signedBytes).toEqual(file.subarray(0, file.length - 512));
  });

  it('keeps a version longer than 16 bytes and strips only trailing zero padding', () => {
    const su3 = decodeSu3(buildSu3(zip, { version: '0.9.62-12-rc-extra', sigType: 8, sigLength: 64 }));
    expect(su3.version).toBe('0.9.62-12-rc-extra');
    expect(su3.sigType).toBe(8);
  });

  it('checks the signature length against the signature type', () => {
    expect(decodeSu3(buildSu3(zip, { sigType: 0, sigLength: 40 })).signature.length).toBe(40);
    expect(su3Error(() => decodeSu3(buildSu3(zip, { sigType: 6, sigLength: 256 }))).code).toBe('BAD_LENGTH');
    expect(su3Error(() => decodeSu3(buildSu3(zip, { sigType: 9, sigLength: 64 }))).code).toBe('UNSUPPORTED');
  });

  const cases: [string, () => Uint8Array, Su3ErrorCode, string][] = [
    ['bad magic', () => Uint8Array.from(buildSu3(zip), (b, i) => (i === 0 ? 0x58 : b)), 'BAD_MAGIC', 'magic'],
    ['format version 1', () => buildSu3(zip, { formatVersion: 1 }), 'UNSUPPORTED', 'formatVersion'],
    ['short version field', () => buildSu3(zip, { version: '1', versionLength: 15 }), 'BAD_LENGTH', 'versionLength'],
    ['empty signer id', () => buildSu3(zip, { signerId: '' }), 'BAD_LENGTH', 'signerIdLength'],
    ['content longer than the file', () => buildSu3(zip, { contentLength: BigInt(zip.length + 1) }), 'TRUNCATED', 'contentLength'],
    ['content length near 2^64', () => buildSu3(zip, { contentLength: 0xffffffffffffffffn }), 'TRUNCATED', 'contentLength'],
    ['content shorter than declared leaves trailing bytes', () => buildSu3(zip, { contentLength: BigInt(zip.length - 1) }), 'BAD_LENGTH', 'signature'],
    ['zero content', () => buildSu3(new Uint8Array(0)), 'BAD_LENGTH', 'contentLength'],
    ['header only', () => buildSu3(zip).subarray(0, 39), 'TRUNCATED', 'header'],
    ['signature cut', () => buildSu3(zip).subarray(0, 40 + 16 + 13 + zip.length + 100), 'TRUNCATED', 'contentLength'],
  ];
  for (const [what, make, code, field] of cases) {
    it(`refuses ${what}`, () => {
      const err = su3Error(() => decodeSu3(make()));
      expect([err.code, err.field]).toEqual([code, field]);
    });
  }

  it('refuses non-reseed content and non-zip files as reseed bundles', () => {
    expect(su3Error(() => decodeReseedSu3(buildSu3(zip, { contentType: 1 }))).field).toBe('contentType');
    expect(su3Error(() => decodeReseedSu3(buildSu3(zip, { fileType: 3 }))).field).toBe('fileType');
    expect(decodeSu3(buildSu3(zip, { contentType: 1 })).contentType).toBe(1);
  });

  it('refuses a signer id that is not UTF-8', () => {
    const file = buildSu3(zip, { signerId: 'ab' });
    file[40 + 16] = 0xff;
    expect(su3Error(() => decodeSu3(file)).field).toBe('signerId');
  });

  it('throws only Su3Error on random and mutated input (fuzz)', () => {
    const base = buildSu3(zip);
    const check = (b: Uint8Array): void => {
      try {
        decodeReseedSu3(b);
      } catch (err) {
        expect(err).toBeInstanceOf(Su3Error);
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 700 }), check), { numRuns: 300 });
    fc.assert(
      fc.property(fc.nat(79), fc.integer({ min: 1, max: 255 }), fc.nat(base.length), (at, x, cut) => {
        const b = Uint8Array.from(base);
        b[at] ^= x; // the header and the start of the version/signer fields
        check(b);
        check(base.subarray(0, cut));
      }),
      { numRuns: 1000 },
    );
  });
});
