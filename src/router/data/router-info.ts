import { ByteReader, ByteWriter } from './bytes.js';
import { decodeFrom, type DecodeInput } from './codec.js';
import { EncodeError } from './errors.js';
import { keysAndCertHash, keyTypes, readKeysAndCert, type RouterIdentity, writeKeysAndCert } from './keys-and-cert.js';
import { type Mapping, readMapping, writeMapping } from './mapping.js';
import { readDate, writeDate } from './primitives.js';
import { readRouterAddress, type RouterAddress, writeRouterAddress } from './router-address.js';
import { signatureLength, signWithType, verifyWithType } from './signature.js';

/**
 * A RouterInfo. peer_size is not a field: it is unused and must be 0, and decoding refuses
 * anything else (a non-empty peer list would be unsigned-order-dependent data nobody defines).
 */
export interface RouterInfo {
  identity: RouterIdentity;
  /** Date (ms since the epoch) of publication. */
  published: number;
  addresses: readonly RouterAddress[];
  options: Mapping;
  signature: Uint8Array;
}
export type RouterInfoFields = Omit<RouterInfo, 'signature'>;

function writeSignedPart(w: ByteWriter, ri: RouterInfoFields): void {
  writeKeysAndCert(w, 'routerInfo.identity', ri.identity);
  writeDate(w, 'routerInfo.published', ri.published);
  if (ri.addresses.length > 255) throw new EncodeError('routerInfo.addresses', `at most 255, got ${ri.addresses.length}`);
  w.u8('routerInfo.size', ri.addresses.length);
  ri.addresses.forEach((a, i) => writeRouterAddress(w, `routerInfo.addresses[${i}]`, a));
  w.u8('routerInfo.peerSize', 0);
  writeMapping(w, 'routerInfo.options', ri.options);
}

/** The bytes the signature covers: everything before it. */
export function routerInfoSignedBytes(ri: RouterInfoFields): Uint8Array {
  const w = new ByteWriter(1024);
  writeSignedPart(w, ri);
  return w.finish();
}

function sigLengthOf(identity: RouterIdentity): number {
  const { sigType } = keyTypes(identity);
  return signatureLength(sigType) as number; // the certificate decoder only accepts known types
}

export function readRouterInfo(r: ByteReader, field = 'routerInfo'): RouterInfo {
  const identity = readKeysAndCert(r, `${field}.identity`);
  const published = readDate(r, `${field}.published`);
  const count = r.u8(`${field}.size`);
  const addresses: RouterAddress[] = [];
  for (let i = 0; i < count; i++) addresses.push(readRouterAddress(r, `${field}.addresses[${i}]`));
  const peerAt = r.offset;
  const peerSize = r.u8(`${field}.peerSize`);
  if (peerSize !== 0) r.fail(`${field}.peerSize`, `must be 0, is ${peerSize}`, peerAt);
  const options = readMapping(r, `${field}.options`);
  const signature = r.bytesOf(`${field}.signature`, sigLengthOf(identity));
  return { identity, published, addresses, options, signature };
}

export function writeRouterInfo(w: ByteWriter, ri: RouterInfo): void {
  writeSignedPart(w, ri);
  w.fixed('routerInfo.signature', ri.signature, sigLengthOf(ri.identity));
}

export function decodeRouterInfo(input: DecodeInput): RouterInfo {
  return decodeFrom(input, 'routerInfo', (r) => readRouterInfo(r));
}

export function encodeRouterInfo(ri: RouterInfo): Uint8Array {
  const w = new ByteWriter(1024);
  writeRouterInfo(w, ri);
  return w.finish();
}

/** Signs with the identity's signing private key (Ed25519 seed for sig type 7). */
export function signRouterInfo(fields: RouterInfoFields, signingPrivateKey: Uint8Array): RouterInfo {
  const { sigType } = keyTypes(fields.identity);
  const signature = signWithType(sigType, signingPrivateKey, routerInfoSignedBytes(fields), 'routerInfo.signature');
  return { ...fields, signature };
}

/** false for a bad signature or a signature type this code cannot check (see canVerify). */
export function verifyRouterInfo(ri: RouterInfo): boolean {
  return routerInfoSignatureStatus(ri) === true;
}

/** true/false, or undefined when the signature type is not supported here. */
export function routerInfoSignatureStatus(ri: RouterInfo): boolean | undefined {
  const { sigType } = keyTypes(ri.identity);
  let signed: Uint8Array;
  try {
    signed = routerInfoSignedBytes(ri);
  } catch {
    return false;
  }
  return verifyWithType(sigType, ri.identity.signingPublicKey, signed, ri.signature);
}

/** The router's hash: SHA-256 of its RouterIdentity. */
export function routerInfoHash(ri: RouterInfoFields): Uint8Array {
  return keysAndCertHash(ri.identity);
}

/** The `caps` option: bandwidth letter, f (floodfill), R/U (reachability), ... */
export function routerInfoCaps(ri: RouterInfoFields): string {
  return ri.options.get('caps') ?? '';
}

export function isFloodfill(ri: RouterInfoFields): boolean {
  return routerInfoCaps(ri).includes('f');
}

/** `netId` (2 is the main network); undefined if absent or not a number. */
export function routerInfoNetId(ri: RouterInfoFields): number | undefined {
  const v = ri.options.get('netId');
  return v !== undefined && /^[0-9]{1,5}$/.test(v) ? Number(v) : undefined;
}

export function routerInfoVersion(ri: RouterInfoFields): string | undefined {
  return ri.options.get('router.version');
}

/** Compares dotted versions numerically ("0.9.57" < "0.9.59"); missing parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}
