/**
 * SAM's keys: SIGNATURE_TYPE by number and name, DEST GENERATE's private keys (crypto type 0
 * and 4) and what SESSION CREATE accepts as DESTINATION — the X25519 key of the LeaseSet is the
 * file's own (type 4) or derived from it, the same every time (type 0). Random input to the
 * key parser only ever gives a SamKeyError.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  chooseCryptoType,
  chooseSignatureType,
  decodeSamBase64,
  destinationKeysFor,
  generatePrivateKeys,
  parseSamPrivateKeys,
  privateKeysBase64,
  resolveSignatureType,
  SamKeyError,
} from '../../../src/router/api/sam/keys.js';
import { x25519PublicKey } from '../../../src/router/crypto/index.js';
import { encodePrivateKeys, i2pBase64Encode, keyTypes } from '../../../src/router/data/index.js';
import { SeededRandom } from '../../../src/router/runtime/index.js';

const rnd = new SeededRandom('sam keys');

describe('SAM keys', () => {
  it('resolves signature types by number and by name, any case', () => {
    expect(resolveSignatureType('7')).toBe(7);
    expect(resolveSignatureType('EdDSA_SHA512_Ed25519')).toBe(7);
    expect(resolveSignatureType('eddsa_sha512_ed25519')).toBe(7);
    expect(resolveSignatureType('ECDSA_SHA256_P256')).toBe(1);
    expect(resolveSignatureType('0')).toBe(0);
    expect(resolveSignatureType('9')).toBeUndefined();
    expect(resolveSignatureType('Ed25519')).toBeUndefined();
    expect(chooseSignatureType(undefined)).toBe(7);
    expect(() => chooseSignatureType('DSA_SHA1')).toThrow(/DSA_SHA1 \(0\) is not supported: use 7/);
    expect(chooseCryptoType('4')).toBe(4);
    expect(chooseCryptoType(undefined)).toBe(0);
    expect(() => chooseCryptoType('1')).toThrow(SamKeyError);
  });

  it('generates keys that SESSION CREATE takes back, type 4 using its own X25519 key', () => {
    const k4 = generatePrivateKeys(4, rnd);
    expect(keyTypes(k4.destination)).toEqual({ sigType: 7, cryptoType: 4 });
    const back = parseSamPrivateKeys(privateKeysBase64(k4));
    const dk = destinationKeysFor(back);
    expect(dk.encryption.privateKey).toEqual(k4.encryptionPrivateKey);
    expect(dk.encryption.publicKey).toEqual(k4.destination.publicKey);
    // Type 0: a derived key, the same for the same file, different for another.
    const k0 = generatePrivateKeys(0, rnd);
    const a = destinationKeysFor(parseSamPrivateKeys(privateKeysBase64(k0)));
    const b = destinationKeysFor(parseSamPrivateKeys(privateKeysBase64(k0)));
    expect(a.encryption.privateKey).toEqual(b.encryption.privateKey);
    expect(a.encryption.publicKey).toEqual(x25519PublicKey(a.encryption.privateKey));
    expect(destinationKeysFor(generatePrivateKeys(0, rnd)).encryption.publicKey).not.toEqual(a.encryption.publicKey);
  });

  it('accepts base64 whose padding a client dropped', () => {
    const k = generatePrivateKeys(0, rnd);
    const b64 = privateKeysBase64(k);
    expect(b64.endsWith('=')).toBe(true);
    expect(parseSamPrivateKeys(b64.replace(/=+$/, '')).destination).toEqual(k.destination);
    expect(decodeSamBase64('QQ', 'x')).toEqual(new Uint8Array([0x41]));
  });

  it('refuses keys it cannot use, saying why', () => {
    const k = generatePrivateKeys(0, rnd);
    // A signing key that is not the destination's.
    const other = generatePrivateKeys(0, rnd);
    const mixed = i2pBase64Encode(encodePrivateKeys({ ...k, signingPrivateKey: other.signingPrivateKey }));
    expect(() => parseSamPrivateKeys(mixed)).toThrow(/does not belong to the destination/);
    const k4 = generatePrivateKeys(4, rnd);
    const wrongX = i2pBase64Encode(encodePrivateKeys({ ...k4, encryptionPrivateKey: generatePrivateKeys(4, rnd).encryptionPrivateKey }));
    expect(() => parseSamPrivateKeys(wrongX)).toThrow(/encryption private key does not belong/);
    const err = (s: string) => {
      try {
        parseSamPrivateKeys(s);
      } catch (e) {
        expect(e).toBeInstanceOf(SamKeyError);
        return (e as SamKeyError).code;
      }
      return 'parsed';
    };
    expect(err('not base64!')).toBe('INVALID_KEY');
    expect(err(privateKeysBase64(k).slice(0, 600))).toBe('INVALID_KEY');
    expect(err(privateKeysBase64(k) + 'AAAA')).toBe('INVALID_KEY');
  });

  it('fuzz: random text and mangled keys give SamKeyError, never anything else', () => {
    const good = encodePrivateKeys(generatePrivateKeys(4, rnd));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 1200 }), fc.uint8Array({ maxLength: 900 }).map((b) => i2pBase64Encode(b)), fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
        const b = good.slice();
        b[i] ^= x;
        return i2pBase64Encode(b);
      })), (s) => {
        try {
          const pk = parseSamPrivateKeys(s);
          expect(keyTypes(pk.destination).sigType).toBe(7);
        } catch (e) {
          expect(e).toBeInstanceOf(SamKeyError);
        }
      }),
      { numRuns: 1500 },
    );
  });
});
