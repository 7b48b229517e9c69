/**
 * I2NP message type numbers and the decoded shape of every message we speak (i2np.rst,
 * "Messages"). Hashes, keys and opaque records cross the API as Uint8Array.
 */

export const I2npType = {
  DatabaseStore: 1,
  DatabaseLookup: 2,
  DatabaseSearchReply: 3,
  DeliveryStatus: 10,
  Garlic: 11,
  TunnelData: 18,
  TunnelGateway: 19,
  Data: 20,
  TunnelBuild: 21,
  TunnelBuildReply: 22,
  VariableTunnelBuild: 23,
  VariableTunnelBuildReply: 24,
  ShortTunnelBuild: 25,
  OutboundTunnelBuildReply: 26,
} as const;
export type I2npTypeNumber = (typeof I2npType)[keyof typeof I2npType];

const KNOWN = new Set<number>(Object.values(I2npType));
export function isKnownI2npType(t: number): t is I2npTypeNumber {
  return KNOWN.has(t);
}

export const HASH_LENGTH = 32;
/** The standard header's 2-byte size field bounds every payload. */
export const MAX_PAYLOAD_LENGTH = 0xffff;
export const TUNNEL_DATA_LENGTH = 1024;
/** ElGamal-era and ECIES long build records share one size (tunnel-creation-ecies.rst). */
export const BUILD_RECORD_LENGTH = 528;
/** ECIES short build records (ShortTunnelBuild, OutboundTunnelBuildReply). */
export const SHORT_BUILD_RECORD_LENGTH = 218;
export const TUNNEL_BUILD_RECORD_COUNT = 8;
export const MAX_VARIABLE_BUILD_RECORDS = 8;
export const MAX_EXCLUDED_PEERS = 512;

/** What both header forms carry besides the payload. `expiration` is ms since the epoch. */
export interface I2npEnvelope {
  msgId: number;
  expiration: number;
}

/** DatabaseStore type field (bits 3-0): 0 RouterInfo, 1 LeaseSet, 3 LeaseSet2, 5 Encrypted, 7 Meta. */
export const StoreType = {
  RouterInfo: 0,
  LeaseSet: 1,
  LeaseSet2: 3,
  EncryptedLeaseSet: 5,
  MetaLeaseSet: 7,
} as const;
export type StoreTypeNumber = (typeof StoreType)[keyof typeof StoreType];

export interface DatabaseStoreReply {
  /** Non-zero: the recipient answers with a DeliveryStatus carrying this id (and floods). */
  token: number;
  /** 0: reply straight to `gateway`; otherwise the inbound tunnel at `gateway`. */
  tunnelId: number;
  gateway: Uint8Array;
}

export interface DatabaseStore {
  type: typeof I2npType.DatabaseStore;
  key: Uint8Array;
  storeType: StoreTypeNumber;
  reply?: DatabaseStoreReply;
  /**
   * For RouterInfo: the gzip-compressed RouterInfo (without its 2-byte length; see
   * gunzipRouterInfo). For the LeaseSet kinds: the uncompressed structure.
   */
  data: Uint8Array;
}

export type LookupType = 'any' | 'leaseset' | 'routerinfo' | 'exploration';

/**
 * Reply encryption, from flag bits 4 (ECIES) and 1 (encryption):
 * 00 none; 01 ElGamal/AES (32-byte tags); 10 ECIES AEAD (one 8-byte tag);
 * 11 is "TBD" in the spec; i2pd reads it like 10 (key, count, 8-byte tag), and so do we.
 */
export type LookupReplyEncryption =
  | { kind: 'none' }
  | { kind: 'elgamal'; replyKey: Uint8Array; replyTags: Uint8Array[] }
  | { kind: 'ecies'; replyKey: Uint8Array; replyTag: Uint8Array }
  | { kind: 'ecies-both-flags'; replyKey: Uint8Array; replyTag: Uint8Array };

export interface DatabaseLookup {
  type: typeof I2npType.DatabaseLookup;
  key: Uint8Array;
  /** The asking router, or the reply tunnel's gateway when `replyTunnelId` is set. */
  from: Uint8Array;
  lookupType: LookupType;
  /** Present iff the delivery flag is set: reply through this (non-zero) tunnel at `from`. */
  replyTunnelId?: number;
  excludedPeers: Uint8Array[];
  encryption: LookupReplyEncryption;
}

export interface DatabaseSearchReply {
  type: typeof I2npType.DatabaseSearchReply;
  key: Uint8Array;
  peers: Uint8Array[];
  from: Uint8Array;
}

export interface DeliveryStatus {
  type: typeof I2npType.DeliveryStatus;
  /** The id of the message being acknowledged (named apart from the header's own msgId). */
  deliveredMsgId: number;
  /** ms since the epoch. */
  timestamp: number;
}

/** The ECIES (or ElGamal) ciphertext is opaque at this layer. */
export interface Garlic {
  type: typeof I2npType.Garlic;
  data: Uint8Array;
}

export interface TunnelData {
  type: typeof I2npType.TunnelData;
  tunnelId: number;
  data: Uint8Array;
}

export interface TunnelGateway {
  type: typeof I2npType.TunnelGateway;
  tunnelId: number;
  /** A whole I2NP message with the standard 16-byte header; decode it with decodeMessage. */
  message: Uint8Array;
}

export interface Data {
  type: typeof I2npType.Data;
  data: Uint8Array;
}

/** The build messages carry opaque (encrypted) records; record crypto lives in the tunnel layer. */
export interface TunnelBuildRecords<T extends number> {
  type: T;
  records: Uint8Array[];
}
export type TunnelBuild = TunnelBuildRecords<typeof I2npType.TunnelBuild>;
export type TunnelBuildReply = TunnelBuildRecords<typeof I2npType.TunnelBuildReply>;
export type VariableTunnelBuild = TunnelBuildRecords<typeof I2npType.VariableTunnelBuild>;
export type VariableTunnelBuildReply = TunnelBuildRecords<typeof I2npType.VariableTunnelBuildReply>;
export type ShortTunnelBuild = TunnelBuildRecords<typeof I2npType.ShortTunnelBuild>;
export type OutboundTunnelBuildReply = TunnelBuildRecords<typeof I2npType.OutboundTunnelBuildReply>;

export type I2npBody =
  | DatabaseStore
  | DatabaseLookup
  | DatabaseSearchReply
  | DeliveryStatus
  | Garlic
  | TunnelData
  | TunnelGateway
  | Data
  | TunnelBuild
  | TunnelBuildReply
  | VariableTunnelBuild
  | VariableTunnelBuildReply
  | ShortTunnelBuild
  | OutboundTunnelBuildReply;

/** A decoded message: the header fields and a body discriminated by `type`. */
export type I2npMessage = I2npEnvelope & I2npBody;

export type HeaderForm = 'standard' | 'short';

// Compile-time guard: a body field named like a header field would be overwritten by the
// envelope when the two are joined (DeliveryStatus's id is `deliveredMsgId` for this reason).
type BodyKeys<T> = T extends unknown ? keyof T : never;
type EnvelopeClash = Extract<BodyKeys<I2npBody>, keyof I2npEnvelope>;
const bodyFieldsDoNotShadowHeader: [EnvelopeClash] extends [never] ? true : never = true;
void bodyFieldsDoNotShadowHeader;
