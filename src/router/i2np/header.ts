/**
 * The two I2NP header forms (i2np.rst, "I2NP message header"):
 * standard, 16 bytes: type(1) msg_id(4) expiration ms(8) size(2) checksum(1), used wherever the
 * message stands alone inside another structure (TunnelGateway, tunnel fragments, Data);
 * short, 9 bytes: type(1) msg_id(4) expiration s(4), used inside NTCP2/SSU2 blocks and ECIES
 * garlic cloves, whose framing already gives the length and whose AEAD replaces the checksum.
 *
 * A frame is a header plus its payload left as bytes: enough to forward a message (or convert
 * between header forms) without decoding, or knowing, its type.
 */
import { ByteReader, ByteWriter } from '../data/bytes.js';
import { EncodeError } from '../data/errors.js';
import { sha256 } from '../crypto/hash.js';
import { MAX_PAYLOAD_LENGTH, type HeaderForm } from './types.js';

export const STANDARD_HEADER_LENGTH = 16;
export const SHORT_HEADER_LENGTH = 9;

export interface I2npFrame {
  type: number;
  msgId: number;
  /** ms since the epoch; the short form keeps whole seconds only. */
  expiration: number;
  payload: Uint8Array;
}

/** First byte of SHA-256(payload): the spec's truncated-hash checksum. */
export function payloadChecksum(payload: Uint8Array): number {
  return sha256(payload)[0];
}

export function encodeFrame(frame: I2npFrame, form: HeaderForm): Uint8Array {
  const { type, msgId, expiration, payload } = frame;
  const w = new ByteWriter(payload.length + STANDARD_HEADER_LENGTH);
  w.u8('type', type).u32('msgId', msgId);
  if (form === 'standard') {
    if (payload.length > MAX_PAYLOAD_LENGTH) {
      throw new EncodeError('payload', `${payload.length} bytes does not fit the 2-byte size`);
    }
    w.u64('expiration', expiration).u16('size', payload.length).u8('checksum', payloadChecksum(payload));
  } else {
    if (!Number.isFinite(expiration)) throw new EncodeError('expiration', `${expiration} is not a date`);
    w.u32('expiration', Math.round(expiration / 1000));
  }
  return w.bytes(payload).finish();
}

/**
 * Reads one standard-header frame from `r`, leaving the reader after its payload. The size must
 * fit what remains and the checksum must match. `copy: false` returns the payload as a view of
 * the input, for callers that decode it at once and keep nothing of it.
 */
export function readStandardFrame(r: ByteReader, copy = true): I2npFrame {
  const type = r.u8('type');
  const msgId = r.u32('msgId');
  const expiration = r.u64Number('expiration');
  const sizeAt = r.offset;
  const size = r.u16('size');
  const checksumAt = r.offset;
  const checksum = r.u8('checksum');
  if (size > r.remaining) r.fail('size', `payload of ${size} bytes but only ${r.remaining} left`, sizeAt);
  const payload = copy ? r.bytesOf('payload', size) : r.view('payload', size);
  const expected = payloadChecksum(payload);
  if (checksum !== expected) r.fail('checksum', `0x${hex2(checksum)} but payload hashes to 0x${hex2(expected)}`, checksumAt);
  return { type, msgId, expiration, payload };
}

/** The short form: every byte after the 9-byte header is payload (the transport framed it). */
export function readShortFrame(r: ByteReader, copy = true): I2npFrame {
  const type = r.u8('type');
  const msgId = r.u32('msgId');
  const expiration = r.u32('expiration') * 1000;
  const payload = copy ? r.bytesOf('payload', r.remaining) : r.view('payload', r.remaining);
  return { type, msgId, expiration, payload };
}

/** One whole frame: trailing bytes after a standard frame's payload are an error. */
export function decodeFrame(bytes: Uint8Array, form: HeaderForm, base = 0, copy = true): I2npFrame {
  const r = new ByteReader(bytes, base);
  if (form === 'short') return readShortFrame(r, copy);
  const frame = readStandardFrame(r, copy);
  r.end('message');
  return frame;
}

/** Offset of the payload inside an encoded frame of the given form (for error offsets). */
export function headerLength(form: HeaderForm): number {
  return form === 'standard' ? STANDARD_HEADER_LENGTH : SHORT_HEADER_LENGTH;
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

export type ExpirationCheck = 'ok' | 'expired' | 'too-far-future';

export interface ExpirationWindow {
  /** How long past its expiration a message is still accepted (clock skew between routers). */
  maxPastMs: number;
  /** How far ahead of now an expiration may lie. */
  maxFutureMs: number;
}

/**
 * 60 s of clock skew on the past side, as i2pd (I2NP_MESSAGE_CLOCK_SKEW). On the future side a
 * sender's own lifetime (routers give messages up to 60 s) adds to the skew NTCP2 tolerates
 * (60 s), and the short header rounds to whole seconds: a 60 s window dropped our own lookups
 * whenever the rounding went up. i2pd accepts 3 minutes ahead; so do we.
 */
export const DEFAULT_EXPIRATION_WINDOW: ExpirationWindow = { maxPastMs: 60_000, maxFutureMs: 180_000 };

/** Kept apart from the codecs: decoding never depends on the clock. */
export function checkExpiration(
  msgExpMs: number,
  nowMs: number,
  window: ExpirationWindow = DEFAULT_EXPIRATION_WINDOW,
): ExpirationCheck {
  if (msgExpMs < nowMs - window.maxPastMs) return 'expired';
  if (msgExpMs > nowMs + window.maxFutureMs) return 'too-far-future';
  return 'ok';
}
