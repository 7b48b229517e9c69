import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { i2pBase64Encode } from '../../../src/router/data/index.js';
import { PeerProfiles, type PeerProfilesOptions } from '../../../src/router/peers/profiles.js';
import { ManualClock } from '../../../src/router/runtime/index.js';
import {
  bytesCodec,
  MemoryVolume,
  openMemoryStorage,
  ROUTER_SCHEMA_VERSION,
  RouterSublevels,
  type Storage,
} from '../../../src/state/index.js';

const NOW = Date.UTC(2026, 0, 10, 12);
const MIN = 60_000;
const HOUR = 60 * MIN;

/** A distinct 32-byte router hash per index. */
const h = (i: number): Uint8Array => new Uint8Array(32).fill(i + 1);

const open: Storage[] = [];
async function memory(volume = new MemoryVolume()): Promise<Storage> {
  const s = await openMemoryStorage({ schema: ROUTER_SCHEMA_VERSION, volume });
  open.push(s);
  return s;
}
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

async function setup(o: Partial<PeerProfilesOptions> = {}) {
  const clock = new ManualClock(NOW);
  const volume = new MemoryVolume();
  const storage = await memory(volume);
  return { clock, volume, storage, profiles: new PeerProfiles({ storage, clock, ...o }) };
}

async function storedKeys(storage: Storage): Promise<string[]> {
  const out: string[] = [];
  for await (const k of storage.sublevel(RouterSublevels.profiles, bytesCodec).keys()) out.push(k);
  return out.sort();
}

describe('PeerProfiles: recording', () => {
  it('counts each event and keeps the times', async () => {
    const { clock, profiles } = await setup();
    profiles.seen(h(0));
    clock.advance(1000);
    profiles.buildAccepted(h(0));
    profiles.buildAccepted(h(0));
    clock.advance(1000);
    profiles.buildRejected(h(0), 30);
    clock.advance(1000);
    profiles.buildTimedOut(h(0));
    profiles.tunnelTest(h(0), true, 100);
    profiles.tunnelTest(h(0), true, 200);
    profiles.tunnelTest(h(0), false);
    const p = profiles.get(h(0))!;
    expect(p).toMatchObject({
      firstSeen: NOW,
      lastSeen: NOW + 3000,
      buildsAccepted: 2,
      buildsRejected: 1,
      buildsTimedOut: 1,
      tunnelTestsOk: 2,
      tunnelTestsFailed: 1,
      lastBuildAt: NOW + 3000,
      lastRejectAt: NOW + 2000,
      lastRejectCode: 30,
      lastFailureAt: NOW + 3000,
      failureStreak: 1,
    });
    expect(p.latencyMs).toBe(125); // EWMA, alpha 0.25: 100 + 0.25 * (200 - 100)
    expect(profiles.get(h(1))).toBeUndefined();
    expect(profiles.count).toBe(1);
  });

  it('a timeout alone does not count as seen', async () => {
    const { clock, profiles } = await setup();
    profiles.seen(h(0));
    clock.advance(5000);
    profiles.buildTimedOut(h(0));
    expect(profiles.get(h(0))!.lastSeen).toBe(NOW);
  });

  it('ignores invalid latency samples but still counts the test', async () => {
    const { profiles } = await setup();
    profiles.tunnelTest(h(0), true, Number.NaN);
    profiles.tunnelTest(h(0), true, -5);
    expect(profiles.get(h(0))).toMatchObject({ tunnelTestsOk: 2 });
    expect(profiles.get(h(0))!.latencyMs).toBeUndefined();
    expect(profiles.speed(h(0))).toBe(0);
  });

  it('refuses a hash that is not 32 bytes', async () => {
    const { profiles } = await setup();
    expect(() => profiles.seen(new Uint8Array(31))).toThrow(RangeError);
  });
});

