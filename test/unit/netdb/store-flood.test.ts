import { describe, expect, it } from 'vitest';
import { encodeMessage, gzipRouterInfo, I2npType, StoreType } from '../../../src/router/i2np/index.js';
import { InboundDispatcher } from '../../../src/router/inbound.js';
import { silentLogger } from '../../../src/router/log.js';
import { DirectLookups } from '../../../src/router/netdb/direct-lookup.js';
import { RouterInfoStore } from '../../../src/router/netdb/router-info-store.js';
import { ManualClock, seededRandom } from '../../../src/router/runtime/index.js';
import { openMemoryStorage } from '../../../src/state/index.js';
import { makeRouterInfo, testKeys } from './helpers.js';

const NETID = 99;
const T0 = Date.UTC(2026, 10, 26, 3, 0, 0);

describe('a flood of bad DatabaseStores', () => {
  it('leaves the netDb unchanged, costs each sender only its own budget, and keeps memory bounded', async () => {
    const clock = new ManualClock(T0);
    const storage = await openMemoryStorage({ schema: 1 });
    const netDb = new RouterInfoStore({ storage, netId: NETID, ownHash: testKeys(0).hash });
    const good = makeRouterInfo(testKeys(1), NETID, T0 - 1000);
    expect((await netDb.store(good.bytes, { now: T0, source: 'test' })).accepted).toBe(true);
    const random = seededRandom(new Uint8Array([3]));
    const dispatcher = new InboundDispatcher({
      now: () => clock.now(),
      netDb,
      lookups: new DirectLookups({ ourHash: testKeys(0).hash, clock, random, send: () => true }),
      log: silentLogger,
      send: () => true,
      envelope: (b) => ({ ...b, msgId: 1, expiration: clock.now() + 60_000 }) as never,
      openGarlic: () => {
        throw new Error('no garlic in this test');
      },
    });

    // Two kinds of bad RouterInfo: a broken signature, and another network's.
    const badSig = makeRouterInfo(testKeys(2), NETID, T0 - 1000).bytes.slice();
    badSig[badSig.length - 5] ^= 0xff;
    const wrongNet = makeRouterInfo(testKeys(3), 42, T0 - 1000).bytes;
    const messages = [badSig, wrongNet].map((ri, i) =>
      encodeMessage(
        { type: I2npType.DatabaseStore, msgId: 100 + i, expiration: T0 + 30_000, key: testKeys(2 + i).hash, storeType: StoreType.RouterInfo, data: gzipRouterInfo(ri) },
        'short',
      ),
    );
    const heapBefore = process.memoryUsage().heapUsed;
    const flooder = new Uint8Array(32).fill(0xaa);
    for (let i = 0; i < 10_000; i++) dispatcher.onMessage(flooder, messages[i % 2]);
    // Many distinct senders (as after many sessions): the per-peer table stays bounded.
    for (let i = 0; i < 6_000; i++) {
      const sender = new Uint8Array(32);
      new DataView(sender.buffer).setUint32(0, i);
      dispatcher.onMessage(sender, messages[i % 2]);
    }
    await netDb.flush();
    await new Promise((r) => setImmediate(r));

    expect(netDb.count).toBe(1);
    expect(netDb.has(testKeys(1).hash)).toBe(true);
    const c = dispatcher.counters;
    expect(c.received).toBe(16_000);
    expect(c.routerInfosAccepted).toBe(0);
    // One sender gets its burst, not the whole flood.
    expect(c.rateLimited).toBeGreaterThan(9_000);
    expect(c.routerInfosRefused).toBe(c.received - c.rateLimited);
    // A generous bound, not a timing: nothing of the flood is kept.
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
    // A well-behaved peer is still served once time passes.
    clock.advance(10_000);
    const fresh = makeRouterInfo(testKeys(4), NETID, T0 + 5_000);
    dispatcher.onMessage(
      new Uint8Array(32).fill(0x01),
      encodeMessage({ type: I2npType.DatabaseStore, msgId: 7, expiration: clock.now() + 30_000, key: testKeys(4).hash, storeType: StoreType.RouterInfo, data: gzipRouterInfo(fresh.bytes) }, 'short'),
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(netDb.has(testKeys(4).hash)).toBe(true);
  });
});
