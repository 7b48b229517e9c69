import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeRouterInfo, encodeRouterInfo, i2pBase64Encode } from '../../../src/router/data/index.js';
import { routerInfoSummary } from '../../../src/router/netdb/router-info-summary.js';
import { RouterInfoStore, type RouterInfoStoreOptions } from '../../../src/router/netdb/router-info-store.js';
import {
  bytesCodec,
  MemoryVolume,
  openLevelStorage,
  openMemoryStorage,
  ROUTER_SCHEMA_VERSION,
  RouterSublevels,
  type Storage,
} from '../../../src/state/index.js';
import { fixture, ROUTER_INFO_FILES } from '../data/fixtures.js';
import { FIXTURE_NOW, makeRouterInfo, testKeys } from './helpers.js';

const NOW = Date.UTC(2026, 0, 10, 12);
const HOUR = 3_600_000;
const b64 = i2pBase64Encode;

const open: Storage[] = [];
async function memory(volume = new MemoryVolume()): Promise<Storage> {
  const s = await openMemoryStorage({ schema: ROUTER_SCHEMA_VERSION, volume });
  open.push(s);
  return s;
}
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

function store(storage: Storage, o: Partial<RouterInfoStoreOptions> = {}): RouterInfoStore {
  return new RouterInfoStore({ storage, netId: 42, ...o });
}

const opts = (now = NOW) => ({ now, source: 'flood' as const });

describe('RouterInfoStore: admission', () => {
  it('accepts the i2pd fixtures (netId 99) at their time, with summaries for listings', async () => {
    const s = store(await memory(), { netId: 99 });
    for (const name of ROUTER_INFO_FILES) {
      const r = await s.store(fixture(name), { now: FIXTURE_NOW, source: 'reseed' });
      expect(r).toMatchObject({ accepted: true, replaced: false });
    }
    expect(s.count).toBe(3);
    const sums = s.all().map((e) => routerInfoSummary(e.routerInfo));
    expect(sums.map((x) => x.ntcp2[0]).sort()).toEqual(['198.18.0.1:10010', '198.18.0.2:10020', '198.18.0.4:10040']);
    expect(sums.every((x) => x.version === '0.9.57' && x.netId === 99 && x.caps.startsWith('X'))).toBe(true);
    expect(sums.filter((x) => x.floodfill)).toHaveLength(2);
    const first = decodeRouterInfo(fixture(ROUTER_INFO_FILES[0]));
    const held = s.get(s.all()[0].hash)!;
    expect(held.source).toBe('reseed');
    expect(held.bytes).toEqual(encodeRouterInfo(held.routerInfo));
    expect(routerInfoSummary(first).publishedIso).toBe('2026-11-25T23:09:10.492Z');
  });

  it('refuses the fixtures on another network, or a day and more later', async () => {
    const other = store(await memory(), { netId: 2 });
    expect(await other.store(fixture('router1.info'), { now: FIXTURE_NOW, source: 'reseed' })).toMatchObject({
      accepted: false,
      reason: 'wrong-netid',
      detail: 'netId 99, ours is 2',
    });
    const late = store(await memory(), { netId: 99 });
    expect((await late.store(fixture('router1.info'), { now: FIXTURE_NOW + 28 * HOUR, source: 'reseed' })).reason).toBe('expired');
  });

  it('names the reason for each rejection', async () => {
    const own = testKeys(9);
    const s = store(await memory(), { ownHash: own.hash });
    const k = testKeys(0);
    const { ri, bytes } = makeRouterInfo(k, 42, NOW - HOUR);

    expect((await s.store(new Uint8Array([1, 2, 3]), opts())).reason).toBe('undecodable');
    expect((await s.store(new Uint8Array([1, 2, 3]), opts())).hash).toBeUndefined();
    expect((await s.store(makeRouterInfo(k, 7, NOW).bytes, opts())).reason).toBe('wrong-netid');
    expect((await s.store(makeRouterInfo(own, 42, NOW).bytes, opts())).reason).toBe('own-router');
    expect((await s.store(makeRouterInfo(k, 42, NOW + 3 * 60_000).bytes, opts())).reason).toBe('future');
    expect((await s.store(makeRouterInfo(k, 42, NOW + 60_000).bytes, opts())).accepted).toBe(true); // within 2 min: fine
    expect((await s.store(makeRouterInfo(testKeys(1), 42, NOW - 28 * HOUR).bytes, opts())).reason).toBe('expired');

    // A forged `published` (signature over the old one) on an otherwise newer copy.
    const forged = encodeRouterInfo({ ...ri, published: NOW + 90_000 });
    const r = await s.store(forged, opts());
    expect(r).toMatchObject({ accepted: false, reason: 'bad-signature' });
    expect(r.hash).toEqual(k.hash);

    const wrongKey = await s.store(bytes, { ...opts(), expectedHash: testKeys(1).hash });
    expect(wrongKey.reason).toBe('hash-mismatch');
    expect(s.count).toBe(1);
  });

  it('moves published forward only: duplicate and older are refused, newer replaces', async () => {
    const s = store(await memory());
    const k = testKeys(0);
    const v1 = makeRouterInfo(k, 42, NOW - 2 * HOUR).bytes;
    const v2 = makeRouterInfo(k, 42, NOW - HOUR).bytes;
    expect(await s.store(v1, opts())).toMatchObject({ accepted: true, replaced: false });
    expect(await s.store(v1, opts())).toMatchObject({ accepted: false, reason: 'duplicate' });
    expect(await s.store(v2, { ...opts(), expectedHash: k.hash })).toMatchObject({ accepted: true, replaced: true });
    expect(await s.store(v1, opts())).toMatchObject({ accepted: false, reason: 'older' });
    expect(s.get(k.hash)!.published).toBe(NOW - HOUR);
    expect(s.count).toBe(1);
  });

  it('copies the input bytes', async () => {
    const s = store(await memory());
    const bytes = makeRouterInfo(testKeys(0), 42, NOW).bytes;
    await s.store(bytes, opts());
    bytes.fill(0);
    expect(s.get(testKeys(0).hash)!.bytes.some((b) => b !== 0)).toBe(true);
  });

  it('storeMany admits each in order, seeing earlier ones of the same call', async () => {
    const s = store(await memory());
    const a = makeRouterInfo(testKeys(0), 42, NOW).bytes;
    const b = makeRouterInfo(testKeys(1), 42, NOW).bytes;
    const results = await s.storeMany([a, b, a, new Uint8Array(4)], opts());
    expect(results.map((r) => r.reason ?? 'ok')).toEqual(['ok', 'ok', 'duplicate', 'undecodable']);
    expect(s.count).toBe(2);
  });
});

