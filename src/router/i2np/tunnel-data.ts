/** TunnelData (type 18): tunnelId(4, non-zero) + exactly 1024 bytes of layered-encrypted data. */
import { ByteReader, ByteWriter } from '../data/bytes.js';
import { I2npType, TUNNEL_DATA_LENGTH, type TunnelData } from './types.js';
import { readTunnelId, writeTunnelId } from './wire.js';

export const TUNNEL_DATA_PAYLOAD_LENGTH = 4 + TUNNEL_DATA_LENGTH;

export function encodeTunnelData(m: TunnelData): Uint8Array {
  const w = new ByteWriter(TUNNEL_DATA_PAYLOAD_LENGTH);
  writeTunnelId(w, 'tunnelId', m.tunnelId);
  return w.fixed('data', m.data, TUNNEL_DATA_LENGTH).finish();
}

export function decodeTunnelData(payload: Uint8Array, base = 0): TunnelData {
  const r = new ByteReader(payload, base);
  if (payload.length !== TUNNEL_DATA_PAYLOAD_LENGTH) {
    r.fail('TunnelData', `payload must be ${TUNNEL_DATA_PAYLOAD_LENGTH} bytes, got ${payload.length}`);
  }
  const tunnelId = readTunnelId(r, 'tunnelId');
  const data = r.bytesOf('data', TUNNEL_DATA_LENGTH);
  return { type: I2npType.TunnelData, tunnelId, data };
}
