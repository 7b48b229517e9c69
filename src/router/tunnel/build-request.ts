/**
 * Cleartext build request records (tunnel-creation-ecies.rst): the short record (154 bytes,
 * ShortTunnelBuild) and the long ECIES record (464 bytes, VariableTunnelBuild / TunnelBuild).
 * The encryption around them is in build-crypto.ts.
 *
 * Short layout: receive id (4) | next id (4) | next ident (32) | flags (1) | more flags (2) |
 * layer encryption type (1) | request time, minutes (4) | expiration, seconds (4) |
 * next message id (4) | options Mapping | random padding.
 * Long layout: receive id | next id | next ident | layer key (32) | IV key (32) | reply key (32) |
 * reply IV (16) | flags (1) | more flags (3) | request time | expiration | next message id |
 * options Mapping | random padding. No layer encryption type: always AES.
 */
import { ByteReader } from '../data/bytes.js';
import { DecodeError, EncodeError } from '../data/errors.js';
import { encodeMapping, mappingToObject, readMapping } from '../data/mapping.js';
import type { RandomSource } from '../runtime/random.js';
import type { BuildRequest, HopRole, LongBuildRequest } from './types.js';

export const SHORT_BUILD_REQUEST_LENGTH = 154;
export const LONG_BUILD_REQUEST_LENGTH = 464;

/** Flag bits (tunnel-creation.rst): bit 7 "allow messages from anyone", bit 6 "to anyone". */
export const FLAG_IBGW = 0x80;
export const FLAG_OBEP = 0x40;

const HASH_LENGTH = 32;
const KEY_LENGTH = 32;
const IV_LENGTH = 16;

// Short record offsets.
const S_FLAGS = 40;
const S_LAYER_TYPE = 43;
const S_TIME = 44;
const S_OPTIONS = 56;

// Long record offsets.
const L_LAYER_KEY = 40;
const L_IV_KEY = 72;
const L_REPLY_KEY = 104;
const L_REPLY_IV = 136;
const L_FLAGS = 152;
const L_TIME = 156;
const L_OPTIONS = 168;

function roleFlags(role: HopRole): number {
  switch (role) {
    case 'participant':
      return 0;
    case 'ibgw':
      return FLAG_IBGW;
    case 'obep':
      return FLAG_OBEP;
    default:
      throw new EncodeError('role', `unknown hop role ${String(role)}`);
  }
}

/** Bits 5-0 are reserved: ignored on input, so a future option does not make us drop the build. */
function roleOf(flags: number, at: number): HopRole {
  const ibgw = (flags & FLAG_IBGW) !== 0;
  const obep = (flags & FLAG_OBEP) !== 0;
  if (ibgw && obep) throw new DecodeError('buildRequest.flags', at, 'both the IBGW and the OBEP bit are set');
  return ibgw ? 'ibgw' : obep ? 'obep' : 'participant';
}

function putU32(view: DataView, at: number, field: string, v: number, nonZero = false): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new EncodeError(field, `value ${v} is out of range 0..4294967295`);
  if (nonZero && v === 0) throw new EncodeError(field, 'must be non-zero');
  view.setUint32(at, v);
}

function putBytes(out: Uint8Array, at: number, field: string, b: Uint8Array, n: number): void {
  if (!(b instanceof Uint8Array) || b.length !== n) {
    throw new EncodeError(field, `must be ${n} bytes, got ${b instanceof Uint8Array ? b.length : typeof b}`);
  }
  out.set(b, at);
}

/** Options Mapping then random padding up to the end of `out`, from `at`. */
export function putOptionsAndPadding(
  out: Uint8Array,
  at: number,
  end: number,
  field: string,
  options: Record<string, string>,
  random: RandomSource,
): void {
  if (options === null || typeof options !== 'object') throw new EncodeError(field, 'must be an object');
  const mapping = encodeMapping(new Map(Object.entries(options)));
  if (mapping.length > end - at) {
    throw new EncodeError(field, `Mapping of ${mapping.length} bytes exceeds the ${end - at} bytes the record has room for`);
  }
  out.set(mapping, at);
  const padFrom = at + mapping.length;
  if (padFrom < end) out.set(random.bytes(end - padFrom), padFrom);
}

/** Reads the options Mapping in [at, end): the record's own bound is the Mapping's limit. */
export function readOptions(bytes: Uint8Array, at: number, end: number, field: string): Record<string, string> {
  // Build options are not signed, so key order carries no meaning: accept any order.
  const r = new ByteReader(bytes.subarray(at, end), at);
  return mappingToObject(readMapping(r, field, { allowUnsorted: true }));
}

export function checkRecordLength(bytes: Uint8Array, length: number, what: string): void {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError(what, 0, 'expected bytes');
  if (bytes.length !== length) throw new DecodeError(what, 0, `expected ${length} bytes, got ${bytes.length}`);
}

