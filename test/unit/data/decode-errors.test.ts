import { describe, expect, it } from 'vitest';
import {
  base32Decode,
  decodeCertificate,
  decodeLeaseSet2,
  decodeMapping,
  decodeRouterInfo,
  decodeString,
  DecodeError,
  encodeMapping,
  i2pBase64Decode,
  i2pBase64Encode,
  inspectBytes,
  parseB32Address,
} from '../../../src/router/data/index.js';
import { fixture } from './fixtures.js';
import { captureDecodeError } from '../../helpers/decode-error.js';


// router1.info: identity 0..390, published 391..398, size at 399, address 0 (cost 400,
// expiration 401..408, transport style 409..), ..., signature in the last 64 bytes.
describe('DecodeError names the field and the absolute offset', () => {
  const ri = fixture('router1.info');

  it('a RouterInfo truncated inside published', () => {
    const e = captureDecodeError(() => decodeRouterInfo(ri.subarray(0, 395)));
    expect(e.field).toBe('routerInfo.published');
    expect(e.offset).toBe(391);
  });

  it('a RouterInfo truncated inside the signature', () => {
    const e = captureDecodeError(() => decodeRouterInfo(ri.subarray(0, ri.length - 10)));
    expect(e.field).toBe('routerInfo.signature');
    expect(e.offset).toBe(ri.length - 64);
    expect(e.message).toBe(`routerInfo.signature at byte ${ri.length - 64}: needs 64 bytes, only 54 left`);
  });

  it('a RouterInfo with a trailing byte', () => {
    const e = captureDecodeError(() => decodeRouterInfo(new Uint8Array([...ri, 0])));
    expect(e.offset).toBe(ri.length);
    expect(e.reason).toMatch(/trailing/);
  });

  it('a RouterInfo whose truncated certificate cuts the identity', () => {
    const e = captureDecodeError(() => decodeRouterInfo(ri.subarray(0, 386)));
    expect(e.field).toBe('routerInfo.identity.certificate.length');
    expect(e.offset).toBe(385);
  });

  it('a non-zero address expiration', () => {
    const bad = ri.slice();
    bad[408] = 1;
    const e = captureDecodeError(() => decodeRouterInfo(bad));
    expect(e.field).toBe('routerInfo.addresses[0].expiration');
    expect(e.offset).toBe(401);
  });

  it('a non-zero peer_size', () => {
    const bad = ri.slice();
    // peer_size is the byte before the options mapping, whose 2-byte size is 0x005d in router1.info.
    const optionsAt = findOptions(bad);
    bad[optionsAt - 1] = 1;
    const e = captureDecodeError(() => decodeRouterInfo(bad));
    expect(e.field).toBe('routerInfo.peerSize');
    expect(e.offset).toBe(optionsAt - 1);
  });

  it('an unknown signing type in the key certificate', () => {
    const bad = ri.slice();
    bad[387] = 0;
    bad[388] = 99; // sig type 99
    const e = captureDecodeError(() => decodeRouterInfo(bad));
    expect(e.field).toBe('routerInfo.identity.certificate.sigType');
    expect(e.offset).toBe(387);
  });

  it('a KEY certificate with excess bytes', () => {
    const e = captureDecodeError(() => decodeCertificate(new Uint8Array([5, 0, 5, 0, 7, 0, 4, 0xaa])));
    expect(e.field).toBe('certificate.length');
    expect(e.offset).toBe(1);
  });

  it('a NULL certificate with a payload', () => {
    expect(captureDecodeError(() => decodeCertificate(new Uint8Array([0, 0, 1, 0]))).field).toBe('certificate.length');
  });

  it('inspect reports the error of the likeliest kind', () => {
    const e = captureDecodeError(() => inspectBytes(ri.subarray(0, ri.length - 10)));
    expect(e.field).toBe('routerInfo.signature');
  });
});

function findOptions(ri: Uint8Array): number {
  for (let i = 400; i < ri.length - 2; i++) if (ri[i] === 0x00 && ri[i + 1] === 0x5d && ri[i + 2] === 4) return i;
  throw new Error('options not found');
}

