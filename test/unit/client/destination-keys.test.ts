import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createDestinationKeys,
  decodeDestinationKeys,
  destinationB32,
  destinationHash,
  encodeDestinationKeys,
  type DestinationKeys,
} from '../../../src/router/client/destination-keys.js';
import { ed25519PublicKey, ed25519Sign, ed25519Verify, sha256, x25519PublicKey } from '../../../src/router/crypto/index.js';
import {
  createDestination,
  DecodeError,
  encodeKeysAndCert,
  encodePrivateKeys,
  keyTypes,
  parseB32Address,
} from '../../../src/router/data/index.js';
import { SeededRandom } from '../../../src/router/runtime/index.js';

/** Keys built from chosen bytes (createDestinationKeys draws its key pairs from node:crypto). */
function keysFrom(signingSeed: Uint8Array, x25519Private: Uint8Array, elgamalFiller: Uint8Array): DestinationKeys {
  return {
    privateKeys: { destination: createDestination(ed25519PublicKey(signingSeed)), encryptionPrivateKey: elgamalFiller, signingPrivateKey: signingSeed },
    encryption: { privateKey: x25519Private, publicKey: x25519PublicKey(x25519Private) },
  };
}

function expectSameKeys(a: DestinationKeys, b: DestinationKeys): void {
  expect(encodeKeysAndCert(b.privateKeys.destination)).toEqual(encodeKeysAndCert(a.privateKeys.destination));
  expect(b.privateKeys.encryptionPrivateKey).toEqual(a.privateKeys.encryptionPrivateKey);
  expect(b.privateKeys.signingPrivateKey).toEqual(a.privateKeys.signingPrivateKey);
  expect(b.privateKeys.offline).toBeUndefined();
  expect(b.encryption.privateKey).toEqual(a.encryption.privateKey);
  expect(b.encryption.publicKey).toEqual(a.encryption.publicKey);
}

/** A decoder may return a value or throw DecodeError; anything else is a bug. */
function valueOrDecodeError(bytes: Uint8Array): DestinationKeys | DecodeError {
  try {
    return decodeDestinationKeys(bytes);
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    expect(e.offset).toBeGreaterThanOrEqual(0);
    expect(e.field.length).toBeGreaterThan(0);
    return e;
  }
}

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe('destination keys', () => {
  it('a created destination is crypto type 0 with Ed25519 (7), its keys pair up, and the key file is i2pd\'s plus 32 bytes', () => {
    const k = createDestinationKeys(new SeededRandom('dest keys'));
    expect(keyTypes(k.privateKeys.destination)).toEqual({ sigType: 7, cryptoType: 0 });
    expect(k.privateKeys.destination.signingPublicKey).toEqual(ed25519PublicKey(k.privateKeys.signingPrivateKey));
    expect(k.encryption.publicKey).toEqual(x25519PublicKey(k.encryption.privateKey));
    expect(k.privateKeys.encryptionPrivateKey).toHaveLength(256);
    const msg = new TextEncoder().encode('signed by the destination');
    expect(ed25519Verify(k.privateKeys.destination.signingPublicKey, msg, ed25519Sign(k.privateKeys.signingPrivateKey, msg))).toBe(true);
    const file = encodeDestinationKeys(k);
    const i2pd = encodePrivateKeys(k.privateKeys);
    // Destination (384 + a 7-byte KEY certificate), the unused 256-byte key, the Ed25519 seed, then ours.
    expect(i2pd.length).toBe(391 + 256 + 32);
    expect(file.length).toBe(i2pd.length + 32);
    expect(file.subarray(0, i2pd.length)).toEqual(i2pd);
    expect(file.subarray(i2pd.length)).toEqual(k.encryption.privateKey);
  });

  it('round trips through the key file for keys created from any seed', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 24 }), (seed) => {
        const k = createDestinationKeys(new SeededRandom(seed));
        const back = decodeDestinationKeys(encodeDestinationKeys(k));
        expectSameKeys(k, back);
        expect(destinationHash(back.privateKeys.destination)).toEqual(destinationHash(k.privateKeys.destination));
      }),
      { numRuns: 40 },
    );
  });

  it('round trips any signing seed, X25519 private key and unused 256-byte field', () => {
    fc.assert(
      fc.property(bytes32, bytes32, fc.uint8Array({ minLength: 256, maxLength: 256 }), (seed, xPriv, filler) => {
        const k = keysFrom(seed, xPriv, filler);
        const file = encodeDestinationKeys(k);
        const back = decodeDestinationKeys(file);
        expectSameKeys(k, back);
        expect(encodeDestinationKeys(back)).toEqual(file);
      }),
      { numRuns: 100 },
    );
  });

  it('b32 is 52 base-32 characters + .b32.i2p and is the SHA-256 of the Destination', () => {
    fc.assert(
      fc.property(bytes32, (seed) => {
        const d = createDestination(ed25519PublicKey(seed));
        const b32 = destinationB32(d);
        expect(b32).toMatch(/^[a-z2-7]{52}\.b32\.i2p$/);
        const hash = destinationHash(d);
        expect(hash).toEqual(sha256(encodeKeysAndCert(d)));
        expect(parseB32Address(b32)).toEqual(hash);
      }),
      { numRuns: 100 },
    );
  });

  it('refuses every truncation of a key file with a DecodeError', () => {
    const file = encodeDestinationKeys(createDestinationKeys(new SeededRandom('truncate')));
    for (let n = 0; n < file.length; n++) {
      const r = valueOrDecodeError(file.slice(0, n));
      expect(r, `truncated to ${n} bytes`).toBeInstanceOf(DecodeError);
    }
  });

  it('refuses extra bytes (the X25519 key must be exactly the last 32)', () => {
    const file = encodeDestinationKeys(createDestinationKeys(new SeededRandom('extra')));
    for (const extra of [1, 31, 32, 33]) {
      const longer = new Uint8Array(file.length + extra);
      longer.set(file);
      expect(valueOrDecodeError(longer)).toBeInstanceOf(DecodeError);
    }
  });

  it('fuzz: random bytes decode to keys or throw DecodeError, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 800 }), (bytes) => {
        const r = valueOrDecodeError(bytes);
        if (!(r instanceof DecodeError)) expect(encodeDestinationKeys(r)).toEqual(bytes);
      }),
      { numRuns: 500 },
    );
  });

  it('fuzz: a valid key file with bytes changed decodes to keys that re-encode to it, or throws DecodeError', () => {
    const file = encodeDestinationKeys(createDestinationKeys(new SeededRandom('mutate')));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(file.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), (edits) => {
        const bytes = file.slice();
        for (const [at, v] of edits) bytes[at] = v;
        const r = valueOrDecodeError(bytes);
        if (!(r instanceof DecodeError)) {
          expect(encodeDestinationKeys(r)).toEqual(bytes);
          expect(r.encryption.publicKey).toEqual(x25519PublicKey(bytes.subarray(bytes.length - 32)));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('fuzz: the certificate area (key types, lengths) of a key file: keys or DecodeError', () => {
    const file = encodeDestinationKeys(createDestinationKeys(new SeededRandom('cert')));
    // Bytes 384..390: certificate type, length, signing type, crypto type.
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 7, maxLength: 7 }), fc.nat(64), (cert, cut) => {
        const bytes = file.slice(0, file.length - cut);
        bytes.set(cert, 384);
        valueOrDecodeError(bytes);
      }),
      { numRuns: 500 },
    );
  });
});
