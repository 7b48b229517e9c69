import { unixSeconds } from './handshake-options.js';

/*
 * The blocks inside NTCP2 frames (ntcp2.rst, "Unencrypted data"): type(1) size(2, BE) data.
 * Message 3 part 2 and every data-phase frame carry a sequence of them. Decoding never reads
 * past a block's declared size into the next block and reports every violation as a
 * BlockError; unknown block types are kept as `unknown` (the spec says to treat them as padding).
 */

export const BlockType = {
  DateTime: 0,
  Options: 1,
  RouterInfo: 2,
  I2np: 3,
  Termination: 4,
  Padding: 254,
} as const;

/** 65535-byte frame minus the 16-byte MAC. */
export const MAX_FRAME_PAYLOAD = 65519;
/** A block's data: the frame payload minus its 3-byte header. */
export const MAX_BLOCK_DATA = MAX_FRAME_PAYLOAD - 3;
export const BLOCK_HEADER_LENGTH = 3;
const OPTIONS_MIN = 12;
const I2NP_SHORT_HEADER = 9;
const TERMINATION_MIN = 9;

export interface DateTimeBlock {
  kind: 'dateTime';
  /** Unix seconds (u32). */
  timestamp: number;
}

/** Padding and traffic parameters; ratios are 4.4 fixed point (value / 16). */
export interface OptionsBlock {
  kind: 'options';
  tmin: number;
  tmax: number;
  rmin: number;
  rmax: number;
  /** bytes/s */
  tdmy: number;
  rdmy: number;
  /** ms */
  tdelay: number;
  rdelay: number;
  /** Bytes after the 12 defined ones (format TBD in the spec). */
  more: Uint8Array;
}

export interface RouterInfoBlock {
  kind: 'routerInfo';
  /** Flag bit 0: the sender asks a floodfill to flood it. */
  flood: boolean;
  /** The RouterInfo bytes, not gzipped. */
  routerInfo: Uint8Array;
}

export interface I2npBlock {
  kind: 'i2np';
  /** The I2NP message with the short 9-byte header (type, msg id, expiration in seconds), then the body. */
  message: Uint8Array;
}

export interface TerminationBlock {
  kind: 'termination';
  /** Valid data-phase frames received so far (the receive nonce); u64. */
  validFramesReceived: bigint;
  reason: number;
  data: Uint8Array;
}

export interface PaddingBlock {
  kind: 'padding';
  data: Uint8Array;
}

export interface UnknownBlock {
  kind: 'unknown';
  type: number;
  data: Uint8Array;
}

export type Ntcp2Block =
  | DateTimeBlock
  | OptionsBlock
  | RouterInfoBlock
  | I2npBlock
  | TerminationBlock
  | PaddingBlock
  | UnknownBlock;

/** A DateTime block for `nowMs`, rounded to the nearest second as the spec asks. */
export function dateTimeBlock(nowMs: number): DateTimeBlock {
  return { kind: 'dateTime', timestamp: unixSeconds(nowMs) };
}

export class BlockError extends Error {
  override readonly name = 'BlockError';
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`NTCP2 block at byte ${offset}: ${reason}`);
  }
}

const KNOWN = new Set<number>(Object.values(BlockType));

function typeOf(b: Ntcp2Block): number {
  switch (b.kind) {
    case 'dateTime':
      return BlockType.DateTime;
    case 'options':
      return BlockType.Options;
    case 'routerInfo':
      return BlockType.RouterInfo;
    case 'i2np':
      return BlockType.I2np;
    case 'termination':
      return BlockType.Termination;
    case 'padding':
      return BlockType.Padding;
    case 'unknown':
      return b.type;
  }
}

function dataLength(b: Ntcp2Block): number {
  switch (b.kind) {
    case 'dateTime':
      return 4;
    case 'options':
      return OPTIONS_MIN + b.more.length;
    case 'routerInfo':
      return 1 + b.routerInfo.length;
    case 'i2np':
      return b.message.length;
    case 'termination':
      return TERMINATION_MIN + b.data.length;
    case 'padding':
    case 'unknown':
      return b.data.length;
  }
}

