import { describe, expect, it } from 'vitest';
import { UnknownPeerQueue } from '../../../src/router/transport/unknown-peers.js';

const hash = (b: number) => new Uint8Array(32).fill(b);
const msg = (n: number, len = 100) => new Uint8Array(len).fill(n);

/** A queue whose lookups the test settles by hand, recording what reaches the transport. */
function setup(limits: ConstructorParameters<typeof UnknownPeerQueue>[1] = {}) {
  let now = 1_000;
  const lookups: { hash: Uint8Array; settle: (found: boolean | Error) => void }[] = [];
  const sent: [number, number][] = [];
  let transportTakes = true;
  const q = new UnknownPeerQueue(
    {
      now: () => now,
      resolve: (h) =>
        new Promise<boolean>((res, rej) => lookups.push({ hash: h, settle: (f) => (f instanceof Error ? rej(f) : res(f)) })),
      send: (h, m) => {
        if (transportTakes) sent.push([h[0], m[0]]);
        return transportTakes;
      },
    },
    limits,
  );
  return {
    q,
    lookups,
    sent,
    advance: (ms: number) => (now += ms),
    refuseSends: () => (transportTakes = false),
    tick: () => new Promise((r) => setImmediate(r)),
  };
}

describe('UnknownPeerQueue', () => {
  it('holds messages for a router while one lookup runs, and sends them in order once it is found', async () => {
    const t = setup();
    expect(t.q.enqueue(hash(1), msg(1))).toBe(true);
    expect(t.q.enqueue(hash(1), msg(2))).toBe(true);
    expect(t.q.enqueue(hash(2), msg(3))).toBe(true);
    // One lookup per router, however many messages wait on it.
    expect(t.lookups.map((l) => l.hash[0])).toEqual([1, 2]);
    expect(t.q.pending).toBe(2);
    expect(t.sent).toEqual([]);
    t.lookups[0].settle(true);
    await t.tick();
    expect(t.sent).toEqual([
      [1, 1],
      [1, 2],
    ]);
    expect(t.q.pending).toBe(1);
    expect(t.q.counters).toMatchObject({ queued: 3, sent: 2, dropped: 0, lookups: 2 });
  });

  it('drops what waited on a router not found, and drops new messages for it until notFoundMs passed', async () => {
    const t = setup({ notFoundMs: 60_000 });
    t.q.enqueue(hash(7), msg(1));
    t.q.enqueue(hash(7), msg(2));
    t.lookups[0].settle(false);
    await t.tick();
    expect(t.sent).toEqual([]);
    expect(t.q.counters).toMatchObject({ dropped: 2, notFound: 1, lookups: 1 });
    // Not looked up again at once: an attacker naming random hops cannot make us look up one hash in a loop.
    expect(t.q.enqueue(hash(7), msg(3))).toBe(false);
    expect(t.lookups).toHaveLength(1);
    t.advance(60_001);
    expect(t.q.enqueue(hash(7), msg(4))).toBe(true);
    expect(t.lookups).toHaveLength(2);
  });

  it('counts a lookup that throws as not found', async () => {
    const t = setup();
    t.q.enqueue(hash(3), msg(1));
    t.lookups[0].settle(new Error('no floodfills'));
    await t.tick();
    expect(t.q.counters).toMatchObject({ dropped: 1, notFound: 1, sent: 0 });
    expect(t.q.pending).toBe(0);
  });

  it('bounds routers looked up at once, and messages and bytes per router', () => {
    const t = setup({ maxPeers: 2, maxMessagesPerPeer: 3, maxBytesPerPeer: 250 });
    expect(t.q.enqueue(hash(1), msg(1))).toBe(true);
    expect(t.q.enqueue(hash(2), msg(1))).toBe(true);
    expect(t.q.enqueue(hash(3), msg(1))).toBe(false);
    expect(t.lookups).toHaveLength(2);
    // 100 + 100 bytes fit in 250; a third 100 does not, a 50 does, then the count limit.
    expect(t.q.enqueue(hash(1), msg(2))).toBe(true);
    expect(t.q.enqueue(hash(1), msg(3))).toBe(false);
    expect(t.q.enqueue(hash(1), msg(4, 50))).toBe(true);
    expect(t.q.enqueue(hash(1), msg(5, 1))).toBe(false);
    expect(t.q.counters).toMatchObject({ queued: 4, dropped: 3 });
  });

  it('counts what the transport refuses after the lookup as dropped', async () => {
    const t = setup();
    t.q.enqueue(hash(1), msg(1));
    t.refuseSends();
    t.lookups[0].settle(true);
    await t.tick();
    expect(t.q.counters).toMatchObject({ sent: 0, dropped: 1 });
  });

  it('after close, drops what waits and everything new; a lookup settling later sends nothing', async () => {
    const t = setup();
    t.q.enqueue(hash(1), msg(1));
    t.q.close();
    expect(t.q.counters.dropped).toBe(1);
    expect(t.q.enqueue(hash(2), msg(2))).toBe(false);
    t.lookups[0].settle(true);
    await t.tick();
    expect(t.sent).toEqual([]);
    expect(t.q.counters.dropped).toBe(2);
  });

  it('refuses a hash that is not 32 bytes', () => {
    expect(() => setup().q.enqueue(new Uint8Array(31), msg(1))).toThrow(RangeError);
  });

  it('forgets the oldest not-found router past maxNotFound', async () => {
    const t = setup({ maxNotFound: 2 });
    for (const b of [1, 2, 3]) {
      t.q.enqueue(hash(b), msg(b));
      t.lookups.at(-1)!.settle(false);
      await t.tick();
    }
    // 1 was forgotten: looked up again; 3 is still remembered.
    expect(t.q.enqueue(hash(1), msg(9))).toBe(true);
    expect(t.q.enqueue(hash(3), msg(9))).toBe(false);
  });
});
