import { equalBytes } from '../../data/bytes.js';
import { type Destination, keysAndCertHash } from '../../data/keys-and-cert.js';
import { verifyOfflineSignature } from '../../data/offline-signature.js';
import { type DecodedPacket, FLAG_CLOSE, FLAG_RESET, FLAG_SYNCHRONIZE, nacksToHash, packetSigner, SYN_HASH_NACKS, verifyPacket } from './packet.js';

/** Who signs a peer's packets: its destination key, or the transient key of an offline signature. */
export interface Signer {
  sigType: number;
  publicKey: Uint8Array;
}

export type Rejection = 'signature' | 'replay' | 'malformed';

/** A FROM-carrying packet's signer, with the offline signature (if any) checked and unexpired. */
function signerOf(from: Destination, p: DecodedPacket, now: number): Signer | undefined {
  const o = p.offlineSignature;
  if (o && (verifyOfflineSignature(from, o) !== true || o.expires * 1000 < now)) return undefined;
  return packetSigner(from, o);
}

/**
 * A SYN that may open a stream: FROM and a valid signature; 8 NACKs, if present, must be our
 * hash (replay prevention, 0.9.58; i2pd 2.45.1 sends none and is accepted); sequence 0 and a
 * non-zero stream id.
 */
export function checkSyn(bytes: Uint8Array, p: DecodedPacket, ourHash: Uint8Array, now: number): { remoteHash: Uint8Array; from: Destination; signer: Signer } | Rejection {
  if (!p.from || !p.signature) return 'signature';
  const signer = signerOf(p.from, p, now);
  if (!signer || verifyPacket(bytes, p, signer) !== true) return 'signature';
  if (p.nacks.length === SYN_HASH_NACKS && !equalBytes(nacksToHash(p.nacks), ourHash)) return 'replay';
  if (p.receiveStreamId === 0 || p.sequenceNum !== 0) return 'malformed';
  return { remoteHash: keysAndCertHash(p.from), from: p.from, signer };
}

/**
 * A packet of a known stream: CLOSE, RESET and SYN must be signed; a FROM must be the peer's
 * (and then names the signer); any signature must verify. Returns the signer to remember, or
 * a rejection.
 */
export function checkStreamPacket(bytes: Uint8Array, p: DecodedPacket, peer: { remoteHash: Uint8Array; signer: Signer | undefined }, now: number): { signer: Signer | undefined } | Rejection {
  const mustSign = (p.flags & (FLAG_CLOSE | FLAG_RESET | FLAG_SYNCHRONIZE)) !== 0;
  if (!p.signature) return mustSign ? 'signature' : { signer: peer.signer };
  let signer = peer.signer;
  if (p.from) {
    if (!equalBytes(keysAndCertHash(p.from), peer.remoteHash)) return 'signature';
    signer = signerOf(p.from, p, now);
  }
  if (!signer || verifyPacket(bytes, p, signer) !== true) return 'signature';
  return { signer };
}

/** A ping worth answering: ECHO to a stream id, with FROM and a valid signature. */
export function checkPing(bytes: Uint8Array, p: DecodedPacket, now: number): Destination | Rejection {
  if (p.sendStreamId === 0 || !p.from || !p.signature) return 'malformed';
  const signer = signerOf(p.from, p, now);
  if (!signer || verifyPacket(bytes, p, signer) !== true) return 'signature';
  return p.from;
}
