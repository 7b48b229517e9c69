/*
 * The 16-byte option blocks of messages 1 and 2 (ntcp2.rst, "SessionRequest" and
 * "SessionCreated"), all fields big-endian. Reserved bytes are written as zero and ignored on
 * reading, as the spec keeps them for future options.
 */

export const OPTIONS_LENGTH = 16;
/** X (or Y) + the 32-byte AEAD frame of the options. */
export const MSG12_FIXED_LENGTH = 64;
/** i2pd refuses message 1 and 2 over 287 bytes (and NTCP-published peers require it). */
export const MSG12_MAX_LENGTH = 287;
export const MSG12_MAX_PADDING = MSG12_MAX_LENGTH - MSG12_FIXED_LENGTH;
/** Message 3 part 1: Alice's static key in a ChaChaPoly frame. */
export const MSG3_PART1_LENGTH = 48;
/** Part 2's frame (with MAC): at least an empty AEAD frame, and both parts within 65535. */
export const M3P2_MIN_LENGTH = 16;
export const M3P2_MAX_LENGTH = 65535 - MSG3_PART1_LENGTH;
export const NTCP2_VERSION = 2;
/** Maximum clock difference, seconds (ntcp2.rst "Clock Skew Guidelines", i2pd NTCP2_CLOCK_SKEW). */
export const MAX_CLOCK_SKEW_SECONDS = 60;

export interface SessionRequestOptions {
  networkId: number;
  version: number;
  paddingLength: number;
  m3p2Length: number;
  /** tsA: Unix seconds (u32, wraps in 2106). */
  timestamp: number;
}

export interface SessionCreatedOptions {
  paddingLength: number;
  /** tsB: Unix seconds. */
  timestamp: number;
}

function u16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}
function u32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}
function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8;
  b[o + 1] = v & 0xff;
}
function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

function checkField(name: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`${name} out of range 0..${max}: ${v}`);
}

/** id(1) ver(1) padLen(2) m3p2len(2) rsvd(2) tsA(4) reserved(4). */
export function encodeSessionRequestOptions(o: SessionRequestOptions): Uint8Array {
  checkField('networkId', o.networkId, 0xff);
  checkField('version', o.version, 0xff);
  checkField('paddingLength', o.paddingLength, 0xffff);
  checkField('m3p2Length', o.m3p2Length, 0xffff);
  checkField('timestamp', o.timestamp, 0xffffffff);
  const b = new Uint8Array(OPTIONS_LENGTH);
  b[0] = o.networkId;
  b[1] = o.version;
  put16(b, 2, o.paddingLength);
  put16(b, 4, o.m3p2Length);
  put32(b, 8, o.timestamp);
  return b;
}

export function decodeSessionRequestOptions(b: Uint8Array): SessionRequestOptions {
  if (b.length !== OPTIONS_LENGTH) throw new RangeError(`options must be ${OPTIONS_LENGTH} bytes`);
  return { networkId: b[0], version: b[1], paddingLength: u16(b, 2), m3p2Length: u16(b, 4), timestamp: u32(b, 8) };
}

/** rsvd(2) padLen(2) reserved(4) tsB(4) reserved(4). */
export function encodeSessionCreatedOptions(o: SessionCreatedOptions): Uint8Array {
  checkField('paddingLength', o.paddingLength, 0xffff);
  checkField('timestamp', o.timestamp, 0xffffffff);
  const b = new Uint8Array(OPTIONS_LENGTH);
  put16(b, 2, o.paddingLength);
  put32(b, 8, o.timestamp);
  return b;
}

export function decodeSessionCreatedOptions(b: Uint8Array): SessionCreatedOptions {
  if (b.length !== OPTIONS_LENGTH) throw new RangeError(`options must be ${OPTIONS_LENGTH} bytes`);
  return { paddingLength: u16(b, 2), timestamp: u32(b, 8) };
}

/** Unix seconds rounded to the nearest second (the spec asks for rounding, as i2pd does), as u32. */
export function unixSeconds(nowMs: number): number {
  return Math.floor((nowMs + 500) / 1000) >>> 0;
}

/** peer - ours in seconds, taking the u32 wrap of 2106 into account. */
export function skewSeconds(peerTimestamp: number, nowMs: number): number {
  const d = (peerTimestamp - unixSeconds(nowMs)) >>> 0;
  return d >= 0x80000000 ? d - 0x100000000 : d;
}
