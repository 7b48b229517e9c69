/**
 * Tunnel message delivery instructions (tunnel-message.rst), the header in front of each I2NP
 * message fragment inside a tunnel message. Not the garlic clove delivery instructions, whose
 * format differs.
 *
 * First fragment (flag bit 7 = 0):
 *   flag(1) [tunnelId(4)] [toHash(32)] [delay(1)] [messageId(4)] [extOpts(1+n)] size(2)
 *   flag bits 6-5 delivery type (0 LOCAL, 1 TUNNEL, 2 ROUTER), 4 delay, 3 fragmented,
 *   2 extended options, 1-0 reserved.
 * Follow-on fragment (flag bit 7 = 1):
 *   flag(1) = 1nnnnnnd (fragment number 1..63, d = last) messageId(4) size(2)
 */
import { DecodeError, EncodeError } from '../data/errors.js';
import type { TunnelDelivery } from './types.js';

export const MAX_FRAGMENT_NUMBER = 63;
export const FOLLOW_ON_HEADER_LENGTH = 7;
const HASH_LENGTH = 32;

const FLAG_FOLLOW_ON = 0x80;
const FLAG_DELAY = 0x10;
const FLAG_FRAGMENTED = 0x08;
const FLAG_EXTENDED = 0x04;
const DELIVERY_CODE = { local: 0, tunnel: 1, router: 2 } as const;

/** The first (or only) fragment of a message: where the endpoint sends it. */
export interface FirstFragmentHeader {
  kind: 'first';
  delivery: TunnelDelivery;
  /** Present if and only if the message is fragmented (follow-ons carry the same id). */
  messageId?: number;
  /** Length of the fragment that follows the header. */
  size: number;
}

export interface FollowOnFragmentHeader {
  kind: 'follow-on';
  /** 1..63: the first fragment is number 0. */
  fragmentNumber: number;
  last: boolean;
  messageId: number;
  size: number;
}

export type FragmentHeader = FirstFragmentHeader | FollowOnFragmentHeader;

/** Header length of a first fragment (3 LOCAL, 35 ROUTER, 39 TUNNEL; +4 if fragmented). */
export function firstFragmentHeaderLength(delivery: TunnelDelivery, fragmented: boolean): number {
  const target = delivery.type === 'tunnel' ? 4 + HASH_LENGTH : delivery.type === 'router' ? HASH_LENGTH : 0;
  return 1 + target + (fragmented ? 4 : 0) + 2;
}

export function fragmentHeaderLength(h: FragmentHeader): number {
  return h.kind === 'first' ? firstFragmentHeaderLength(h.delivery, h.messageId !== undefined) : FOLLOW_ON_HEADER_LENGTH;
}

function checkInt(field: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new EncodeError(field, `value ${v} is out of range ${min}..${max}`);
}

/** Throws EncodeError unless `d` can be written: a known type, tunnel id 1..2^32-1, 32-byte hashes. */
export function checkDelivery(d: TunnelDelivery): void {
  if (d === null || typeof d !== 'object' || !Object.hasOwn(DELIVERY_CODE, d.type)) {
    throw new EncodeError('delivery', `unknown delivery type ${String((d as { type?: unknown } | null)?.type)}`);
  }
  if (d.type === 'tunnel') {
    checkInt('tunnelId', d.tunnelId, 1, 0xffffffff);
    checkHash('gateway', d.gateway);
  } else if (d.type === 'router') {
    checkHash('hash', d.hash);
  }
}

function checkHash(field: string, h: Uint8Array): void {
  if (!(h instanceof Uint8Array) || h.length !== HASH_LENGTH) throw new EncodeError(field, `must be ${HASH_LENGTH} bytes`);
}

function putU32(out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 24;
  out[at + 1] = (v >>> 16) & 0xff;
  out[at + 2] = (v >>> 8) & 0xff;
  out[at + 3] = v & 0xff;
}

/**
 * Writes the header at `offset` of `out` (the gateway writes straight into its block buffer);
 * returns the offset after it. Throws EncodeError on a field out of range or too little room.
 */
