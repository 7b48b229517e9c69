/** VariableTunnelBuild (23) and VariableTunnelBuildReply (24): num(1, 1..8) + num × 528-byte records. */
import { decodeCountedRecords, encodeCountedRecords } from './build-records.js';
import {
  BUILD_RECORD_LENGTH,
  I2npType,
  MAX_VARIABLE_BUILD_RECORDS,
  type VariableTunnelBuild,
  type VariableTunnelBuildReply,
} from './types.js';

export function encodeVariableTunnelBuild(m: VariableTunnelBuild | VariableTunnelBuildReply): Uint8Array {
  return encodeCountedRecords(m.records, BUILD_RECORD_LENGTH, MAX_VARIABLE_BUILD_RECORDS);
}

export function decodeVariableTunnelBuild(payload: Uint8Array, base = 0): VariableTunnelBuild {
  const records = decodeCountedRecords(payload, base, BUILD_RECORD_LENGTH, MAX_VARIABLE_BUILD_RECORDS);
  return { type: I2npType.VariableTunnelBuild, records };
}

export function decodeVariableTunnelBuildReply(payload: Uint8Array, base = 0): VariableTunnelBuildReply {
  const records = decodeCountedRecords(payload, base, BUILD_RECORD_LENGTH, MAX_VARIABLE_BUILD_RECORDS);
  return { type: I2npType.VariableTunnelBuildReply, records };
}
