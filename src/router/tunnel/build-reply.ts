/**
 * Cleartext build reply records (tunnel-creation-ecies.rst): short (202 bytes) and long
 * (512 bytes). Layout: options Mapping | random padding | reply byte (the last byte).
 * The Mapping may fill everything before the reply byte (201 / 511 bytes with its length).
 */
import { EncodeError } from '../data/errors.js';
import type { RandomSource } from '../runtime/random.js';
import { checkRecordLength, putOptionsAndPadding, readOptions } from './build-request.js';
import type { BuildReply } from './types.js';

export const SHORT_BUILD_REPLY_LENGTH = 202;
export const LONG_BUILD_REPLY_LENGTH = 512;

function encodeReply(r: BuildReply, length: number, random: RandomSource): Uint8Array {
  if (r === null || typeof r !== 'object') throw new EncodeError('buildReply', 'must be an object');
  if (!Number.isInteger(r.reply) || r.reply < 0 || r.reply > 0xff) {
    throw new EncodeError('reply', `value ${r.reply} is out of range 0..255`);
  }
  const out = new Uint8Array(length);
  putOptionsAndPadding(out, 0, length - 1, 'options', r.options, random);
  out[length - 1] = r.reply;
  return out;
}

/**
 * Any reply byte is returned: the spec sends only 0 and 30, but older codes (10, 20, 50) exist
 * and the creator treats every non-zero value as a refusal.
 */
function decodeReply(bytes: Uint8Array, length: number, what: string): BuildReply {
  checkRecordLength(bytes, length, what);
  return { options: readOptions(bytes, 0, length - 1, 'buildReply.options'), reply: bytes[length - 1] };
}

export function encodeShortBuildReply(r: BuildReply, random: RandomSource): Uint8Array {
  return encodeReply(r, SHORT_BUILD_REPLY_LENGTH, random);
}

export function decodeShortBuildReply(bytes: Uint8Array): BuildReply {
  return decodeReply(bytes, SHORT_BUILD_REPLY_LENGTH, 'short build reply');
}

export function encodeLongBuildReply(r: BuildReply, random: RandomSource): Uint8Array {
  return encodeReply(r, LONG_BUILD_REPLY_LENGTH, random);
}

export function decodeLongBuildReply(bytes: Uint8Array): BuildReply {
  return decodeReply(bytes, LONG_BUILD_REPLY_LENGTH, 'long build reply');
}