export function writeFragmentHeader(h: FragmentHeader, out: Uint8Array, offset: number): number {
  checkInt('size', h.size, 1, 0xffff);
  const length = fragmentHeaderLength(h);
  if (!Number.isInteger(offset) || offset < 0 || offset + length > out.length) {
    throw new EncodeError('header', `needs ${length} bytes at offset ${offset} of ${out.length}`);
  }
  let p = offset;
  if (h.kind === 'follow-on') {
    checkInt('fragmentNumber', h.fragmentNumber, 1, MAX_FRAGMENT_NUMBER);
    checkInt('messageId', h.messageId, 0, 0xffffffff);
    out[p++] = FLAG_FOLLOW_ON | (h.fragmentNumber << 1) | (h.last ? 1 : 0);
    putU32(out, p, h.messageId);
    p += 4;
  } else {
    const d = h.delivery;
    checkDelivery(d);
    if (h.messageId !== undefined) checkInt('messageId', h.messageId, 0, 0xffffffff);
    out[p++] = (DELIVERY_CODE[d.type] << 5) | (h.messageId !== undefined ? FLAG_FRAGMENTED : 0);
    if (d.type === 'tunnel') {
      putU32(out, p, d.tunnelId);
      p += 4;
      out.set(d.gateway, p);
      p += HASH_LENGTH;
    } else if (d.type === 'router') {
      out.set(d.hash, p);
      p += HASH_LENGTH;
    }
    if (h.messageId !== undefined) {
      putU32(out, p, h.messageId);
      p += 4;
    }
  }
  out[p++] = h.size >>> 8;
  out[p++] = h.size & 0xff;
  return p;
}

export function encodeFragmentHeader(h: FragmentHeader): Uint8Array {
  const out = new Uint8Array(fragmentHeaderLength(h));
  writeFragmentHeader(h, out, 0);
  return out;
}

/**
 * Reads a header at `offset` of `bytes`; `end` is the offset of the fragment that follows. Error
 * offsets count from the start of `bytes` plus `base` (the position of `bytes` in a larger input).
 * The fragment itself is not checked against the bytes left: the caller knows the block's end.
 */
export function decodeFragmentHeader(
  bytes: Uint8Array,
  offset = 0,
  base = 0,
): { header: FragmentHeader; end: number } {
  let p = offset;
  const fail = (field: string, reason: string, at = p): never => {
    throw new DecodeError(field, base + at, reason);
  };
  const need = (field: string, n: number): void => {
    if (p + n > bytes.length) {
      fail(field, `needs ${n} byte${n === 1 ? '' : 's'}, only ${Math.max(0, bytes.length - p)} left`);
    }
  };
  const u32 = (field: string): number => {
    need(field, 4);
    const v = bytes[p] * 0x1000000 + ((bytes[p + 1] << 16) | (bytes[p + 2] << 8) | bytes[p + 3]);
    p += 4;
    return v;
  };
  const size = (): number => {
    need('size', 2);
    const v = (bytes[p] << 8) | bytes[p + 1];
    if (v === 0) fail('size', 'a fragment is at least 1 byte');
    p += 2;
    return v;
  };

  if (offset < 0 || offset > bytes.length) fail('flag', `offset ${offset} is outside the input`);
  need('flag', 1);
  const flag = bytes[p++];

  if (flag & FLAG_FOLLOW_ON) {
    const fragmentNumber = (flag >> 1) & 0x3f;
    if (fragmentNumber === 0) fail('flag', 'follow-on fragment number 0 (must be 1..63)', p - 1);
    const messageId = u32('messageId');
    const last = (flag & 1) === 1;
    const header: FollowOnFragmentHeader = { kind: 'follow-on', fragmentNumber, last, messageId, size: size() };
    return { header, end: p };
  }

  const code = (flag >> 5) & 0x03;
  if (code === 3) fail('flag', 'delivery type 3 is invalid', p - 1);
  // The spec says a delay byte follows, but Java I2P and i2pd both ignore the bit without
  // consuming a byte: no reading of it is safe, and no router sets it.
  if (flag & FLAG_DELAY) fail('flag', 'the delay flag (bit 4) is unimplemented and not accepted', p - 1);

  let delivery: TunnelDelivery;
  if (code === 1) {
    const at = p;
    const tunnelId = u32('tunnelId');
    if (tunnelId === 0) fail('tunnelId', 'must be non-zero', at);
    need('gateway', HASH_LENGTH);
    delivery = { type: 'tunnel', tunnelId, gateway: bytes.slice(p, p + HASH_LENGTH) };
    p += HASH_LENGTH;
  } else if (code === 2) {
    need('hash', HASH_LENGTH);
    delivery = { type: 'router', hash: bytes.slice(p, p + HASH_LENGTH) };
    p += HASH_LENGTH;
  } else {
    delivery = { type: 'local' };
  }

  const messageId = flag & FLAG_FRAGMENTED ? u32('messageId') : undefined;

  if (flag & FLAG_EXTENDED) {
    // Unused by any router, but the spec defines its length (one length byte, then that many
    // bytes, "2 or more bytes" in all), so it can be skipped safely.
    need('extendedOptions', 1);
    const n = bytes[p];
    if (n === 0) fail('extendedOptions', 'length 0 (the spec requires at least one byte)');
    p++;
    need('extendedOptions', n);
    p += n;
  }

  const n = size();
  const header: FirstFragmentHeader =
    messageId === undefined ? { kind: 'first', delivery, size: n } : { kind: 'first', delivery, messageId, size: n };
  return { header, end: p };
}
