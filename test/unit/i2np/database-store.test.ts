import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError, EncodeError } from '../../../src/router/data/errors.js';
import {
  decodeDatabaseStore,
  encodeDatabaseStore,
  gunzipRouterInfo,
  gzipRouterInfo,
  I2npType,
  StoreType,
  type DatabaseStore,
} from '../../../src/router/i2np/index.js';
import { captureDecodeError } from '../../helpers/decode-error.js';

const fill = (n: number, v: number) => new Uint8Array(n).fill(v);
const cat = (...parts: (Uint8Array | number[])[]) => new Uint8Array(Buffer.concat(parts.map((p) => Uint8Array.from(p))));

describe('RouterInfo gzip framing', () => {
  it('writes the Java router header 1F 8B 08 00 00 00 00 00 02 FF', () => {
    const gz = gzipRouterInfo(fill(700, 7));
    expect(Array.from(gz.subarray(0, 10))).toEqual([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x02, 0xff]);
  });

  it('round-trips any RouterInfo bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 3000 }), (ri) => {
        expect(gunzipRouterInfo(gzipRouterInfo(ri), 3000)).toEqual(ri);
      }),
      { numRuns: 50 },
    );
  });

  it('bounds a gzip bomb: a few hundred bytes that inflate past the limit', () => {
    const bomb = new Uint8Array(gzipSync(new Uint8Array(10 * 1024 * 1024), { level: 9 }));
    expect(bomb.length).toBeLessThan(20_000);
    const err = captureDecodeError(() => gunzipRouterInfo(bomb, 64 * 1024, 77));
    expect(err.field).toBe('routerInfo');
    expect(err.offset).toBe(77);
    expect(err.reason).toMatch(/inflates past 65536/);
  });

  it('accepts output of exactly the limit', () => {
    expect(gunzipRouterInfo(gzipRouterInfo(fill(1000, 1)), 1000)).toHaveLength(1000);
    expect(() => gunzipRouterInfo(gzipRouterInfo(fill(1001, 1)), 1000)).toThrow(DecodeError);
  });

  it('turns corrupt, truncated and empty gzip into DecodeError', () => {
    const gz = gzipRouterInfo(fill(500, 3));
    const flipped = gz.slice();
    flipped[gz.length - 6] ^= 0xff; // CRC-32
    expect(() => gunzipRouterInfo(flipped)).toThrow(DecodeError);
    expect(() => gunzipRouterInfo(gz.subarray(0, gz.length - 3))).toThrow(DecodeError);
    expect(() => gunzipRouterInfo(new Uint8Array(0))).toThrow(DecodeError);
    expect(() => gunzipRouterInfo(fill(40, 0x41))).toThrow(DecodeError);
    expect(() => gunzipRouterInfo(new Uint8Array(gzipSync(new Uint8Array(0))))).toThrow(/nothing/);
  });
});

describe('DatabaseStore layout', () => {
  const KEY = fill(32, 0xaa);
  const GW = fill(32, 0xbb);

  it('RouterInfo store without a reply token: key, type 0, token 0, length(2), gzip', () => {
    const gz = gzipRouterInfo(fill(700, 9));
    const bytes = cat(KEY, [0], [0, 0, 0, 0], [gz.length >> 8, gz.length & 0xff], gz);
    const msg: DatabaseStore = { type: I2npType.DatabaseStore, key: KEY, storeType: StoreType.RouterInfo, data: gz };
    expect(encodeDatabaseStore(msg)).toEqual(bytes);
    expect(decodeDatabaseStore(bytes)).toEqual(msg);
  });

  it('LeaseSet2 store with a reply token: token, tunnel id and gateway, data to the end', () => {
    const ls = fill(300, 0x5c);
    const bytes = cat(KEY, [3], [0, 0, 0x12, 0x34], [0, 0, 0, 9], GW, ls);
    const msg: DatabaseStore = {
      type: I2npType.DatabaseStore,
      key: KEY,
      storeType: StoreType.LeaseSet2,
      reply: { token: 0x1234, tunnelId: 9, gateway: GW },
      data: ls,
    };
    expect(encodeDatabaseStore(msg)).toEqual(bytes);
    expect(decodeDatabaseStore(bytes)).toEqual(msg);
  });

  it('ignores type bits 7-4 and rejects the invalid subtypes', () => {
    expect(decodeDatabaseStore(cat(KEY, [0xf3], [0, 0, 0, 0], [1])).storeType).toBe(3);
    for (const t of [2, 4, 6, 8, 9, 15]) {
      expect(() => decodeDatabaseStore(cat(KEY, [t], [0, 0, 0, 0], [1]))).toThrow(/store type/);
    }
  });

  it('checks the RouterInfo length against what follows', () => {
    expect(() => decodeDatabaseStore(cat(KEY, [0], [0, 0, 0, 0], [0, 5], [1, 2, 3, 4]))).toThrow(/says 5 bytes/);
    expect(() => decodeDatabaseStore(cat(KEY, [0], [0, 0, 0, 0], [0, 2], [1, 2, 3]))).toThrow(/says 2 bytes/);
    expect(() => decodeDatabaseStore(cat(KEY, [1], [0, 0, 0, 0]))).toThrow(DecodeError);
  });

  it('refuses to encode a reply with token 0 or an oversized RouterInfo', () => {
    const base: DatabaseStore = { type: I2npType.DatabaseStore, key: KEY, storeType: StoreType.RouterInfo, data: fill(10, 1) };
    expect(() => encodeDatabaseStore({ ...base, reply: { token: 0, tunnelId: 1, gateway: GW } })).toThrow(EncodeError);
    expect(() => encodeDatabaseStore({ ...base, data: fill(0x10000, 1) })).toThrow(EncodeError);
  });
});

