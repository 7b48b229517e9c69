/**
 * Shapes shared by the tunnel modules (tunnel-creation-ecies.rst, tunnel-message.rst).
 * Tunnel ids are 32-bit unsigned and never 0; hashes are 32 bytes; keys 32 bytes.
 */

/** A hop's role in a tunnel, from the build request's flags (bit 7 IBGW, bit 6 OBEP). */
export type HopRole = 'participant' | 'ibgw' | 'obep';

/** The keys of one hop, as the creator and the hop both derive them from a short record. */
export interface HopKeys {
  /** ChaCha20(-Poly1305) key for the hop's reply record and the layering of the others. */
  replyKey: Uint8Array;
  /** AES-256 tunnel layer key. */
  layerKey: Uint8Array;
  /** AES-256 IV key (the doubled IV encryption). */
  ivKey: Uint8Array;
  /** The Noise handshake hash after the request record: the AD of the reply record. */
  h: Uint8Array;
  /** OBEP only: the one-time garlic key and 8-byte tag for the OutboundTunnelBuildReply. */
  garlicReplyKey?: Uint8Array;
  garlicReplyTag?: Uint8Array;
}

/** The cleartext of a build request record (short: 154 bytes, long: 464 bytes). */
export interface BuildRequest {
  /** Tunnel id this hop receives messages as (non-zero). */
  receiveTunnelId: number;
  /** Tunnel id at the next hop (non-zero); for an OBEP, the reply tunnel's id at the reply gateway. */
  nextTunnelId: number;
  /** Next hop's router hash; for an OBEP, the reply tunnel's gateway; for an IBEP... the creator. */
  nextIdent: Uint8Array;
  role: HopRole;
  /** 0 = AES (the only type defined). */
  layerEncryption: number;
  /** Minutes since the epoch, rounded down. */
  requestTimeMinutes: number;
  /** Seconds after the request time; 600 is the only value in use. */
  expirationSeconds: number;
  /** The msgId of the message the hop sends on (the next build message or the reply). */
  nextMessageId: number;
  /** The build options Mapping (m, r, l bandwidth parameters); usually empty. */
  options: Record<string, string>;
}

/** Long (528-byte) records carry the keys in the cleartext. */
export interface LongBuildRequest extends BuildRequest {
  layerKey: Uint8Array;
  ivKey: Uint8Array;
  replyKey: Uint8Array;
  replyIv: Uint8Array;
}

/** Reply codes (tunnel-creation.rst): 0 accept; the others are refusals, most severe last. */
export const BuildReplyCode = {
  Accept: 0,
  ProbabilisticReject: 10,
  TransientOverload: 20,
  Bandwidth: 30,
  Critical: 50,
} as const;

/** The cleartext of a build reply record. */
export interface BuildReply {
  options: Record<string, string>;
  reply: number;
}

/** Tunnel delivery instructions (tunnel-message.rst): where the endpoint sends a message. */
export type TunnelDelivery =
  | { type: 'local' }
  | { type: 'tunnel'; tunnelId: number; gateway: Uint8Array }
  | { type: 'router'; hash: Uint8Array };

/** The AES layer keys of one hop. */
export interface LayerKeys {
  layerKey: Uint8Array;
  ivKey: Uint8Array;
}