describe('Mapping strictness', () => {
  const entry = (k: string, v: string) => [k.length, ...Buffer.from(k), 0x3d, v.length, ...Buffer.from(v), 0x3b];
  const mappingOf = (...entries: number[][]) => {
    const body = entries.flat();
    return new Uint8Array([body.length >> 8, body.length & 0xff, ...body]);
  };

  it('encodes sorted by key (Java String order: UTF-16 code units)', () => {
    const m = new Map([
      ['b', '2'],
      ['a', '1'],
      ['\u{1F600}', 'x'],
      ['\uFF21', 'y'],
    ]);
    const keys = [...decodeMapping(encodeMapping(m)).keys()];
    expect(keys).toEqual(['a', 'b', '\u{1F600}', '\uFF21']); // surrogates (D83D) sort before U+FF21
  });

  it('refuses duplicate keys (always) and unsorted keys (unless allowed)', () => {
    const dup = mappingOf(entry('a', '1'), entry('a', '2'));
    const e = captureDecodeError(() => decodeMapping(dup));
    expect(e.field).toBe('mapping[a]');
    expect(e.offset).toBe(8); // 2-byte size + the 6-byte first entry
    expect(e.reason).toBe('duplicate key');
    expect(() => decodeMapping(dup, { allowUnsorted: true })).toThrow(DecodeError);

    const unsorted = mappingOf(entry('b', '1'), entry('a', '2'));
    expect(captureDecodeError(() => decodeMapping(unsorted)).reason).toMatch(/not sorted/);
    expect([...decodeMapping(unsorted, { allowUnsorted: true })]).toEqual([
      ['b', '1'],
      ['a', '2'],
    ]);
  });

  it("refuses a missing '=' or ';' and a size past the end", () => {
    expect(captureDecodeError(() => decodeMapping(new Uint8Array([0, 4, 1, 0x61, 0x3a, 0]))).reason).toMatch(/'='/);
    expect(captureDecodeError(() => decodeMapping(new Uint8Array([0, 5, 1, 0x61, 0x3d, 0, 0x3a]))).reason).toMatch(/';'/);
    expect(captureDecodeError(() => decodeMapping(new Uint8Array([0, 9, 1, 0x61]))).field).toBe('mapping');
  });

  it('refuses invalid UTF-8 in a String', () => {
    const e = captureDecodeError(() => decodeString(new Uint8Array([2, 0xc3, 0x28])));
    expect(e.reason).toMatch(/UTF-8/);
    expect(e.offset).toBe(1);
  });
});

describe('text encodings are strict', () => {
  it('I2P Base64 uses - and ~, refuses + / whitespace and bad padding', () => {
    expect(i2pBase64Encode(new Uint8Array([0xfb, 0xff]))).toBe('-~8=');
    expect(i2pBase64Decode('-~8=')).toEqual(new Uint8Array([0xfb, 0xff]));
    expect(captureDecodeError(() => i2pBase64Decode('+/8=')).offset).toBe(0);
    expect(captureDecodeError(() => i2pBase64Decode('-~8')).reason).toMatch(/multiple of 4/);
    expect(captureDecodeError(() => i2pBase64Decode('-~9=')).reason).toMatch(/unused bits/);
    expect(captureDecodeError(() => i2pBase64Decode('A=AA')).offset).toBe(1);
    expect(captureDecodeError(() => i2pBase64Decode('AA A')).offset).toBe(2);
  });

  it('base32 matches RFC 4648 lowercase without padding', () => {
    // RFC 4648 section 10 vectors, lowercased and unpadded.
    const vectors: Array<[string, string]> = [['f', 'my'], ['fo', 'mzxq'], ['foo', 'mzxw6'], ['foob', 'mzxw6yq'], ['fooba', 'mzxw6ytb'], ['foobar', 'mzxw6ytboi']];
    for (const [plain, enc] of vectors) expect(base32Decode(enc)).toEqual(new Uint8Array(Buffer.from(plain)));
    expect(captureDecodeError(() => base32Decode('MZXW6')).offset).toBe(0);
    expect(captureDecodeError(() => base32Decode('mz')).reason).toMatch(/trailing bits/);
  });

  it('b32 addresses are 52 characters + .b32.i2p', () => {
    expect(() => parseB32Address('abc.b32.i2p')).toThrow(/52/);
    expect(() => parseB32Address('a'.repeat(52) + '.i2p')).toThrow(/\.b32\.i2p/);
    expect(parseB32Address('A'.repeat(52) + '.B32.I2P')).toEqual(new Uint8Array(32));
  });
});

describe('LeaseSet2 structural limits', () => {
  it('refuses a wrong type byte', () => {
    const e = captureDecodeError(() => decodeLeaseSet2(new Uint8Array([1, 2, 3]), { withTypeByte: true }));
    expect(e.field).toBe('type');
    expect(e.offset).toBe(0);
  });
});
