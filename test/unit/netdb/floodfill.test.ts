import { describe, expect, it } from 'vitest';
import { encodeRouterInfo, equalBytes, i2pBase64Encode } from '../../../src/router/data/index.js';
import { buildRouterInfo } from '../../../src/router/identity/router-info-builder.js';
import { decodeFrameMessage, decodeMessage, gunzipRouterInfo, I2npType, StoreType, type DatabaseLookup, type DatabaseStore, type I2npBody, type I2npMessage } from '../../../src/router/i2np/index.js';
import { Floodfill, FLOOD_COUNT, outgoingBytes } from '../../../src/router/netdb/floodfill.js';
import { closest, routingKey } from '../../../src/router/netdb/routing-key.js';
import { RouterInfoStore } from '../../../src/router/netdb/router-info-store.js';
import { LeaseSetStore } from '../../../src/router/netdb/lease-set-store.js';
import { seededRandom } from '../../../src/router/runtime/index.js';
import { createLogger } from '../../../src/router/log.js';
import { openMemoryStorage } from '../../../src/state/index.js';
import { makeRouterInfo, testKeys } from './helpers.js';
import { decryptWithTag } from '../../../src/router/garlic/router-garlic.js';
import { cloves } from '../../../src/router/garlic/payload.js';

const NETID = 77;
const NOW = Date.UTC(2026, 10, 26, 1, 0, 0);

async function setup(routers: number, floodfills: number) {
  const storage = await openMemoryStorage({ schema: 1 });
  const us = testKeys(0);
  const netDb = new RouterInfoStore({ storage, netId: NETID, ownHash: us.hash });
  const all = [];
  for (let i = 1; i <= routers; i++) {
    const keys = testKeys(i);
    const bytes = encodeRouterInfo(buildRouterInfo(keys, { netId: NETID, published: NOW - 1000, floodfill: i <= floodfills }));
    expect((await netDb.store(bytes, { now: NOW, source: 'test' })).accepted).toBe(true);
    all.push({ keys, bytes, floodfill: i <= floodfills });
  }
  const ours = makeRouterInfo(us, NETID, NOW - 500).bytes;
  const ff = new Floodfill({ ourHash: us.hash, netDb, leaseSets: new LeaseSetStore(), ourRouterInfo: () => ours, random: seededRandom(new Uint8Array([1])), now: () => NOW });
  return { ff, all, us, storage, ours };
}

const lookup = (key: Uint8Array, from: Uint8Array, extra: Partial<DatabaseLookup> = {}): DatabaseLookup => ({
  type: I2npType.DatabaseLookup,
  key,
  from,
  lookupType: 'routerinfo',
  excludedPeers: [],
  encryption: { kind: 'none' },
  ...extra,
});

