/**
 * DatabaseLookup (type 2): key(32) from(32) flags(1) [reply_tunnelId(4)] size(2) size×hash(32)
 * [reply_key(32) tags(1) tags×tag].
 *
 * flags: bit 0 delivery (reply through a tunnel), bit 1 encryption (ElGamal/AES reply),
 * bits 3-2 lookup type, bit 4 ECIES (AEAD reply, 8-byte tags; ecies-routers.rst); bits 7-5
 * reserved and ignored on receive.
 */
import { ByteReader, ByteWriter } from '../data/bytes.js';
import { EncodeError } from '../data/errors.js';
import {
  I2npType,
  MAX_EXCLUDED_PEERS,
  type DatabaseLookup,
  type LookupReplyEncryption,
  type LookupType,
} from './types.js';
import { readHash, readHashes, readTunnelId, writeHash, writeHashes, writeTunnelId } from './wire.js';

export const LookupFlag = {
  Delivery: 0x01,
  Encryption: 0x02,
  TypeMask: 0x0c,
  Ecies: 0x10,
} as const;

const LOOKUP_TYPES: readonly LookupType[] = ['any', 'leaseset', 'routerinfo', 'exploration'];
export const ELGAMAL_TAG_LENGTH = 32;
export const ECIES_TAG_LENGTH = 8;
export const SESSION_KEY_LENGTH = 32;
/** The spec's range for the ElGamal/AES tag count. */
export const MAX_ELGAMAL_REPLY_TAGS = 32;

function encryptionBits(e: LookupReplyEncryption): number {
  switch (e.kind) {
    case 'none':
      return 0;
    case 'elgamal':
      return LookupFlag.Encryption;
    case 'ecies':
      return LookupFlag.Ecies;
    case 'ecies-both-flags':
      return LookupFlag.Ecies | LookupFlag.Encryption;
  }
}

export function lookupFlags(m: Pick<DatabaseLookup, 'lookupType' | 'replyTunnelId' | 'encryption'>): number {
  const typeIndex = LOOKUP_TYPES.indexOf(m.lookupType);
  if (typeIndex < 0) throw new EncodeError('lookupType', `${String(m.lookupType)} is not a lookup type`);
  return (m.replyTunnelId !== undefined ? LookupFlag.Delivery : 0) | (typeIndex << 2) | encryptionBits(m.encryption);
}

export function encodeDatabaseLookup(m: DatabaseLookup): Uint8Array {
  if (m.excludedPeers.length > MAX_EXCLUDED_PEERS) {
    throw new EncodeError('excludedPeers', `${m.excludedPeers.length} peers; at most ${MAX_EXCLUDED_PEERS}`);
  }
  const w = new ByteWriter(32 * 2 + 7 + 32 * m.excludedPeers.length + 33 + 32);
  writeHash(w, 'key', m.key);
  writeHash(w, 'from', m.from);
  w.u8('flags', lookupFlags(m));
  if (m.replyTunnelId !== undefined) writeTunnelId(w, 'replyTunnelId', m.replyTunnelId);
  w.u16('size', m.excludedPeers.length);
  writeHashes(w, 'excludedPeers', m.excludedPeers);
  const e = m.encryption;
  if (e.kind === 'elgamal') {
    if (e.replyTags.length < 1 || e.replyTags.length > MAX_ELGAMAL_REPLY_TAGS) {
      throw new EncodeError('replyTags', `${e.replyTags.length} tags; must be 1..${MAX_ELGAMAL_REPLY_TAGS}`);
    }
    w.fixed('replyKey', e.replyKey, SESSION_KEY_LENGTH).u8('tags', e.replyTags.length);
    e.replyTags.forEach((t, i) => w.fixed(`replyTags[${i}]`, t, ELGAMAL_TAG_LENGTH));
  } else if (e.kind !== 'none') {
    w.fixed('replyKey', e.replyKey, SESSION_KEY_LENGTH).u8('tags', 1).fixed('replyTag', e.replyTag, ECIES_TAG_LENGTH);
  }
  return w.finish();
}

export function decodeDatabaseLookup(payload: Uint8Array, base = 0): DatabaseLookup {
  const r = new ByteReader(payload, base);
  const key = readHash(r, 'key');
  const from = readHash(r, 'from');
  const flags = r.u8('flags');
  const lookupType = LOOKUP_TYPES[(flags & LookupFlag.TypeMask) >> 2];
  const replyTunnelId = flags & LookupFlag.Delivery ? readTunnelId(r, 'replyTunnelId') : undefined;
  const sizeAt = r.offset;
  const size = r.u16('size');
  if (size > MAX_EXCLUDED_PEERS) r.fail('size', `${size} excluded peers; at most ${MAX_EXCLUDED_PEERS}`, sizeAt);
  const excludedPeers = readHashes(r, 'excludedPeers', size);
  const encryption = readEncryption(r, flags);
  r.end('DatabaseLookup');
  const out: DatabaseLookup = { type: I2npType.DatabaseLookup, key, from, lookupType, excludedPeers, encryption };
  if (replyTunnelId !== undefined) out.replyTunnelId = replyTunnelId;
  return out;
}

function readEncryption(r: ByteReader, flags: number): LookupReplyEncryption {
  const ecies = (flags & LookupFlag.Ecies) !== 0;
  const aes = (flags & LookupFlag.Encryption) !== 0;
  if (!ecies && !aes) return { kind: 'none' };
  const replyKey = r.bytesOf('replyKey', SESSION_KEY_LENGTH);
  const countAt = r.offset;
  const count = r.u8('tags');
  if (!ecies) {
    if (count < 1 || count > MAX_ELGAMAL_REPLY_TAGS) {
      r.fail('tags', `${count} reply tags; must be 1..${MAX_ELGAMAL_REPLY_TAGS}`, countAt);
    }
    const replyTags: Uint8Array[] = [];
    for (let i = 0; i < count; i++) replyTags.push(r.bytesOf(`replyTags[${i}]`, ELGAMAL_TAG_LENGTH));
    return { kind: 'elgamal', replyKey, replyTags };
  }
  if (count !== 1) r.fail('tags', `${count} reply tags; an ECIES reply takes exactly 1`, countAt);
  const replyTag = r.bytesOf('replyTag', ECIES_TAG_LENGTH);
  return { kind: aes ? 'ecies-both-flags' : 'ecies', replyKey, replyTag };
}
