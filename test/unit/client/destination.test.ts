/**
 * Local destinations end to end on a simulated network of six routers, two of them floodfills
 * (the real Floodfill and LeaseSetStore in their dispatchers): LeaseSet2s published through the
 * destinations' own tunnels and acknowledged, looked up through exploratory tunnels, datagrams
 * in ratchet garlic both ways with their ports, NextKey ratchets, republication when the
 * tunnels change, and what happens to garbage and to a stopped destination. The tests of the
 * first describe run in order on one network (each picks up where the one before left it).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDestinationKeys, destinationHash } from '../../../src/router/client/destination-keys.js';
import { DestinationError, type LocalDestination } from '../../../src/router/client/destination.js';
import { DatagramEndpoint, type ReceivedDatagram } from '../../../src/router/client/datagrams.js';
import { DestinationLimitError, MAX_DESTINATIONS } from '../../../src/router/client/destinations.js';
import { encodeKeysAndCert, equalBytes, i2pBase64Encode, verifyLeaseSet2 } from '../../../src/router/data/index.js';
import type { RatchetSessionInfo } from '../../../src/router/garlic/ratchet/session.js';
import { I2npType, type I2npMessage } from '../../../src/router/i2np/index.js';
import { SeededRandom } from '../../../src/router/runtime/index.js';
import type { OwnTunnel } from '../../../src/router/tunnel/tunnel.js';
import { TestNetwork } from '../tunnel/network.js';
import { ClientNetwork, type ClientRouter } from './client-network.js';

const HOPS = { length: 2, quantity: 2, variance: 0 };
const RATCHET_THRESHOLD = 40;
const MESSAGES = 520;

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

interface Side {
  client: ClientRouter;
  dest: LocalDestination;
  ep: DatagramEndpoint;
  got: ReceivedDatagram[];
}

function side(client: ClientRouter, dest: LocalDestination): Side {
  const ep = new DatagramEndpoint(dest);
  const got: ReceivedDatagram[] = [];
  ep.onDatagram((d) => got.push(d));
  return { client, dest, ep, got };
}

const confirmed = (...ds: LocalDestination[]) => ds.every((d) => d.counters.confirmed >= 1);

describe('local destinations on a network of six routers, two of them floodfills', () => {
  let cn: ClientNetwork;
  let a: Side;
  let b: Side;
  const rnd = new SeededRandom('destination test traffic');

  beforeAll(async () => {
    cn = await ClientNetwork.create({
      routers: 6,
      seed: 'destinations',
      floodfills: [0, 1],
      inbound: { length: 2, quantity: 2, variance: 0 },
      outbound: { length: 2, quantity: 2, variance: 0 },
    });
    cn.net.start();
    const ca = cn.client(2);
    const cb = cn.client(4);
    const opts = { inbound: HOPS, outbound: HOPS };
    a = side(ca, ca.destinations.create(undefined, opts, { ratchetThreshold: RATCHET_THRESHOLD }));
    b = side(cb, cb.destinations.create(undefined, opts, { ratchetThreshold: RATCHET_THRESHOLD }));
    expect(await cn.net.runUntil(() => confirmed(a.dest, b.dest), 120_000)).toBe(true);
  }, 60_000);

  afterAll(() => cn?.stop());

  it('each destination published its LeaseSet2 through its tunnels and a floodfill acknowledged it', () => {
    for (const s of [a, b]) {
      const d = s.dest;
      const ls = d.leaseSet!;
      expect(d.counters.published).toBeGreaterThanOrEqual(1);
      expect(d.counters.confirmed).toBeGreaterThanOrEqual(1);
      expect(d.counters.lastPublished).toBe(ls.published);
      expect(verifyLeaseSet2(ls, { now: cn.net.clock.now() })).toBe(true);
      // One lease per inbound tunnel of its own pool, at that tunnel's gateway.
      const inbound = d.pool.inbound;
      expect(ls.leases).toHaveLength(inbound.length);
      for (const l of ls.leases) expect(inbound.some((t) => t.gatewayTunnelId === l.tunnelId && equalBytes(t.gateway, l.gateway))).toBe(true);
      for (const t of inbound) expect(t.pool).toBe(d.poolName);
      expect(d.tunnelCounts()).toEqual({ inbound: d.pool.inbound.length, outbound: d.pool.outbound.length });
      for (const t of [...d.pool.inbound, ...d.pool.outbound]) expect(d.ownsTunnel(t)).toBe(true);
      for (const t of s.client.router.manager.exploratory.inbound) expect(d.ownsTunnel(t)).toBe(false);
      // Both floodfills hold it (the store goes to the two closest), exactly as signed.
      for (const ff of cn.net.floodfills()) {
        const held = ff.floodfill!.leaseSetHeld(d.hash, cn.net.clock.now());
        expect(held?.published).toBe(ls.published);
        expect(encodeKeysAndCert(held!.destination)).toEqual(encodeKeysAndCert(d.keys.privateKeys.destination));
      }
    }
  });

  it('A → B repliable datagram (ports 1234 → 5678), B replies to its `from` without any lookup', async () => {
    const replies: Promise<void>[] = [];
    const off = b.ep.onDatagram((d) => {
      // Replying from inside the handler: B must already hold A's LeaseSet (bundled with the datagram).
      if (d.kind === 'repliable') replies.push(b.ep.send(d.fromHash!, enc(`re: ${dec(d.payload)}`), { kind: 'repliable', fromPort: d.toPort, toPort: d.fromPort }));
    });
    await cn.net.drive(a.ep.send(b.dest.hash, enc('hello b'), { fromPort: 1234, toPort: 5678 }));
    expect(a.dest.counters.lookups).toBe(1);
    expect(a.client.lookups).toEqual({ asked: 1, found: 1 });
    expect(await cn.net.runUntil(() => b.got.length === 1 && replies.length === 1, 30_000)).toBe(true);
    off();
    const atB = b.got[0];
    expect(atB.kind).toBe('repliable');
    expect(encodeKeysAndCert(atB.from!)).toEqual(encodeKeysAndCert(a.dest.keys.privateKeys.destination));
    expect(atB.fromHash).toEqual(a.dest.hash);
    expect([atB.fromPort, atB.toPort]).toEqual([1234, 5678]);
    expect(dec(atB.payload)).toBe('hello b');
    await cn.net.drive(Promise.all(replies));
    expect(await cn.net.runUntil(() => a.got.length === 1, 30_000)).toBe(true);
    const atA = a.got[0];
    expect(atA).toMatchObject({ kind: 'repliable', fromPort: 5678, toPort: 1234 });
    expect(atA.fromHash).toEqual(b.dest.hash);
    expect(dec(atA.payload)).toBe('re: hello b');
    expect(b.dest.counters.lookups).toBe(0);
    expect(b.client.lookups.asked).toBe(0);
    // A opened B's New Session Reply: established on A's side; B's is once A's first ES comes.
    expect((a.dest.sessionWith(b.dest.hash) as RatchetSessionInfo).state).toBe('established');
    await cn.net.drive(a.ep.send(b.dest.hash, enc('first ES'), { kind: 'raw' }));
    expect(await cn.net.runUntil(() => b.got.length === 2, 30_000)).toBe(true);
    expect((b.dest.sessionWith(a.dest.hash) as RatchetSessionInfo).state).toBe('established');
    expect(a.dest.counters.lookups).toBe(1);
  });

  it(`${MESSAGES} datagrams each way, raw and repliable, ports intact, through NextKey ratchets, none undecryptable`, async () => {
    a.got.length = 0;
    b.got.length = 0;
    type Sent = { kind: 'raw' | 'repliable'; fromPort: number; toPort: number };
    const sentBy = { a: new Map<number, Sent>(), b: new Map<number, Sent>() };
    const before = {
      a: (a.dest.sessionWith(b.dest.hash) as RatchetSessionInfo).sendTagSetId!,
      b: (b.dest.sessionWith(a.dest.hash) as RatchetSessionInfo).sendTagSetId!,
    };
    const pending: Promise<void>[] = [];
    for (let i = 0; i < MESSAGES; i++) {
      for (const [from, to, name] of [[a, b, 'a'], [b, a, 'b']] as const) {
        const s: Sent = { kind: rnd.int(2) === 0 ? 'raw' : 'repliable', fromPort: rnd.int(65536), toPort: rnd.int(65536) };
        sentBy[name].set(i, s);
        pending.push(from.ep.send(to.dest.hash, enc(`${name}:${i}:${'x'.repeat(rnd.int(400))}`), s));
      }
      // A few messages per 100 ms: the ratchet's replies and ACKs interleave with the traffic.
      if (i % 20 === 19) await cn.net.run(100);
    }
    await cn.net.drive(Promise.all(pending));
    expect(await cn.net.runUntil(() => a.got.length >= MESSAGES && b.got.length >= MESSAGES, 60_000)).toBe(true);
    await cn.net.run(3_000);
    for (const [receiver, sender, name] of [[b, a, 'a'], [a, b, 'b']] as const) {
      expect(receiver.got).toHaveLength(MESSAGES);
      const seen = new Set<number>();
      for (const d of receiver.got) {
        const [who, seq] = dec(d.payload).split(':');
        expect(who).toBe(name);
        const i = Number(seq);
        expect(seen.has(i)).toBe(false);
        seen.add(i);
        const s = sentBy[name].get(i)!;
        expect({ kind: d.kind, fromPort: d.fromPort, toPort: d.toPort }).toEqual(s);
        if (d.kind === 'repliable') expect(d.fromHash).toEqual(sender.dest.hash);
        else expect(d.from).toBeUndefined();
      }
      expect(receiver.dest.counters.undecryptable).toBe(0);
      expect(receiver.ep.counters.refused).toBe(0);
    }
    // With a threshold of 40, 520 messages each way take several DH ratchets (new tag sets).
    const after = {
      a: a.dest.sessionWith(b.dest.hash) as RatchetSessionInfo,
      b: b.dest.sessionWith(a.dest.hash) as RatchetSessionInfo,
    };
    expect(after.a.sendTagSetId! - before.a).toBeGreaterThanOrEqual(4);
    expect(after.b.sendTagSetId! - before.b).toBeGreaterThanOrEqual(4);
    expect(after.a.receiveTagSetId).toBeGreaterThanOrEqual(4);
    expect(after.b.receiveTagSetId).toBeGreaterThanOrEqual(4);
    expect(b.dest.counters.lookups).toBe(0);
  }, 120_000);

  it('one-way traffic: the receiver answers the ratchet (NSR, reverse NextKeys) with garlic of its own, no data', async () => {
    const cc = cn.client(3);
    const cd = cn.client(5);
    const opts = { inbound: HOPS, outbound: HOPS };
    const c = side(cc, cc.destinations.create(undefined, opts, { ratchetThreshold: RATCHET_THRESHOLD }));
    const d = side(cd, cd.destinations.create(undefined, opts, { ratchetThreshold: RATCHET_THRESHOLD }));
    expect(await cn.net.runUntil(() => confirmed(c.dest, d.dest), 60_000)).toBe(true);
    // The first message: D owes an NSR and, with nothing to say, sends it empty on its timer.
    await cn.net.drive(c.ep.send(d.dest.hash, enc('c:0'), { kind: 'raw', fromPort: 7, toPort: 0 }));
    expect(await cn.net.runUntil(() => (c.dest.sessionWith(d.dest.hash) as RatchetSessionInfo | undefined)?.state === 'established', 5_000)).toBe(true);
    const n = 200;
    const pending: Promise<void>[] = [];
    for (let i = 1; i < n; i++) {
      pending.push(c.ep.send(d.dest.hash, enc(`c:${i}`), { kind: 'raw', fromPort: 7, toPort: i }));
      if (i % 10 === 9) await cn.net.run(200);
    }
    await cn.net.drive(Promise.all(pending));
    expect(await cn.net.runUntil(() => d.got.length >= n, 60_000)).toBe(true);
    await cn.net.run(3_000);
    expect(d.got.map((x) => x.toPort).sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(d.dest.counters.sent).toBe(0);
    expect(c.got).toHaveLength(0);
    const sc = c.dest.sessionWith(d.dest.hash) as RatchetSessionInfo;
    const sd = d.dest.sessionWith(c.dest.hash) as RatchetSessionInfo;
    // C's session was established by the NSR D sent on its own, and ratcheted with D's NextKeys.
    expect(sc.state).toBe('established');
    expect(sd.state).toBe('established');
    expect(sc.sendTagSetId).toBeGreaterThanOrEqual(2);
    expect(sd.receiveTagSetId).toBe(sc.sendTagSetId);
    expect(c.dest.counters.undecryptable + d.dest.counters.undecryptable).toBe(0);
    expect(c.dest.counters.lookups).toBe(1);
    expect(d.dest.counters.lookups).toBe(0);
    cc.destinations.remove(c.dest.hash);
    cd.destinations.remove(d.dest.hash);
  }, 60_000);

  it('a destination nobody published: the lookup finds nothing, the send fails with NO_LEASESET', async () => {
    const lookups = a.dest.counters.lookups;
    const unknown = createDestinationKeys(rnd);
    const err = await cn.net.drive(a.ep.send(destinationHash(unknown.privateKeys.destination), enc('lost')).then(() => undefined, (e: unknown) => e));
    expect(err).toBeInstanceOf(DestinationError);
    expect((err as DestinationError).code).toBe('NO_LEASESET');
    // The sender is told why: both rounds asked floodfills, which answered that they hold nothing.
    expect((err as DestinationError).message).toMatch(/\(2 lookups, the last: [1-9]\d* floodfills? asked, none holds it\)$/);
    expect(a.dest.counters.lookups).toBe(lookups + 1);
  });

  it('a burst of sends to a destination not yet resolved looks it up once, and all arrive', async () => {
    const ce = cn.client(5);
    const e = side(ce, ce.destinations.create(undefined, { inbound: HOPS, outbound: HOPS }));
    expect(await cn.net.runUntil(() => confirmed(e.dest), 60_000)).toBe(true);
    const lookups = a.dest.counters.lookups;
    const asked = a.client.lookups.asked;
    const burst = Array.from({ length: 10 }, (_, i) => a.ep.send(e.dest.hash, enc(`burst ${i}`), { kind: 'raw', fromPort: 100, toPort: i }));
    await cn.net.drive(Promise.all(burst));
    expect(a.dest.counters.lookups).toBe(lookups + 1);
    expect(a.client.lookups.asked).toBe(asked + 1);
    expect(await cn.net.runUntil(() => e.got.length === 10, 30_000)).toBe(true);
    expect(e.got.map((x) => x.toPort).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(e.dest.counters.undecryptable).toBe(0);
    ce.destinations.remove(e.dest.hash);
  });

  it('republishes with an advancing `published` when the inbound tunnels change, and traffic goes on', async () => {
    const first = a.dest.leaseSet!;
    const firstIds = new Set(first.leases.map((l) => l.tunnelId));
    const published0 = a.dest.counters.published;
    const confirmed0 = a.dest.counters.confirmed;
    const seen: number[] = [first.published];
    // Past the lifetime of every tunnel there was (10 min): all replaced.
    await cn.net.runUntil(() => {
      const p = a.dest.leaseSet!.published;
      if (p !== seen[seen.length - 1]) seen.push(p);
      return false;
    }, 11 * 60_000, 500);
    const now = cn.net.clock.now();
    const last = a.dest.leaseSet!;
    expect(seen.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]);
    expect(last.leases.some((l) => firstIds.has(l.tunnelId))).toBe(false);
    for (const l of last.leases) expect(l.endDate * 1000).toBeGreaterThan(now);
    expect(a.dest.counters.published).toBeGreaterThan(published0);
    expect(a.dest.counters.confirmed).toBeGreaterThan(confirmed0);
    expect(verifyLeaseSet2(last, { now })).toBe(true);
    for (const ff of cn.net.floodfills()) expect(ff.floodfill!.leaseSetHeld(a.dest.hash, now)?.published).toBe(last.published);
    // B's copy of A's LeaseSet is stale: B finds the new one, and both directions work again.
    const gotA = a.got.length;
    const gotB = b.got.length;
    await cn.net.drive(b.ep.send(a.dest.hash, enc('after the tunnels changed'), { kind: 'raw', fromPort: 9, toPort: 10 }));
    await cn.net.drive(a.ep.send(b.dest.hash, enc('and back'), { fromPort: 11, toPort: 12 }));
    expect(await cn.net.runUntil(() => a.got.length === gotA + 1 && b.got.length === gotB + 1, 30_000)).toBe(true);
    expect(a.got[gotA]).toMatchObject({ kind: 'raw', fromPort: 9, toPort: 10 });
    expect(dec(a.got[gotA].payload)).toBe('after the tunnels changed');
    expect(b.got[gotB]).toMatchObject({ kind: 'repliable', fromPort: 11, toPort: 12 });
    expect(a.dest.counters.undecryptable + b.dest.counters.undecryptable).toBe(0);
  }, 120_000);

  it('garbage Garlic into a destination\'s tunnel is counted as undecryptable, never thrown', async () => {
    const lease = b.dest.leaseSet!.leases[0];
    const outbound = a.dest.pool.pickOutbound()!;
    const before = b.dest.counters.undecryptable;
    const received = b.dest.counters.received;
    for (const n of [0, 1, 8, 32, 100, 600]) {
      const garlic = { type: I2npType.Garlic, msgId: 1 + rnd.int(1e9), expiration: cn.net.clock.now() + 60_000, data: rnd.bytes(n) } as I2npMessage;
      expect(a.client.router.manager.sendThrough(outbound, [{ delivery: { type: 'tunnel', tunnelId: lease.tunnelId, gateway: lease.gateway }, message: garlic }])).toBe(true);
    }
    await cn.net.run(2_000);
    expect(b.dest.counters.undecryptable).toBe(before + 6);
    expect(b.dest.counters.received).toBe(received);
    // Directly, any body: counted, never thrown, and the destination still works afterwards.
    let count = b.dest.counters.undecryptable;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
        expect(() => b.dest.onMessage({ type: I2npType.Garlic, msgId: 1, expiration: cn.net.clock.now() + 60_000, data } as I2npMessage)).not.toThrow();
        expect(b.dest.counters.undecryptable).toBe(++count);
      }),
      { numRuns: 200 },
    );
    const gotB = b.got.length;
    await cn.net.drive(a.ep.send(b.dest.hash, enc('still fine'), { kind: 'raw', fromPort: 1, toPort: 2 }));
    expect(await cn.net.runUntil(() => b.got.length === gotB + 1, 30_000)).toBe(true);
    expect(dec(b.got[gotB].payload)).toBe('still fine');
  });

  it('Destinations.create with the same keys twice gives the same destination', () => {
    const d = a.client.destinations;
    const n = d.list().length;
    expect(d.create(a.dest.keys)).toBe(a.dest);
    expect(d.create(a.dest.keys, { publish: false }, { ratchetThreshold: 7 })).toBe(a.dest);
    expect(d.list()).toHaveLength(n);
    expect(d.get(a.dest.hash)).toBe(a.dest);
  });

  it('a stopped destination: its pool is closed, messages to it are dropped without a throw', async () => {
    const r = b.client.router;
    const pool = b.dest.poolName;
    const tunnelIds = b.dest.pool.inbound.map((t) => t.id);
    expect(b.client.destinations.remove(b.dest.hash)).toBe(true);
    expect(b.client.destinations.remove(b.dest.hash)).toBe(false);
    expect(b.client.destinations.get(b.dest.hash)).toBeUndefined();
    expect(b.dest.pool.inbound).toHaveLength(0);
    expect(b.dest.pool.outbound).toHaveLength(0);
    await expect(b.dest.send(a.dest.hash, enc('x'))).rejects.toBeInstanceOf(DestinationError);
    await expect(b.ep.send(a.dest.hash, enc('x'))).rejects.toMatchObject({ code: 'STOPPED' });
    // A still holds B's LeaseSet: its message reaches B's router, which no longer knows the tunnel.
    const received = b.dest.counters.received;
    const unknown = r.manager.stats.unknownTunnel;
    await cn.net.drive(a.ep.send(b.dest.hash, enc('anyone there?'), { kind: 'raw' }));
    await cn.net.run(5_000);
    expect(b.dest.counters.received).toBe(received);
    expect(r.manager.stats.unknownTunnel).toBeGreaterThan(unknown);
    // Not rebuilt, not republished, and a message arriving by a tunnel of the closed pool is not the destination's.
    const published = b.dest.counters.published;
    await cn.net.run(30_000);
    expect(r.manager.ownTunnels().some((t) => t.pool === pool)).toBe(false);
    expect(b.dest.counters.published).toBe(published);
    const via = { pool, id: tunnelIds[0] } as unknown as OwnTunnel;
    expect(b.client.destinations.route({ type: I2npType.Garlic, msgId: 1, expiration: cn.net.clock.now() + 60_000, data: new Uint8Array(60) } as I2npMessage, via)).toBe(false);
  });
});

describe('LeaseSet stores no floodfill acknowledged', () => {
  it('are sent again (the same LeaseSet) until one is, then no more', async () => {
    const cn = await ClientNetwork.create({ routers: 6, seed: 'store retry', floodfills: [0, 1] });
    cn.net.start();
    const ffs = cn.net.floodfills().map((f) => f.b64);
    let lost = 0;
    let blocking = true;
    // Garlic to the floodfills (our stores, wrapped for them at the outbound endpoint) is lost.
    cn.net.intercept = (_from, to, bytes) => {
      if (!blocking || !ffs.includes(i2pBase64Encode(to)) || TestNetwork.decode(bytes).type !== I2npType.Garlic) return undefined;
      lost++;
      return null;
    };
    const c = cn.client(3);
    const d = c.destinations.create(undefined, { inbound: HOPS, outbound: HOPS });
    expect(await cn.net.runUntil(() => d.counters.published >= 2, 60_000)).toBe(true);
    expect(d.counters.confirmed).toBe(0);
    expect(lost).toBeGreaterThanOrEqual(4);
    const published = d.leaseSet!.published;
    blocking = false;
    expect(await cn.net.runUntil(() => d.counters.confirmed >= 1, 30_000)).toBe(true);
    // The retry carried the LeaseSet built first, not a new one.
    expect(d.leaseSet!.published).toBe(published);
    for (const ff of cn.net.floodfills()) expect(ff.floodfill!.leaseSetHeld(d.hash, cn.net.clock.now())?.published).toBe(published);
    // Once acknowledged, a LeaseSet is not sent again: only a new one (new leases) is published.
    const after = d.counters.published;
    let built = 0;
    let last = published;
    await cn.net.runUntil(() => {
      if (d.leaseSet!.published !== last) {
        built++;
        last = d.leaseSet!.published;
      }
      return false;
    }, 60_000);
    expect(d.counters.published - after).toBe(built);
    cn.stop();
  }, 60_000);
});

describe('Destinations limits', () => {
  it(`at most ${MAX_DESTINATIONS} destinations per router; the same keys at the limit still give the held one`, async () => {
    const cn = await ClientNetwork.create({ routers: 2, seed: 'limits' });
    const d = cn.client(0).destinations;
    const random = new SeededRandom('limit keys');
    const made = Array.from({ length: MAX_DESTINATIONS }, () => d.create(createDestinationKeys(random), { publish: false }));
    expect(new Set(made.map((x) => i2pBase64Encode(x.hash))).size).toBe(MAX_DESTINATIONS);
    expect(new Set(made.map((x) => x.poolName)).size).toBe(MAX_DESTINATIONS);
    expect(() => d.create()).toThrow(DestinationLimitError);
    expect(() => d.create(createDestinationKeys(random))).toThrow(DestinationLimitError);
    expect(d.create(made[5].keys)).toBe(made[5]);
    expect(d.list()).toHaveLength(MAX_DESTINATIONS);
    // Removing one makes room for one.
    expect(d.remove(made[0].hash)).toBe(true);
    const again = d.create(made[0].keys);
    expect(again).not.toBe(made[0]);
    expect(again.hash).toEqual(made[0].hash);
    expect(() => d.create()).toThrow(DestinationLimitError);
    cn.stop();
  });
});