describe('Floodfill', () => {
  it('answers a lookup for a router it holds with its RouterInfo, sent straight back', async () => {
    const { ff, all } = await setup(6, 3);
    const asker = all[5].keys.hash;
    const reply = ff.answerLookup(lookup(all[3].keys.hash, asker));
    if (typeof reply === 'string') throw new Error(reply);
    expect(reply.delivery).toEqual({ kind: 'router', to: asker });
    const store = reply.message as I2npMessage & DatabaseStore;
    expect(store.type).toBe(I2npType.DatabaseStore);
    expect(store.storeType).toBe(StoreType.RouterInfo);
    expect(Buffer.from(gunzipRouterInfo(store.data)).equals(Buffer.from(all[3].bytes))).toBe(true);
  });

  it('answers a lookup for its own RouterInfo (which its netDb never holds)', async () => {
    const { ff, all, us, ours } = await setup(3, 1);
    const reply = ff.answerLookup(lookup(us.hash, all[0].keys.hash));
    if (typeof reply === 'string') throw new Error(reply);
    expect(reply.message.type).toBe(I2npType.DatabaseStore);
    expect(Buffer.from(gunzipRouterInfo((reply.message as DatabaseStore).data)).equals(Buffer.from(ours))).toBe(true);
    expect(ff.counters.ourRouterInfoServed).toBe(1);
  });

  it('answers an unknown key with the closest floodfills, never the asker nor excluded peers', async () => {
    const { ff, all } = await setup(8, 5);
    const key = new Uint8Array(32).fill(7);
    const asker = all[0].keys.hash;
    const excluded = all[1].keys.hash;
    const reply = ff.answerLookup(lookup(key, asker, { excludedPeers: [excluded] }));
    if (typeof reply === 'string') throw new Error(reply);
    const sr = reply.message as Extract<I2npMessage, { type: typeof I2npType.DatabaseSearchReply }>;
    expect(sr.type).toBe(I2npType.DatabaseSearchReply);
    const candidates = all.filter((r) => r.floodfill && !equalBytes(r.keys.hash, asker) && !equalBytes(r.keys.hash, excluded)).map((r) => r.keys.hash);
    expect(sr.peers.map(i2pBase64Encode)).toEqual(closest(routingKey(key, NOW), candidates, 3).map(i2pBase64Encode));
    expect(ff.counters).toMatchObject({ lookups: 1, notFound: 1 });
  });

  it('exploration lookups get routers that are not floodfills', async () => {
    const { ff, all } = await setup(8, 3);
    const reply = ff.answerLookup(lookup(new Uint8Array(32), all[0].keys.hash, { lookupType: 'exploration' }));
    if (typeof reply === 'string') throw new Error(reply);
    const sr = reply.message as Extract<I2npMessage, { type: typeof I2npType.DatabaseSearchReply }>;
    const nonFloodfills = new Set(all.filter((r) => !r.floodfill).map((r) => i2pBase64Encode(r.keys.hash)));
    expect(sr.peers.length).toBe(3);
    for (const p of sr.peers) expect(nonFloodfills.has(i2pBase64Encode(p))).toBe(true);
  });

  it('a reply tunnel turns the answer into a TunnelGateway message to its gateway', async () => {
    const { ff, all } = await setup(3, 1);
    const gateway = all[2].keys.hash;
    const reply = ff.answerLookup(lookup(all[0].keys.hash, gateway, { replyTunnelId: 4242 }));
    if (typeof reply === 'string') throw new Error(reply);
    const envelope = (b: I2npBody) => ({ ...b, msgId: 9, expiration: NOW + 60_000 }) as I2npMessage;
    const { to, bytes } = outgoingBytes(reply, envelope);
    expect(equalBytes(to, gateway)).toBe(true);
    const tg = decodeMessage(bytes, 'short');
    if (tg.type !== I2npType.TunnelGateway) throw new Error('expected a TunnelGateway');
    expect(tg.tunnelId).toBe(4242);
    expect(decodeMessage(tg.message, 'standard').type).toBe(I2npType.DatabaseStore);
  });

  it('an ECIES lookup gets its answer as Garlic under the one-time key and tag, through the reply tunnel', async () => {
    const { ff, all } = await setup(3, 1);
    const replyKey = new Uint8Array(32).fill(0x5a);
    const replyTag = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    const gateway = all[2].keys.hash;
    const reply = ff.answerLookup(lookup(all[0].keys.hash, gateway, { replyTunnelId: 77, encryption: { kind: 'ecies', replyKey, replyTag } }));
    if (typeof reply === 'string') throw new Error(reply);
    const { to, bytes } = outgoingBytes(reply, (b: I2npBody) => ({ ...b, msgId: 5, expiration: NOW + 60_000 }) as I2npMessage);
    expect(equalBytes(to, gateway)).toBe(true);
    const tg = decodeMessage(bytes, 'short');
    if (tg.type !== I2npType.TunnelGateway) throw new Error('expected a TunnelGateway');
    const garlic = decodeMessage(tg.message, 'standard');
    if (garlic.type !== I2npType.Garlic) throw new Error('expected Garlic inside');
    expect(Buffer.from(garlic.data.subarray(0, 8)).equals(Buffer.from(replyTag))).toBe(true);
    const blocks = decryptWithTag(replyKey, replyTag, garlic.data);
    expect(blocks).toHaveLength(1);
    const inner = cloves(blocks)[0];
    expect(inner.delivery).toEqual({ type: 'local' });
    expect(decodeFrameMessage(inner.message).type).toBe(I2npType.DatabaseStore);
  });

  it('refuses lookups asking for an ElGamal-encrypted reply, and counts them', async () => {
    const { ff, all } = await setup(2, 1);
    const r = ff.answerLookup(lookup(all[0].keys.hash, all[1].keys.hash, { encryption: { kind: 'elgamal', replyKey: new Uint8Array(32), replyTags: [new Uint8Array(32)] } }));
    expect(r).toBe('elgamal-reply-unsupported');
    expect(ff.counters.refused).toBe(1);
  });

  it('acknowledges a store with a reply token and floods it to the closest other floodfills', async () => {
    const { ff, all } = await setup(8, 6);
    const publisher = all[7];
    const store: DatabaseStore = {
      type: I2npType.DatabaseStore,
      key: publisher.keys.hash,
      storeType: StoreType.RouterInfo,
      reply: { token: 31337, tunnelId: 0, gateway: publisher.keys.hash },
      data: new Uint8Array([1, 2, 3]),
    };
    const out = ff.afterStore(store, 'accepted', publisher.keys.hash);
    expect(out[0].delivery).toEqual({ kind: 'router', to: publisher.keys.hash });
    expect(out[0].message).toMatchObject({ type: I2npType.DeliveryStatus, deliveredMsgId: 31337 });
    const floods = out.slice(1);
    expect(floods).toHaveLength(FLOOD_COUNT);
    for (const f of floods) {
      expect(f.message).toMatchObject({ type: I2npType.DatabaseStore, storeType: StoreType.RouterInfo });
      expect((f.message as DatabaseStore).reply).toBeUndefined();
      expect(equalBytes((f.delivery as { to: Uint8Array }).to, publisher.keys.hash)).toBe(false);
    }
    // A store without a reply token (a flood from another floodfill) is not flooded again.
    expect(ff.afterStore({ ...store, reply: undefined }, 'accepted', all[0].keys.hash)).toEqual([]);
    // A duplicate is acknowledged (we hold it) but not flooded again; a refused store gets nothing.
    expect(ff.afterStore(store, 'duplicate', publisher.keys.hash)).toHaveLength(1);
    expect(ff.afterStore(store, 'refused', publisher.keys.hash)).toEqual([]);
  });

  it('logs each answered lookup at debug level: the key, the asker, and what it got', async () => {
    const { all, us, ours } = await setup(4, 2);
    const netDb = new RouterInfoStore({ storage: await openMemoryStorage({ schema: 1 }), netId: NETID, ownHash: us.hash });
    for (const r of all) await netDb.store(r.bytes, { now: NOW, source: 'test' });
    const logged: string[] = [];
    const log = createLogger((l) => logged.push(l), { level: 'debug', now: () => NOW });
    const ff = new Floodfill({ ourHash: us.hash, netDb, leaseSets: new LeaseSetStore(), ourRouterInfo: () => ours, random: seededRandom(new Uint8Array([2])), now: () => NOW, log });
    const asker = all[3].keys.hash;
    ff.answerLookup(lookup(all[2].keys.hash, asker));
    ff.answerLookup(lookup(new Uint8Array(32).fill(7), asker));
    expect(logged).toHaveLength(2);
    expect(logged[0]).toContain(`key=${JSON.stringify(i2pBase64Encode(all[2].keys.hash))}`);
    expect(logged[0]).toContain(`from=${JSON.stringify(i2pBase64Encode(asker))}`);
    expect(logged[0]).toMatch(/type=routerinfo answer=routerinfo$/);
    expect(logged[1]).toMatch(/answer=searchReply$/);
    // Without a verifier, the verification counters stay at zero.
    expect(ff.counters.floodVerify).toEqual({ scheduled: 0, verified: 0, missing: 0, failed: 0, skipped: 0 });
  });
});
