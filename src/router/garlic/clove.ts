/**
 * The ECIES Garlic Clove (ecies.rst "Garlic Clove", payload block 11): delivery instructions as
 * in i2np.rst "Garlic Clove Delivery Instructions", then an I2NP message with the 9-byte short
 * header (type, msg_id, expiration in seconds) and its body, which runs to the end of the block.
 * No clove id, certificate or clove expiration: those belong to the ElGamal clove format only.
 */
import { ByteReader, ByteWriter } from '../data/bytes.js';
import { DecodeError, EncodeError } from '../data/errors.js';
import { encodeFrame, readShortFrame, SHORT_HEADER_LENGTH, type I2npFrame } from '../i2np/header.js';
import { GarlicError } from './errors.js';

export const HASH_LENGTH = 32;

/** Delivery types, flag bits 6-5. */
export const DeliveryType = { Local: 0, Destination: 1, Router: 2, Tunnel: 3 } as const;

const FLAG_ENCRYPTED = 0x80; // bit 7: a 32-byte session key follows. Unimplemented anywhere.
const FLAG_DELAY = 0x10; // bit 4: a 4-byte delay follows. "Not fully implemented, always 0".

export type CloveDelivery =
  | { type: 'local' }
  /** Hash of the destination (its SHA-256). */
  | { type: 'destination'; hash: Uint8Array }
  /** Hash of the router. */
  | { type: 'router'; hash: Uint8Array }
  /** Hash of the gateway router and the tunnel id there (non-zero). */
  | { type: 'tunnel'; gateway: Uint8Array; tunnelId: number };

export interface GarlicClove {
  delivery: CloveDelivery;
  /**
   * The I2NP message. `expiration` is ms since the epoch like everywhere else, but only whole
   * seconds cross the wire; `payload` is the message body, left as bytes (decode it with the
   * I2NP codecs when it is for us, forward it untouched when it is not).
   */
  message: I2npFrame;
}

/** 1, 33 or 37 bytes. */
export function deliveryInstructionsLength(d: CloveDelivery): number {
  return d.type === 'local' ? 1 : d.type === 'tunnel' ? 1 + HASH_LENGTH + 4 : 1 + HASH_LENGTH;
}

function checkHash(what: string, h: Uint8Array): void {
  if (!(h instanceof Uint8Array) || h.length !== HASH_LENGTH) {
    throw new GarlicError('ENCODE', `${what}: expected a ${HASH_LENGTH}-byte hash`);
  }
}

function writeDelivery(w: ByteWriter, d: CloveDelivery): void {
  switch (d.type) {
    case 'local':
      w.u8('flag', DeliveryType.Local << 5);
      return;
    case 'destination':
    case 'router':
      checkHash(`${d.type} delivery`, d.hash);
      w.u8('flag', (d.type === 'destination' ? DeliveryType.Destination : DeliveryType.Router) << 5).bytes(d.hash);
      return;
    case 'tunnel':
      checkHash('tunnel delivery gateway', d.gateway);
      if (!Number.isInteger(d.tunnelId) || d.tunnelId < 1 || d.tunnelId > 0xffffffff) {
        throw new GarlicError('ENCODE', `tunnel delivery: tunnel id ${d.tunnelId} is not a non-zero 4-byte integer`);
      }
      w.u8('flag', DeliveryType.Tunnel << 5).bytes(d.gateway).u32('tunnelId', d.tunnelId);
      return;
    default:
      throw new GarlicError('ENCODE', `unknown delivery type ${String((d as { type: unknown }).type)}`);
  }
}

/** The block data of a Garlic Clove block (without the 3-byte block header). */
export function encodeClove(clove: GarlicClove): Uint8Array {
  const w = new ByteWriter(64 + (clove.message?.payload?.length ?? 0));
  writeDelivery(w, clove.delivery);
  let frame: Uint8Array;
  try {
    frame = encodeFrame(clove.message, 'short');
  } catch (e) {
    if (e instanceof EncodeError) throw new GarlicError('ENCODE', `clove message: ${e.message}`, { cause: e });
    throw e;
  }
  return w.bytes(frame).finish();
}

function readDelivery(r: ByteReader): CloveDelivery {
  const flagAt = r.offset;
  const flag = r.u8('delivery flag');
  // Bits 3-0 are reserved "set to 0 for compatibility": ignored, as i2pd and Java do.
  if (flag & FLAG_ENCRYPTED) throw new GarlicError('UNSUPPORTED', `clove at byte ${flagAt}: encrypted delivery instructions`);
  if (flag & FLAG_DELAY) throw new GarlicError('UNSUPPORTED', `clove at byte ${flagAt}: delayed delivery`);
  switch ((flag >> 5) & 0x03) {
    case DeliveryType.Local:
      return { type: 'local' };
    case DeliveryType.Destination:
      return { type: 'destination', hash: r.bytesOf('destination hash', HASH_LENGTH) };
    case DeliveryType.Router:
      return { type: 'router', hash: r.bytesOf('router hash', HASH_LENGTH) };
    default: {
      const gateway = r.bytesOf('gateway hash', HASH_LENGTH);
      const idAt = r.offset;
      const tunnelId = r.u32('tunnel id');
      if (tunnelId === 0) r.fail('tunnel id', 'must be non-zero', idAt);
      return { type: 'tunnel', gateway, tunnelId };
    }
  }
}

/**
 * Decodes a Garlic Clove block's data. `base` is its offset in the outer input, for messages.
 * Reads never run past `data`: the block length bounds the clove (ecies.rst).
 */
export function decodeClove(data: Uint8Array, base = 0): GarlicClove {
  try {
    const r = new ByteReader(data, base);
    const delivery = readDelivery(r);
    if (r.remaining < SHORT_HEADER_LENGTH) {
      r.fail('clove message', `needs a ${SHORT_HEADER_LENGTH}-byte I2NP header, only ${r.remaining} left`);
    }
    return { delivery, message: readShortFrame(r, true) };
  } catch (e) {
    if (e instanceof DecodeError) throw new GarlicError('MALFORMED', `clove: ${e.message}`, { cause: e });
    throw e;
  }
}
