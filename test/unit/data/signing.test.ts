import { describe, expect, it } from 'vitest';
import { ed25519Generate } from '../../../src/router/crypto/ed25519.js';
import { x25519Generate } from '../../../src/router/crypto/x25519.js';
import {
  createDestination,
  createOfflineSignature,
  createPrivateKeys,
  createRouterIdentity,
  decodeLeaseSet2,
  decodePrivateKeys,
  decodeRouterInfo,
  encodeLeaseSet2,
  encodePrivateKeys,
  encodeRouterInfo,
  EncodeError,
  inspectBytes,
  keysAndCertHash,
  leaseSet2Hash,
  leaseSet2SignedBytes,
  type LeaseSet2Fields,
  LS2_FLAG_OFFLINE_KEYS,
  LS2_FLAG_UNPUBLISHED,
  ntcp2Address,
  ntcp2Options,
  type PrivateKeys,
  routerInfoHash,
  signLeaseSet2,
  signRouterInfo,
  verifyLeaseSet2,
  verifyOfflineSignature,
  verifyRouterInfo,
} from '../../../src/router/data/index.js';
import { ed25519PublicKey } from '../../../src/router/crypto/ed25519.js';

function freshRouterInfo() {
  const sig = ed25519Generate();
  const enc = x25519Generate();
  const identity = createRouterIdentity(enc.publicKey, sig.publicKey);
  const address = ntcp2Address({ host: '127.0.0.1', port: 12345, s: enc.publicKey, i: new Uint8Array(16).fill(7) });
  const ri = signRouterInfo(
    {
      identity,
      published: 1_700_000_000_000,
      addresses: [address],
      options: new Map([
        ['router.version', '0.9.59'],
        ['netId', '99'],
        ['caps', 'NRf'],
      ]),
    },
    sig.privateKey,
  );
  return { ri, sig, enc };
}

function flipEach(bytes: Uint8Array, positions: number[], check: (b: Uint8Array) => boolean): void {
  for (const at of positions) {
    const bad = bytes.slice();
    bad[at] ^= 0x80;
    let ok: boolean;
    try {
      ok = check(bad);
    } catch {
      ok = false;
    }
    expect(ok, `flip at ${at}`).toBe(false);
  }
}

describe('RouterInfo built from scratch', () => {
  it('signs, encodes, decodes and verifies', () => {
    const { ri, enc } = freshRouterInfo();
    expect(verifyRouterInfo(ri)).toBe(true);
    const bytes = encodeRouterInfo(ri);
    const back = decodeRouterInfo(bytes);
    expect(back).toEqual(ri);
    expect(verifyRouterInfo(back)).toBe(true);
    expect(ntcp2Options(back.addresses[0])).toEqual({ host: '127.0.0.1', port: 12345, s: enc.publicKey, i: new Uint8Array(16).fill(7), v: '2' });
    expect(routerInfoHash(back)).toEqual(keysAndCertHash(ri.identity));
    expect(inspectBytes(bytes)).toMatchObject({ kind: 'RouterInfo', signatureValid: true });
  });

  it('fails verification when a field changes after signing', () => {
    const { ri } = freshRouterInfo();
    expect(verifyRouterInfo({ ...ri, published: ri.published + 1 })).toBe(false);
    expect(verifyRouterInfo({ ...ri, options: new Map([...ri.options, ['caps', 'LU']]) })).toBe(false);
    const bytes = encodeRouterInfo(ri);
    flipEach(bytes, [5, 391, 420, bytes.length - 70, bytes.length - 1], (b) => verifyRouterInfo(decodeRouterInfo(b)));
  });

  it('refuses to sign with a key of the wrong length', () => {
    const { ri } = freshRouterInfo();
    expect(() => signRouterInfo(ri, new Uint8Array(31))).toThrow(EncodeError);
  });
});

function freshLeaseSet2(): { fields: LeaseSet2Fields; keys: PrivateKeys } {
  const keys = createPrivateKeys();
  const fields: LeaseSet2Fields = {
    destination: keys.destination,
    published: 1_700_000_000,
    expires: 600,
    flags: 0,
    options: new Map(),
    encryptionKeys: [{ type: 4, key: x25519Generate().publicKey }],
    leases: [
      { gateway: new Uint8Array(32).fill(1), tunnelId: 42, endDate: 1_700_000_600 },
      { gateway: new Uint8Array(32).fill(2), tunnelId: 43, endDate: 1_700_000_500 },
    ],
  };
  return { fields, keys };
}

