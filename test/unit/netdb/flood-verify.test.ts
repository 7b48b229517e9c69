import { describe, expect, it } from 'vitest';
import { ed25519Generate, x25519Generate } from '../../../src/router/crypto/index.js';
import { createDestination, encodeLeaseSet2, encodeRouterInfo, i2pBase64Encode, keysAndCertHash, signLeaseSet2 } from '../../../src/router/data/index.js';
import { buildRouterInfo } from '../../../src/router/identity/router-info-builder.js';
import { decodeMessage, encodeMessage, gzipRouterInfo, I2npType, StoreType, type I2npBody, type I2npMessage } from '../../../src/router/i2np/index.js';
import { InboundDispatcher } from '../../../src/router/inbound.js';
import { silentLogger } from '../../../src/router/log.js';
import { DirectLookups } from '../../../src/router/netdb/direct-lookup.js';
import { Floodfill } from '../../../src/router/netdb/floodfill.js';
import { FloodVerifier, type FloodVerifierOptions } from '../../../src/router/netdb/flood-verifier.js';
import { LeaseSetStore } from '../../../src/router/netdb/lease-set-store.js';
import { RouterInfoStore } from '../../../src/router/netdb/router-info-store.js';
import { ManualClock, seededRandom } from '../../../src/router/runtime/index.js';
import { openMemoryStorage } from '../../../src/state/index.js';
import { testKeys } from './helpers.js';

const NETID = 99;
const T0 = Date.UTC(2026, 10, 26, 4, 0, 0);
const LATENCY_MS = 20;

interface Node {
  hash: Uint8Array;
  b64: string;
  floodfill: Floodfill;
  verifier: FloodVerifier;
  dispatcher: InboundDispatcher;
  netDb: RouterInfoStore;
  leaseSets: LeaseSetStore;
}

/** A drop rule for the wire: true drops the message. */
type Drop = (from: string, to: string, msg: I2npMessage) => boolean;

/**
 * `floodfills` real floodfills (netDb, Floodfill with a FloodVerifier, InboundDispatcher), each
 * knowing the others, joined by a wire that delivers short-header I2NP after LATENCY_MS on a
 * ManualClock. Verification lookups are real DatabaseLookups answered by the other floodfill.
 */
async function makeNet(floodfills: number, options: FloodVerifierOptions = {}) {
  const clock = new ManualClock(T0);
  const nodes = new Map<string, Node>();
  let drop: Drop = () => false;
  const infos = Array.from({ length: floodfills }, (_, i) => encodeRouterInfo(buildRouterInfo(testKeys(10 + i), { netId: NETID, published: T0 - 60_000, floodfill: true })));
  for (let i = 0; i < floodfills; i++) {
    const keys = testKeys(10 + i);
    const hash = keys.hash;
    const b64 = i2pBase64Encode(hash);
    const random = seededRandom(new Uint8Array([i + 1]));
    const netDb = new RouterInfoStore({ storage: await openMemoryStorage({ schema: 1 }), netId: NETID, ownHash: hash });
    for (let j = 0; j < floodfills; j++) if (j !== i) expect((await netDb.store(infos[j], { now: T0, source: 'test' })).accepted).toBe(true);
    const send = (to: Uint8Array, bytes: Uint8Array): boolean => {
      const target = nodes.get(i2pBase64Encode(to));
      if (!target) return false;
      if (drop(b64, target.b64, decodeMessage(bytes, 'short'))) return true;
      const copy = bytes.slice();
      clock.setTimer(LATENCY_MS, () => target.dispatcher.onMessage(hash, copy));
      return true;
    };
    const lookups = new DirectLookups({ ourHash: hash, clock, random, send });
    const verifier = new FloodVerifier({ clock, random, ask: (ff, key, type, ms) => lookups.lookup(ff, key, type, ms) }, options);
    const leaseSets = new LeaseSetStore();
    const floodfill = new Floodfill({ ourHash: hash, netDb, leaseSets, ourRouterInfo: () => infos[i], random, now: () => clock.now(), verifier });
    const dispatcher = new InboundDispatcher({
      now: () => clock.now(),
      netDb,
      lookups,
      log: silentLogger,
      floodfill,
      send,
      envelope: (body: I2npBody) => ({ ...body, msgId: 1 + random.int(0xfffffffe), expiration: clock.now() + 60_000 }) as I2npMessage,
      openGarlic: () => {
        throw new Error('no garlic between these floodfills');
      },
    });
    nodes.set(b64, { hash, b64, floodfill, verifier, dispatcher, netDb, leaseSets });
  }
  const list = [...nodes.values()];
  return {
    clock,
    nodes: list,
    setDrop: (d: Drop) => (drop = d),
    /** Moves simulated time, letting the netDb's async stores and the lookups' promises settle. */
    run: async (ms: number, step = 100) => {
      for (let t = 0; t < ms; t += step) {
        clock.advance(step);
        for (let k = 0; k < 5; k++) await new Promise<void>((r) => setImmediate(r));
      }
    },
  };
}

