/** DeliveryStatus (type 10): msg_id(4) time_stamp(8 ms). The acknowledgment of a store or garlic. */
import { ByteReader, ByteWriter } from '../data/bytes.js';
import { I2npType, type DeliveryStatus } from './types.js';

export const DELIVERY_STATUS_LENGTH = 12;

export function encodeDeliveryStatus(m: DeliveryStatus): Uint8Array {
  return new ByteWriter(DELIVERY_STATUS_LENGTH).u32('deliveredMsgId', m.deliveredMsgId).u64('timestamp', m.timestamp).finish();
}

export function decodeDeliveryStatus(payload: Uint8Array, base = 0): DeliveryStatus {
  const r = new ByteReader(payload, base);
  const deliveredMsgId = r.u32('deliveredMsgId');
  const timestamp = r.u64Number('timestamp');
  r.end('DeliveryStatus');
  return { type: I2npType.DeliveryStatus, deliveredMsgId, timestamp };
}