describe('RouterInfoStore: fuzz', () => {
  it('never throws and never accepts a mutated or truncated RouterInfo', async () => {
    const s = store(await memory(), { netId: 99 });
    const base = fixture('router1.info');
    await fc.assert(
      fc.asyncProperty(fc.nat(base.length - 1), fc.integer({ min: 1, max: 255 }), fc.nat(base.length - 1), async (at, x, cut) => {
        const mutated = Uint8Array.from(base);
        mutated[at] ^= x;
        expect((await s.store(mutated, { now: FIXTURE_NOW, source: 'flood' })).accepted).toBe(false);
        expect((await s.store(base.subarray(0, cut), { now: FIXTURE_NOW, source: 'flood' })).accepted).toBe(false);
      }),
      { numRuns: 300 },
    );
    expect(s.count).toBe(0);
  });
});

describe('RouterInfoStore: cap, expiry, persistence', () => {
  it('evicts the oldest-published at the cap and refuses one older than all', async () => {
    const volume = new MemoryVolume();
    const s = store(await memory(volume), { maxEntries: 3 });
    for (let i = 0; i < 3; i++) expect((await s.store(makeRouterInfo(testKeys(i), 42, NOW - (10 - i) * HOUR).bytes, opts())).accepted).toBe(true);
    // Older than everything held: not worth a slot.
    expect((await s.store(makeRouterInfo(testKeys(3), 42, NOW - 11 * HOUR).bytes, opts())).reason).toBe('full');
    expect((await s.store(makeRouterInfo(testKeys(4), 42, NOW - HOUR).bytes, opts())).accepted).toBe(true);
    expect(s.count).toBe(3);
    expect(s.has(testKeys(0).hash)).toBe(false);
    // The eviction reached the disk too.
    const keys: string[] = [];
    for await (const key of open[0].sublevel(RouterSublevels.routerInfos, bytesCodec).keys()) keys.push(key);
    expect(keys.sort()).toEqual([1, 2, 4].map((i) => b64(testKeys(i).hash)).sort());
  });

  it('expires by published age, on disk as well', async () => {
    const volume = new MemoryVolume();
    const storage = await memory(volume);
    const s = store(storage);
    await s.store(makeRouterInfo(testKeys(0), 42, NOW - 20 * HOUR).bytes, opts());
    await s.store(makeRouterInfo(testKeys(1), 42, NOW - HOUR).bytes, opts());
    expect(await s.expire(NOW)).toBe(0);
    expect(await s.expire(NOW + 8 * HOUR)).toBe(1);
    expect(s.all().map((e) => b64(e.hash))).toEqual([b64(testKeys(1).hash)]);
    await storage.close();
    const again = store(await memory(volume));
    expect((await again.load(NOW + 8 * HOUR)).loaded).toBe(1);
  });

  it('persists across reopen, and load drops what expired, what is corrupt or filed under the wrong key', async () => {
    const volume = new MemoryVolume();
    let storage = await memory(volume);
    const s = store(storage);
    await s.store(makeRouterInfo(testKeys(0), 42, NOW - 20 * HOUR).bytes, opts());
    await s.store(makeRouterInfo(testKeys(1), 42, NOW - HOUR).bytes, opts());
    await s.store(makeRouterInfo(testKeys(2), 42, NOW - HOUR).bytes, opts());
    const raw = storage.sublevel(RouterSublevels.routerInfos, bytesCodec);
    await raw.put('garbage', new Uint8Array([9, 9, 9]));
    await raw.put(b64(testKeys(5).hash), makeRouterInfo(testKeys(6), 42, NOW).bytes);
    await storage.close();

    storage = await memory(volume);
    const reopened = store(storage);
    const result = await reopened.load(NOW + 8 * HOUR);
    expect(result).toEqual({ loaded: 2, dropped: { expired: 1, undecodable: 1, 'hash-mismatch': 1 } });
    expect(reopened.get(testKeys(1).hash)!.source).toBe('disk');
    await storage.close();

    // The dropped ones were deleted, not just skipped.
    const third = store(await memory(volume));
    expect(await third.load(NOW + 8 * HOUR)).toEqual({ loaded: 2, dropped: {} });
  });

  it('load sheds the oldest when the cap was lowered', async () => {
    const volume = new MemoryVolume();
    const storage = await memory(volume);
    const s = store(storage);
    for (let i = 0; i < 4; i++) await s.store(makeRouterInfo(testKeys(i), 42, NOW - (5 - i) * HOUR).bytes, opts());
    await storage.close();
    const smaller = store(await memory(volume), { maxEntries: 2 });
    expect(await smaller.load(NOW)).toEqual({ loaded: 2, dropped: { full: 2 } });
    expect([2, 3].every((i) => smaller.has(testKeys(i).hash))).toBe(true);
  });

  it('keeps call order on disk when stores are not awaited one by one', async () => {
    const volume = new MemoryVolume();
    const storage = await memory(volume);
    const s = store(storage);
    const k = testKeys(0);
    await Promise.all([1, 2, 3].map((i) => s.store(makeRouterInfo(k, 42, NOW - (4 - i) * HOUR).bytes, opts())));
    await storage.close();
    const again = store(await memory(volume));
    await again.load(NOW);
    expect(again.get(k.hash)!.published).toBe(NOW - HOUR);
  });

  it('works on LevelDB storage in a directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'anon-netdb-'));
    let storage: Storage | undefined;
    try {
      storage = await openLevelStorage(join(dir, 'router'), { schema: ROUTER_SCHEMA_VERSION });
      const s = store(storage, { netId: 99 });
      const results = await s.storeMany(ROUTER_INFO_FILES.map(fixture), { now: FIXTURE_NOW, source: 'reseed' });
      expect(results.every((r) => r.accepted)).toBe(true);
      await storage.close();
      storage = await openLevelStorage(join(dir, 'router'), { schema: ROUTER_SCHEMA_VERSION });
      const again = store(storage, { netId: 99 });
      expect(await again.load(FIXTURE_NOW)).toEqual({ loaded: 3, dropped: {} });
    } finally {
      await storage?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('checks its options', async () => {
    const storage = await memory();
    expect(() => store(storage, { netId: 256 })).toThrow(RangeError);
    expect(() => store(storage, { maxEntries: -1 })).toThrow(RangeError);
    expect(() => store(storage, { ownHash: new Uint8Array(3) })).toThrow(RangeError);
  });
});
