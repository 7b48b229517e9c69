/**
 * The gateway side of tunnel-message.rst: packs I2NP messages (standard 16-byte header) into
 * cleartext 1024-byte tunnel blocks, fragmenting the large ones. Layer encryption comes after.
 *
 * Block layout (the 1024 bytes of TunnelData `data`):
 *   IV(16) | checksum(4) | non-zero padding | 0x00 | {instructions, fragment}...
 * checksum = SHA-256(everything after the zero byte || IV)[0..4]. Padding goes before the zero
 * byte because the spec has no padding after the last fragment.
 */
import { EncodeError } from '../data/errors.js';
import { sha256 } from '../crypto/index.js';
import type { RandomSource } from '../runtime/random.js';
import {
  FOLLOW_ON_HEADER_LENGTH,
  MAX_FRAGMENT_NUMBER,
  checkDelivery,
  firstFragmentHeaderLength,
  writeFragmentHeader,
  type FragmentHeader,
} from './delivery-instructions.js';
import { TUNNEL_DATA_BLOCK_LENGTH, TUNNEL_IV_LENGTH } from './layer-crypto.js';
import type { TunnelDelivery } from './types.js';

export const TUNNEL_CHECKSUM_LENGTH = 4;
/** Offset of the padding (or, without padding, of the zero byte). */
export const TUNNEL_PADDING_OFFSET = TUNNEL_IV_LENGTH + TUNNEL_CHECKSUM_LENGTH;
/** Bytes for instructions and fragments in one block: 1024 - IV - checksum - zero byte. */
export const TUNNEL_BLOCK_CAPACITY = TUNNEL_DATA_BLOCK_LENGTH - TUNNEL_PADDING_OFFSET - 1;
/** The first fragment is number 0, the follow-ons 1..63. */
export const MAX_FRAGMENTS = MAX_FRAGMENT_NUMBER + 1;
/** 996: a follow-on fragment alone in a block. */
export const MAX_FOLLOW_ON_FRAGMENT = TUNNEL_BLOCK_CAPACITY - FOLLOW_ON_HEADER_LENGTH;
/**
 * The spec's nominal maximum, 956 + 62 * 996: small enough that a message fits in 64 fragments
 * wherever in a block its first fragment starts. i2pd refuses to reassemble anything larger.
 */
export const MAX_TUNNEL_MESSAGE_SIZE = 62708;
/** The smallest entry worth starting in a block: a LOCAL header (3 bytes) and one byte. */
const MIN_ENTRY = firstFragmentHeaderLength({ type: 'local' }, false) + 1;

/** An I2NP message for a tunnel endpoint, and where the endpoint is to send it. */
export interface TunnelPayloadMessage {
  delivery: TunnelDelivery;
  /** The whole I2NP message with its standard 16-byte header. */
  message: Uint8Array;
}

export class TunnelMessageTooLargeError extends Error {
  override readonly name = 'TunnelMessageTooLargeError';
  constructor(
    readonly size: number,
    readonly max: number,
  ) {
    super(`an I2NP message of ${size} bytes does not fit in a tunnel (at most ${max})`);
  }
}

/**
 * Completes a block around `payload` (the instructions and fragments, at most 1003 bytes):
 * random IV, checksum, random non-zero padding to fill the block, the zero byte.
 */
export function sealTunnelBlock(payload: Uint8Array, random: RandomSource): Uint8Array {
  if (payload.length > TUNNEL_BLOCK_CAPACITY) {
    throw new EncodeError('payload', `${payload.length} bytes exceed the block capacity of ${TUNNEL_BLOCK_CAPACITY}`);
  }
  const block = new Uint8Array(TUNNEL_DATA_BLOCK_LENGTH);
  const iv = random.bytes(TUNNEL_IV_LENGTH);
  block.set(iv, 0);
  const padLength = TUNNEL_BLOCK_CAPACITY - payload.length;
  if (padLength > 0) {
    const pad = random.bytes(padLength);
    // Redraw zeros from 1..255 rather than mapping them to a fixed value: the padding stays
    // uniform over the non-zero bytes, and a zero would end the padding early.
    for (let i = 0; i < padLength; i++) if (pad[i] === 0) pad[i] = 1 + random.int(255);
    block.set(pad, TUNNEL_PADDING_OFFSET);
  }
  const zeroAt = TUNNEL_PADDING_OFFSET + padLength;
  block[zeroAt] = 0;
  block.set(payload, zeroAt + 1);
  block.set(sha256(payload, iv).subarray(0, TUNNEL_CHECKSUM_LENGTH), TUNNEL_IV_LENGTH);
  return block;
}

