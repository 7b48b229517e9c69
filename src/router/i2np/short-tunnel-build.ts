/**
 * ShortTunnelBuild (25) and OutboundTunnelBuildReply (26): num(1, 1..8) + num × 218-byte records
 * (tunnel-creation-ecies.rst). ECIES-X25519 routers only, API 0.9.51+.
 */
import { decodeCountedRecords, encodeCountedRecords } from './build-records.js';
import {
  I2npType,
  MAX_VARIABLE_BUILD_RECORDS,
  SHORT_BUILD_RECORD_LENGTH,
  type OutboundTunnelBuildReply,
  type ShortTunnelBuild,
} from './types.js';

export function encodeShortTunnelBuild(m: ShortTunnelBuild | OutboundTunnelBuildReply): Uint8Array {
  return encodeCountedRecords(m.records, SHORT_BUILD_RECORD_LENGTH, MAX_VARIABLE_BUILD_RECORDS);
}

export function decodeShortTunnelBuild(payload: Uint8Array, base = 0): ShortTunnelBuild {
  const records = decodeCountedRecords(payload, base, SHORT_BUILD_RECORD_LENGTH, MAX_VARIABLE_BUILD_RECORDS);
  return { type: I2npType.ShortTunnelBuild, records };
}

export function decodeOutboundTunnelBuildReply(payload: Uint8Array, base = 0): OutboundTunnelBuildReply {
  const records = decodeCountedRecords(payload, base, SHORT_BUILD_RECORD_LENGTH, MAX_VARIABLE_BUILD_RECORDS);
  return { type: I2npType.OutboundTunnelBuildReply, records };
}
