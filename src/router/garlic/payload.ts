/**
 * The ECIES payload: the decrypted content of every ECIES garlic message (ecies.rst "Payload";
 * ecies-routers.rst uses the same format). A sequence of blocks, each type(1) size(2, big-endian)
 * data(size). Ordering rules differ between New Session and Existing Session messages, so the
 * block codec checks only what holds everywhere (padding last, termination last but padding)
 * and `checkNewSessionBlocks` adds the New Session rules that router-to-router (Noise N)
 * messages follow.
 */
import { AEAD_TAG_LENGTH } from '../crypto/chacha.js';
import { decodeClove, encodeClove, type GarlicClove } from './clove.js';
import { GarlicError } from './errors.js';

export const BlockType = {
  DateTime: 0,
  Termination: 4,
  Options: 5,
  MessageNumber: 6,
  NextKey: 7,
  Ack: 8,
  AckRequest: 9,
  GarlicClove: 11,
  Padding: 254,
} as const;

export const BLOCK_HEADER_LENGTH = 3;
/** A ChaChaPoly frame is at most 65535 bytes, tag included. */
export const MAX_PAYLOAD_LENGTH = 65535 - AEAD_TAG_LENGTH;
/** 65519 - 3. */
export const MAX_BLOCK_DATA_LENGTH = MAX_PAYLOAD_LENGTH - BLOCK_HEADER_LENGTH;
/** A DateTime block: 3 + 4 bytes. */
export const DATETIME_BLOCK_LENGTH = 7;
/** ecies.rst: NextKey key ids run 0..32767. */
const MAX_KEY_ID = 32767;

export type PayloadBlock =
  /** Seconds since the epoch (unsigned 32 bits). */
  | { type: 'dateTime'; timestamp: number }
  | { type: 'termination'; reason: number; data: Uint8Array }
  /** "UNIMPLEMENTED, for further study": kept as bytes. */
  | { type: 'options'; data: Uint8Array }
  /** PN of the previous tag set. */
  | { type: 'messageNumber'; pn: number }
  /** flags bit 0: key present, bit 1: reverse, bit 2: request reverse key. */
  | { type: 'nextKey'; flags: number; keyId: number; publicKey?: Uint8Array }
  | { type: 'ack'; acks: { tagSetId: number; n: number }[] }
  | { type: 'ackRequest'; flags: number }
  | { type: 'clove'; clove: GarlicClove }
  /** Encoded as zeros (the AEAD hides them); decoded as a length only. */
  | { type: 'padding'; length: number }
  /** Types we do not know: ignored by receivers, carried here for completeness. */
  | { type: 'unknown'; blockType: number; data: Uint8Array };

function checkU(what: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new GarlicError('ENCODE', `${what}: ${v} is out of range 0..${max}`);
}

