import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { crc32 } from '../netdb/crc32.js';
import { DecodeError, EncodeError } from '../data/errors.js';

/**
 * The I2CP payload framing (i2cp.html, "I2CP Payload Data Format and Multiplexing"): what a
 * client hands its router, and what travels end to end in the Data message, is one RFC 1952
 * gzip member whose otherwise unused header fields carry the ports and protocol:
 *
 *   0-2  1F 8B 08      gzip magic, CM = deflate
 *   3    flags         0 from us
 *   4-5  source port   (the gzip MTIME field, big-endian as Java and i2pd write it)
 *   6-7  dest port
 *   8    XFL = 2       "to be indistinguishable from the Java implementation"
 *   9    protocol      (the gzip OS field)
 *
 * followed by the deflate data and the CRC-32 / ISIZE trailer, both checked on decode.
 */

export const PROTO_ANY = 0;
export const PROTO_STREAMING = 6;
export const PROTO_DATAGRAM = 17;
export const PROTO_DATAGRAM_RAW = 18;
export const PROTO_DATAGRAM2 = 19;
export const PROTO_DATAGRAM3 = 20;

/**
 * The default bound on a decoded payload: the end-to-end message that carried it is at most
 * about 64 KB, and anything inflating far past that is an attack, not traffic.
 */
export const I2CP_PAYLOAD_DEFAULT_MAX_SIZE = 64 * 1024;

const HEADER_SIZE = 10;
const TRAILER_SIZE = 8;
const XFL_JAVA = 2;

// RFC 1952 FLG bits (FTEXT, bit 0, is only a hint). Bits 5-7 are reserved and must be zero.
const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;
const FRESERVED = 0xe0;

/** A stored deflate block carries at most this many bytes (its LEN is 16 bits). */
const STORED_BLOCK_MAX = 0xffff;

export interface I2cpPayload {
  protocol: number;
  sourcePort: number;
  destPort: number;
  payload: Uint8Array;
}

export type I2cpPayloadHeader = Omit<I2cpPayload, 'payload'>;

export interface I2cpEncodeOptions {
  /**
   * 0 writes stored blocks (no compression effort: the i2cp.gzip=false case and incompressible
   * data). 1-9 deflate at that zlib level, and still fall back to stored blocks when deflate
   * would not be smaller. Default 6.
   */
  level?: number;
}

export interface I2cpDecodeOptions {
  /** Refuse a payload that inflates past this many bytes. Default I2CP_PAYLOAD_DEFAULT_MAX_SIZE. */
  maxSize?: number;
}

/**
 * The payload inflates (or declares it inflates) past the caller's bound: a gzip bomb or a
 * peer that ignores the message size limit. Stopped before inflating more than about one zlib
 * chunk past the bound.
 */
export class PayloadTooLargeError extends DecodeError {
  constructor(
    offset: number,
    readonly limit: number,
    detail: string,
  ) {
    super('i2cpPayload.data', offset, `${detail}; the limit is ${limit} bytes`);
  }
}

export function encodeI2cpPayload(p: I2cpPayload, opts: I2cpEncodeOptions = {}): Uint8Array {
  checkInt('i2cpPayload.sourcePort', p.sourcePort, 0xffff);
  checkInt('i2cpPayload.destPort', p.destPort, 0xffff);
  checkInt('i2cpPayload.protocol', p.protocol, 0xff);
  const level = opts.level ?? 6;
  checkInt('level', level, 9);
  if (!(p.payload instanceof Uint8Array)) throw new EncodeError('i2cpPayload.payload', 'must be a Uint8Array');

  const storedSize = storedDeflateSize(p.payload.length);
  let deflated: Uint8Array | undefined;
  if (level > 0) {
    const d = deflateRawSync(p.payload, { level });
    if (d.length < storedSize) deflated = d;
  }
  const bodySize = deflated ? deflated.length : storedSize;
  const out = new Uint8Array(HEADER_SIZE + bodySize + TRAILER_SIZE);
  out[0] = 0x1f;
  out[1] = 0x8b;
  out[2] = 0x08;
  out[3] = 0;
  out[4] = p.sourcePort >>> 8;
  out[5] = p.sourcePort & 0xff;
  out[6] = p.destPort >>> 8;
  out[7] = p.destPort & 0xff;
  out[8] = XFL_JAVA;
  out[9] = p.protocol;
  if (deflated) out.set(deflated, HEADER_SIZE);
  else writeStoredBlocks(out, HEADER_SIZE, p.payload);
  const t = new DataView(out.buffer, out.byteOffset + HEADER_SIZE + bodySize, TRAILER_SIZE);
  t.setUint32(0, crc32(p.payload), true);
  t.setUint32(4, p.payload.length >>> 0, true); // ISIZE is the length mod 2^32
  return out;
}

