/**
 * The AES-256 tunnel layer (tunnels/implementation.html, "Participant Processing") on the 1024
 * bytes of a TunnelData message: IV (16) then the 1008 encrypted bytes.
 *
 * Every hop runs the same operation, in the "encrypt" direction, without knowing whether the
 * tunnel is inbound or outbound:
 *   IV = ECB(ivKey, IV); data = CBC(layerKey, IV, data); IV = ECB(ivKey, IV)
 * The IV is encrypted both before and after use so that colluding non-adjacent hops cannot
 * recognise a message by the IV it was sent with (a confirmation attack).
 */
import { Aes256Key, CryptoError } from '../crypto/index.js';
import type { LayerKeys } from './types.js';

export const TUNNEL_DATA_BLOCK_LENGTH = 1024;
export const TUNNEL_IV_LENGTH = 16;

function checkBlock(data: Uint8Array): void {
  if (!(data instanceof Uint8Array) || data.length !== TUNNEL_DATA_BLOCK_LENGTH) {
    throw new CryptoError('BAD_LENGTH', `tunnel layer: expected ${TUNNEL_DATA_BLOCK_LENGTH} bytes`);
  }
}

/** One hop's layer. Built once per tunnel: the key schedules are cached for every message. */
export class HopLayer {
  readonly #layer: Aes256Key;
  readonly #iv: Aes256Key;

  constructor(keys: LayerKeys) {
    this.#layer = new Aes256Key(keys.layerKey);
    this.#iv = new Aes256Key(keys.ivKey);
  }

  /** What a participant, an IBGW or an OBEP does to a 1024-byte block, in place. */
  encrypt(data: Uint8Array): void {
    checkBlock(data);
    const iv = data.subarray(0, TUNNEL_IV_LENGTH);
    this.#iv.ecbEncryptInPlace(iv);
    this.#layer.cbcEncryptInPlace(iv, data.subarray(TUNNEL_IV_LENGTH));
    this.#iv.ecbEncryptInPlace(iv);
  }

  /** The exact inverse of `encrypt`, in place: what a tunnel creator does for this hop. */
  decrypt(data: Uint8Array): void {
    checkBlock(data);
    const iv = data.subarray(0, TUNNEL_IV_LENGTH);
    this.#iv.ecbDecryptInPlace(iv);
    this.#layer.cbcDecryptInPlace(iv, data.subarray(TUNNEL_IV_LENGTH));
    this.#iv.ecbDecryptInPlace(iv);
  }
}

/**
 * The outbound gateway (the creator) prepares a cleartext block so that the endpoint sees it
 * again after every hop has encrypted it. `hops` in tunnel order: the first hop after the
 * creator first, the OBEP last; the creator has no layer of its own.
 *
 * The hops turn X into E_n(...E_2(E_1(X))), so X must be D_1(D_2(...D_n(P))): the OBEP's
 * layer is undone first and the first hop's last.
 */
export function outboundPreprocess(data: Uint8Array, hops: readonly HopLayer[]): void {
  checkBlock(data);
  for (let i = hops.length - 1; i >= 0; i--) hops[i].decrypt(data);
}

/**
 * The creator at the end of an inbound tunnel recovers the IBGW's cleartext block. `hops` in
 * tunnel order: the IBGW first, then each participant, the one next to the creator last.
 *
 * The creator receives E_m(...E_1(E_gw(P))), so P = D_gw(D_1(...D_m(X))): the last hop's layer
 * is undone first and the IBGW's last.
 */
export function inboundEndpointDecrypt(data: Uint8Array, hops: readonly HopLayer[]): void {
  checkBlock(data);
  for (let i = hops.length - 1; i >= 0; i--) hops[i].decrypt(data);
}
