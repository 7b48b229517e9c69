import { describe, expect, it } from 'vitest';
import { equalBytes, i2pBase64Encode } from '../../../src/router/data/index.js';
import { encodeMessage, I2npType, type I2npMessage } from '../../../src/router/i2np/index.js';
import { SeededRandom } from '../../../src/router/runtime/index.js';
import { createLongBuildRecords, decryptLongReplies, TRUNCATED_HASH_LENGTH } from '../../../src/router/tunnel/build-crypto.js';
import { BUILD_TIMEOUT_MS } from '../../../src/router/tunnel/builder.js';
import { HopLayer } from '../../../src/router/tunnel/layer-crypto.js';
import { REBUILD_AHEAD_MS } from '../../../src/router/tunnel/pool.js';
import { TUNNEL_LIFETIME_MS, type InboundTunnel, type OutboundTunnel, type OwnTunnel } from '../../../src/router/tunnel/tunnel.js';
import { BuildReplyCode, type LongBuildRequest, type TunnelDelivery } from '../../../src/router/tunnel/types.js';
import { makeIdentity, T0, TestNetwork, type NetRouter } from './network.js';

const IN_LENGTH = 2;
const OUT_LENGTH = 3;
const QUANTITY = 2;

function live<T extends OwnTunnel>(list: readonly T[], now: number): T[] {
  return list.filter((t) => t.expiresAt > now);
}

function poolsFull(net: TestNetwork, routers: readonly NetRouter[] = net.routers): boolean {
  const now = net.clock.now();
  return routers.every((r) => live(r.manager.exploratory.inbound, now).length >= QUANTITY && live(r.manager.exploratory.outbound, now).length >= QUANTITY);
}

/** Six routers (unless told otherwise), started, with every exploratory pool full. */
async function filledNetwork(seed: string, routers = 6, setup?: (net: TestNetwork) => void, jitterMs = 0): Promise<TestNetwork> {
  const net = await TestNetwork.create({
    routers,
    seed,
    jitterMs,
    inbound: { length: IN_LENGTH, quantity: QUANTITY, variance: 0 },
    outbound: { length: OUT_LENGTH, quantity: QUANTITY, variance: 0 },
  });
  setup?.(net);
  net.start();
  expect(await net.runUntil(() => poolsFull(net, net.routers.filter((r) => !r.dead)), 120_000)).toBe(true);
  return net;
}

function dataMessage(random: SeededRandom, size: number, now: number): Extract<I2npMessage, { type: typeof I2npType.Data }> {
  return { type: I2npType.Data, msgId: 1 + random.int(0xfffffffe), expiration: now + 60_000, data: random.bytes(size) };
}

function deliveredData(r: NetRouter): Extract<I2npMessage, { type: typeof I2npType.Data }>[] {
  return r.delivered.filter((m): m is Extract<I2npMessage, { type: typeof I2npType.Data }> => m.type === I2npType.Data);
}

const has = (hops: readonly { hash: Uint8Array }[], r: NetRouter) => hops.some((h) => equalBytes(h.hash, r.hash));