describe('PeerProfiles: persistence', () => {
  it('survives a close and reopen of the storage; what was not flushed is lost', async () => {
    const { clock, volume, storage, profiles } = await setup();
    profiles.buildAccepted(h(0));
    profiles.buildRejected(h(1), 30);
    profiles.tunnelTest(h(1), true, 80);
    expect(profiles.pending).toBe(2);
    await profiles.flush();
    expect(profiles.pending).toBe(0);
    const before = profiles.all();
    profiles.buildAccepted(h(2)); // after the last flush
    await storage.close();

    const storage2 = await memory(volume);
    const again = new PeerProfiles({ storage: storage2, clock });
    expect(await again.load()).toEqual({ loaded: 2, dropped: 0 });
    expect(again.all()).toEqual(before);
    expect(again.get(h(1))!.latencyMs).toBe(80);
    expect(again.get(h(2))).toBeUndefined();
    expect(again.capacity(h(0))).toBeCloseTo(profiles.capacity(h(0)));
  });

  it('flush writes only what changed, in one batch keyed by the Base64 hash', async () => {
    const { storage, profiles } = await setup();
    profiles.seen(h(0));
    profiles.seen(h(1));
    await profiles.flush();
    expect(await storedKeys(storage)).toEqual([i2pBase64Encode(h(0)), i2pBase64Encode(h(1))].sort());
    await profiles.flush(); // nothing pending: no write, still resolves
    expect(profiles.pending).toBe(0);
  });

  it('a failed flush keeps the changes for the next one', async () => {
    const { clock, volume, storage, profiles } = await setup();
    profiles.seen(h(0));
    await storage.close();
    await expect(profiles.flush()).rejects.toThrow();
    expect(profiles.pending).toBe(1);
    await storage.open();
    await profiles.flush();
    await storage.close();
    const reopened = new PeerProfiles({ storage: await memory(volume), clock });
    expect((await reopened.load()).loaded).toBe(1);
  });

  it('drops damaged records at load and deletes them', async () => {
    const { clock, storage, profiles } = await setup();
    profiles.buildAccepted(h(0));
    await profiles.flush();
    const raw = storage.sublevel(RouterSublevels.profiles, bytesCodec);
    const enc = (s: string) => new TextEncoder().encode(s);
    await raw.put(i2pBase64Encode(h(1)), enc('not json'));
    await raw.put(i2pBase64Encode(h(2)), enc(JSON.stringify({ v: 1, firstSeen: 'yesterday' })));
    await raw.put(i2pBase64Encode(h(3)), new Uint8Array([0xff, 0xfe]));
    await raw.put('short-key', enc('{}'));
    const valid = new TextDecoder().decode((await raw.get(i2pBase64Encode(h(0))))!);
    await raw.put(i2pBase64Encode(h(4)), enc(valid.replace('"buildsAccepted":1', '"buildsAccepted":-1')));
    const fresh = new PeerProfiles({ storage, clock });
    expect(await fresh.load()).toEqual({ loaded: 1, dropped: 5 });
    expect(fresh.get(h(0))!.buildsAccepted).toBe(1);
    expect(await storedKeys(storage)).toEqual([i2pBase64Encode(h(0))]);
  });
});

describe('PeerProfiles: bound', () => {
  it('evicts the least recently seen beyond maxProfiles, on disk too', async () => {
    const { clock, storage, profiles } = await setup({ maxProfiles: 3 });
    for (let i = 0; i < 3; i++) {
      profiles.seen(h(i));
      clock.advance(1000);
    }
    profiles.seen(h(0)); // seen again: now the most recent
    clock.advance(1000);
    profiles.buildTimedOut(h(1)); // not a sign of life: h(1) stays the oldest
    await profiles.flush();
    profiles.seen(h(3));
    profiles.seen(h(4));
    expect(profiles.count).toBe(3);
    expect(profiles.all().map((e) => e.hash[0] - 1)).toEqual([0, 3, 4]);
    await profiles.flush();
    expect(await storedKeys(storage)).toEqual([h(0), h(3), h(4)].map(i2pBase64Encode).sort());
  });

  it('a lower cap at load keeps the most recently seen', async () => {
    const { clock, volume, storage, profiles } = await setup();
    for (let i = 0; i < 6; i++) {
      profiles.seen(h(i));
      clock.advance(1000);
    }
    await profiles.flush();
    await storage.close();
    const storage2 = await memory(volume);
    const small = new PeerProfiles({ storage: storage2, clock, maxProfiles: 2 });
    expect(await small.load()).toEqual({ loaded: 2, dropped: 4 });
    expect(small.all().map((e) => e.hash[0] - 1)).toEqual([4, 5]);
    expect((await storedKeys(storage2)).length).toBe(2);
  });
});

