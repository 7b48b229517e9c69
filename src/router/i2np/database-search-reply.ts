/** DatabaseSearchReply (type 3): key(32) num(1) num×hash(32) from(32): the answer to a failed lookup. */
import { ByteReader, ByteWriter } from '../data/bytes.js';
import { EncodeError } from '../data/errors.js';
import { I2npType, type DatabaseSearchReply } from './types.js';
import { readHash, readHashes, writeHash, writeHashes } from './wire.js';

export const MAX_SEARCH_REPLY_PEERS = 255;

export function encodeDatabaseSearchReply(m: DatabaseSearchReply): Uint8Array {
  if (m.peers.length > MAX_SEARCH_REPLY_PEERS) {
    throw new EncodeError('peers', `${m.peers.length} peers; at most ${MAX_SEARCH_REPLY_PEERS}`);
  }
  const w = new ByteWriter(65 + 32 * m.peers.length);
  writeHash(w, 'key', m.key);
  w.u8('num', m.peers.length);
  writeHashes(w, 'peers', m.peers);
  writeHash(w, 'from', m.from);
  return w.finish();
}

export function decodeDatabaseSearchReply(payload: Uint8Array, base = 0): DatabaseSearchReply {
  const r = new ByteReader(payload, base);
  const key = readHash(r, 'key');
  const num = r.u8('num');
  const peers = readHashes(r, 'peers', num);
  const from = readHash(r, 'from');
  r.end('DatabaseSearchReply');
  return { type: I2npType.DatabaseSearchReply, key, peers, from };
}
