/**
 * TunnelBuild (21) and TunnelBuildReply (22): exactly 8 records of 528 bytes (4224 bytes), no
 * count byte. Deprecated in favour of the variable forms, but routers must still accept them.
 */
import { decodeFixedRecords, encodeFixedRecords } from './build-records.js';
import {
  BUILD_RECORD_LENGTH,
  I2npType,
  TUNNEL_BUILD_RECORD_COUNT,
  type TunnelBuild,
  type TunnelBuildReply,
} from './types.js';

export function encodeTunnelBuild(m: TunnelBuild | TunnelBuildReply): Uint8Array {
  return encodeFixedRecords(m.records, BUILD_RECORD_LENGTH, TUNNEL_BUILD_RECORD_COUNT);
}

export function decodeTunnelBuild(payload: Uint8Array, base = 0): TunnelBuild {
  const records = decodeFixedRecords(payload, base, BUILD_RECORD_LENGTH, TUNNEL_BUILD_RECORD_COUNT);
  return { type: I2npType.TunnelBuild, records };
}

export function decodeTunnelBuildReply(payload: Uint8Array, base = 0): TunnelBuildReply {
  const records = decodeFixedRecords(payload, base, BUILD_RECORD_LENGTH, TUNNEL_BUILD_RECORD_COUNT);
  return { type: I2npType.TunnelBuildReply, records };
}
