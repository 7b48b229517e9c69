import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 as nobleX25519 } from '@noble/curves/ed25519.js';
import { hkdf as nobleHkdf } from '@noble/hashes/hkdf.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { x25519Generate } from '../../../src/router/crypto/index.js';
import { DecodeError } from '../../../src/router/data/errors.js';
import { SeededRandom } from '../../../src/router/runtime/index.js';
import {
  BuildRecordDecryptor,
  BuildRecordError,
  createLongBuildRecords,
  createShortBuildRecords,
  decryptLongReplies,
  decryptShortReplies,
  LONG_RECORD_LENGTH,
  SHORT_RECORD_LENGTH,
} from '../../../src/router/tunnel/build-crypto.js';
import {
  decodeLongBuildReply,
  decodeShortBuildReply,
  encodeLongBuildReply,
  encodeShortBuildReply,
} from '../../../src/router/tunnel/build-reply.js';
import {
  decodeLongBuildRequest,
  decodeShortBuildRequest,
  encodeLongBuildRequest,
  encodeShortBuildRequest,
} from '../../../src/router/tunnel/build-request.js';
import type { BuildRequest, LongBuildRequest } from '../../../src/router/tunnel/types.js';

/** Runs f: it may return or throw one of `allowed`, nothing else. Returns what was thrown, if anything. */
function only(allowed: (abstract new (...a: never[]) => Error)[], f: () => unknown): Error | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    if (!allowed.some((c) => e instanceof c)) throw e;
    return e as Error;
  }
}

/** Flips, overwrites a run, or sets the byte, at up to four places. Length is kept. */
function mutate(bytes: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc
    .array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), fc.boolean()), { minLength: 1, maxLength: 4 })
    .map((edits) => {
      const out = bytes.slice();
      for (const [i, x, set] of edits) out[i] = set ? x : out[i] ^ x;
      return out;
    });
}

const REQUEST: BuildRequest = {
  receiveTunnelId: 7,
  nextTunnelId: 9,
  nextIdent: new Uint8Array(32).fill(1),
  role: 'participant',
  layerEncryption: 0,
  requestTimeMinutes: 29_000_000,
  expirationSeconds: 600,
  nextMessageId: 12345,
  options: { m: '10', r: '20' },
};
const LONG_REQUEST: LongBuildRequest = {
  ...REQUEST,
  layerKey: new Uint8Array(32).fill(2),
  ivKey: new Uint8Array(32).fill(3),
  replyKey: new Uint8Array(32).fill(4),
  replyIv: new Uint8Array(16).fill(5),
};

const DECODERS: [string, number, (b: Uint8Array) => unknown, Uint8Array][] = [
  ['decodeShortBuildRequest', 154, decodeShortBuildRequest, encodeShortBuildRequest(REQUEST, new SeededRandom('a'))],
  ['decodeLongBuildRequest', 464, decodeLongBuildRequest, encodeLongBuildRequest(LONG_REQUEST, new SeededRandom('b'))],
  ['decodeShortBuildReply', 202, decodeShortBuildReply, encodeShortBuildReply({ options: { b: '99' }, reply: 0 }, new SeededRandom('c'))],
  ['decodeLongBuildReply', 512, decodeLongBuildReply, encodeLongBuildReply({ options: { b: '99' }, reply: 30 }, new SeededRandom('d'))],
];

describe('cleartext decoders throw only DecodeError', () => {
  for (const [name, length, decode, valid] of DECODERS) {
    it(`${name} on bytes of any length`, () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (b) => void only([DecodeError], () => decode(b))), { numRuns: 300 });
    });

    it(`${name} on random ${length}-byte cleartexts`, () => {
      let decoded = 0;
      fc.assert(
        fc.property(fc.uint8Array({ minLength: length, maxLength: length }), fc.nat(40), (b, mapLen) => {
          // A small Mapping size now and then, so some inputs get past it to the entries.
          const at = length === 154 ? 56 : length === 464 ? 168 : 0;
          if (mapLen % 2 === 0) {
            b[at] = 0;
            b[at + 1] = mapLen;
          }
          if (!only([DecodeError], () => decode(b))) decoded++;
        }),
        { numRuns: 500 },
      );
      expect(decoded).toBeGreaterThan(0);
    });

    it(`${name} on mutated valid encodings`, () => {
      fc.assert(fc.property(mutate(valid), (b) => void only([DecodeError], () => decode(b))), { numRuns: 500 });
    });
  }
});

// ---------------------------------------------------------------------------------------------

const random = new SeededRandom('fuzz-router');
const bob = x25519Generate();
const bobHash = random.bytes(32);
const decryptor = new BuildRecordDecryptor({ hash: bobHash, staticPrivateKey: bob.privateKey, staticPublicKey: bob.publicKey });