export interface TunnelMessageBuilderOptions {
  random: RandomSource;
}

/**
 * Batches messages into blocks: `add` each message, then `blocks()` seals the partial block and
 * returns every block made so far. Small messages share blocks; a message that does not fit in
 * the room left is fragmented across blocks so that each block carries as much as it can.
 */
export class TunnelMessageBuilder {
  readonly #random: RandomSource;
  readonly #payload = new Uint8Array(TUNNEL_BLOCK_CAPACITY);
  #used = 0;
  #sealed: Uint8Array[] = [];

  constructor(options: TunnelMessageBuilderOptions) {
    this.#random = options.random;
  }

  /** Payload bytes waiting in the unsealed block. */
  get pendingBytes(): number {
    return this.#used;
  }

  /** Blocks sealed and not yet taken by `blocks()`. */
  get readyBlocks(): number {
    return this.#sealed.length;
  }

  /**
   * Queues one message. Throws TunnelMessageTooLargeError above MAX_TUNNEL_MESSAGE_SIZE and
   * EncodeError for an empty message or a bad delivery, before changing any state.
   */
  add(msg: TunnelPayloadMessage): void {
    const { delivery, message } = msg;
    if (!(message instanceof Uint8Array) || message.length === 0) {
      throw new EncodeError('message', 'an I2NP message is at least one byte');
    }
    const len = message.length;
    if (len > MAX_TUNNEL_MESSAGE_SIZE) throw new TunnelMessageTooLargeError(len, MAX_TUNNEL_MESSAGE_SIZE);
    checkDelivery(delivery);

    const whole = firstFragmentHeaderLength(delivery, false);
    if (whole + len <= this.#room) {
      this.#put({ kind: 'first', delivery, size: len }, message);
      return;
    }
    const fragHeader = firstFragmentHeaderLength(delivery, true);
    if (this.#room < fragHeader + 1 || fragmentCount(len, this.#room - fragHeader) > MAX_FRAGMENTS) {
      this.#seal();
      if (whole + len <= this.#room) {
        this.#put({ kind: 'first', delivery, size: len }, message);
        return;
      }
    }

    // i2pd treats message id 0 as "not fragmented": never use it.
    const messageId = 1 + this.#random.int(0xffffffff);
    const firstSize = this.#room - fragHeader;
    this.#put({ kind: 'first', delivery, messageId, size: firstSize }, message.subarray(0, firstSize));
    let offset = firstSize;
    for (let n = 1; offset < len; n++) {
      if (this.#room < FOLLOW_ON_HEADER_LENGTH + 1) this.#seal();
      const size = Math.min(this.#room - FOLLOW_ON_HEADER_LENGTH, len - offset);
      const last = offset + size === len;
      this.#put({ kind: 'follow-on', fragmentNumber: n, last, messageId, size }, message.subarray(offset, offset + size));
      offset += size;
    }
  }

  /** Seals the partial block, if any, and hands over every sealed block in order. */
  blocks(): Uint8Array[] {
    if (this.#used > 0) this.#seal();
    const out = this.#sealed;
    this.#sealed = [];
    return out;
  }

  get #room(): number {
    return TUNNEL_BLOCK_CAPACITY - this.#used;
  }

  #put(header: FragmentHeader, fragment: Uint8Array): void {
    this.#used = writeFragmentHeader(header, this.#payload, this.#used);
    this.#payload.set(fragment, this.#used);
    this.#used += fragment.length;
    if (this.#room < MIN_ENTRY) this.#seal();
  }

  #seal(): void {
    this.#sealed.push(sealTunnelBlock(this.#payload.subarray(0, this.#used), this.#random));
    this.#used = 0;
  }
}

function fragmentCount(len: number, firstSize: number): number {
  return 1 + Math.ceil((len - firstSize) / MAX_FOLLOW_ON_FRAGMENT);
}

/** Packs `messages`, in order, into sealed cleartext blocks. */
export function buildTunnelBlocks(messages: readonly TunnelPayloadMessage[], random: RandomSource): Uint8Array[] {
  const builder = new TunnelMessageBuilder({ random });
  for (const m of messages) builder.add(m);
  return builder.blocks();
}
