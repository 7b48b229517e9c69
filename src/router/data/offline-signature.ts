import { ByteReader, ByteWriter } from './bytes.js';
import { EncodeError } from './errors.js';
import { type Destination, keyTypes } from './keys-and-cert.js';
import { sigTypeInfo } from './key-types.js';
import { signatureLength, signWithType, verifyWithType } from './signature.js';

/**
 * An OfflineSignature (LeaseSet2 header, i2pd keys files, streaming): the destination's
 * long-term key signs a transient key, which then signs the structure.
 */
export interface OfflineSignature {
  /** Seconds since the epoch after which the transient key is no longer valid. */
  expires: number;
  transientSigType: number;
  transientPublicKey: Uint8Array;
  /** By the destination's signing key, over expires, sigtype and the transient key. */
  signature: Uint8Array;
}

/** The signature length comes from the destination's own signing type. */
export function readOfflineSignature(r: ByteReader, field: string, destinationSigType: number): OfflineSignature {
  const expires = r.u32(`${field}.expires`);
  const typeAt = r.offset;
  const transientSigType = r.u16(`${field}.transientSigType`);
  const info = sigTypeInfo(transientSigType);
  if (!info) r.fail(`${field}.transientSigType`, `unknown signing key type ${transientSigType}`, typeAt);
  const transientPublicKey = r.bytesOf(`${field}.transientPublicKey`, info.publicKeyLength);
  const signature = r.bytesOf(`${field}.signature`, signatureLength(destinationSigType) as number);
  return { expires, transientSigType, transientPublicKey, signature };
}

export function offlineSignedBytes(o: Omit<OfflineSignature, 'signature'>, field = 'offlineSignature'): Uint8Array {
  const info = sigTypeInfo(o.transientSigType);
  if (!info) throw new EncodeError(`${field}.transientSigType`, `unknown signing key type ${o.transientSigType}`);
  const w = new ByteWriter(6 + info.publicKeyLength);
  w.u32(`${field}.expires`, o.expires);
  w.u16(`${field}.transientSigType`, o.transientSigType);
  w.fixed(`${field}.transientPublicKey`, o.transientPublicKey, info.publicKeyLength);
  return w.finish();
}

export function writeOfflineSignature(w: ByteWriter, field: string, o: OfflineSignature, destinationSigType: number): void {
  w.bytes(offlineSignedBytes(o, field));
  const n = signatureLength(destinationSigType);
  if (n === undefined) throw new EncodeError(`${field}.signature`, `unknown destination signing type ${destinationSigType}`);
  w.fixed(`${field}.signature`, o.signature, n);
}

/** true/false, or undefined when the destination's signature type cannot be verified here. */
export function verifyOfflineSignature(destination: Destination, o: OfflineSignature): boolean | undefined {
  let signed: Uint8Array;
  try {
    signed = offlineSignedBytes(o);
  } catch {
    return false;
  }
  return verifyWithType(keyTypes(destination).sigType, destination.signingPublicKey, signed, o.signature);
}

/** Signs a transient key with the destination's long-term signing private key. */
export function createOfflineSignature(
  destination: Destination,
  destinationSigningPrivateKey: Uint8Array,
  transient: { expires: number; sigType: number; publicKey: Uint8Array },
): OfflineSignature {
  const unsigned = { expires: transient.expires, transientSigType: transient.sigType, transientPublicKey: transient.publicKey };
  const signature = signWithType(
    keyTypes(destination).sigType,
    destinationSigningPrivateKey,
    offlineSignedBytes(unsigned),
    'offlineSignature.signature',
  );
  return { ...unsigned, signature };
}