function blockData(b: PayloadBlock): [number, Uint8Array] {
  switch (b.type) {
    case 'dateTime': {
      checkU('dateTime timestamp', b.timestamp, 0xffffffff);
      const d = new Uint8Array(4);
      new DataView(d.buffer).setUint32(0, b.timestamp);
      return [BlockType.DateTime, d];
    }
    case 'termination': {
      checkU('termination reason', b.reason, 0xff);
      const d = new Uint8Array(1 + b.data.length);
      d[0] = b.reason;
      d.set(b.data, 1);
      return [BlockType.Termination, d];
    }
    case 'options':
      return [BlockType.Options, b.data.slice()];
    case 'messageNumber': {
      checkU('messageNumber pn', b.pn, 0xffff);
      return [BlockType.MessageNumber, Uint8Array.of(b.pn >> 8, b.pn & 0xff)];
    }
    case 'nextKey': {
      checkU('nextKey flags', b.flags, 0xff);
      checkU('nextKey key id', b.keyId, MAX_KEY_ID);
      const hasKey = (b.flags & 0x01) !== 0;
      if (hasKey !== (b.publicKey !== undefined)) throw new GarlicError('ENCODE', 'nextKey: flag bit 0 must match the key');
      if (b.publicKey && b.publicKey.length !== 32) throw new GarlicError('ENCODE', 'nextKey: the key must be 32 bytes');
      const d = new Uint8Array(hasKey ? 35 : 3);
      d[0] = b.flags;
      d[1] = b.keyId >> 8;
      d[2] = b.keyId & 0xff;
      if (b.publicKey) d.set(b.publicKey, 3);
      return [BlockType.NextKey, d];
    }
    case 'ack': {
      if (b.acks.length === 0) throw new GarlicError('ENCODE', 'ack: at least one ack');
      const d = new Uint8Array(4 * b.acks.length);
      const v = new DataView(d.buffer);
      b.acks.forEach((a, i) => {
        checkU('ack tag set id', a.tagSetId, 0xffff);
        checkU('ack n', a.n, 0xffff);
        v.setUint16(4 * i, a.tagSetId);
        v.setUint16(4 * i + 2, a.n);
      });
      return [BlockType.Ack, d];
    }
    case 'ackRequest':
      checkU('ackRequest flags', b.flags, 0xff);
      return [BlockType.AckRequest, Uint8Array.of(b.flags)];
    case 'clove':
      return [BlockType.GarlicClove, encodeClove(b.clove)];
    case 'padding':
      checkU('padding length', b.length, MAX_BLOCK_DATA_LENGTH);
      return [BlockType.Padding, new Uint8Array(b.length)];
    case 'unknown': {
      checkU('unknown block type', b.blockType, 0xff);
      if (Object.values(BlockType).includes(b.blockType as never)) {
        throw new GarlicError('ENCODE', `block type ${b.blockType} is known: use its own form`);
      }
      return [b.blockType, b.data.slice()];
    }
    default:
      throw new GarlicError('ENCODE', `unknown block kind ${String((b as { type: unknown }).type)}`);
  }
}

/** Ordering rules that hold in every message (ecies.rst "Block Ordering Rules"). */
function checkOrder(blocks: readonly { type: string }[], err: (msg: string) => GarlicError): void {
  let terminated = false;
  blocks.forEach((b, i) => {
    if (b.type === 'padding' && i !== blocks.length - 1) throw err('padding must be the last block');
    if (terminated && b.type !== 'padding') throw err('only padding may follow termination');
    if (b.type === 'termination') terminated = true;
  });
}

export function encodePayload(blocks: readonly PayloadBlock[]): Uint8Array {
  checkOrder(blocks, (m) => new GarlicError('ENCODE', m));
  const parts = blocks.map(blockData);
  const total = parts.reduce((n, [, d]) => n + BLOCK_HEADER_LENGTH + d.length, 0);
  if (total > MAX_PAYLOAD_LENGTH) throw new GarlicError('ENCODE', `payload of ${total} bytes exceeds ${MAX_PAYLOAD_LENGTH}`);
  const out = new Uint8Array(total);
  let at = 0;
  for (const [type, d] of parts) {
    out[at] = type;
    out[at + 1] = d.length >> 8;
    out[at + 2] = d.length & 0xff;
    out.set(d, at + BLOCK_HEADER_LENGTH);
    at += BLOCK_HEADER_LENGTH + d.length;
  }
  return out;
}

function malformed(at: number, msg: string): GarlicError {
  return new GarlicError('MALFORMED', `payload block at byte ${at}: ${msg}`);
}

