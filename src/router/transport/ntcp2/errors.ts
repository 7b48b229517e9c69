import type { TerminationReasonCode } from './termination.js';

/** What went wrong, so a driver can log it, penalise the peer or ban its address. */
export type Ntcp2ErrorCode =
  /** Message 1: the ephemeral key's high bit is set, or its AEAD frame does not authenticate. */
  | 'MSG1_AUTH_FAILED'
  | 'BAD_NETWORK_ID'
  | 'BAD_VERSION'
  | 'CLOCK_SKEW'
  /** Padding length of message 1 or 2 above our limit. */
  | 'BAD_PADDING_LENGTH'
  /** m3p2len outside 16..65487. */
  | 'BAD_M3P2_LENGTH'
  /** Message 1's ephemeral key was seen before. */
  | 'REPLAY'
  /** X25519 refused a key (low-order point). */
  | 'BAD_KEY'
  /** Bytes arrived that the protocol does not allow yet (after message 1 or 2). */
  | 'UNEXPECTED_DATA'
  | 'MSG2_AUTH_FAILED'
  | 'MSG3_AUTH_FAILED'
  /** Message 3 part 2's blocks are malformed or in the wrong order. */
  | 'BAD_MSG3_PAYLOAD'
  /** The peer's RouterInfo does not decode, is too old or from the future, or is from another network. */
  | 'BAD_ROUTER_INFO'
  | 'ROUTER_INFO_SIGNATURE'
  | 'UNSUPPORTED_SIGNATURE_TYPE'
  /** No NTCP2 `s` in the peer's RouterInfo, or none equal to the handshake's static key. */
  | 'STATIC_KEY_MISMATCH'
  /** Our own RouterInfo does not fit in message 3 (caller error). */
  | 'ROUTER_INFO_TOO_LARGE'
  /** Data phase: the de-obfuscated frame length is below 16. */
  | 'BAD_FRAME_LENGTH'
  | 'FRAME_AUTH_FAILED'
  /** Data phase: a frame authenticated but its blocks are malformed. */
  | 'BAD_FRAME_PAYLOAD'
  /** A frame to send exceeds 65535 bytes, or the nonce space is exhausted. */
  | 'FRAME_TOO_LARGE'
  | 'NONCE_EXHAUSTED'
  /** The state machine was used out of order (after an error or completion). */
  | 'BAD_STATE'
  /** An unexpected exception while processing peer input (a bug here); fatal like any other. */
  | 'INTERNAL';

/**
 * Probing resistance (ntcp2.rst, message 1 notes): after a bad message 1 the responder reads a
 * random number of further bytes, then closes without answering, so a prober learns nothing
 * from the timing or the number of bytes that provoke a close.
 */
export interface Ntcp2Probe {
  readBytes: number;
}

export class Ntcp2Error extends Error {
  override readonly name = 'Ntcp2Error';
  constructor(
    readonly code: Ntcp2ErrorCode,
    message: string,
    /** The spec's reason code for this failure, where one exists. */
    readonly terminationReason?: TerminationReasonCode,
    readonly probe?: Ntcp2Probe,
    /** For CLOCK_SKEW: the peer's clock minus ours, in seconds. */
    readonly skewSeconds?: number,
  ) {
    super(message);
  }
}