/** Bytes of a deflate stream made only of stored blocks (at least one, final, block). */
function storedDeflateSize(n: number): number {
  const blocks = Math.max(1, Math.ceil(n / STORED_BLOCK_MAX));
  return n + blocks * 5;
}

/**
 * The "trivial gzip for effort 0" the spec suggests: each block is a byte-aligned header
 * (BFINAL in bit 0, BTYPE 00), LEN and its complement NLEN little-endian, then LEN bytes.
 */
function writeStoredBlocks(out: Uint8Array, at: number, data: Uint8Array): void {
  let pos = 0;
  do {
    const len = Math.min(STORED_BLOCK_MAX, data.length - pos);
    const final = pos + len >= data.length;
    out[at] = final ? 1 : 0;
    out[at + 1] = len & 0xff;
    out[at + 2] = len >>> 8;
    out[at + 3] = ~len & 0xff;
    out[at + 4] = (~len >>> 8) & 0xff;
    out.set(data.subarray(pos, pos + len), at + 5);
    at += 5 + len;
    pos += len;
  } while (pos < data.length);
}

/**
 * Ports and protocol from the header alone, without inflating: enough to route a message to
 * its session or drop it for an unbound port before paying for decompression.
 */
export function readI2cpPayloadHeader(bytes: Uint8Array): I2cpPayloadHeader {
  checkFixedHeader(bytes);
  return {
    sourcePort: (bytes[4] << 8) | bytes[5],
    destPort: (bytes[6] << 8) | bytes[7],
    protocol: bytes[9],
  };
}

function checkFixedHeader(bytes: Uint8Array): void {
  if (bytes.length < HEADER_SIZE + TRAILER_SIZE) {
    throw new DecodeError('i2cpPayload', 0, `needs at least ${HEADER_SIZE + TRAILER_SIZE} bytes, got ${bytes.length}`);
  }
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) throw new DecodeError('i2cpPayload.magic', 0, 'not a gzip stream (expected 1F 8B)');
  if (bytes[2] !== 0x08) throw new DecodeError('i2cpPayload.method', 2, `compression method ${bytes[2]}, only 8 (deflate) exists`);
  if (bytes[3] & FRESERVED) throw new DecodeError('i2cpPayload.flags', 3, `reserved flag bits set (0x${bytes[3].toString(16)})`);
}

/**
 * Decodes and checks one gzip member: header (optional RFC 1952 fields are skipped, a header
 * CRC is checked), deflate data inflated under `maxSize`, CRC-32 and ISIZE. Everything wrong is
 * a DecodeError (PayloadTooLargeError for the size bound); trailing bytes after the member too.
 */