describe('PeerProfiles: scores', () => {
  it('orders capacity by recent accepts, less rejections and timeouts', async () => {
    const { profiles } = await setup();
    for (let i = 0; i < 5; i++) profiles.buildAccepted(h(0));
    for (let i = 0; i < 2; i++) profiles.buildAccepted(h(1));
    profiles.buildAccepted(h(2));
    profiles.buildRejected(h(2), 30);
    profiles.buildAccepted(h(3));
    profiles.buildTimedOut(h(3));
    profiles.buildRejected(h(4), 30);
    profiles.buildTimedOut(h(5));
    profiles.buildTimedOut(h(5));
    const order = [0, 1, 2, 3, 4, 5, 6].sort((a, b) => profiles.capacity(h(b)) - profiles.capacity(h(a)));
    // h(6) is unknown: 0, above those that only refused or failed.
    expect(order).toEqual([0, 1, 2, 3, 6, 4, 5]);
    expect(profiles.capacity(h(2))).toBe(0.5);
  });

  it('weights recent builds above old ones (half-life)', async () => {
    const { clock, profiles } = await setup({ halfLifeMs: HOUR });
    for (let i = 0; i < 4; i++) profiles.buildAccepted(h(0));
    clock.advance(2 * HOUR);
    for (let i = 0; i < 2; i++) profiles.buildAccepted(h(1));
    expect(profiles.capacity(h(0))).toBeCloseTo(1); // 4 halved twice
    expect(profiles.capacity(h(1))).toBe(2);
    expect(profiles.get(h(0))!.recent.accepted).toBeCloseTo(1);
    expect(profiles.get(h(0))!.buildsAccepted).toBe(4); // lifetime counts do not decay
  });

  it('orders speed by the latency average', async () => {
    const { profiles } = await setup();
    profiles.tunnelTest(h(0), true, 50);
    profiles.tunnelTest(h(1), true, 400);
    profiles.tunnelTest(h(2), true, 900);
    profiles.tunnelTest(h(2), true, 100); // 900 + 0.25 * (100 - 900) = 700
    expect(profiles.get(h(2))!.latencyMs).toBe(700);
    const order = [3, 2, 1, 0].sort((a, b) => profiles.speed(h(b)) - profiles.speed(h(a)));
    expect(order).toEqual([0, 1, 2, 3]);
    expect(profiles.speed(h(0))).toBe(20);
  });

  it('a streak of timeouts makes a peer failing until it answers or time passes', async () => {
    const { clock, profiles } = await setup();
    profiles.buildTimedOut(h(0));
    profiles.tunnelTest(h(0), false);
    expect(profiles.isFailing(h(0))).toBe(false);
    profiles.buildTimedOut(h(0));
    expect(profiles.isFailing(h(0))).toBe(true);
    profiles.buildRejected(h(0), 30); // alive after all
    expect(profiles.isFailing(h(0))).toBe(false);

    for (let i = 0; i < 3; i++) profiles.buildTimedOut(h(1));
    expect(profiles.isFailing(h(1))).toBe(true);
    clock.advance(31 * MIN);
    expect(profiles.isFailing(h(1))).toBe(false);
    expect(profiles.isFailing(h(9))).toBe(false);
  });

  it('recent timeouts far above accepts make a peer failing despite the odd success', async () => {
    const { profiles } = await setup();
    for (let i = 0; i < 3; i++) {
      profiles.buildTimedOut(h(0));
      profiles.buildTimedOut(h(0));
      profiles.buildTimedOut(h(0));
      profiles.tunnelTest(h(0), true); // resets the streak
    }
    expect(profiles.get(h(0))!.failureStreak).toBe(0);
    expect(profiles.isFailing(h(0))).toBe(true);
    for (let i = 0; i < 5; i++) profiles.buildAccepted(h(0));
    expect(profiles.isFailing(h(0))).toBe(false);
  });
});

describe('PeerProfiles: stored records (property and fuzz)', () => {
  type Ev = [number, 'seen' | 'ok' | 'rej' | 'timeout' | 'test', number, number];
  const events = fc.array(
    fc.tuple(
      fc.integer({ min: 0, max: 7 }),
      fc.constantFrom('seen' as const, 'ok' as const, 'rej' as const, 'timeout' as const, 'test' as const),
      fc.integer({ min: 0, max: 5000 }),
      fc.integer({ min: 0, max: 120_000 }),
    ),
    { maxLength: 40 },
  );

  it('what load reads back equals what was flushed, for any history', async () => {
    await fc.assert(
      fc.asyncProperty(events, fc.integer({ min: 1, max: 8 }), async (history: Ev[], max) => {
        const clock = new ManualClock(NOW);
        const volume = new MemoryVolume();
        const storage = await openMemoryStorage({ schema: ROUTER_SCHEMA_VERSION, volume });
        const profiles = new PeerProfiles({ storage, clock, maxProfiles: max });
        for (const [peer, kind, latency, dt] of history) {
          clock.advance(dt);
          if (kind === 'seen') profiles.seen(h(peer));
          else if (kind === 'ok') profiles.buildAccepted(h(peer));
          else if (kind === 'rej') profiles.buildRejected(h(peer), 30);
          else if (kind === 'timeout') profiles.buildTimedOut(h(peer));
          else profiles.tunnelTest(h(peer), latency % 3 !== 0, latency);
        }
        await profiles.flush();
        await storage.close();
        const storage2 = await openMemoryStorage({ schema: ROUTER_SCHEMA_VERSION, volume });
        const again = new PeerProfiles({ storage: storage2, clock, maxProfiles: max });
        const result = await again.load();
        expect(result).toEqual({ loaded: profiles.count, dropped: 0 });
        const byKey = (e: { key: string }[]) => [...e].sort((a, b) => (a.key < b.key ? -1 : 1));
        expect(byKey(again.all())).toEqual(byKey(profiles.all()));
        expect(profiles.count).toBeLessThanOrEqual(max);
        await storage2.close();
      }),
      { numRuns: 60 },
    );
  });

  it('random bytes under any key are dropped at load, never thrown', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.string({ minLength: 1, maxLength: 50 }), fc.uint8Array({ maxLength: 300 })), { maxLength: 10 }),
        async (records) => {
          const clock = new ManualClock(NOW);
          const storage = await openMemoryStorage({ schema: ROUTER_SCHEMA_VERSION, volume: new MemoryVolume() });
          const raw = storage.sublevel(RouterSublevels.profiles, bytesCodec);
          const distinct = new Map(records);
          for (const [k, v] of distinct) await raw.put(k, v);
          const profiles = new PeerProfiles({ storage, clock });
          expect(await profiles.load()).toEqual({ loaded: 0, dropped: distinct.size });
          await storage.close();
        },
      ),
      { numRuns: 60 },
    );
  });
});