function decodeBlock(type: number, d: Uint8Array, at: number): PayloadBlock {
  const dv = new DataView(d.buffer, d.byteOffset, d.length);
  const need = (ok: boolean, what: string): void => {
    if (!ok) throw malformed(at, `${what} (size ${d.length})`);
  };
  switch (type) {
    case BlockType.DateTime:
      need(d.length === 4, 'DateTime must be 4 bytes');
      return { type: 'dateTime', timestamp: dv.getUint32(0) };
    case BlockType.Termination:
      need(d.length >= 1, 'Termination needs a reason byte');
      return { type: 'termination', reason: d[0], data: d.slice(1) };
    case BlockType.Options:
      return { type: 'options', data: d.slice() };
    case BlockType.MessageNumber:
      need(d.length === 2, 'Message Number must be 2 bytes');
      return { type: 'messageNumber', pn: dv.getUint16(0) };
    case BlockType.NextKey: {
      need(d.length === 3 || d.length === 35, 'Next Key must be 3 or 35 bytes');
      const flags = d[0];
      need(((flags & 0x01) !== 0) === (d.length === 35), 'Next Key size does not match its key-present flag');
      const keyId = dv.getUint16(1);
      need(keyId <= MAX_KEY_ID, `Next Key id ${keyId} above ${MAX_KEY_ID}`);
      return d.length === 35
        ? { type: 'nextKey', flags, keyId, publicKey: d.slice(3) }
        : { type: 'nextKey', flags, keyId };
    }
    case BlockType.Ack: {
      need(d.length >= 4 && d.length % 4 === 0, 'ACK must be a non-zero multiple of 4 bytes');
      const acks: { tagSetId: number; n: number }[] = [];
      for (let i = 0; i < d.length; i += 4) acks.push({ tagSetId: dv.getUint16(i), n: dv.getUint16(i + 2) });
      return { type: 'ack', acks };
    }
    case BlockType.AckRequest:
      need(d.length === 1, 'ACK Request must be 1 byte');
      return { type: 'ackRequest', flags: d[0] };
    case BlockType.GarlicClove:
      return { type: 'clove', clove: decodeClove(d, at + BLOCK_HEADER_LENGTH) };
    case BlockType.Padding:
      return { type: 'padding', length: d.length };
    default:
      return { type: 'unknown', blockType: type, data: d.slice() };
  }
}

/**
 * Decodes a decrypted payload. Every block must fit what is left (a malformed size never reads
 * into the next block); the loop advances at least 3 bytes per block, so it is bounded by the
 * input. Throws only GarlicError.
 */
export function decodePayload(bytes: Uint8Array): PayloadBlock[] {
  if (!(bytes instanceof Uint8Array)) throw new GarlicError('MALFORMED', 'payload: expected bytes');
  if (bytes.length > MAX_PAYLOAD_LENGTH) throw new GarlicError('MALFORMED', `payload of ${bytes.length} bytes exceeds ${MAX_PAYLOAD_LENGTH}`);
  const blocks: PayloadBlock[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < BLOCK_HEADER_LENGTH) throw malformed(at, `${bytes.length - at} trailing byte(s), not a block header`);
    const type = bytes[at];
    const size = (bytes[at + 1] << 8) | bytes[at + 2];
    const start = at + BLOCK_HEADER_LENGTH;
    if (size > bytes.length - start) throw malformed(at, `size ${size} runs past the payload (${bytes.length - start} left)`);
    blocks.push(decodeBlock(type, bytes.subarray(start, start + size), at));
    at = start + size;
  }
  checkOrder(blocks, (m) => new GarlicError('MALFORMED', `payload: ${m}`));
  return blocks;
}

const NOT_IN_NEW_SESSION = new Set(['termination', 'messageNumber', 'nextKey', 'ack', 'ackRequest']);

/**
 * New Session rules, which router-to-router messages follow (ecies-routers.rst: "All messages
 * must contain a DateTime block"; ecies.rst: in New Session "the DateTime block is required,
 * and must be the first block", Termination, Message Number, Next Key, ACK and ACK Request are
 * "Not allowed in NS"). Unknown types stay allowed: receivers "MUST ignore" them.
 */
export function checkNewSessionBlocks(blocks: readonly PayloadBlock[], code: 'MALFORMED' | 'ENCODE' = 'MALFORMED'): number {
  const first = blocks[0];
  if (!first || first.type !== 'dateTime') {
    throw new GarlicError(code === 'ENCODE' ? 'ENCODE' : 'NO_DATETIME', 'the first block must be DateTime');
  }
  blocks.forEach((b, i) => {
    if (NOT_IN_NEW_SESSION.has(b.type)) throw new GarlicError(code, `a ${b.type} block is not allowed here`);
    if (i > 0 && b.type === 'dateTime') throw new GarlicError(code, 'a second DateTime block');
  });
  return first.timestamp;
}

/** The cloves of a decoded payload, in order. */
export function cloves(blocks: readonly PayloadBlock[]): GarlicClove[] {
  return blocks.flatMap((b) => (b.type === 'clove' ? [b.clove] : []));
}
