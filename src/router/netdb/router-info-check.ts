import {
  decodeRouterInfo,
  DecodeError,
  equalBytes,
  i2pBase64Encode,
  routerInfoHash,
  routerInfoNetId,
  routerInfoSignatureStatus,
  type RouterInfo,
} from '../data/index.js';

/**
 * The checks a RouterInfo passes before the netDb keeps it, apart from "is it newer than
 * ours", which needs the store. Ordered cheapest first, so junk costs no signature check.
 */

export const ROUTER_INFO_REJECT_REASONS = [
  'undecodable',
  'hash-mismatch', // not the router the sender said (DatabaseStore key, file name, store key)
  'own-router', // our own identity: only we publish that
  'wrong-netid',
  'future', // published too far ahead of our clock
  'expired', // published longer ago than the maximum age
  'duplicate', // the same `published` as the one held
  'older', // older than the one held
  'bad-signature',
  'unsupported-signature', // a signature type we cannot verify
  'full', // the store is at its cap and this one is older than everything held
] as const;
export type RouterInfoRejectReason = (typeof ROUTER_INFO_REJECT_REASONS)[number];

export interface RouterInfoPolicy {
  /** Our network id: 2 is the main network; test networks pick their own. */
  readonly netId: number;
  /** Our router hash: never keep a RouterInfo claiming it. */
  readonly ownHash?: Uint8Array;
  /** Oldest `published` kept, as an age in ms. */
  readonly maxAgeMs: number;
  /** How far ahead of our clock `published` may be, in ms. */
  readonly maxFutureMs: number;
}

export type RouterInfoCheck =
  | { readonly ok: true; readonly routerInfo: RouterInfo; readonly hash: Uint8Array; readonly key: string }
  | {
      readonly ok: false;
      readonly reason: RouterInfoRejectReason;
      readonly detail: string;
      /** Undefined only when the bytes do not decode. */
      readonly hash?: Uint8Array;
    };

/** The store key of a router hash: its I2P Base64 (44 characters), as in i2pd's file names. */
export function routerInfoKey(hash: Uint8Array): string {
  return i2pBase64Encode(hash);
}

/**
 * Decodes and checks everything but the signature and freshness against a held copy: call
 * `checkRouterInfoSignature` after deciding the RouterInfo is worth it.
 */
export function checkRouterInfoFields(
  bytes: Uint8Array,
  policy: RouterInfoPolicy,
  now: number,
  expectedHash?: Uint8Array,
): RouterInfoCheck {
  let routerInfo: RouterInfo;
  try {
    routerInfo = decodeRouterInfo(bytes);
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    return { ok: false, reason: 'undecodable', detail: err.message };
  }
  const hash = routerInfoHash(routerInfo);
  const key = routerInfoKey(hash);
  const reject = (reason: RouterInfoRejectReason, detail: string): RouterInfoCheck => ({ ok: false, reason, detail, hash });
  if (expectedHash && !equalBytes(expectedHash, hash)) {
    return reject('hash-mismatch', `expected ${routerInfoKey(expectedHash)}, the RouterInfo is ${key}`);
  }
  if (policy.ownHash && equalBytes(policy.ownHash, hash)) return reject('own-router', 'our own router hash');
  const netId = routerInfoNetId(routerInfo);
  if (netId !== policy.netId) {
    return reject('wrong-netid', netId === undefined ? 'no valid netId option' : `netId ${netId}, ours is ${policy.netId}`);
  }
  const ahead = routerInfo.published - now;
  if (ahead > policy.maxFutureMs) return reject('future', `published ${Math.round(ahead / 1000)} s in the future`);
  const age = now - routerInfo.published;
  if (age > policy.maxAgeMs) return reject('expired', `published ${Math.round(age / 60_000)} min ago`);
  return { ok: true, routerInfo, hash, key };
}

/** The signature check, separate because it is the expensive one. */
export function checkRouterInfoSignature(routerInfo: RouterInfo, hash: Uint8Array): RouterInfoCheck | undefined {
  const status = routerInfoSignatureStatus(routerInfo);
  if (status === true) return undefined;
  if (status === undefined) return { ok: false, reason: 'unsupported-signature', detail: 'signature type not supported', hash };
  return { ok: false, reason: 'bad-signature', detail: 'signature does not verify', hash };
}
