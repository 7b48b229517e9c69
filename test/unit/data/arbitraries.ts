import fc from 'fast-check';
import {
  type Certificate,
  cryptoTypeInfo,
  IDENTITY_CRYPTO_TYPES,
  type KeysAndCert,
  KNOWN_SIG_TYPES,
  type Lease2,
  type LeaseSet2,
  layoutFor,
  type OfflineSignature,
  type PrivateKeys,
  type RouterAddress,
  type RouterInfo,
  sigTypeInfo,
} from '../../../src/router/data/index.js';

const bytesOf = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

/** Strings whose UTF-8 stays well under 255 bytes; any code point, no lone surrogates. */
export const i2pString = fc.string({ unit: 'binary', maxLength: 40 });

export const mapping = fc
  .array(fc.tuple(i2pString, i2pString), { maxLength: 8 })
  .map((entries) => new Map(entries));

export const sigType = fc.constantFrom(...KNOWN_SIG_TYPES);
export const cryptoType = fc.constantFrom(...IDENTITY_CRYPTO_TYPES);

export const certificate: fc.Arbitrary<Certificate> = fc.oneof(
  fc.constant<Certificate>({ type: 'null' }),
  fc.tuple(sigType, cryptoType).chain(([s, c]) => {
    const l = layoutFor(s, c)!;
    return bytesOf(l.excessSigning + l.excessCrypto).map(
      (excess): Certificate => ({ type: 'key', sigType: s, cryptoType: c, excess }),
    );
  }),
  fc.constant<Certificate>({ type: 'other', code: 2, payload: new Uint8Array(0) }),
  fc.constantFrom(40, 72).chain((n) => bytesOf(n).map((payload): Certificate => ({ type: 'other', code: 3, payload }))),
  fc
    .tuple(fc.constantFrom(1, 4, 6, 200, 255), fc.uint8Array({ maxLength: 64 }))
    .map(([code, payload]): Certificate => ({ type: 'other', code, payload })),
);

/** A KeysAndCert whose certificate's excess bytes agree with its keys. */
export const keysAndCert: fc.Arbitrary<KeysAndCert> = fc
  .oneof(
    { weight: 3, arbitrary: fc.tuple(fc.constant(7), fc.constantFrom(0, 4)) },
    { weight: 2, arbitrary: fc.tuple(sigType, cryptoType) },
    { weight: 1, arbitrary: fc.constant<[number, number]>([-1, -1]) },
  )
  .chain(([s, c]) => {
    const l = s < 0 ? layoutFor(0, 0)! : layoutFor(s, c)!;
    const inlineC = l.cryptoKeyLength - l.excessCrypto;
    const inlineS = l.signingKeyLength - l.excessSigning;
    return fc
      .record({
        publicKey: bytesOf(l.cryptoKeyLength),
        padding: bytesOf(384 - inlineC - inlineS),
        signingPublicKey: bytesOf(l.signingKeyLength),
        nonKeyCert: fc.constantFrom<Certificate>({ type: 'null' }, { type: 'other', code: 2, payload: new Uint8Array(0) }),
      })
      .map(({ publicKey, padding, signingPublicKey, nonKeyCert }): KeysAndCert => {
        const excess = new Uint8Array([...signingPublicKey.subarray(inlineS), ...publicKey.subarray(inlineC)]);
        const cert: Certificate = s < 0 ? nonKeyCert : { type: 'key', sigType: s, cryptoType: c, excess };
        return { publicKey, padding, signingPublicKey, certificate: cert };
      });
  });

export const routerAddress: fc.Arbitrary<RouterAddress> = fc.record({
  cost: fc.integer({ min: 0, max: 255 }),
  expiration: fc.constant(0),
  transportStyle: i2pString,
  options: mapping,
});

const sigLengthOf = (kc: KeysAndCert): number => {
  const t = kc.certificate.type === 'key' ? kc.certificate.sigType : 0;
  return sigTypeInfo(t)!.signatureLength;
};

export const routerInfo: fc.Arbitrary<RouterInfo> = keysAndCert.chain((identity) =>
  fc.record({
    identity: fc.constant(identity),
    published: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    addresses: fc.array(routerAddress, { maxLength: 4 }),
    options: mapping,
    signature: bytesOf(sigLengthOf(identity)),
  }),
);

export const lease2: fc.Arbitrary<Lease2> = fc.record({
  gateway: bytesOf(32),
  tunnelId: fc.integer({ min: 0, max: 0xffffffff }),
  endDate: fc.integer({ min: 0, max: 0xffffffff }),
});

const encryptionKey = fc.oneof(
  fc.constantFrom(0, 4, 5).chain((type) => bytesOf(cryptoTypeInfo(type)!.publicKeyLength).map((key) => ({ type, key }))),
  // Unknown types keep whatever length they state.
  fc.tuple(fc.integer({ min: 100, max: 0xffff }), fc.uint8Array({ maxLength: 80 })).map(([type, key]) => ({ type, key })),
);

const offlineSignatureFor = (destination: KeysAndCert): fc.Arbitrary<OfflineSignature> =>
  sigType.chain((t) =>
    fc.record({
      expires: fc.integer({ min: 0, max: 0xffffffff }),
      transientSigType: fc.constant(t),
      transientPublicKey: bytesOf(sigTypeInfo(t)!.publicKeyLength),
      signature: bytesOf(sigLengthOf(destination)),
    }),
  );

export const leaseSet2: fc.Arbitrary<LeaseSet2> = keysAndCert.chain((destination) =>
  fc.option(offlineSignatureFor(destination), { nil: undefined }).chain((offlineSignature) =>
    fc.record({
      destination: fc.constant(destination),
      published: fc.integer({ min: 0, max: 0xffffffff }),
      expires: fc.integer({ min: 0, max: 0xffff }),
      flags: fc.integer({ min: 0, max: 0xffff }).map((f) => (f & ~1) | (offlineSignature ? 1 : 0)),
      offlineSignature: fc.constant(offlineSignature),
      options: mapping,
      encryptionKeys: fc.array(encryptionKey, { minLength: 1, maxLength: 3 }),
      leases: fc.array(lease2, { maxLength: 16 }),
      signature: bytesOf(sigTypeInfo(offlineSignature ? offlineSignature.transientSigType : (destination.certificate.type === 'key' ? destination.certificate.sigType : 0))!.signatureLength),
    }),
  ),
);

/** Without offline keys (those need a real signature; tested separately). */
export const privateKeys: fc.Arbitrary<PrivateKeys> = keysAndCert.chain((destination) => {
  const cert = destination.certificate;
  const s = cert.type === 'key' ? cert.sigType : 0;
  const c = cert.type === 'key' ? cert.cryptoType : 0;
  return fc.record({
    destination: fc.constant(destination),
    encryptionPrivateKey: bytesOf(c === 4 ? 32 : 256),
    signingPrivateKey: bytesOf(sigTypeInfo(s)!.privateKeyLength).filter((b) => b.some((x) => x !== 0)),
  });
});