describe('TunnelManager in a network of six routers', () => {
  it('fills the exploratory pools (inbound 2 hops, outbound 3) with distinct hops other than the creator', async () => {
    const net = await filledNetwork('pools fill');
    for (const r of net.routers) {
      const pool = r.manager.exploratory;
      expect(pool.inbound).toHaveLength(QUANTITY);
      expect(pool.outbound).toHaveLength(QUANTITY);
      for (const t of [...pool.inbound, ...pool.outbound]) {
        expect(t.hops).toHaveLength(t.direction === 'inbound' ? IN_LENGTH : OUT_LENGTH);
        expect(has(t.hops, r)).toBe(false);
        expect(new Set(t.hops.map((h) => i2pBase64Encode(h.hash))).size).toBe(t.hops.length);
        expect(t.expiresAt - t.createdAt).toBe(TUNNEL_LIFETIME_MS);
      }
      for (const t of pool.inbound) {
        expect(equalBytes(t.gateway, t.hops[0].hash)).toBe(true);
        expect(t.gatewayTunnelId).toBe(t.hops[0].tunnelId);
      }
      for (const t of pool.outbound) {
        expect(equalBytes(t.firstHop!, t.hops[0].hash)).toBe(true);
        expect(t.firstTunnelId).toBe(t.hops[0].tunnelId);
      }
      const b = r.manager.stats.builds;
      expect(b.succeeded).toBe(2 * QUANTITY);
      expect(b.attempted).toBe(b.succeeded);
      expect(r.manager.builder.inFlight).toBe(0);
      expect(r.dispatcher.counters.garlicRefused).toBe(0);
      expect(r.dispatcher.counters.undecodable).toBe(0);
    }
  });

  it('every router carries others\' tunnels: exactly the hops the creators chose, with the roles they asked for', async () => {
    const net = await filledNetwork('participation');
    let hopsChosen = 0;
    for (const creator of net.routers) {
      for (const t of creator.manager.ownTunnels()) {
        t.hops.forEach((h, i) => {
          hopsChosen++;
          const hop = net.router(h.hash)!;
          const transit = [...hop.manager.transit.all()].find((x) => x.receiveTunnelId === h.tunnelId);
          expect(transit).toBeDefined();
          const expected = t.direction === 'inbound' ? (i === 0 ? 'ibgw' : 'participant') : i === t.hops.length - 1 ? 'obep' : 'participant';
          expect(transit!.role).toBe(expected);
          expect(transit!.requester).toBe(i === 0 ? creator.b64 : i2pBase64Encode(t.hops[i - 1].hash));
          if (i < t.hops.length - 1) {
            expect(equalBytes(transit!.nextIdent, t.hops[i + 1].hash)).toBe(true);
            expect(transit!.nextTunnelId).toBe(t.hops[i + 1].tunnelId);
          } else if (t.direction === 'inbound') {
            expect(equalBytes(transit!.nextIdent, creator.hash)).toBe(true);
            expect(transit!.nextTunnelId).toBe(t.id);
          }
        });
      }
    }
    let participating = 0;
    for (const r of net.routers) {
      expect(r.manager.transit.size).toBeGreaterThan(0);
      expect(r.policy.participating).toBe(r.manager.transit.size);
      expect(r.manager.builds.counters.accepted).toBe(r.manager.transit.size);
      participating += r.manager.transit.size;
    }
    expect(participating).toBe(hopsChosen);
  });

  it('tests every tunnel: the count of passed tests grows, none fails, and the hops\' profiles learn it', async () => {
    const net = await filledNetwork('tunnel tests');
    const before = net.routers.map((r) => r.manager.stats.tests.ok);
    await net.run(120_000);
    net.routers.forEach((r, i) => {
      // Every 15 s, one test per outbound tunnel: 8 rounds in two minutes.
      expect(r.manager.stats.tests.ok - before[i]).toBeGreaterThanOrEqual(QUANTITY * 7);
      expect(r.manager.stats.tests.failed).toBe(0);
      for (const t of r.manager.exploratory.outbound) expect(t.testFailures).toBe(0);
      for (const t of r.manager.ownTunnels()) {
        for (const h of t.hops) {
          const p = r.profiles.get(h.hash)!;
          expect(p.buildsAccepted).toBeGreaterThan(0);
          expect(p.tunnelTestsFailed).toBe(0);
        }
      }
      for (const t of r.manager.exploratory.outbound) for (const h of t.hops) expect(r.profiles.get(h.hash)!.tunnelTestsOk).toBeGreaterThan(0);
    });
  });

  it('trial: every build succeeds and its test passes, outbound and inbound alike', async () => {
    const net = await filledNetwork('trial');
    const r = net.routers[0];
    const result = await net.drive(r.manager.trial({ count: 12, hops: 3, concurrency: 3 }));
    expect(result.attempted).toBe(12);
    expect(result.succeeded).toBe(result.attempted);
    expect(result.testsOk).toBe(result.succeeded);
    expect(result.testsFailed).toBe(0);
    expect(result.rejected + result.timedOut + result.other).toBe(0);
    expect(result.failures).toEqual([]);
    expect(result.buildMs).toHaveLength(12);
    for (const ms of result.buildMs) expect(ms).toBeGreaterThan(0);
    // Trial tunnels are dropped afterwards: the pools are what they were.
    expect(r.manager.counts().inbound).toBe(QUANTITY);
    expect(r.manager.counts().outbound).toBe(QUANTITY);
  });

  it('tunnels expire after ten minutes and are replaced ahead of expiry: the pools never run dry', async () => {
    const net = await filledNetwork('expiry');
    const first = new Set(net.routers.flatMap((r) => r.manager.ownTunnels()));
    const total = 35 * 60_000;
    const step = 5_000;
    let maxParticipating = 0;
    const perGeneration = net.routers.length * QUANTITY * (IN_LENGTH + OUT_LENGTH);
    for (let t = 0; t < total; t += step) {
      await net.run(step);
      const now = net.clock.now();
      for (const r of net.routers) {
        const pool = r.manager.exploratory;
        expect(live(pool.inbound, now).length).toBeGreaterThan(0);
        expect(live(pool.outbound, now).length).toBeGreaterThan(0);
        // The pool drops a tunnel when it expires: none outlives its ten minutes.
        for (const x of [...pool.inbound, ...pool.outbound]) expect(x.expiresAt).toBeGreaterThan(now - 1_000);
      }
      maxParticipating = Math.max(maxParticipating, net.routers.reduce((n, r) => n + r.manager.transit.size, 0));
    }
    const now = net.clock.now();
    for (const r of net.routers) {
      const c = r.manager.exploratory.counters;
      // Three generations at least in 35 minutes, each replacing a tunnel before it ran out.
      expect(c.expired).toBeGreaterThanOrEqual(3 * 2 * QUANTITY);
      expect(c.built).toBeGreaterThanOrEqual(4 * 2 * QUANTITY);
      expect(c.failed).toBe(0);
      expect(r.manager.stats.tests.failed).toBe(0);
      for (const t of r.manager.ownTunnels()) {
        expect(first.has(t)).toBe(false);
        expect(t.createdAt).toBeGreaterThan(now - TUNNEL_LIFETIME_MS);
      }
      // Transit tunnels expire too (after a minute's grace): ids and the policy's count follow.
      expect(r.manager.transit.counters.expired).toBeGreaterThan(0);
      expect(r.policy.participating).toBe(r.manager.transit.size);
      for (const x of r.manager.transit.all()) expect(x.expiresAt + 60_000).toBeGreaterThanOrEqual(now);
      // Our receive ids: transit tunnels, our inbound tunnels (pool and zero-hop), builds in flight.
      expect(r.manager.ids.size).toBeLessThanOrEqual(r.manager.transit.size + r.manager.exploratory.inbound.length + 1 + 8 * (OUT_LENGTH + 1));
    }
    // Replacements overlap the tunnels they replace (built ahead, swept a minute after expiry):
    // never more than two generations are carried at once, so nothing accumulates.
    expect(maxParticipating).toBeGreaterThan(perGeneration);
    expect(maxParticipating).toBeLessThanOrEqual(2 * perGeneration);
    expect(REBUILD_AHEAD_MS).toBeLessThan(TUNNEL_LIFETIME_MS);
  });

  it('a router that refuses transit answers 30 on the wire; the creators see "rejected" and profile it', async () => {
    const net = await filledNetwork('refusal', 6, (n) => {
      n.routers[5].transit = false;
      // Refusal by policy: the policy's own code (50, disabled) is never what goes on the wire.
      n.routers[4].policy.setEnabled(false);
    });
    const [a, b, , , off, refuser] = net.routers;
    // The pools filled around them: no tunnel of anyone goes through a refusing router.
    for (const r of net.routers) for (const t of r.manager.ownTunnels()) expect(has(t.hops, refuser) || has(t.hops, off)).toBe(false);
    expect(refuser.manager.transit.size).toBe(0);
    expect(off.manager.transit.size).toBe(0);

    const rejectedBefore = a.manager.stats.builds.rejected;
    const result = await net.drive(a.manager.trial({ count: 6, hops: 2, peers: [refuser.hash, b.hash], concurrency: 2 }));
    expect(result.attempted).toBe(6);
    expect(result.rejected).toBe(6);
    expect(result.succeeded).toBe(0);
    expect(a.manager.stats.builds.rejected - rejectedBefore).toBe(6);
    // Each failure names its hops in build order and the code each one answered.
    expect(result.failures).toHaveLength(6);
    for (const f of result.failures) {
      expect(f.reason).toBe('rejected');
      const at = f.hops.indexOf(i2pBase64Encode(refuser.hash).slice(0, 8));
      expect(at).toBeGreaterThanOrEqual(0);
      expect(f.codes![at]).toBe(BuildReplyCode.Bandwidth);
    }
    const p = a.profiles.get(refuser.hash)!;
    expect(p.buildsRejected).toBeGreaterThanOrEqual(6);
    // The code the creator decrypted from the reply record: the wire code.
    expect(p.lastRejectCode).toBe(BuildReplyCode.Bandwidth);
    expect(refuser.manager.builds.counters.refusedByCode[BuildReplyCode.Bandwidth]).toBeGreaterThanOrEqual(6);
    // The other hop accepted, and said so.
    expect(a.profiles.get(b.hash)!.buildsAccepted).toBeGreaterThan(0);

    const viaPolicy = await net.drive(a.manager.trial({ count: 2, hops: 1, peers: [off.hash] }));
    expect(viaPolicy.rejected).toBe(2);
    expect(a.profiles.get(off.hash)!.lastRejectCode).toBe(BuildReplyCode.Bandwidth);
    expect(off.manager.builds.counters.refusedByCode[BuildReplyCode.Critical]).toBeUndefined();
    expect(off.manager.builds.counters.refused).toBeGreaterThanOrEqual(2);
    // Neither reserved anything for the tunnels it refused.
    expect(refuser.manager.ids.size).toBeLessThanOrEqual(1 + refuser.manager.exploratory.inbound.length);
  });

  it('a dead router makes builds through it time out; the creator profiles the timeouts and its pools recover', async () => {
    const net = await filledNetwork('dead router');
    const [a, b] = net.routers;
    const dead = net.routers[3];
    dead.dead = true;
    const t0 = net.clock.now();
    const result = await net.drive(a.manager.trial({ count: 4, hops: 2, peers: [dead.hash, b.hash], concurrency: 2 }));
    expect(result.timedOut).toBe(4);
    expect(result.succeeded).toBe(0);
    expect(result.failures.map((f) => f.reason)).toEqual(['timeout', 'timeout', 'timeout', 'timeout']);
    // Each names the tunnel of ours it used: the reply's way in, or the request's way out.
    for (const f of result.failures) expect(f.via?.direction).toBe(f.direction === 'outbound' ? 'inbound' : 'outbound');
    expect(net.clock.now() - t0).toBeGreaterThanOrEqual(2 * BUILD_TIMEOUT_MS);
    const p = a.profiles.get(dead.hash)!;
    expect(p.buildsTimedOut).toBeGreaterThanOrEqual(4);
    expect(p.failureStreak).toBeGreaterThan(0);

    // Tunnels through the dead router fail their tests and are replaced by ones around it.
    const live_ = net.routers.filter((r) => r !== dead);
    await net.run(4 * 60_000);
    const now = net.clock.now();
    for (const r of live_) {
      expect(live(r.manager.exploratory.inbound, now).length).toBeGreaterThan(0);
      expect(live(r.manager.exploratory.outbound, now).length).toBeGreaterThan(0);
      for (const t of r.manager.exploratory.outbound) expect(has(t.hops, dead)).toBe(false);
      // Inbound ones too: a tunnel whose test failed is no one's partner, so each round retests
      // it on its own, and a second failure takes it out.
      for (const t of r.manager.exploratory.inbound) expect(has(t.hops, dead)).toBe(false);
    }
    const failed = live_.reduce((n, r) => n + r.manager.stats.tests.failed, 0);
    const timedOut = live_.reduce((n, r) => n + r.manager.stats.builds.timedOut, 0);
    expect(failed + timedOut).toBeGreaterThan(0);
    expect(live_.some((r) => (r.profiles.get(dead.hash)?.failureStreak ?? 0) > 0)).toBe(true);
  });

  it('an inbound build whose creator record was altered on the way back is refused as bad-reply', async () => {
    const net = await filledNetwork('bad reply');
    const a = net.routers[0];
    const prefix = a.hash.subarray(0, TRUNCATED_HASH_LENGTH);
    let altered = 0;
    net.intercept = (_from, to, bytes) => {
      if (!equalBytes(to, a.hash)) return undefined;
      const msg = TestNetwork.decode(bytes);
      if (msg.type !== I2npType.ShortTunnelBuild) return undefined;
      // Only the answer to one of our own inbound builds (its msgId is the one we wait for).
      if (!a.manager.builder.describePending().some((p) => p.msgId === msg.msgId && p.direction === 'inbound')) return undefined;
      const slot = msg.records.findIndex((rec) => equalBytes(rec.subarray(0, TRUNCATED_HASH_LENGTH), prefix));
      expect(slot).toBeGreaterThanOrEqual(0);
      const records = msg.records.map((rec) => rec.slice());
      records[slot][100] ^= 0x01;
      altered++;
      return encodeMessage({ ...msg, records }, 'short');
    };
    const badBefore = a.manager.stats.builds.badReply;
    // concurrency 1: outbound (untouched), inbound (altered), outbound, inbound.
    const result = await net.drive(a.manager.trial({ count: 4, hops: 2, concurrency: 1 }));
    expect(altered).toBe(2);
    expect(result.succeeded).toBe(2);
    expect(result.other).toBe(2);
    expect(a.manager.stats.builds.badReply - badBefore).toBe(2);
    expect(a.manager.builder.inFlight).toBe(0);
  });

  it('sendThrough: messages out through an outbound tunnel into another router\'s inbound tunnel arrive intact, 30 KiB included', async () => {
    const net = await filledNetwork('send through');
    const [a, b] = net.routers;
    const random = new SeededRandom('payloads');
    const out = a.manager.exploratory.outbound[0];
    const into = b.manager.exploratory.inbound[0];
    expect(out.hops).toHaveLength(OUT_LENGTH);
    expect(into.hops).toHaveLength(IN_LENGTH);
    const delivery = { type: 'tunnel' as const, tunnelId: into.gatewayTunnelId, gateway: into.gateway };
    const now = net.clock.now();
    const messages = [dataMessage(random, 10, now), dataMessage(random, 900, now), dataMessage(random, 5_000, now), dataMessage(random, 30 * 1024, now)];
    const before = deliveredData(b).length;
    // Two alone, two together in one sendThrough (they share tunnel messages).
    expect(a.manager.sendThrough(out, [{ delivery, message: messages[0] }])).toBe(true);
    expect(a.manager.sendThrough(out, [{ delivery, message: messages[3] }])).toBe(true);
    expect(a.manager.sendThrough(out, [messages[1], messages[2]].map((message) => ({ delivery, message })))).toBe(true);
    await net.run(2_000);
    const got = deliveredData(b).slice(before);
    expect(got).toHaveLength(4);
    for (const m of messages) {
      const arrived = got.find((g) => g.msgId === m.msgId);
      expect(arrived).toBeDefined();
      expect(arrived!.data).toEqual(m.data);
      expect(arrived!.expiration).toBe(Math.floor(m.expiration));
    }
    expect(out.messages).toBeGreaterThanOrEqual(4);
    // 30 KiB took about 31 tunnel messages through each of the hops.
    expect(out.bytes).toBeGreaterThanOrEqual(31 * 1028);
    expect(into.messages).toBeGreaterThanOrEqual(31);
    // Nothing reached the wrong router, and no endpoint saw a corrupt block.
    for (const r of net.routers) if (r !== b) expect(deliveredData(r)).toHaveLength(0);
    for (const r of net.routers) {
      for (const t of r.manager.transit.all()) if (t.reassembler) expect(t.reassembler.counters.checksumFailed).toBe(0);
    }
  });

  it('sendThrough with ROUTER and LOCAL delivery: the endpoint sends on to the router, or keeps it', async () => {
    const net = await filledNetwork('router delivery');
    const a = net.routers[0];
    const random = new SeededRandom('router delivery');
    const out = a.manager.exploratory.outbound[0];
    const obep = net.router(out.hops[out.hops.length - 1].hash)!;
    const target = net.routers.find((r) => r !== a && r !== obep)!;
    const unhandledBefore = target.dispatcher.counters.unhandled['type 20'] ?? 0;
    const obepUnhandledBefore = obep.dispatcher.counters.unhandled['type 20'] ?? 0;
    const now = net.clock.now();
    a.manager.sendThrough(out, [
      { delivery: { type: 'router', hash: target.hash }, message: dataMessage(random, 2_000, now) },
      { delivery: { type: 'local' }, message: dataMessage(random, 100, now) },
    ]);
    await net.run(2_000);
    // The dispatcher has nothing to do with a Data message: it counts it, which shows it came.
    expect((target.dispatcher.counters.unhandled['type 20'] ?? 0) - unhandledBefore).toBe(1);
    expect((obep.dispatcher.counters.unhandled['type 20'] ?? 0) - obepUnhandledBefore).toBe(1);
    expect(deliveredData(obep)).toHaveLength(1);
  });

  it('a VariableTunnelBuild of long records makes transit tunnels at its hops and a reply the creator opens', async () => {
    const net = await filledNetwork('variable build');
    const [creator, h1, h2, dest] = net.routers;
    const random = new SeededRandom('long records');
    const now = net.clock.now();
    const ids = [1 + random.int(0xfffffffe), 1 + random.int(0xfffffffe)];
    const replyMsgId = 1 + random.int(0xfffffffe);
    const reply = creator.manager.zeroHopInbound;
    const base = { layerEncryption: 0, requestTimeMinutes: Math.floor(now / 60_000), expirationSeconds: 600, options: {} };
    const keys = () => ({ layerKey: random.bytes(32), ivKey: random.bytes(32), replyKey: random.bytes(32), replyIv: random.bytes(16) });
    // An outbound tunnel: creator -> h1 (participant) -> h2 (endpoint), answered into the creator's zero-hop inbound.
    const requests: LongBuildRequest[] = [
      { ...base, ...keys(), role: 'participant', receiveTunnelId: ids[0], nextTunnelId: ids[1], nextIdent: h2.hash, nextMessageId: 1 + random.int(0xfffffffe) },
      { ...base, ...keys(), role: 'obep', receiveTunnelId: ids[1], nextTunnelId: reply.gatewayTunnelId, nextIdent: creator.hash, nextMessageId: replyMsgId },
    ];
    const hops = [h1, h2].map((h, i) => ({ hash: h.hash, publicKey: h.ri.identity.publicKey, request: requests[i] }));
    const slots = [2, 0];
    const built = createLongBuildRecords(hops, slots, 4, random);
    const deliveredBefore = creator.delivered.length;
    net.send(creator, h1.hash, encodeMessage({ type: I2npType.VariableTunnelBuild, msgId: 1 + random.int(0xfffffffe), expiration: now + 60_000, records: built.records }, 'short'));
    await net.run(1_000);

    const answer = creator.delivered.slice(deliveredBefore).find((m) => m.type === I2npType.VariableTunnelBuildReply);
    expect(answer).toBeDefined();
    if (answer?.type !== I2npType.VariableTunnelBuildReply) throw new Error('unreachable');
    expect(answer.msgId).toBe(replyMsgId);
    const replies = decryptLongReplies(answer.records, slots, built.hopKeys, requests);
    expect(replies.map((r) => r.reply)).toEqual([BuildReplyCode.Accept, BuildReplyCode.Accept]);
    const t1 = [...h1.manager.transit.all()].find((t) => t.receiveTunnelId === ids[0])!;
    const t2 = [...h2.manager.transit.all()].find((t) => t.receiveTunnelId === ids[1])!;
    expect(t1.role).toBe('participant');
    expect(t1.nextTunnelId).toBe(ids[1]);
    expect(equalBytes(t1.nextIdent, h2.hash)).toBe(true);
    expect(t2.role).toBe('obep');
    // Ten minutes from when the request reached the hop (two network hops after `now`).
    expect(t2.expiresAt - now - 600_000).toBeGreaterThanOrEqual(0);
    expect(t2.expiresAt - now - 600_000).toBeLessThan(1_000);

    // The tunnel works: the creator sends through it with the layer keys of the long records.
    const tunnel: OutboundTunnel = {
      direction: 'outbound',
      id: ids[0],
      hops: requests.map((r, i) => ({ hash: [h1, h2][i].hash, tunnelId: r.receiveTunnelId, layer: new HopLayer({ layerKey: r.layerKey, ivKey: r.ivKey }) })),
      firstHop: h1.hash,
      firstTunnelId: ids[0],
      createdAt: now,
      expiresAt: now + TUNNEL_LIFETIME_MS,
      pool: 'test',
      testFailures: 0,
      messages: 0,
      bytes: 0,
    };
    const into: InboundTunnel = dest.manager.exploratory.inbound[0];
    const message = dataMessage(random, 3_000, net.clock.now());
    creator.manager.sendThrough(tunnel, [{ delivery: { type: 'tunnel', tunnelId: into.gatewayTunnelId, gateway: into.gateway }, message }]);
    await net.run(1_000);
    expect(deliveredData(dest).map((m) => m.msgId)).toContain(message.msgId);
    expect(deliveredData(dest).find((m) => m.msgId === message.msgId)!.data).toEqual(message.data);
  });

  it('a VariableTunnelBuild refused by its hop still carries the reply on, and creates nothing', async () => {
    const net = await filledNetwork('variable refused');
    const [creator, hop] = net.routers;
    hop.transit = false;
    const random = new SeededRandom('long refused');
    const now = net.clock.now();
    // The next hop is a router outside this network: what the hop sends on is seen, not delivered.
    const outside = makeIdentity(new SeededRandom('outside'), T0);
    const request: LongBuildRequest = {
      layerEncryption: 0,
      requestTimeMinutes: Math.floor(now / 60_000),
      expirationSeconds: 600,
      options: {},
      role: 'participant',
      receiveTunnelId: 1234,
      nextTunnelId: 5678,
      nextIdent: outside.hash,
      nextMessageId: 4242,
      layerKey: random.bytes(32),
      ivKey: random.bytes(32),
      replyKey: random.bytes(32),
      replyIv: random.bytes(16),
    };
    const built = createLongBuildRecords([{ hash: hop.hash, publicKey: hop.ri.identity.publicKey, request }], [1], 3, random);
    let forwarded: I2npMessage | undefined;
    net.observe = (from, to, bytes) => {
      if (from === hop && equalBytes(to, outside.hash)) forwarded = TestNetwork.decode(bytes);
    };
    net.send(creator, hop.hash, encodeMessage({ type: I2npType.VariableTunnelBuild, msgId: 7, expiration: now + 60_000, records: built.records }, 'short'));
    await net.run(500);
    expect(forwarded?.type).toBe(I2npType.VariableTunnelBuild);
    if (forwarded?.type !== I2npType.VariableTunnelBuild) throw new Error('unreachable');
    expect(forwarded.msgId).toBe(4242);
    expect(decryptLongReplies(forwarded.records, [1], built.hopKeys, [request])[0].reply).toBe(BuildReplyCode.Bandwidth);
    expect(hop.manager.transit.has(1234)).toBe(false);
    // The records the hop did not own were layered with the request's reply key, as the spec says.
    expect(forwarded.records[0]).not.toEqual(built.records[0]);
  });
  it('with messages overtaking each other on the wire, pools fill, tests pass and a 30 KiB message is reassembled', async () => {
    const net = await filledNetwork('jitter', 6, undefined, 300);
    await net.run(60_000);
    for (const r of net.routers) {
      expect(r.manager.stats.tests.ok).toBeGreaterThan(0);
      expect(r.manager.stats.tests.failed).toBe(0);
    }
    const [a, b] = net.routers;
    const random = new SeededRandom('jitter payload');
    const into = b.manager.exploratory.inbound[1];
    const messages = [dataMessage(random, 30 * 1024, net.clock.now()), dataMessage(random, 12_000, net.clock.now())];
    const before = deliveredData(b).length;
    for (const message of messages) {
      a.manager.sendThrough(a.manager.exploratory.outbound[1], [{ delivery: { type: 'tunnel', tunnelId: into.gatewayTunnelId, gateway: into.gateway }, message }]);
    }
    await net.run(3_000);
    const got = deliveredData(b).slice(before);
    expect(got.map((m) => m.msgId).sort()).toEqual(messages.map((m) => m.msgId).sort());
    for (const m of messages) expect(got.find((g) => g.msgId === m.msgId)!.data).toEqual(m.data);
  });

  it('an outbound endpoint that is also the gateway of the inbound tunnel it delivers to hands the message over itself', async () => {
    const net = await filledNetwork('obep is ibgw');
    const random = new SeededRandom('obep is ibgw');
    let pair: { from: NetRouter; out: OutboundTunnel; to: NetRouter; into: InboundTunnel } | undefined;
    for (const from of net.routers) {
      for (const out of from.manager.exploratory.outbound) {
        const obep = out.hops[out.hops.length - 1].hash;
        for (const to of net.routers) {
          if (to === from) continue;
          const into = to.manager.exploratory.inbound.find((t) => equalBytes(t.gateway, obep));
          if (into && !pair) pair = { from, out, to, into };
        }
      }
    }
    expect(pair).toBeDefined();
    const { from, out, to, into } = pair!;
    const obep = net.router(into.gateway)!;
    let toItself = 0;
    net.observe = (sender, dest) => {
      if (sender === obep && equalBytes(dest, obep.hash)) toItself++;
    };
    const message = dataMessage(random, 2_500, net.clock.now());
    from.manager.sendThrough(out, [{ delivery: { type: 'tunnel', tunnelId: into.gatewayTunnelId, gateway: into.gateway }, message }]);
    await net.run(1_000);
    expect(deliveredData(to).find((m) => m.msgId === message.msgId)?.data).toEqual(message.data);
    // Nothing went over the wire from the endpoint to itself: the handover was local.
    expect(toItself).toBe(0);
  });

  it('zero-hop tunnels: sending directly into another router\'s tunnel, and a zero-hop inbound pool reached through its owner', async () => {
    const net = await filledNetwork('zero hop');
    const [a, b] = net.routers;
    const random = new SeededRandom('zero hop');
    const into = b.manager.exploratory.inbound[0];
    const m1 = dataMessage(random, 1_500, net.clock.now());
    expect(a.manager.sendThrough(a.manager.zeroHopOutbound, [{ delivery: { type: 'tunnel', tunnelId: into.gatewayTunnelId, gateway: into.gateway }, message: m1 }])).toBe(true);
    const pool = b.manager.createPool({ name: 'zero', inbound: { length: 0, quantity: 2, variance: 0 }, outbound: { length: 0, quantity: 1, variance: 0 } });
    await net.run(2_000);
    expect(deliveredData(b).find((m) => m.msgId === m1.msgId)?.data).toEqual(m1.data);
    expect(pool.inbound).toHaveLength(2);
    expect(pool.outbound).toHaveLength(1);
    for (const t of pool.inbound) {
      expect(t.hops).toHaveLength(0);
      expect(equalBytes(t.gateway, b.hash)).toBe(true);
    }
    // Into B's zero-hop inbound tunnel: the gateway is B itself, which takes the message as delivered.
    const m2 = dataMessage(random, 700, net.clock.now());
    const zero = pool.inbound[0];
    a.manager.sendThrough(a.manager.exploratory.outbound[0], [{ delivery: { type: 'tunnel', tunnelId: zero.gatewayTunnelId, gateway: zero.gateway }, message: m2 }]);
    await net.run(1_000);
    expect(deliveredData(b).find((m) => m.msgId === m2.msgId)?.data).toEqual(m2.data);
    expect(zero.messages).toBe(1);
  });

  it('a client pool builds its own tunnels with variance, is tested, and gives everything back when closed', async () => {
    const net = await filledNetwork('client pool');
    const a = net.routers[0];
    const idsBefore = a.manager.ids.size;
    const pool = a.manager.createPool({ name: 'client', inbound: { length: 1, quantity: 3, variance: 0 }, outbound: { length: 2, quantity: 4, variance: 1 } });
    expect(() => a.manager.createPool({ name: 'client', inbound: { length: 1, quantity: 1, variance: 0 }, outbound: { length: 1, quantity: 1, variance: 0 } })).toThrow();
    expect(await net.runUntil(() => pool.inbound.length === 3 && pool.outbound.length === 4, 60_000)).toBe(true);
    for (const t of pool.inbound) expect(t.hops).toHaveLength(1);
    for (const t of pool.outbound) {
      expect(t.hops.length).toBeGreaterThanOrEqual(1);
      expect(t.hops.length).toBeLessThanOrEqual(3);
      expect(t.pool).toBe('client');
    }
    expect(a.manager.counts()).toMatchObject({ inbound: QUANTITY + 3, outbound: QUANTITY + 4 });
    const testsBefore = a.manager.stats.tests.ok;
    await net.run(31_000);
    // Every outbound tunnel of both pools is tested, paired with an inbound one of its own pool.
    expect(a.manager.stats.tests.ok - testsBefore).toBeGreaterThanOrEqual(2 * (QUANTITY + 4));
    expect(a.manager.stats.tests.failed).toBe(0);
    // The client's inbound tunnels deliver too.
    const random = new SeededRandom('client');
    const b = net.routers[1];
    const message = dataMessage(random, 3_000, net.clock.now());
    const delivery: TunnelDelivery = { type: 'tunnel', tunnelId: pool.inbound[2].gatewayTunnelId, gateway: pool.inbound[2].gateway };
    b.manager.sendThrough(b.manager.exploratory.outbound[0], [{ delivery, message }]);
    await net.run(1_000);
    expect(deliveredData(a).find((m) => m.msgId === message.msgId)?.data).toEqual(message.data);
    a.manager.closePool('client');
    expect(a.manager.counts()).toMatchObject({ inbound: QUANTITY, outbound: QUANTITY });
    expect(a.manager.ids.size).toBeLessThanOrEqual(idsBefore + a.manager.builder.inFlight * 4);
    // The closed pool's inbound ids are released: traffic for them is now for no tunnel we know.
    const unknownBefore = a.manager.stats.unknownTunnel;
    const late = dataMessage(random, 100, net.clock.now());
    b.manager.sendThrough(b.manager.exploratory.outbound[0], [{ delivery, message: late }]);
    await net.run(1_000);
    expect(deliveredData(a).some((m) => m.msgId === late.msgId)).toBe(false);
    expect(a.manager.stats.unknownTunnel - unknownBefore).toBe(1);
  });
  it('an outbound build whose endpoint is the reply tunnel\'s gateway, and an inbound build whose gateway is the endpoint it leaves by', async () => {
    const net = await filledNetwork('shared hops');
    const a = net.routers[0];
    const random = new SeededRandom('shared hops');
    const hop = (r: NetRouter) => ({ hash: r.hash, publicKey: r.ri.identity.publicKey });
    const replyVia = a.manager.exploratory.inbound[0];
    const gateway = net.router(replyVia.gateway)!;
    const other = net.routers.find((r) => r !== a && r !== gateway)!;
    // The endpoint answers into a tunnel it is the gateway of: no garlic, straight into the tunnel.
    const out = await net.drive(a.manager.builder.build({ direction: 'outbound', hops: [hop(other), hop(gateway)], pool: 'test', replyVia }));
    expect(out.ok).toBe(true);
    if (!out.ok || out.tunnel.direction !== 'outbound') throw new Error('unreachable');
    const b = net.routers.find((r) => r !== a && r !== gateway && r !== other)!;
    const into = b.manager.exploratory.inbound[0];
    const message = dataMessage(random, 2_000, net.clock.now());
    a.manager.sendThrough(out.tunnel, [{ delivery: { type: 'tunnel', tunnelId: into.gatewayTunnelId, gateway: into.gateway }, message }]);
    await net.run(1_000);
    expect(deliveredData(b).find((m) => m.msgId === message.msgId)?.data).toEqual(message.data);

    // The request for the new gateway leaves through an outbound tunnel that ends at that gateway.
    const sendVia = a.manager.exploratory.outbound[0];
    const obep = net.router(sendVia.hops[sendVia.hops.length - 1].hash)!;
    const second = net.routers.find((r) => r !== a && r !== obep)!;
    const inbound = await net.drive(a.manager.builder.build({ direction: 'inbound', hops: [hop(obep), hop(second)], pool: 'test', sendVia }));
    expect(inbound.ok).toBe(true);
    expect(inbound.ok && inbound.tunnel.direction === 'inbound' && equalBytes(inbound.tunnel.gateway, obep.hash)).toBe(true);
  });

  it('a hop nobody can reach: outbound builds are not sent, inbound ones (through a tunnel) time out', async () => {
    const net = await filledNetwork('unreachable');
    const a = net.routers[0];
    const outside = makeIdentity(new SeededRandom('outside'), T0);
    net.addRouterInfo(outside.hash, outside.ri);
    const notSentBefore = a.manager.stats.builds.notSent;
    const result = await net.drive(a.manager.trial({ count: 2, hops: 1, peers: [outside.hash], concurrency: 1 }));
    // Trial alternates: outbound first (sent directly: refused by the transport), then inbound.
    expect(result.other).toBe(1);
    expect(result.timedOut).toBe(1);
    expect(a.manager.stats.builds.notSent - notSentBefore).toBe(1);
    expect(a.profiles.get(outside.hash)!.buildsTimedOut).toBe(1);
  });

  it('stop gives back everything: transit tunnels, ids, the policy\'s count, timers', async () => {
    const net = await filledNetwork('stop');
    await net.run(20_000);
    net.stop();
    for (const r of net.routers) {
      expect(r.manager.transit.size).toBe(0);
      expect(r.policy.participating).toBe(0);
      expect(r.manager.counts()).toEqual({ inbound: 0, outbound: 0, participating: 0 });
      expect(r.manager.builder.inFlight).toBe(0);
      // Only the zero-hop inbound tunnel's id stays: it lives as long as the manager.
      expect(r.manager.ids.size).toBe(1);
    }
    // What is left on the clock is only the messages still on the wire.
    expect(net.clock.pending).toBe(net.inFlight);
    await net.run(1_000);
    expect(net.clock.pending).toBe(0);
  });
});
