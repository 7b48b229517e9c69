import { b32FromHash } from './b32.js';
import { i2pBase64Encode } from './base64.js';
import { ed25519PublicKey } from '../crypto/ed25519.js';
import { equalBytes, toHex } from './bytes.js';
import type { Certificate } from './certificate.js';
import { DecodeError } from './errors.js';
import { cryptoTypeInfo, SIG_ED25519, sigTypeInfo } from './key-types.js';
import { type KeysAndCert, keysAndCertHash, keyTypes, decodeDestination } from './keys-and-cert.js';
import { decodeLeaseSet2, type LeaseSet2, leaseSet2SignatureStatus } from './lease-set2.js';
import { type Mapping, mappingToObject } from './mapping.js';
import type { OfflineSignature } from './offline-signature.js';
import { decodePrivateKeys, type PrivateKeys } from './private-keys.js';
import type { RouterAddress } from './router-address.js';
import { decodeRouterInfo, type RouterInfo, routerInfoSignatureStatus } from './router-info.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type InspectKind = 'RouterInfo' | 'LeaseSet2' | 'Destination' | 'PrivateKeys';

export interface InspectResult {
  kind: InspectKind;
  fields: { [key: string]: JsonValue };
  /** Absent when the structure has no signature or its type cannot be verified here. */
  signatureValid?: boolean;
}

const bytes = (b: Uint8Array): JsonValue => ({ length: b.length, hex: toHex(b), base64: i2pBase64Encode(b) });
const hash = (b: Uint8Array): JsonValue => ({ hex: toHex(b), base64: i2pBase64Encode(b) });
const msDate = (ms: number): JsonValue => ({ ms, iso: ms === 0 ? null : isoOrNull(ms) });
const secDate = (s: number): JsonValue => ({ seconds: s, iso: isoOrNull(s * 1000) });
const mapping = (m: Mapping): JsonValue => mappingToObject(m);

function isoOrNull(ms: number): string | null {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

function typeName(code: number, name: string | undefined): JsonValue {
  return { code, name: name ?? 'unknown' };
}

function certificateJson(c: Certificate): JsonValue {
  switch (c.type) {
    case 'null':
      return { type: 'NULL' };
    case 'key':
      return { type: 'KEY', sigType: c.sigType, cryptoType: c.cryptoType, excess: bytes(c.excess) };
    case 'other':
      return { type: 'OTHER', code: c.code, payload: bytes(c.payload), unsupported: true };
  }
}

function keysAndCertJson(kc: KeysAndCert): { [key: string]: JsonValue } {
  const { sigType, cryptoType } = keyTypes(kc);
  return {
    hash: hash(keysAndCertHash(kc)),
    cryptoType: typeName(cryptoType, cryptoTypeInfo(cryptoType)?.name),
    sigType: typeName(sigType, sigTypeInfo(sigType)?.name),
    publicKey: bytes(kc.publicKey),
    padding: bytes(kc.padding),
    signingPublicKey: bytes(kc.signingPublicKey),
    certificate: certificateJson(kc.certificate),
  };
}

function destinationJson(d: KeysAndCert): { [key: string]: JsonValue } {
  return { ...keysAndCertJson(d), b32: b32FromHash(keysAndCertHash(d)) };
}

function addressJson(a: RouterAddress): JsonValue {
  return { cost: a.cost, expiration: msDate(a.expiration), transportStyle: a.transportStyle, options: mapping(a.options) };
}

function offlineJson(o: OfflineSignature): JsonValue {
  return {
    expires: secDate(o.expires),
    transientSigType: typeName(o.transientSigType, sigTypeInfo(o.transientSigType)?.name),
    transientPublicKey: bytes(o.transientPublicKey),
    signature: bytes(o.signature),
  };
}

export function routerInfoJson(ri: RouterInfo): { [key: string]: JsonValue } {
  return {
    identity: keysAndCertJson(ri.identity),
    published: msDate(ri.published),
    addresses: ri.addresses.map(addressJson),
    peerSize: 0,
    options: mapping(ri.options),
    signature: bytes(ri.signature),
  };
}

export function leaseSet2Json(ls: LeaseSet2): { [key: string]: JsonValue } {
  return {
    destination: destinationJson(ls.destination),
    published: secDate(ls.published),
    expires: { offsetSeconds: ls.expires, at: secDate(ls.published + ls.expires) },
    flags: { value: ls.flags, offlineKeys: (ls.flags & 1) !== 0, unpublished: (ls.flags & 2) !== 0, blinded: (ls.flags & 4) !== 0 },
    offlineSignature: ls.offlineSignature ? offlineJson(ls.offlineSignature) : null,
    options: mapping(ls.options),
    encryptionKeys: ls.encryptionKeys.map((k) => ({ type: typeName(k.type, cryptoTypeInfo(k.type)?.name), key: bytes(k.key) })),
    leases: ls.leases.map((l) => ({ gateway: hash(l.gateway), tunnelId: l.tunnelId, endDate: secDate(l.endDate) })),
    signature: bytes(ls.signature),
  };
}

/** Whether the signing private key yields the destination's public key (Ed25519 only). */
function signingKeyMatches(pk: PrivateKeys): boolean | null {
  if (pk.offline || keyTypes(pk.destination).sigType !== SIG_ED25519) return null;
  return equalBytes(ed25519PublicKey(pk.signingPrivateKey), pk.destination.signingPublicKey);
}

export function privateKeysJson(pk: PrivateKeys): { [key: string]: JsonValue } {
  return {
    destination: destinationJson(pk.destination),
    signingKeyMatchesDestination: signingKeyMatches(pk),
    encryptionPrivateKey: bytes(pk.encryptionPrivateKey),
    signingPrivateKey: bytes(pk.signingPrivateKey),
    offline: pk.offline
      ? { signature: offlineJson(pk.offline.signature), transientSigningPrivateKey: bytes(pk.offline.transientSigningPrivateKey) }
      : null,
  };
}

const withStatus = (r: InspectResult, status: boolean | undefined): InspectResult =>
  status === undefined ? r : { ...r, signatureValid: status };

/** Tried in this order; the first that consumes the input exactly wins. */
const CANDIDATES: ReadonlyArray<(b: Uint8Array) => InspectResult> = [
  (b) => {
    const ri = decodeRouterInfo(b);
    return withStatus({ kind: 'RouterInfo', fields: routerInfoJson(ri) }, routerInfoSignatureStatus(ri));
  },
  // As stored in netDb or carried in a DatabaseStore: the type byte 3 first.
  (b) => {
    const ls = decodeLeaseSet2(b, { withTypeByte: true });
    return withStatus({ kind: 'LeaseSet2', fields: leaseSet2Json(ls) }, leaseSet2SignatureStatus(ls));
  },
  (b) => {
    const ls = decodeLeaseSet2(b);
    return withStatus({ kind: 'LeaseSet2', fields: leaseSet2Json(ls) }, leaseSet2SignatureStatus(ls));
  },
  (b) => ({ kind: 'PrivateKeys', fields: privateKeysJson(decodePrivateKeys(b)) }),
  (b) => ({ kind: 'Destination', fields: destinationJson(decodeDestination(b)) }),
];

/**
 * Detects what the bytes are and describes every field. When nothing fits, throws the
 * DecodeError of the candidate that got furthest into the input: the likeliest intended kind.
 */
export function inspectBytes(input: Uint8Array): InspectResult {
  let best: DecodeError | undefined;
  for (const tryDecode of CANDIDATES) {
    try {
      return tryDecode(input);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      if (!best || e.offset > best.offset) best = e;
    }
  }
  throw best as DecodeError;
}
