import { ByteReader, ByteWriter } from './bytes.js';
import { decodeFrom, type DecodeInput } from './codec.js';
import { EncodeError } from './errors.js';
import { cryptoTypeInfo, IDENTITY_CRYPTO_TYPES, sigTypeInfo } from './key-types.js';

export const CERT_NULL = 0;
export const CERT_HASHCASH = 1;
export const CERT_HIDDEN = 2;
export const CERT_SIGNED = 3;
export const CERT_MULTIPLE = 4;
export const CERT_KEY = 5;

/**
 * A Certificate. NULL and KEY are the ones in use; the deprecated types (and unknown codes) are
 * kept as opaque payload so a structure still re-encodes, but `type: 'other'` flags them.
 * For KEY, `excess` is the key data beyond the 384-byte key area: excess signing key bytes
 * first, then excess crypto key bytes (the spec's order); its length follows from the types.
 */
export type Certificate =
  | { type: 'null' }
  | { type: 'key'; sigType: number; cryptoType: number; excess: Uint8Array }
  | { type: 'other'; code: number; payload: Uint8Array };

/** The key area of a KeysAndCert: 256 bytes for the crypto key, then 128 for the signing key. */
export const CRYPTO_KEY_AREA = 256;
export const SIGNING_KEY_AREA = 128;

export interface KeyLayout {
  sigType: number;
  cryptoType: number;
  cryptoKeyLength: number;
  signingKeyLength: number;
  /** Bytes of each key that live in the certificate rather than the 384-byte area. */
  excessCrypto: number;
  excessSigning: number;
}

/** Key types and lengths a certificate implies; without a KEY certificate: ElGamal + DSA_SHA1. */
export function keyLayout(cert: Certificate): KeyLayout {
  const sigType = cert.type === 'key' ? cert.sigType : 0;
  const cryptoType = cert.type === 'key' ? cert.cryptoType : 0;
  return layoutFor(sigType, cryptoType) as KeyLayout;
}

/** undefined when either type is unknown (its length, and so the layout, cannot be known). */
export function layoutFor(sigType: number, cryptoType: number): KeyLayout | undefined {
  const sig = sigTypeInfo(sigType);
  const crypto = IDENTITY_CRYPTO_TYPES.includes(cryptoType) ? cryptoTypeInfo(cryptoType) : undefined;
  if (!sig || !crypto) return undefined;
  return {
    sigType,
    cryptoType,
    cryptoKeyLength: crypto.publicKeyLength,
    signingKeyLength: sig.publicKeyLength,
    excessCrypto: Math.max(0, crypto.publicKeyLength - CRYPTO_KEY_AREA),
    excessSigning: Math.max(0, sig.publicKeyLength - SIGNING_KEY_AREA),
  };
}

export function readCertificate(r: ByteReader, field = 'certificate'): Certificate {
  const code = r.u8(`${field}.type`);
  const lengthAt = r.offset;
  const length = r.u16(`${field}.length`);
  // Excess data in certificates is a known attack surface: each type's length is enforced.
  switch (code) {
    case CERT_NULL:
      if (length !== 0) r.fail(`${field}.length`, `NULL certificate must be empty, has ${length}`, lengthAt);
      return { type: 'null' };
    case CERT_KEY: {
      if (length < 4) r.fail(`${field}.length`, `KEY certificate needs at least 4 bytes, has ${length}`, lengthAt);
      const body: ByteReader = r.sub(`${field}.payload`, length);
      const sigAt = body.offset;
      const sigType = body.u16(`${field}.sigType`);
      const cryptoType = body.u16(`${field}.cryptoType`);
      if (!sigTypeInfo(sigType)) body.fail(`${field}.sigType`, `unknown signing key type ${sigType}`, sigAt);
      const layout = layoutFor(sigType, cryptoType);
      if (!layout) body.fail(`${field}.cryptoType`, `unknown crypto key type ${cryptoType}`, sigAt + 2);
      const want = layout.excessSigning + layout.excessCrypto;
      if (body.remaining !== want) {
        body.fail(`${field}.length`, `KEY certificate for types ${sigType}/${cryptoType} must be ${4 + want} bytes, is ${length}`, lengthAt);
      }
      return { type: 'key', sigType, cryptoType, excess: body.bytesOf(`${field}.excess`, want) };
    }
    case CERT_HIDDEN:
      if (length !== 0) r.fail(`${field}.length`, `HIDDEN certificate must be empty, has ${length}`, lengthAt);
      return { type: 'other', code, payload: new Uint8Array(0) };
    case CERT_SIGNED:
      if (length !== 40 && length !== 72) r.fail(`${field}.length`, `SIGNED certificate must be 40 or 72 bytes, is ${length}`, lengthAt);
      return { type: 'other', code, payload: r.bytesOf(`${field}.payload`, length) };
    default:
      return { type: 'other', code, payload: r.bytesOf(`${field}.payload`, length) };
  }
}

export function writeCertificate(w: ByteWriter, field: string, cert: Certificate): void {
  switch (cert.type) {
    case 'null':
      w.u8(`${field}.type`, CERT_NULL).u16(`${field}.length`, 0);
      return;
    case 'key': {
      const layout = layoutFor(cert.sigType, cert.cryptoType);
      if (!layout) throw new EncodeError(field, `unknown key types ${cert.sigType}/${cert.cryptoType}`);
      w.u8(`${field}.type`, CERT_KEY).u16(`${field}.length`, 4 + cert.excess.length);
      w.u16(`${field}.sigType`, cert.sigType).u16(`${field}.cryptoType`, cert.cryptoType);
      w.fixed(`${field}.excess`, cert.excess, layout.excessSigning + layout.excessCrypto);
      return;
    }
    case 'other':
      if (cert.code === CERT_NULL || cert.code === CERT_KEY) {
        throw new EncodeError(`${field}.type`, `code ${cert.code} must be given as type '${cert.code ? 'key' : 'null'}'`);
      }
      if (cert.code === CERT_HIDDEN && cert.payload.length !== 0) throw new EncodeError(field, 'HIDDEN certificate must be empty');
      if (cert.code === CERT_SIGNED && cert.payload.length !== 40 && cert.payload.length !== 72) {
        throw new EncodeError(field, 'SIGNED certificate must be 40 or 72 bytes');
      }
      w.u8(`${field}.type`, cert.code).u16(`${field}.length`, cert.payload.length).bytes(cert.payload);
      return;
  }
}

export function decodeCertificate(input: DecodeInput): Certificate {
  return decodeFrom(input, 'certificate', (r) => readCertificate(r));
}

export function encodeCertificate(cert: Certificate): Uint8Array {
  const w = new ByteWriter(16);
  writeCertificate(w, 'certificate', cert);
  return w.finish();
}