describe('LeaseSet2 built from scratch', () => {
  it('signs over the type byte 3 and the body, and verifies after a round trip', () => {
    const { fields, keys } = freshLeaseSet2();
    const ls = signLeaseSet2(fields, keys.signingPrivateKey);
    expect(leaseSet2SignedBytes(fields)[0]).toBe(3);
    expect(verifyLeaseSet2(ls)).toBe(true);
    const bytes = encodeLeaseSet2(ls);
    expect(decodeLeaseSet2(bytes)).toEqual(ls);
    expect(verifyLeaseSet2(decodeLeaseSet2(bytes))).toBe(true);
    expect(leaseSet2Hash(ls)).toEqual(keysAndCertHash(keys.destination));
    flipEach(bytes, [0, 400, bytes.length - 80, bytes.length - 1], (b) => verifyLeaseSet2(decodeLeaseSet2(b)));
  });

  it('is detected by inspect with or without the leading type byte', () => {
    const { fields, keys } = freshLeaseSet2();
    const ls = signLeaseSet2({ ...fields, flags: LS2_FLAG_UNPUBLISHED }, keys.signingPrivateKey);
    for (const withTypeByte of [true, false]) {
      const r = inspectBytes(encodeLeaseSet2(ls, { withTypeByte }));
      expect(r.kind).toBe('LeaseSet2');
      expect(r.signatureValid).toBe(true);
      expect(r.fields.flags).toMatchObject({ unpublished: true, offlineKeys: false });
    }
  });

  it('with offline keys: the destination signs the transient key, which signs the LeaseSet2', () => {
    const { fields, keys } = freshLeaseSet2();
    const transient = ed25519Generate();
    const offlineSignature = createOfflineSignature(keys.destination, keys.signingPrivateKey, {
      expires: 1_800_000_000,
      sigType: 7,
      publicKey: transient.publicKey,
    });
    expect(verifyOfflineSignature(keys.destination, offlineSignature)).toBe(true);
    const offlineFields = { ...fields, flags: LS2_FLAG_OFFLINE_KEYS, offlineSignature };
    const ls = signLeaseSet2(offlineFields, transient.privateKey);
    const back = decodeLeaseSet2(encodeLeaseSet2(ls));
    expect(back).toEqual(ls);
    expect(verifyLeaseSet2(back)).toBe(true);
    expect(verifyLeaseSet2(back, { now: 1_799_999_999_000 })).toBe(true);
    expect(verifyLeaseSet2(back, { now: 1_800_000_000_000 })).toBe(false);
    // Signed by the long-term key instead of the transient one: invalid.
    expect(verifyLeaseSet2(signLeaseSet2(offlineFields, keys.signingPrivateKey))).toBe(false);
    // A transient key the destination did not sign: invalid.
    const forged = { ...offlineSignature, transientPublicKey: ed25519Generate().publicKey };
    expect(verifyLeaseSet2({ ...ls, offlineSignature: forged })).toBe(false);
  });

  it('refuses flags that disagree with the offline signature', () => {
    const { fields } = freshLeaseSet2();
    expect(() => leaseSet2SignedBytes({ ...fields, flags: LS2_FLAG_OFFLINE_KEYS })).toThrow(EncodeError);
  });
});

describe('PrivateKeys', () => {
  it('a fresh keys file round trips and its key matches its destination', () => {
    const pk = createPrivateKeys();
    const back = decodePrivateKeys(encodePrivateKeys(pk));
    expect(back).toEqual(pk);
    expect(ed25519PublicKey(back.signingPrivateKey)).toEqual(back.destination.signingPublicKey);
  });

  it('with offline keys (i2pd layout) round trips, and a bad offline signature is refused', () => {
    const long = ed25519Generate();
    const transient = ed25519Generate();
    const destination = createDestination(long.publicKey);
    const signature = createOfflineSignature(destination, long.privateKey, { expires: 1_900_000_000, sigType: 7, publicKey: transient.publicKey });
    const pk: PrivateKeys = {
      destination,
      encryptionPrivateKey: new Uint8Array(256).fill(9),
      signingPrivateKey: new Uint8Array(32),
      offline: { signature, transientSigningPrivateKey: transient.privateKey },
    };
    const bytes = encodePrivateKeys(pk);
    expect(bytes.length).toBe(391 + 256 + 32 + 6 + 32 + 64 + 32);
    expect(decodePrivateKeys(bytes)).toEqual(pk);
    const bad = bytes.slice();
    bad[391 + 256 + 32 + 10] ^= 1; // inside the transient public key
    expect(() => decodePrivateKeys(bad)).toThrow(/privateKeys.offlineSignature at byte 679: signature does not verify/);
  });
});
