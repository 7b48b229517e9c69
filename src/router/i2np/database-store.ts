/**
 * DatabaseStore (type 1): key(32) type(1) reply_token(4) [reply_tunnelId(4) reply_gateway(32) if
 * token > 0] data. RouterInfo data is length(2) + gzip; the LeaseSet kinds run to the end.
 * The payload stays bytes here: parsing a RouterInfo or LeaseSet2 is the netDb's job.
 */
import { ByteReader, ByteWriter } from '../data/bytes.js';
import { EncodeError } from '../data/errors.js';
import { I2npType, StoreType, type DatabaseStore, type DatabaseStoreReply, type StoreTypeNumber } from './types.js';
import { readHash, writeHash } from './wire.js';

const STORE_TYPES = new Set<number>(Object.values(StoreType));
/** Bits 7-4 of the type byte are reserved and ignored on receive (since 0.9.18). */
const STORE_TYPE_MASK = 0x0f;

export function encodeDatabaseStore(m: DatabaseStore): Uint8Array {
  if (!STORE_TYPES.has(m.storeType)) throw new EncodeError('storeType', `${m.storeType} is not a store type`);
  const w = new ByteWriter(32 + 1 + 4 + 36 + 2 + m.data.length);
  writeHash(w, 'key', m.key);
  w.u8('storeType', m.storeType);
  if (m.reply) {
    if (m.reply.token === 0) throw new EncodeError('reply.token', 'a reply needs a non-zero token');
    w.u32('reply.token', m.reply.token).u32('reply.tunnelId', m.reply.tunnelId);
    writeHash(w, 'reply.gateway', m.reply.gateway);
  } else {
    w.u32('reply.token', 0);
  }
  if (m.storeType === StoreType.RouterInfo) {
    if (m.data.length > 0xffff) throw new EncodeError('data', `gzipped RouterInfo of ${m.data.length} bytes exceeds the 2-byte length`);
    w.u16('length', m.data.length);
  } else if (m.data.length === 0) {
    throw new EncodeError('data', 'a LeaseSet store needs its LeaseSet');
  }
  return w.bytes(m.data).finish();
}

export function decodeDatabaseStore(payload: Uint8Array, base = 0): DatabaseStore {
  const r = new ByteReader(payload, base);
  const key = readHash(r, 'key');
  const typeAt = r.offset;
  const storeType = r.u8('storeType') & STORE_TYPE_MASK;
  if (!STORE_TYPES.has(storeType)) r.fail('storeType', `${storeType} is not a supported store type`, typeAt);
  const token = r.u32('reply.token');
  let reply: DatabaseStoreReply | undefined;
  if (token !== 0) {
    const tunnelId = r.u32('reply.tunnelId');
    const gateway = readHash(r, 'reply.gateway');
    reply = { token, tunnelId, gateway };
  }
  let data: Uint8Array;
  if (storeType === StoreType.RouterInfo) {
    const lengthAt = r.offset;
    const length = r.u16('length');
    if (length !== r.remaining) r.fail('length', `says ${length} bytes but ${r.remaining} follow`, lengthAt);
    data = r.bytesOf('data', length);
  } else {
    if (r.remaining === 0) r.fail('data', 'a LeaseSet store carries no LeaseSet');
    data = r.bytesOf('data', r.remaining);
  }
  const out: DatabaseStore = { type: I2npType.DatabaseStore, key, storeType: storeType as StoreTypeNumber, data };
  if (reply) out.reply = reply;
  return out;
}