/** A publisher's store (reply token set: floodfills flood only those) of a fresh RouterInfo. */
function routerInfoStore(keyIndex: number, published: number, token = 4242): Uint8Array {
  const keys = testKeys(keyIndex);
  const ri = encodeRouterInfo(buildRouterInfo(keys, { netId: NETID, published }));
  return encodeMessage(
    {
      type: I2npType.DatabaseStore,
      msgId: 1000 + keyIndex,
      expiration: published + 60_000,
      key: keys.hash,
      storeType: StoreType.RouterInfo,
      reply: { token, tunnelId: 0, gateway: keys.hash },
      data: gzipRouterInfo(ri),
    },
    'short',
  );
}

function leaseSetStore(nowMs: number): { bytes: Uint8Array; key: Uint8Array } {
  const signing = ed25519Generate();
  const destination = createDestination(signing.publicKey);
  const published = Math.floor(nowMs / 1000) - 5;
  const ls = encodeLeaseSet2(
    signLeaseSet2(
      {
        destination,
        published,
        expires: 600,
        flags: 0,
        options: new Map(),
        encryptionKeys: [{ type: 4, key: x25519Generate().publicKey }],
        leases: [{ gateway: new Uint8Array(32).fill(1), tunnelId: 42, endDate: published + 600 }],
      },
      signing.privateKey,
    ),
  );
  const key = keysAndCertHash(destination);
  const bytes = encodeMessage(
    { type: I2npType.DatabaseStore, msgId: 77, expiration: nowMs + 60_000, key, storeType: StoreType.LeaseSet2, reply: { token: 99, tunnelId: 0, gateway: new Uint8Array(32).fill(9) }, data: ls },
    'short',
  );
  return { bytes, key };
}

const publisher = new Uint8Array(32).fill(0x5a);