function checkInt(field: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`${field} out of range 0..${max}: ${v}`);
}

/** Encoded size of one block, header included. */
export function blockLength(b: Ntcp2Block): number {
  return BLOCK_HEADER_LENGTH + dataLength(b);
}

/** Encoded size of a sequence of blocks. */
export function blocksLength(blocks: readonly Ntcp2Block[]): number {
  let n = 0;
  for (const b of blocks) n += blockLength(b);
  return n;
}

function writeBlock(out: Uint8Array, o: number, b: Ntcp2Block): number {
  const len = dataLength(b);
  const type = typeOf(b);
  checkInt('block type', type, 0xff);
  if (b.kind === 'unknown' && KNOWN.has(type)) throw new RangeError(`unknown block uses known type ${type}`);
  if (len > MAX_BLOCK_DATA) throw new RangeError(`block data of ${len} bytes exceeds ${MAX_BLOCK_DATA}`);
  const dv = new DataView(out.buffer, out.byteOffset, out.length);
  out[o] = type;
  dv.setUint16(o + 1, len);
  let p = o + BLOCK_HEADER_LENGTH;
  switch (b.kind) {
    case 'dateTime':
      checkInt('timestamp', b.timestamp, 0xffffffff);
      dv.setUint32(p, b.timestamp);
      break;
    case 'options': {
      const bytes = [b.tmin, b.tmax, b.rmin, b.rmax];
      for (const v of bytes) checkInt('options ratio', v, 0xff);
      out.set(bytes, p);
      const words = [b.tdmy, b.rdmy, b.tdelay, b.rdelay];
      words.forEach((v, i) => {
        checkInt('options field', v, 0xffff);
        dv.setUint16(p + 4 + 2 * i, v);
      });
      out.set(b.more, p + OPTIONS_MIN);
      break;
    }
    case 'routerInfo':
      out[p] = b.flood ? 1 : 0;
      out.set(b.routerInfo, p + 1);
      break;
    case 'i2np':
      if (b.message.length < I2NP_SHORT_HEADER) throw new RangeError('I2NP block shorter than its 9-byte header');
      out.set(b.message, p);
      break;
    case 'termination':
      if (b.validFramesReceived < 0n || b.validFramesReceived > 0xffffffffffffffffn) {
        throw new RangeError('validFramesReceived out of u64 range');
      }
      checkInt('termination reason', b.reason, 0xff);
      dv.setBigUint64(p, b.validFramesReceived);
      out[p + 8] = b.reason;
      out.set(b.data, p + TERMINATION_MIN);
      break;
    case 'padding':
    case 'unknown':
      out.set(b.data, p);
      break;
  }
  p += len;
  return p;
}

/**
 * Encodes blocks into one frame payload. Throws RangeError on a value out of range, on padding
 * that is not last (or appears twice), on a termination block followed by anything but padding,
 * and on a payload over 65519 bytes.
 */
export function encodeBlocks(blocks: readonly Ntcp2Block[]): Uint8Array {
  checkOrder(blocks.map((b) => typeOf(b)), (reason) => new RangeError(reason));
  const total = blocksLength(blocks);
  if (total > MAX_FRAME_PAYLOAD) throw new RangeError(`frame payload of ${total} bytes exceeds ${MAX_FRAME_PAYLOAD}`);
  const out = new Uint8Array(total);
  let o = 0;
  for (const b of blocks) o = writeBlock(out, o, b);
  return out;
}

/** Data-phase ordering: padding last and single; termination last but for padding. */
function checkOrder(types: readonly number[], fail: (reason: string, index: number) => Error): void {
  types.forEach((t, i) => {
    if (t === BlockType.Padding && i !== types.length - 1) throw fail('padding block must be the last block', i);
    if (t === BlockType.Termination) {
      const rest = types.length - 1 - i;
      if (rest > 1 || (rest === 1 && types[i + 1] !== BlockType.Padding)) {
        throw fail('termination block must be the last block but for padding', i);
      }
    }
  });
}

export type BlockContext = 'dataPhase' | 'message3';

