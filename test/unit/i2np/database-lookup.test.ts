import { describe, expect, it } from 'vitest';
import { DecodeError, EncodeError } from '../../../src/router/data/errors.js';
import {
  decodeDatabaseLookup,
  encodeDatabaseLookup,
  I2npType,
  type DatabaseLookup,
  type LookupReplyEncryption,
  type LookupType,
} from '../../../src/router/i2np/index.js';

const fill = (n: number, v: number) => new Uint8Array(n).fill(v);
const cat = (...parts: (Uint8Array | number[])[]) => new Uint8Array(Buffer.concat(parts.map((p) => Uint8Array.from(p))));
const be32 = (v: number) => [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];

const KEY = fill(32, 0x11);
const FROM = fill(32, 0x22);
const EXCLUDED = [fill(32, 0x33), fill(32, 0x44)];
const REPLY_KEY = fill(32, 0x55);

const lookupTypes: [LookupType, number][] = [
  ['any', 0b0000],
  ['leaseset', 0b0100],
  ['routerinfo', 0b1000],
  ['exploration', 0b1100],
];

/** [encryption, flag bits, the trailing bytes the spec lays out for it] */
const encryptions: [LookupReplyEncryption, number, Uint8Array][] = [
  [{ kind: 'none' }, 0x00, new Uint8Array(0)],
  [
    { kind: 'elgamal', replyKey: REPLY_KEY, replyTags: [fill(32, 0x66), fill(32, 0x77)] },
    0x02,
    cat(REPLY_KEY, [2], fill(32, 0x66), fill(32, 0x77)),
  ],
  [{ kind: 'ecies', replyKey: REPLY_KEY, replyTag: fill(8, 0x88) }, 0x10, cat(REPLY_KEY, [1], fill(8, 0x88))],
  [
    { kind: 'ecies-both-flags', replyKey: REPLY_KEY, replyTag: fill(8, 0x99) },
    0x12,
    cat(REPLY_KEY, [1], fill(8, 0x99)),
  ],
];

describe('DatabaseLookup: every flag combination against bytes laid out from the spec', () => {
  for (const delivery of [false, true]) {
    for (const [lookupType, typeBits] of lookupTypes) {
      for (const [encryption, encBits, tail] of encryptions) {
        it(`delivery=${delivery} type=${lookupType} encryption=${encryption.kind}`, () => {
          const msg: DatabaseLookup = {
            type: I2npType.DatabaseLookup,
            key: KEY,
            from: FROM,
            lookupType,
            excludedPeers: EXCLUDED,
            encryption,
          };
          if (delivery) msg.replyTunnelId = 0x0a0b0c0d;
          const flags = (delivery ? 1 : 0) | typeBits | encBits;
          const bytes = cat(KEY, FROM, [flags], delivery ? be32(0x0a0b0c0d) : [], [0, 2], ...EXCLUDED, tail);
          expect(encodeDatabaseLookup(msg)).toEqual(bytes);
          expect(decodeDatabaseLookup(bytes)).toEqual(msg);
        });
      }
    }
  }

  it('decodes the lease-set lookup i2pd sends (flags 0x15: delivery, LS, ECIES)', () => {
    const bytes = cat(KEY, FROM, [0x15], be32(7), [0, 0], REPLY_KEY, [1], fill(8, 0xab));
    expect(decodeDatabaseLookup(bytes)).toEqual({
      type: I2npType.DatabaseLookup,
      key: KEY,
      from: FROM,
      lookupType: 'leaseset',
      replyTunnelId: 7,
      excludedPeers: [],
      encryption: { kind: 'ecies', replyKey: REPLY_KEY, replyTag: fill(8, 0xab) },
    });
  });

  it('ignores the reserved flag bits 7-5 on receive', () => {
    const bytes = cat(KEY, FROM, [0xe8], [0, 0]);
    expect(decodeDatabaseLookup(bytes).lookupType).toBe('routerinfo');
  });
});

describe('DatabaseLookup limits', () => {
  const base = cat(KEY, FROM, [0x00]);
  it('accepts 512 excluded peers and rejects 513', () => {
    const ok = cat(base, [0x02, 0x00], fill(512 * 32, 1));
    expect(decodeDatabaseLookup(ok).excludedPeers).toHaveLength(512);
    expect(() => decodeDatabaseLookup(cat(base, [0x02, 0x01], fill(513 * 32, 1)))).toThrow(/at most 512/);
  });
  it('rejects an ECIES tag count other than 1 and an ElGamal count outside 1..32', () => {
    expect(() => decodeDatabaseLookup(cat(KEY, FROM, [0x10], [0, 0], REPLY_KEY, [2], fill(16, 0)))).toThrow(DecodeError);
    expect(() => decodeDatabaseLookup(cat(KEY, FROM, [0x02], [0, 0], REPLY_KEY, [0]))).toThrow(DecodeError);
    expect(() => decodeDatabaseLookup(cat(KEY, FROM, [0x02], [0, 0], REPLY_KEY, [33], fill(33 * 32, 0)))).toThrow(DecodeError);
  });
  it('rejects a zero reply tunnel id, a missing reply key and trailing bytes', () => {
    expect(() => decodeDatabaseLookup(cat(KEY, FROM, [0x01], be32(0), [0, 0]))).toThrow(/non-zero/);
    expect(() => decodeDatabaseLookup(cat(KEY, FROM, [0x10], [0, 0]))).toThrow(DecodeError);
    expect(() => decodeDatabaseLookup(cat(KEY, FROM, [0x00], [0, 0], [0]))).toThrow(/trailing/);
  });
  it('refuses to encode bad counts and sizes', () => {
    const msg: DatabaseLookup = {
      type: I2npType.DatabaseLookup,
      key: KEY,
      from: FROM,
      lookupType: 'any',
      excludedPeers: [],
      encryption: { kind: 'none' },
    };
    expect(() => encodeDatabaseLookup({ ...msg, excludedPeers: Array(513).fill(KEY) })).toThrow(EncodeError);
    expect(() => encodeDatabaseLookup({ ...msg, replyTunnelId: 0 })).toThrow(EncodeError);
    expect(() => encodeDatabaseLookup({ ...msg, key: fill(31, 0) })).toThrow(EncodeError);
    expect(() =>
      encodeDatabaseLookup({ ...msg, encryption: { kind: 'elgamal', replyKey: REPLY_KEY, replyTags: [] } }),
    ).toThrow(EncodeError);
    expect(() =>
      encodeDatabaseLookup({ ...msg, encryption: { kind: 'ecies', replyKey: REPLY_KEY, replyTag: fill(32, 0) } }),
    ).toThrow(EncodeError);
  });
});
