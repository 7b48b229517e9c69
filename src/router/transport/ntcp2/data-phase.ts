import {
  AEAD_TAG_LENGTH,
  chacha20Poly1305DecryptN,
  chacha20Poly1305EncryptN,
  CryptoError,
  SipHashLengthMask,
} from '../../crypto/index.js';
import { BlockError, decodeBlocks, encodeBlocks, MAX_FRAME_PAYLOAD, type Ntcp2Block } from './blocks.js';
import { Ntcp2Error } from './errors.js';
import type { DataPhaseKeys } from './kdf.js';
import { TerminationReason } from './termination.js';

/*
 * The data phase (ntcp2.rst, "Data Phase"): each frame is a 2-byte length, big-endian, XOR-ed
 * with the next SipHash mask of that direction, then a ChaCha20-Poly1305 frame (16..65535 bytes
 * with its MAC) under the direction's key, nonce = frame counter, no associated data.
 * The mask is the low 16 bits of the SipHash output read little-endian (as i2pd and Java do),
 * so wire = (length ^ mask) written big-endian.
 */

export const MAX_FRAME_LENGTH = 65535;
export const MIN_FRAME_LENGTH = AEAD_TAG_LENGTH;
/** Noise forbids nonce 2^64 - 1; a JS counter stops far earlier, at 2^53 - 1, which no connection reaches. */
const MAX_NONCE = Number.MAX_SAFE_INTEGER;

/** Encrypts frames in one direction. */
export class FrameSealer {
  private readonly key: Uint8Array;
  private readonly mask: SipHashLengthMask;
  private n = 0;

  constructor(key: Uint8Array, sipKey16: Uint8Array, sipIv8: Uint8Array) {
    this.key = key.slice();
    this.mask = new SipHashLengthMask(sipKey16, sipIv8);
  }

  /** Frames sealed so far (the next nonce). */
  get framesSent(): number {
    return this.n;
  }

  /** Seals an already encoded payload (a sequence of blocks) into one frame, length included. */
  sealPayload(payload: Uint8Array): Uint8Array {
    if (payload.length > MAX_FRAME_PAYLOAD) {
      throw new Ntcp2Error('FRAME_TOO_LARGE', `frame payload of ${payload.length} bytes exceeds ${MAX_FRAME_PAYLOAD}`);
    }
    if (this.n >= MAX_NONCE) throw new Ntcp2Error('NONCE_EXHAUSTED', 'send nonce exhausted: reconnect');
    const sealed = chacha20Poly1305EncryptN(this.key, this.n++, payload);
    const out = new Uint8Array(2 + sealed.length);
    const wire = (sealed.length ^ this.mask.next()) & 0xffff;
    out[0] = wire >>> 8;
    out[1] = wire & 0xff;
    out.set(sealed, 2);
    return out;
  }

  /** Encodes and seals one frame holding `blocks` (e.g. several I2NP messages and padding). */
  seal(blocks: readonly Ntcp2Block[]): Uint8Array {
    let payload: Uint8Array;
    try {
      payload = encodeBlocks(blocks);
    } catch (e) {
      throw new Ntcp2Error('FRAME_TOO_LARGE', `cannot encode frame: ${(e as Error).message}`);
    }
    return this.sealPayload(payload);
  }
}

export interface FrameReadResult {
  /** Each complete frame that authenticated, as its blocks (views into one buffer per frame). */
  frames: Ntcp2Block[][];
  /** Fatal: the reader refuses further input. `terminationReason` is what to send before closing. */
  error?: Ntcp2Error;
}

/**
 * Decrypts frames in one direction from a byte stream in arbitrary pieces. It holds at most one
 * incomplete frame (2 + 65535 bytes); complete frames in the input are decrypted in place.
 */
export class FrameReader {
  private readonly key: Uint8Array;
  private readonly mask: SipHashLengthMask;
  private n = 0;
  private readonly header = new Uint8Array(2);
  private headerFill = 0;
  /** Length of the frame being read, or -1 while reading the length. */
  private frameLength = -1;
  private body: Uint8Array | null = null;
  private bodyFill = 0;
  private failure: Ntcp2Error | null = null;

  constructor(key: Uint8Array, sipKey16: Uint8Array, sipIv8: Uint8Array) {
    this.key = key.slice();
    this.mask = new SipHashLengthMask(sipKey16, sipIv8);
  }

