/**
 * Garlic (type 11): length(4) + encrypted data. For ECIES routers and destinations the data is
 * an ECIES-X25519-AEAD-Ratchet message (ecies.rst / ecies-routers.rst), opaque here.
 */
import { I2npType, type Garlic } from './types.js';
import { decodeLengthPrefixed, encodeLengthPrefixed } from './length-prefixed.js';

export function encodeGarlic(m: Garlic): Uint8Array {
  return encodeLengthPrefixed(m.data);
}

export function decodeGarlic(payload: Uint8Array, base = 0): Garlic {
  return { type: I2npType.Garlic, data: decodeLengthPrefixed(payload, base, 'Garlic') };
}