export function decodeI2cpPayload(bytes: Uint8Array, opts: I2cpDecodeOptions = {}): I2cpPayload {
  const maxSize = opts.maxSize ?? I2CP_PAYLOAD_DEFAULT_MAX_SIZE;
  if (!Number.isSafeInteger(maxSize) || maxSize < 0) throw new RangeError(`maxSize must be a non-negative integer, got ${maxSize}`);
  const header = readI2cpPayloadHeader(bytes);
  const dataStart = optionalHeaderEnd(bytes);
  const trailerAt = bytes.length - TRAILER_SIZE;
  if (dataStart > trailerAt) throw new DecodeError('i2cpPayload.header', dataStart, 'optional header fields run into the trailer');

  const trailer = new DataView(bytes.buffer, bytes.byteOffset + trailerAt, TRAILER_SIZE);
  const declaredCrc = trailer.getUint32(0, true);
  const declaredSize = trailer.getUint32(4, true);
  // ISIZE is the length mod 2^32 and so only a hint, but one over the bound is refused unread.
  if (declaredSize > maxSize) throw new PayloadTooLargeError(trailerAt + 4, maxSize, `the trailer declares ${declaredSize} bytes`);

  const payload = inflateBounded(bytes.subarray(dataStart, trailerAt), dataStart, maxSize);
  if (payload.length !== declaredSize) {
    throw new DecodeError('i2cpPayload.isize', trailerAt + 4, `inflated to ${payload.length} bytes, the trailer says ${declaredSize}`);
  }
  const actualCrc = crc32(payload);
  if (actualCrc !== declaredCrc) {
    throw new DecodeError('i2cpPayload.crc32', trailerAt, `CRC-32 is ${hex8(actualCrc)}, the trailer says ${hex8(declaredCrc)}`);
  }
  return { ...header, payload };
}

/** Where the deflate data begins, past FEXTRA, FNAME, FCOMMENT and FHCRC when present. */
function optionalHeaderEnd(bytes: Uint8Array): number {
  const flags = bytes[3];
  const limit = bytes.length - TRAILER_SIZE;
  let pos = HEADER_SIZE;
  if (flags & FEXTRA) {
    if (pos + 2 > limit) throw new DecodeError('i2cpPayload.extra', pos, 'FEXTRA length runs into the trailer');
    const xlen = bytes[pos] | (bytes[pos + 1] << 8);
    pos += 2 + xlen;
    if (pos > limit) throw new DecodeError('i2cpPayload.extra', pos - xlen, `FEXTRA of ${xlen} bytes runs into the trailer`);
  }
  for (const [bit, field] of [
    [FNAME, 'i2cpPayload.name'],
    [FCOMMENT, 'i2cpPayload.comment'],
  ] as const) {
    if (!(flags & bit)) continue;
    const nul = bytes.subarray(0, limit).indexOf(0, pos);
    if (nul === -1) throw new DecodeError(field, pos, 'not zero-terminated before the trailer');
    pos = nul + 1;
  }
  if (flags & FHCRC) {
    if (pos + 2 > limit) throw new DecodeError('i2cpPayload.hcrc', pos, 'header CRC runs into the trailer');
    const declared = bytes[pos] | (bytes[pos + 1] << 8);
    const actual = crc32(bytes.subarray(0, pos)) & 0xffff;
    if (declared !== actual) throw new DecodeError('i2cpPayload.hcrc', pos, `header CRC is ${actual.toString(16)}, declared ${declared.toString(16)}`);
    pos += 2;
  }
  return pos;
}

/**
 * Inflates with zlib's own output cap (it stops once a chunk takes it past the bound, so a bomb
 * costs at most the bound plus one chunk) and requires the deflate stream to end exactly where
 * the trailer begins.
 */
function inflateBounded(data: Uint8Array, offset: number, maxSize: number): Uint8Array {
  let result: { buffer: Buffer; engine: { bytesWritten: number } };
  try {
    // maxOutputLength must be at least 1; a 0 bound is checked on the result below.
    result = inflateRawSync(data, { maxOutputLength: Math.max(1, maxSize), info: true }) as unknown as typeof result;
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e.code === 'ERR_BUFFER_TOO_LARGE') throw new PayloadTooLargeError(offset, maxSize, 'the data inflates past the limit');
    throw new DecodeError('i2cpPayload.data', offset, `not a valid deflate stream: ${e.message ?? String(err)}`);
  }
  if (result.buffer.length > maxSize) throw new PayloadTooLargeError(offset, maxSize, `the data inflates to ${result.buffer.length} bytes`);
  const consumed = result.engine.bytesWritten;
  if (consumed !== data.length) {
    throw new DecodeError('i2cpPayload.data', offset + consumed, `${data.length - consumed} byte(s) between the end of the deflate stream and the trailer`);
  }
  // A copy: the Buffer may be a slice of a larger zlib allocation that would stay alive.
  return Uint8Array.from(result.buffer);
}

function checkInt(field: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new EncodeError(field, `value ${v} is out of range 0..${max}`);
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}