  /** Valid frames received so far (the receive nonce): what a Termination block reports. */
  get validFramesReceived(): number {
    return this.n;
  }

  /** Bytes held for an incomplete frame (never above 65537). */
  get buffered(): number {
    return this.headerFill + this.bodyFill;
  }

  get error(): Ntcp2Error | null {
    return this.failure;
  }

  push(input: Uint8Array): FrameReadResult {
    const frames: Ntcp2Block[][] = [];
    if (this.failure) return { frames, error: this.failure };
    let o = 0;
    // Each iteration consumes at least one input byte, so the loop ends with the input.
    while (o < input.length) {
      if (this.frameLength < 0) {
        const take = Math.min(2 - this.headerFill, input.length - o);
        this.header.set(input.subarray(o, o + take), this.headerFill);
        this.headerFill += take;
        o += take;
        if (this.headerFill < 2) break;
        const length = (((this.header[0] << 8) | this.header[1]) ^ this.mask.next()) & 0xffff;
        if (length < MIN_FRAME_LENGTH) {
          return this.fail(frames, new Ntcp2Error('BAD_FRAME_LENGTH', `frame length ${length} below 16`, TerminationReason.AeadFramingError));
        }
        this.frameLength = length;
        // Whole frame present: decrypt straight from the input, no copy.
        if (input.length - o >= length) {
          const result = this.open(input.subarray(o, o + length));
          o += length;
          if (result instanceof Ntcp2Error) return this.fail(frames, result);
          frames.push(result);
          continue;
        }
        this.body = new Uint8Array(length);
        this.bodyFill = 0;
      }
      const body = this.body as Uint8Array;
      const take = Math.min(this.frameLength - this.bodyFill, input.length - o);
      body.set(input.subarray(o, o + take), this.bodyFill);
      this.bodyFill += take;
      o += take;
      if (this.bodyFill < this.frameLength) break;
      const result = this.open(body);
      if (result instanceof Ntcp2Error) return this.fail(frames, result);
      frames.push(result);
    }
    return { frames };
  }

  private open(sealed: Uint8Array): Ntcp2Block[] | Ntcp2Error {
    this.frameLength = -1;
    this.headerFill = 0;
    this.body = null;
    this.bodyFill = 0;
    let payload: Uint8Array;
    try {
      payload = chacha20Poly1305DecryptN(this.key, this.n, sealed);
    } catch (e) {
      if (!(e instanceof CryptoError)) throw e;
      return new Ntcp2Error('FRAME_AUTH_FAILED', `frame ${this.n} failed authentication`, TerminationReason.DataPhaseAeadFailure);
    }
    this.n++;
    try {
      // The plaintext is a fresh buffer per frame: its blocks may be views into it.
      return decodeBlocks(payload, 'dataPhase', 0, false);
    } catch (e) {
      if (!(e instanceof BlockError)) throw e;
      return new Ntcp2Error('BAD_FRAME_PAYLOAD', e.message, TerminationReason.PayloadFormatError);
    }
  }

  private fail(frames: Ntcp2Block[][], error: Ntcp2Error): FrameReadResult {
    this.failure = error;
    this.body = null;
    this.bodyFill = 0;
    this.headerFill = 0;
    return { frames, error };
  }
}

/** Both directions of an established connection. */
export class Ntcp2DataPhase {
  readonly sealer: FrameSealer;
  readonly reader: FrameReader;

  constructor(keys: DataPhaseKeys) {
    this.sealer = new FrameSealer(keys.sendKey, keys.sendSipKey16, keys.sendSipIv8);
    this.reader = new FrameReader(keys.recvKey, keys.recvSipKey16, keys.recvSipIv8);
  }

  seal(blocks: readonly Ntcp2Block[]): Uint8Array {
    return this.sealer.seal(blocks);
  }

  push(input: Uint8Array): FrameReadResult {
    return this.reader.push(input);
  }

  /** A frame with a Termination block reporting the frames received so far. */
  terminate(reason: number, padding: Uint8Array = new Uint8Array(0)): Uint8Array {
    const blocks: Ntcp2Block[] = [
      { kind: 'termination', validFramesReceived: BigInt(this.reader.validFramesReceived), reason, data: new Uint8Array(0) },
    ];
    if (padding.length > 0) blocks.push({ kind: 'padding', data: padding });
    return this.seal(blocks);
  }
}
