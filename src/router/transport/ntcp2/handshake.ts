import { CryptoError, x25519, x25519Once, x25519PublicKeyOnce } from '../../crypto/index.js';
import {
  decodeRouterInfo,
  equalBytes,
  ntcp2Options,
  type RouterInfo,
  routerInfoNetId,
  routerInfoSignatureStatus,
} from '../../data/index.js';
import type { RandomSource } from '../../runtime/index.js';
import type { OptionsBlock } from './blocks.js';
import { Ntcp2Error } from './errors.js';
import type { DataPhaseKeys } from './kdf.js';
import { TerminationReason, type TerminationReasonCode } from './termination.js';

/* What the initiator and responder state machines share: results, buffering, key checks. */

export interface Ntcp2PeerRouterInfo {
  bytes: Uint8Array;
  routerInfo: RouterInfo;
}

export interface Ntcp2Established {
  role: 'initiator' | 'responder';
  peerRouterHash: Uint8Array;
  /** The peer's NTCP2 static key (`s`), proven by the handshake. */
  peerStaticKey: Uint8Array;
  /** The responder gets the initiator's RouterInfo from message 3 (decoded and verified). */
  peerRouterInfo?: Ntcp2PeerRouterInfo;
  /** Message 3's Options block, if the initiator sent one. */
  peerOptions?: OptionsBlock;
  /** Peer clock minus ours, seconds, from the handshake timestamps (|skew| <= 60). */
  clockSkewSeconds: number;
  dataPhase: DataPhaseKeys;
}

/**
 * The outcome of feeding bytes. `send` goes out in order (flush each as one write); after
 * `done` the state machine is finished and `leftover` (bytes past the handshake) belongs to the
 * data phase. After `error` the connection must close: if `error.probe` is set, first read that
 * many more bytes (or time out); `send` may still carry a last message (message 2 on clock skew).
 */
export interface Ntcp2Step {
  send?: Uint8Array[];
  done?: Ntcp2Established;
  error?: Ntcp2Error;
  leftover?: Uint8Array;
}

/** Collects exactly `n` bytes from input that arrives in pieces. */
export class Collector {
  private buf = new Uint8Array(0);
  private fill = 0;

  expect(n: number): void {
    this.buf = new Uint8Array(n);
    this.fill = 0;
  }

  /** Copies what is still missing from input[offset..]; returns the new offset. */
  feed(input: Uint8Array, offset: number): number {
    const take = Math.min(this.buf.length - this.fill, input.length - offset);
    this.buf.set(input.subarray(offset, offset + take), this.fill);
    this.fill += take;
    return offset + take;
  }

  get complete(): boolean {
    return this.fill === this.buf.length;
  }

  get buffered(): number {
    return this.fill;
  }

  get bytes(): Uint8Array {
    return this.buf;
  }
}

export interface EphemeralKey {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

export function ephemeralKey(random: RandomSource): EphemeralKey {
  const privateKey = random.bytes(32);
  return { privateKey, publicKey: x25519PublicKeyOnce(privateKey) };
}

/** X25519 that turns a low-order peer key into an Ntcp2Error. */
export function dh(
  privateKey: Uint8Array,
  publicKey: Uint8Array,
  reason: TerminationReasonCode,
  probe?: { readBytes: number },
  /** The private key is a handshake's ephemeral: not cached (see x25519Once). */
  ephemeral = false,
): Uint8Array {
  try {
    return ephemeral ? x25519Once(privateKey, publicKey) : x25519(privateKey, publicKey);
  } catch (e) {
    if (e instanceof CryptoError) throw new Ntcp2Error('BAD_KEY', `X25519 refused the peer key: ${e.message}`, reason, probe);
    throw e;
  }
}

/** A public key with the top bit set is not a canonical X25519 key (spec: fast MSB check). */
export function hasHighBit(key: Uint8Array): boolean {
  return (key[31] & 0x80) !== 0;
}

/** Runs a stage and turns anything but an Ntcp2Error (a bug) into an INTERNAL error. */
export function guard<T>(stage: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof Ntcp2Error) throw e;
    throw new Ntcp2Error('INTERNAL', `${stage}: ${(e as Error).message}`);
  }
}

export interface RouterInfoCheck {
  staticKey: Uint8Array;
  netId: number;
  nowMs: number;
  maxAgeMs: number;
  maxFutureMs: number;
}

/**
 * The checks Bob makes on Alice's RouterInfo from message 3 (ntcp2.rst, message 3 notes, and
 * i2pd): it decodes, its signature verifies, its netId is ours (absent counts as 2, the main
 * network), it is fresh (i2pd: at most 90 minutes old, at most 2 minutes ahead), and one of its
 * NTCP/NTCP2 addresses with v=2 publishes `s` equal to the static key of the handshake.
 */
export function checkPeerRouterInfo(bytes: Uint8Array, c: RouterInfoCheck): RouterInfo {
  let ri: RouterInfo;
  try {
    ri = decodeRouterInfo(bytes);
  } catch (e) {
    throw new Ntcp2Error('BAD_ROUTER_INFO', `RouterInfo does not decode: ${(e as Error).message}`, TerminationReason.Message3Error);
  }
  const status = routerInfoSignatureStatus(ri);
  if (status === undefined) {
    throw new Ntcp2Error('UNSUPPORTED_SIGNATURE_TYPE', 'RouterInfo signature type not supported', TerminationReason.IncompatibleSignatureType);
  }
  if (!status) {
    throw new Ntcp2Error('ROUTER_INFO_SIGNATURE', 'RouterInfo signature does not verify', TerminationReason.RouterInfoSignatureVerificationFail);
  }
  const netId = routerInfoNetId(ri) ?? 2;
  if (netId !== c.netId) {
    throw new Ntcp2Error('BAD_ROUTER_INFO', `RouterInfo of network ${netId}, ours is ${c.netId}`, TerminationReason.Message3Error);
  }
  if (c.nowMs - ri.published > c.maxAgeMs) {
    throw new Ntcp2Error('BAD_ROUTER_INFO', `RouterInfo published ${Math.round((c.nowMs - ri.published) / 1000)} s ago`, TerminationReason.Message3Error);
  }
  if (ri.published - c.nowMs > c.maxFutureMs) {
    throw new Ntcp2Error('BAD_ROUTER_INFO', `RouterInfo published ${Math.round((ri.published - c.nowMs) / 1000)} s in the future`, TerminationReason.Message3Error);
  }
  let sawKey = false;
  for (const a of ri.addresses) {
    if (a.transportStyle !== 'NTCP2' && a.transportStyle !== 'NTCP') continue;
    let s: Uint8Array | undefined;
    let v: string | undefined;
    try {
      ({ s, v } = ntcp2Options(a));
    } catch {
      continue; // a malformed address cannot vouch for the key
    }
    if (!s || !v || !v.split(',').includes('2')) continue;
    sawKey = true;
    if (equalBytes(s, c.staticKey)) return ri;
  }
  throw new Ntcp2Error(
    'STATIC_KEY_MISMATCH',
    sawKey ? 'RouterInfo NTCP2 s differs from the handshake static key' : 'RouterInfo has no NTCP2 address with s and v=2',
    TerminationReason.BadStaticKeyParameter,
  );
}
