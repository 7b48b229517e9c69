/**
 * TunnelGateway (type 19): tunnelId(4, non-zero) length(2) + an I2NP message with the standard
 * header. The inner message stays bytes: the gateway fragments it as is, and a caller that needs
 * it decoded uses decodeMessage(message, 'standard').
 */
import { ByteReader, ByteWriter } from '../data/bytes.js';
import { EncodeError } from '../data/errors.js';
import { I2npType, type TunnelGateway } from './types.js';
import { readTunnelId, writeTunnelId } from './wire.js';

export function encodeTunnelGateway(m: TunnelGateway): Uint8Array {
  if (m.message.length > 0xffff) throw new EncodeError('message', `${m.message.length} bytes exceeds the 2-byte length`);
  const w = new ByteWriter(6 + m.message.length);
  writeTunnelId(w, 'tunnelId', m.tunnelId);
  return w.u16('length', m.message.length).bytes(m.message).finish();
}

export function decodeTunnelGateway(payload: Uint8Array, base = 0): TunnelGateway {
  const r = new ByteReader(payload, base);
  const tunnelId = readTunnelId(r, 'tunnelId');
  const lengthAt = r.offset;
  const length = r.u16('length');
  if (length !== r.remaining) r.fail('length', `says ${length} bytes but ${r.remaining} follow`, lengthAt);
  const message = r.bytesOf('message', length);
  return { type: I2npType.TunnelGateway, tunnelId, message };
}