/**
 * Decodes a frame payload. In the data phase, unknown types are returned as `unknown` (the
 * caller ignores them). In message 3 part 2 the order must be RouterInfo, then Options if
 * present, then Padding if present, and nothing else. Offsets in errors are `base` + position.
 * With `copy` false, block data are views into `payload`.
 */
export function decodeBlocks(payload: Uint8Array, context: BlockContext = 'dataPhase', base = 0, copy = true): Ntcp2Block[] {
  const blocks: Ntcp2Block[] = [];
  const starts: number[] = [];
  const dv = new DataView(payload.buffer, payload.byteOffset, payload.length);
  let o = 0;
  // Each iteration consumes at least the 3-byte header, so at most payload.length / 3 blocks.
  while (o < payload.length) {
    if (payload.length - o < BLOCK_HEADER_LENGTH) throw new BlockError(base + o, 'truncated block header');
    const type = payload[o];
    const size = dv.getUint16(o + 1);
    const p = o + BLOCK_HEADER_LENGTH;
    if (size > payload.length - p) {
      throw new BlockError(base + o, `block size ${size} exceeds the ${payload.length - p} bytes left`);
    }
    const data = copy ? payload.slice(p, p + size) : payload.subarray(p, p + size);
    starts.push(base + o);
    blocks.push(readBlock(type, data, dv, p, base + o));
    o = p + size;
  }
  const types = blocks.map((b) => typeOf(b));
  checkOrder(types, (reason, i) => new BlockError(starts[i], reason));
  if (context === 'message3') checkMessage3(types, starts, base);
  return blocks;
}

function readBlock(type: number, data: Uint8Array, dv: DataView, p: number, at: number): Ntcp2Block {
  const size = data.length;
  switch (type) {
    case BlockType.DateTime:
      if (size !== 4) throw new BlockError(at, `DateTime block size must be 4, is ${size}`);
      return { kind: 'dateTime', timestamp: dv.getUint32(p) };
    case BlockType.Options:
      if (size < OPTIONS_MIN) throw new BlockError(at, `Options block size must be >= ${OPTIONS_MIN}, is ${size}`);
      return {
        kind: 'options',
        tmin: data[0],
        tmax: data[1],
        rmin: data[2],
        rmax: data[3],
        tdmy: dv.getUint16(p + 4),
        rdmy: dv.getUint16(p + 6),
        tdelay: dv.getUint16(p + 8),
        rdelay: dv.getUint16(p + 10),
        more: data.subarray(OPTIONS_MIN),
      };
    case BlockType.RouterInfo:
      if (size < 1) throw new BlockError(at, 'RouterInfo block without its flag byte');
      return { kind: 'routerInfo', flood: (data[0] & 1) === 1, routerInfo: data.subarray(1) };
    case BlockType.I2np:
      if (size < I2NP_SHORT_HEADER) throw new BlockError(at, `I2NP block size must be >= ${I2NP_SHORT_HEADER}, is ${size}`);
      return { kind: 'i2np', message: data };
    case BlockType.Termination:
      if (size < TERMINATION_MIN) throw new BlockError(at, `Termination block size must be >= ${TERMINATION_MIN}, is ${size}`);
      return {
        kind: 'termination',
        validFramesReceived: dv.getBigUint64(p),
        reason: data[8],
        data: data.subarray(TERMINATION_MIN),
      };
    case BlockType.Padding:
      return { kind: 'padding', data };
    default:
      return { kind: 'unknown', type, data };
  }
}

function checkMessage3(types: readonly number[], starts: readonly number[], base: number): void {
  if (types[0] !== BlockType.RouterInfo) throw new BlockError(starts[0] ?? base, 'message 3 must start with a RouterInfo block');
  const allowed = [BlockType.Options, BlockType.Padding];
  let next = 0;
  for (let i = 1; i < types.length; i++) {
    const at = allowed.indexOf(types[i] as 1 | 254, next);
    if (at < 0) throw new BlockError(starts[i], `block type ${types[i]} not allowed here in message 3`);
    next = at + 1;
  }
}
