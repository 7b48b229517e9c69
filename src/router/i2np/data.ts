/** Data (type 20): length(4) + opaque bytes; the client payload inside garlic cloves. */
import { I2npType, type Data } from './types.js';
import { decodeLengthPrefixed, encodeLengthPrefixed } from './length-prefixed.js';

export function encodeData(m: Data): Uint8Array {
  return encodeLengthPrefixed(m.data);
}

export function decodeData(payload: Uint8Array, base = 0): Data {
  return { type: I2npType.Data, data: decodeLengthPrefixed(payload, base, 'Data') };
}
