import { CRYPTO_X25519, keyTypes, type RouterInfo } from '../data/index.js';
import { encodeMessage, encodePayload, I2npType, type I2npMessage } from '../i2np/index.js';
import type { RandomSource } from '../runtime/index.js';
import { encryptToRouter, routerGarlicPayload } from './router-garlic.js';

/**
 * One I2NP message for a router, wrapped in garlic to that router's X25519 key (Noise N,
 * ecies-routers.rst), as i2pd sends its netDb stores and lookups to floodfills: the transport
 * hop that carries it cannot read or alter it. Returns the Garlic message (short header), or
 * undefined when the router has no X25519 key to encrypt to.
 */
export function wrapForRouter(ri: RouterInfo, message: I2npMessage, nowMs: number, random: RandomSource): Uint8Array | undefined {
  if (keyTypes(ri.identity).cryptoType !== CRYPTO_X25519) return undefined;
  const frame = { type: message.type, msgId: message.msgId, expiration: message.expiration, payload: encodePayload(message) };
  const blocks = routerGarlicPayload([{ delivery: { type: 'local' }, message: frame }], nowMs, random.int(16));
  const body = encryptToRouter(ri.identity.publicKey, blocks, { random });
  return encodeMessage({ type: I2npType.Garlic, msgId: 1 + random.int(0xfffffffe), expiration: message.expiration, data: body }, 'short');
}