/** A record sealed to Bob around an arbitrary cleartext (noble), so the AEAD passes. */
function sealArbitrary(cleartext: Uint8Array, sesk: Uint8Array): Uint8Array {
  const ck0 = new Uint8Array(32);
  ck0.set(new TextEncoder().encode('Noise_N_25519_ChaChaPoly_SHA256'));
  const sepk = nobleX25519.getPublicKey(sesk);
  const h = nobleSha256(new Uint8Array([...nobleSha256(new Uint8Array([...nobleSha256(ck0), ...bob.publicKey])), ...sepk]));
  const k = nobleHkdf(nobleSha256, nobleX25519.getSharedSecret(sesk, bob.publicKey), ck0, new Uint8Array(0), 64).slice(32);
  const ct = chacha20poly1305(k, new Uint8Array(12), h).encrypt(cleartext);
  return new Uint8Array([...bobHash.subarray(0, 16), ...sepk, ...ct]);
}

const withOurPrefix = (n: number) =>
  fc.uint8Array({ minLength: n, maxLength: n }).map((b) => {
    b.set(bobHash.subarray(0, 16));
    return b;
  });

describe('the hop decryptor throws only BuildRecordError', () => {
  it('random 218- and 528-byte records with our prefix (the AEAD refuses them)', () => {
    fc.assert(
      fc.property(fc.oneof(withOurPrefix(SHORT_RECORD_LENGTH), withOurPrefix(LONG_RECORD_LENGTH)), (rec) => {
        const e = only([BuildRecordError], () =>
          rec.length === SHORT_RECORD_LENGTH ? decryptor.decryptShort(rec) : decryptor.decryptLong(rec),
        );
        expect(e).toBeInstanceOf(BuildRecordError);
        expect(['AUTH_FAILED', 'BAD_RECORD']).toContain((e as BuildRecordError).reason);
      }),
      { numRuns: 300 },
    );
  });

  it('records of any length, prefixed or not', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 600 }), withOurPrefix(300)), (rec) => {
        expect(only([BuildRecordError], () => decryptor.decryptShort(rec))).toBeInstanceOf(BuildRecordError);
        expect(only([BuildRecordError], () => decryptor.decryptLong(rec))).toBeInstanceOf(BuildRecordError);
      }),
      { numRuns: 200 },
    );
  });

  it('authentic records around random or mutated cleartexts: a request or BAD_RECORD', () => {
    const validShort = encodeShortBuildRequest(REQUEST, random);
    const validLong = encodeLongBuildRequest(LONG_REQUEST, random);
    let accepted = 0;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ minLength: 154, maxLength: 154 }),
          fc.uint8Array({ minLength: 464, maxLength: 464 }),
          mutate(validShort),
          mutate(validLong),
        ),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (cleartext, sesk) => {
          const rec = sealArbitrary(cleartext, sesk);
          const e = only([BuildRecordError], () => (cleartext.length === 154 ? decryptor.decryptShort(rec) : decryptor.decryptLong(rec)));
          if (e) expect((e as BuildRecordError).reason).toBe('BAD_RECORD');
          else accepted++;
        },
      ),
      { numRuns: 300 },
    );
    expect(accepted).toBeGreaterThan(0);
  });
});

describe('the creator reply decryption throws only BuildRecordError', () => {
  const r = new SeededRandom('fuzz-creator');
  const hop = { hash: bobHash, publicKey: bob.publicKey };
  const short = createShortBuildRecords([{ ...hop, request: REQUEST }, { ...hop, request: REQUEST }], [3, 1], 4, r);
  const long = createLongBuildRecords([{ ...hop, request: LONG_REQUEST }], [0], 4, r);

  it('random short reply records', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 218, maxLength: 218 }), { minLength: 4, maxLength: 4 }), (records) => {
        const e = only([BuildRecordError], () => decryptShortReplies(records, [3, 1], short.hopKeys));
        expect((e as BuildRecordError).reason).toBe('AUTH_FAILED');
      }),
      { numRuns: 200 },
    );
  });

  it('random long reply records', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 528, maxLength: 528 }), { minLength: 4, maxLength: 4 }), (records) => {
        const e = only([BuildRecordError], () => decryptLongReplies(records, [0], long.hopKeys, [LONG_REQUEST]));
        expect((e as BuildRecordError).reason).toBe('AUTH_FAILED');
      }),
      { numRuns: 100 },
    );
  });

  it('reply arrays of the wrong shape', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 10 }), (records) => {
        expect(only([BuildRecordError], () => decryptShortReplies(records, [3, 1], short.hopKeys))).toBeInstanceOf(BuildRecordError);
      }),
      { numRuns: 200 },
    );
  });
});