describe('floodfill store verification (what we flood, checked at a floodfill we flooded to)', () => {
  it('verifies a flooded RouterInfo and a flooded LeaseSet2 with one lookup each', async () => {
    const net = await makeNet(4);
    const [a, ...others] = net.nodes;
    const lookupsSent: string[] = [];
    net.setDrop((from, _to, msg) => {
      if (from === a.b64 && msg.type === I2npType.DatabaseLookup) lookupsSent.push(i2pBase64Encode(msg.key));
      return false;
    });
    a.dispatcher.onMessage(publisher, routerInfoStore(1, T0 - 1_000));
    const ls = leaseSetStore(T0);
    a.dispatcher.onMessage(publisher, ls.bytes);
    await net.run(1_000);
    // Flooded to the three others, which took both entries.
    expect(a.floodfill.counters.floods).toBe(6);
    for (const o of others) {
      expect(o.netDb.has(testKeys(1).hash)).toBe(true);
      expect(o.leaseSets.get(ls.key, net.clock.now())).toBeDefined();
    }
    expect(a.floodfill.counters.floodVerify).toMatchObject({ scheduled: 2, verified: 0 });
    expect(lookupsSent).toEqual([]);
    await net.run(12_000);
    expect(a.floodfill.counters.floodVerify).toEqual({ scheduled: 2, verified: 2, missing: 0, failed: 0, skipped: 0 });
    expect(lookupsSent.sort()).toEqual([i2pBase64Encode(testKeys(1).hash), i2pBase64Encode(ls.key)].sort());
    expect(a.verifier.pendingCount).toBe(0);
  });

  it('counts a flood that never arrived as missing, and a verification nobody answers as failed', async () => {
    const net = await makeNet(3, { timeoutMs: 5_000 });
    const [a] = net.nodes;
    // The floods of the first store are lost on the wire.
    net.setDrop((from, _to, msg) => from === a.b64 && msg.type === I2npType.DatabaseStore && !msg.reply && msg.storeType === StoreType.RouterInfo);
    a.dispatcher.onMessage(publisher, routerInfoStore(2, T0 - 1_000));
    await net.run(12_000);
    expect(a.floodfill.counters.floodVerify).toMatchObject({ scheduled: 1, verified: 0, missing: 1, failed: 0 });
    // The second store floods fine, but the verifying lookup is lost: no answer within the timeout.
    net.setDrop((from, _to, msg) => from === a.b64 && msg.type === I2npType.DatabaseLookup);
    a.dispatcher.onMessage(publisher, routerInfoStore(3, net.clock.now() - 1_000));
    await net.run(9_000);
    expect(a.floodfill.counters.floodVerify.failed).toBe(0);
    await net.run(8_000);
    expect(a.floodfill.counters.floodVerify).toEqual({ scheduled: 2, verified: 0, missing: 1, failed: 1, skipped: 0 });
  });

  it('is bounded: one verification per key, a rate, and a cap on pending ones', async () => {
    const net = await makeNet(3, { burst: 5, perMinute: 1, maxPending: 3 });
    const [a] = net.nodes;
    const sent = () => a.floodfill.counters.floodVerify;
    // The same RouterInfo stored twice (a newer one the second time): one verification pending for the key.
    a.dispatcher.onMessage(publisher, routerInfoStore(4, T0 - 2_000));
    await net.run(200);
    a.dispatcher.onMessage(publisher, routerInfoStore(4, T0 - 1_000));
    await net.run(200);
    expect(sent()).toMatchObject({ scheduled: 1, skipped: 1 });
    // Ten more stores at once: two more fit under the cap of 3 pending, the rest are skipped.
    for (let i = 0; i < 10; i++) a.dispatcher.onMessage(publisher, routerInfoStore(20 + i, T0 - 1_000));
    await net.run(500);
    expect(a.verifier.pendingCount).toBe(3);
    expect(sent()).toMatchObject({ scheduled: 3, skipped: 9 });
    await net.run(11_000);
    expect(sent()).toMatchObject({ scheduled: 3, verified: 3, skipped: 9 });
    expect(a.verifier.pendingCount).toBe(0);
    // Of the burst of 5, two tokens are left: of five more stores, two are verified.
    for (let i = 0; i < 5; i++) a.dispatcher.onMessage(publisher, routerInfoStore(30 + i, net.clock.now() - 1_000));
    await net.run(500);
    expect(sent()).toMatchObject({ scheduled: 5, skipped: 12 });
    // One token a minute comes back.
    a.dispatcher.onMessage(publisher, routerInfoStore(40, net.clock.now() - 1_000));
    await net.run(500);
    expect(sent()).toMatchObject({ scheduled: 5, skipped: 13 });
    await net.run(60_000, 500);
    a.dispatcher.onMessage(publisher, routerInfoStore(41, net.clock.now() - 1_000));
    await net.run(500);
    expect(sent()).toMatchObject({ scheduled: 6, skipped: 13 });
  });

  it('drops pending verifications when the floodfill stops', async () => {
    const net = await makeNet(3);
    const [a] = net.nodes;
    a.dispatcher.onMessage(publisher, routerInfoStore(5, T0 - 1_000));
    await net.run(500);
    expect(a.verifier.pendingCount).toBe(1);
    a.floodfill.stop();
    expect(a.verifier.pendingCount).toBe(0);
    await net.run(15_000);
    expect(a.floodfill.counters.floodVerify).toEqual({ scheduled: 1, verified: 0, missing: 0, failed: 0, skipped: 0 });
    // Nothing more is scheduled after a stop.
    a.dispatcher.onMessage(publisher, routerInfoStore(6, net.clock.now() - 1_000));
    await net.run(500);
    expect(a.floodfill.counters.floodVerify.scheduled).toBe(1);
  });
});