/** The fields the short and long records share, at their offsets. */
function writeCommon(view: DataView, out: Uint8Array, req: BuildRequest, flagsAt: number, timeAt: number): void {
  if (req === null || typeof req !== 'object') throw new EncodeError('buildRequest', 'must be an object');
  putU32(view, 0, 'receiveTunnelId', req.receiveTunnelId, true);
  putU32(view, 4, 'nextTunnelId', req.nextTunnelId, true);
  putBytes(out, 8, 'nextIdent', req.nextIdent, HASH_LENGTH);
  out[flagsAt] = roleFlags(req.role); // the "more flags" bytes stay 0
  putU32(view, timeAt, 'requestTimeMinutes', req.requestTimeMinutes);
  putU32(view, timeAt + 4, 'expirationSeconds', req.expirationSeconds);
  putU32(view, timeAt + 8, 'nextMessageId', req.nextMessageId);
}

/** Both tunnel ids are "nonzero" in the spec: 0 is never a valid tunnel id on the wire. */
function readCommon(bytes: Uint8Array, view: DataView, flagsAt: number, timeAt: number) {
  const receiveTunnelId = view.getUint32(0);
  if (receiveTunnelId === 0) throw new DecodeError('buildRequest.receiveTunnelId', 0, 'must be non-zero');
  const nextTunnelId = view.getUint32(4);
  if (nextTunnelId === 0) throw new DecodeError('buildRequest.nextTunnelId', 4, 'must be non-zero');
  return {
    receiveTunnelId,
    nextTunnelId,
    nextIdent: bytes.slice(8, 8 + HASH_LENGTH),
    role: roleOf(bytes[flagsAt], flagsAt),
    requestTimeMinutes: view.getUint32(timeAt),
    expirationSeconds: view.getUint32(timeAt + 4),
    nextMessageId: view.getUint32(timeAt + 8),
  };
}

function viewOf(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.length);
}

/** 154 bytes. Padding is random (the spec's), so two encodings of one request differ. */
export function encodeShortBuildRequest(req: BuildRequest, random: RandomSource): Uint8Array {
  const out = new Uint8Array(SHORT_BUILD_REQUEST_LENGTH);
  const view = viewOf(out);
  writeCommon(view, out, req, S_FLAGS, S_TIME);
  const type = req.layerEncryption;
  if (!Number.isInteger(type) || type < 0 || type > 0xff) throw new EncodeError('layerEncryption', `value ${type} is out of range 0..255`);
  out[S_LAYER_TYPE] = type;
  putOptionsAndPadding(out, S_OPTIONS, SHORT_BUILD_REQUEST_LENGTH, 'options', req.options, random);
  return out;
}

/**
 * Exactly 154 bytes. Refuses zero tunnel ids, both role bits, and a Mapping that is malformed or
 * runs past the record. The layer encryption type and the times are returned as sent: whether to
 * accept them is the hop's policy, which answers with a reply code rather than silence.
 */
export function decodeShortBuildRequest(bytes: Uint8Array): BuildRequest {
  checkRecordLength(bytes, SHORT_BUILD_REQUEST_LENGTH, 'short build request');
  const common = readCommon(bytes, viewOf(bytes), S_FLAGS, S_TIME);
  return {
    ...common,
    layerEncryption: bytes[S_LAYER_TYPE],
    options: readOptions(bytes, S_OPTIONS, SHORT_BUILD_REQUEST_LENGTH, 'buildRequest.options'),
  };
}

/** 464 bytes. The long record has no layer encryption field: only type 0 (AES) fits it. */
export function encodeLongBuildRequest(req: LongBuildRequest, random: RandomSource): Uint8Array {
  const out = new Uint8Array(LONG_BUILD_REQUEST_LENGTH);
  const view = viewOf(out);
  writeCommon(view, out, req, L_FLAGS, L_TIME);
  if (req.layerEncryption !== 0) throw new EncodeError('layerEncryption', 'a long record carries only AES (0) layers');
  putBytes(out, L_LAYER_KEY, 'layerKey', req.layerKey, KEY_LENGTH);
  putBytes(out, L_IV_KEY, 'ivKey', req.ivKey, KEY_LENGTH);
  putBytes(out, L_REPLY_KEY, 'replyKey', req.replyKey, KEY_LENGTH);
  putBytes(out, L_REPLY_IV, 'replyIv', req.replyIv, IV_LENGTH);
  putOptionsAndPadding(out, L_OPTIONS, LONG_BUILD_REQUEST_LENGTH, 'options', req.options, random);
  return out;
}

export function decodeLongBuildRequest(bytes: Uint8Array): LongBuildRequest {
  checkRecordLength(bytes, LONG_BUILD_REQUEST_LENGTH, 'long build request');
  const common = readCommon(bytes, viewOf(bytes), L_FLAGS, L_TIME);
  return {
    ...common,
    layerEncryption: 0,
    layerKey: bytes.slice(L_LAYER_KEY, L_LAYER_KEY + KEY_LENGTH),
    ivKey: bytes.slice(L_IV_KEY, L_IV_KEY + KEY_LENGTH),
    replyKey: bytes.slice(L_REPLY_KEY, L_REPLY_KEY + KEY_LENGTH),
    replyIv: bytes.slice(L_REPLY_IV, L_REPLY_IV + IV_LENGTH),
    options: readOptions(bytes, L_OPTIONS, LONG_BUILD_REQUEST_LENGTH, 'buildRequest.options'),
  };
}
