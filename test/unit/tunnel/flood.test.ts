import { describe, expect, it } from 'vitest';
import { equalBytes } from '../../../src/router/data/index.js';
import { cloves, decryptWithTag } from '../../../src/router/garlic/index.js';
import { decodeFrameMessage, decodeMessage, encodeMessage, I2npType, type I2npMessage } from '../../../src/router/i2np/index.js';
import { SeededRandom } from '../../../src/router/runtime/index.js';
import type { BuildHandler } from '../../../src/router/tunnel/build-handler.js';
import { createShortBuildRecords, decryptShortReplies, SHORT_RECORD_LENGTH, TRUNCATED_HASH_LENGTH } from '../../../src/router/tunnel/build-crypto.js';
import type { TransitDecision, TransitPolicy } from '../../../src/router/tunnel/transit-policy.js';
import { BuildReplyCode, type BuildRequest, type HopKeys, type HopRole } from '../../../src/router/tunnel/types.js';
import { makeIdentity, T0, TestNetwork, type NetRouter } from './network.js';

const MAX_PARTICIPATING = 300;

/** The handler's replay map (private): its size is what the flood must not inflate. */
function replayEntries(h: BuildHandler): number {
  return (h as unknown as { seen: Map<string, number> }).seen.size;
}

function requesterBuckets(p: TransitPolicy): number {
  return (p as unknown as { requesters: Map<string, unknown> }).requesters.size;
}

interface ValidBuild {
  bytes: Uint8Array;
  record: Uint8Array;
  slot: number;
  keys: HopKeys;
  request: BuildRequest;
}

/** A one-hop ShortTunnelBuild for `target`, as a creator would send it (4 records, ours at a random slot). */
function validBuild(target: NetRouter, random: SeededRandom, now: number, o: { role: HopRole; nextIdent: Uint8Array; requestTimeMinutes?: number }): ValidBuild {
  const request: BuildRequest = {
    receiveTunnelId: 1 + random.int(0xfffffffe),
    nextTunnelId: 1 + random.int(0xfffffffe),
    nextIdent: o.nextIdent,
    role: o.role,
    layerEncryption: 0,
    requestTimeMinutes: o.requestTimeMinutes ?? Math.floor(now / 60_000),
    expirationSeconds: 600,
    nextMessageId: 1 + random.int(0xfffffffe),
    options: {},
  };
  const slot = random.int(4);
  const { records, hopKeys } = createShortBuildRecords([{ hash: target.hash, publicKey: target.ri.identity.publicKey, request }], [slot], 4, random);
  return { bytes: shortBuild(records, random, now), record: records[slot], slot, keys: hopKeys[0], request };
}

function shortBuild(records: Uint8Array[], random: SeededRandom, now: number): Uint8Array {
  return encodeMessage({ type: I2npType.ShortTunnelBuild, msgId: 1 + random.int(0xfffffffe), expiration: now + 60_000, records }, 'short');
}

/**
 * The reply code in what the target sent on: a ShortTunnelBuild to the next hop, or (as an
 * outbound endpoint) an OutboundTunnelBuildReply in tag garlic inside a TunnelGateway.
 */
function wireReplyCode(msg: I2npMessage, b: ValidBuild): number {
  let records: Uint8Array[];
  if (msg.type === I2npType.ShortTunnelBuild) {
    expect(msg.msgId).toBe(b.request.nextMessageId);
    records = msg.records;
  } else if (msg.type === I2npType.TunnelGateway) {
    expect(msg.tunnelId).toBe(b.request.nextTunnelId);
    const garlic = decodeMessage(msg.message, 'standard');
    if (garlic.type !== I2npType.Garlic) throw new Error(`expected Garlic, got ${garlic.type}`);
    const [clove] = cloves(decryptWithTag(b.keys.garlicReplyKey!, b.keys.garlicReplyTag!, garlic.data));
    const reply = decodeFrameMessage(clove.message);
    if (reply.type !== I2npType.OutboundTunnelBuildReply) throw new Error(`expected OutboundTunnelBuildReply, got ${reply.type}`);
    expect(reply.msgId).toBe(b.request.nextMessageId);
    records = reply.records;
  } else throw new Error(`unexpected message ${msg.type}`);
  return decryptShortReplies(records, [b.slot], [b.keys])[0].reply;
}

function requesterHash(i: number): Uint8Array {
  const h = new Uint8Array(32).fill(0xee);
  new DataView(h.buffer).setUint32(0, i);
  return h;
}

describe('transit build flood', () => {
  it('a flood of transit build requests (valid and garbage) leaves memory bounded and good tunnels working', { timeout: 120_000 }, async () => {
    const net = await TestNetwork.create({
      routers: 5,
      seed: 'flood',
      inbound: { length: 2, quantity: 2, variance: 0 },
      outbound: { length: 2, quantity: 2, variance: 0 },
      policy: { maxParticipating: MAX_PARTICIPATING },
    });
    const [a, target, b, c] = net.routers;
    // A's tunnels all go through the target, so they are in the way of the flood.
    a.peers = [target.hash, b.hash];
    net.start();
    expect(
      await net.runUntil(() => net.routers.every((r) => r.manager.exploratory.inbound.length === 2 && r.manager.exploratory.outbound.length === 2), 120_000),
    ).toBe(true);
    const preOut = a.manager.exploratory.outbound[0];
    const preIn = a.manager.exploratory.inbound[0];
    expect(preOut.hops.some((h) => equalBytes(h.hash, target.hash))).toBe(true);
    expect(preIn.hops.some((h) => equalBytes(h.hash, target.hash))).toBe(true);
    const participatingBefore = target.manager.transit.size;
    expect(participatingBefore).toBeGreaterThan(0);

    const random = new SeededRandom('flood messages');
    // Where the flood's tunnels lead: a router outside this network (what goes there is seen, not delivered).
    const sink = makeIdentity(new SeededRandom('sink'), T0);
    const heavy = requesterHash(0xffffffff);

    // The target's decisions, paired with the reply code each produced on the wire.
    const reasons: Record<string, number> = {};
    let lastDecision: TransitDecision | undefined;
    const decide = target.policy.decide.bind(target.policy);
    target.policy.decide = (req) => {
      const d = decide(req);
      reasons[d.accept ? 'accept' : d.reason] = (reasons[d.accept ? 'accept' : d.reason] ?? 0) + 1;
      lastDecision = d;
      return d;
    };
    let current: ValidBuild | undefined;
    const wire: { accept: boolean; code: number }[] = [];
    net.observe = (from, to, bytes) => {
      if (from !== target || !equalBytes(to, sink.hash)) return;
      expect(current).toBeDefined();
      expect(lastDecision).toBeDefined();
      wire.push({ accept: lastDecision!.accept, code: wireReplyCode(TestNetwork.decode(bytes), current!) });
      lastDecision = undefined;
    };

    // Records for someone else (they pass through the target on no route of theirs): made once, sent often.
    const forOthers = Array.from({ length: 10 }, () => validBuild(b, random, net.clock.now(), { role: 'participant', nextIdent: sink.hash }).bytes);
    const undecodable = [
      random.bytes(5),
      encodeMessage({ type: I2npType.ShortTunnelBuild, msgId: 9, expiration: net.clock.now() + 60_000, records: [random.bytes(SHORT_RECORD_LENGTH)] }, 'short').subarray(0, 100),
      (() => {
        // A ShortTunnelBuild claiming 9 records.
        const m = encodeMessage({ type: I2npType.ShortTunnelBuild, msgId: 9, expiration: net.clock.now() + 60_000, records: [random.bytes(SHORT_RECORD_LENGTH)] }, 'short').slice();
        m[9] = 9;
        return m;
      })(),
    ];
    const sent = { valid: 0, stale: 0, selfNext: 0, forged: 0, prefixGarbage: 0, replays: 0, randomGarbage: 0, forOthers: 0, undecodable: 0, heavy: 0 };
    const validSent: ValidBuild[] = [];
    const TOTAL = 20_000;
    const PER_SECOND = 2_000;
    const roles: HopRole[] = ['participant', 'ibgw', 'obep'];
    let requester = 0;
    const inject = (from: Uint8Array, bytes: Uint8Array) => target.dispatcher.onMessage(from, bytes);
    const heapBefore = process.memoryUsage().heapUsed;
    const h = target.manager.builds.counters;
    const at = { ...h };

    for (let i = 0; i < TOTAL; i++) {
      const now = net.clock.now();
      const kind = i % 20;
      if (kind < 3) {
        // Valid, each from its own requester; every third preceded by a forgery reusing its ephemeral key.
        const v = validBuild(target, random, now, { role: roles[i % 3], nextIdent: sink.hash });
        if (i % 3 === 0) {
          const forged = v.bytes.slice();
          // The record's ciphertext starts 48 bytes into the record; records start after the header (9) and count (1).
          forged[9 + 1 + v.slot * SHORT_RECORD_LENGTH + 48 + 10] ^= 0x40;
          current = undefined;
          inject(requesterHash(requester), forged);
          sent.forged++;
        }
        current = v;
        inject(requesterHash(requester++), v.bytes);
        sent.valid++;
        validSent.push(v);
      } else if (kind === 3) {
        // Valid too, all from one requester: its own budget runs out, nobody else's.
        const v = validBuild(target, random, now, { role: 'participant', nextIdent: sink.hash });
        current = v;
        inject(heavy, v.bytes);
        sent.valid++;
        sent.heavy++;
        validSent.push(v);
      } else if (kind === 4) {
        // Authentic but refused without an answer: a stale request time, or the next hop is the target itself.
        const stale = i % 40 === 4;
        const v = stale
          ? validBuild(target, random, now, { role: 'participant', nextIdent: sink.hash, requestTimeMinutes: Math.floor(now / 60_000) - 30 })
          : validBuild(target, random, now, { role: 'participant', nextIdent: target.hash });
        current = v;
        inject(requesterHash(requester++), v.bytes);
        if (stale) sent.stale++;
        else sent.selfNext++;
      } else if (kind < 8) {
        // Records with the target's hash prefix and nothing else right (half with the key's top bit set).
        const records = Array.from({ length: 1 + (i % 8) }, () => random.bytes(SHORT_RECORD_LENGTH));
        records[0].set(target.hash.subarray(0, TRUNCATED_HASH_LENGTH), 0);
        if (i % 2 === 0) records[0][TRUNCATED_HASH_LENGTH + 31] |= 0x80;
        else records[0][TRUNCATED_HASH_LENGTH + 31] &= 0x7f;
        current = undefined;
        inject(requesterHash(random.int(1000)), shortBuild(records, random, now));
        sent.prefixGarbage++;
      } else if (kind < 12) {
        // Replays of valid requests already sent (from anyone).
        if (validSent.length === 0) continue;
        const v = validSent[random.int(validSent.length)];
        current = undefined;
        inject(requesterHash(random.int(1000)), v.bytes);
        sent.replays++;
      } else if (kind < 15) {
        const records = Array.from({ length: 1 + (i % 8) }, () => random.bytes(SHORT_RECORD_LENGTH));
        current = undefined;
        inject(requesterHash(random.int(1000)), shortBuild(records, random, now));
        sent.randomGarbage++;
      } else if (kind < 18) {
        current = undefined;
        inject(requesterHash(random.int(1000)), forOthers[i % forOthers.length]);
        sent.forOthers++;
      } else {
        current = undefined;
        inject(requesterHash(random.int(1000)), undecodable[i % undecodable.length]);
        sent.undecodable++;
      }
      if ((i + 1) % PER_SECOND === 0) {
        current = undefined;
        await net.run(1_000);
        // The limits hold all along, not only at the end.
        expect(target.manager.transit.size).toBeLessThanOrEqual(MAX_PARTICIPATING);
        expect(target.policy.participating).toBe(target.manager.transit.size);
      }
    }
    current = undefined;
    await net.run(1_000);

    // Counted, every one of them, and nothing else.
    const d = (k: keyof typeof at) => (h[k] as number) - (at[k] as number);
    const buildMessages = TOTAL - sent.undecodable + sent.forged;
    expect(target.dispatcher.counters.undecodable).toBe(sent.undecodable);
    expect(d('accepted') + d('refused') + d('notForUs') + d('undecryptable') + d('replayed') + d('dropped')).toBe(buildMessages);
    expect(d('notForUs')).toBe(sent.randomGarbage + sent.forOthers);
    expect(d('undecryptable')).toBe(sent.prefixGarbage + sent.forged);
    expect(d('replayed')).toBe(sent.replays);
    expect(d('dropped')).toBe(sent.stale + sent.selfNext);
    expect(d('accepted') + d('refused')).toBe(sent.valid);

    // The limits: never over the participating maximum; refusals said 30 on the wire, and only refusals did.
    expect(target.manager.transit.size).toBeLessThanOrEqual(MAX_PARTICIPATING);
    expect(d('accepted') + participatingBefore).toBeLessThanOrEqual(MAX_PARTICIPATING);
    expect(reasons['requester-rate']).toBeGreaterThan(0);
    expect(reasons['global-rate']).toBeGreaterThan(0);
    expect(reasons['participating-limit']).toBeGreaterThan(0);
    expect(wire).toHaveLength(sent.valid);
    for (const w of wire) expect(w.code).toBe(w.accept ? BuildReplyCode.Accept : BuildReplyCode.Bandwidth);
    expect(wire.filter((w) => !w.accept).length).toBe(d('refused'));
    expect(h.refusedByCode[BuildReplyCode.Bandwidth]).toBe(h.refused);
    expect(Object.keys(h.refusedByCode)).toEqual([String(BuildReplyCode.Bandwidth)]);

    // Memory: every structure the flood touches is bounded by what was accepted, not by what was sent.
    const authenticated = sent.valid + sent.stale + sent.selfNext;
    expect(replayEntries(target.manager.builds)).toBeLessThanOrEqual(authenticated + participatingBefore);
    expect(target.manager.ids.size).toBeLessThanOrEqual(target.manager.transit.size + target.manager.exploratory.inbound.length + 1 + 4 * 8);
    expect(requesterBuckets(target.policy)).toBeLessThanOrEqual(requester + 1 + net.routers.length);
    expect(target.tagStore.size).toBeLessThan(16);
    expect(net.clock.pending).toBeLessThan(200);
    expect(net.inFlight).toBe(0);
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc) {
      gc();
      expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
    }

    // TunnelData for ids nobody knows, and garbage for a real transit tunnel: counted, never thrown.
    const unknownBefore = target.manager.stats.unknownTunnel;
    for (let i = 0; i < 500; i++) {
      let id = 1 + random.int(0xfffffffe);
      while (target.manager.transit.has(id)) id = 1 + random.int(0xfffffffe);
      inject(requesterHash(i), encodeMessage({ type: I2npType.TunnelData, msgId: 1 + i, expiration: net.clock.now() + 60_000, tunnelId: id, data: random.bytes(1024) }, 'short'));
    }
    expect(target.manager.stats.unknownTunnel - unknownBefore).toBe(500);
    // A's outbound tunnel: garbage into the target's hop of it reaches the endpoint, which finds it corrupt.
    const targetHop = preOut.hops.findIndex((x) => equalBytes(x.hash, target.hash));
    const endpoint = net.router(preOut.hops[preOut.hops.length - 1].hash)!;
    const endpointTunnel = [...endpoint.manager.transit.all()].find((t) => t.receiveTunnelId === preOut.hops[preOut.hops.length - 1].tunnelId)!;
    expect(endpointTunnel.role).toBe('obep');
    const bad = () => endpointTunnel.reassembler!.counters.checksumFailed + endpointTunnel.reassembler!.counters.malformed;
    const badBefore = bad();
    const relayedBefore = target.manager.transit.counters.relayed;
    const previous = targetHop === 0 ? a.hash : preOut.hops[targetHop - 1].hash;
    for (let i = 0; i < 50; i++) {
      inject(previous, encodeMessage({ type: I2npType.TunnelData, msgId: 1 + i, expiration: net.clock.now() + 60_000, tunnelId: preOut.hops[targetHop].tunnelId, data: random.bytes(1024) }, 'short'));
    }
    await net.run(1_000);
    expect(target.manager.transit.counters.relayed - relayedBefore).toBe(50);
    expect(bad() - badBefore).toBe(50);
    const undecodableBefore = target.dispatcher.counters.undecodable;
    inject(previous, encodeMessage({ type: I2npType.TunnelData, msgId: 1, expiration: net.clock.now() + 60_000, tunnelId: 5, data: random.bytes(1024) }, 'short').subarray(0, 600));
    expect(target.dispatcher.counters.undecodable - undecodableBefore).toBe(1);

    // The tunnels built before the flood still carry traffic and pass their tests.
    const into = c.manager.exploratory.inbound[0];
    const message = { type: I2npType.Data, msgId: 777, expiration: net.clock.now() + 60_000, data: random.bytes(4_000) } as const;
    const deliveredBefore = c.delivered.length;
    expect(a.manager.sendThrough(preOut, [{ delivery: { type: 'tunnel', tunnelId: into.gatewayTunnelId, gateway: into.gateway }, message }])).toBe(true);
    await net.run(1_000);
    const got = c.delivered.slice(deliveredBefore).find((m) => m.msgId === 777);
    expect(got?.type === I2npType.Data && got.data).toEqual(message.data);
    expect(a.manager.exploratory.outbound).toContain(preOut);
    expect(a.manager.exploratory.inbound).toContain(preIn);
    const testsFailedBefore = a.manager.stats.tests.failed;
    const result = await net.drive(a.manager.runTest(preOut, preIn));
    expect(result.ok).toBe(true);
    expect(a.manager.stats.tests.failed).toBe(testsFailedBefore);

    // Once the flood's tunnels expire, all it held is given back.
    net.observe = undefined;
    await net.run(12 * 60_000, 1_000);
    expect(target.policy.participating).toBe(target.manager.transit.size);
    expect(target.manager.transit.size).toBeLessThan(40);
    expect(target.manager.ids.size).toBeLessThan(60);
  });

  it('a forged record reusing a genuine record\'s ephemeral key does not get the genuine one refused as a replay', async () => {
    const net = await TestNetwork.create({ routers: 2, seed: 'forgery' });
    const [, target] = net.routers;
    const random = new SeededRandom('forged');
    const sink = makeIdentity(new SeededRandom('sink'), T0);
    const v = validBuild(target, random, net.clock.now(), { role: 'participant', nextIdent: sink.hash });
    const forged = v.bytes.slice();
    forged[9 + 1 + v.slot * SHORT_RECORD_LENGTH + 48 + 5] ^= 0x01;
    const sentOn: Uint8Array[] = [];
    net.observe = (from, to, bytes) => {
      if (from === target && equalBytes(to, sink.hash)) sentOn.push(bytes);
    };
    const before = replayEntries(target.manager.builds);
    target.dispatcher.onMessage(requesterHash(1), forged);
    // Garbage does not take a place in the replay map: only what authenticated does.
    expect(replayEntries(target.manager.builds)).toBe(before);
    target.dispatcher.onMessage(requesterHash(2), v.bytes);
    const h = target.manager.builds.counters;
    expect(h.undecryptable).toBe(1);
    expect(h.replayed).toBe(0);
    expect(h.accepted).toBe(1);
    expect(target.manager.transit.has(v.request.receiveTunnelId)).toBe(true);
    expect(sentOn).toHaveLength(1);
    expect(wireReplyCode(TestNetwork.decode(sentOn[0]), v)).toBe(BuildReplyCode.Accept);
    // The genuine record, once seen, is a replay whoever sends it again.
    target.dispatcher.onMessage(requesterHash(3), v.bytes);
    expect(h.replayed).toBe(1);
    expect(sentOn).toHaveLength(1);
    expect(replayEntries(target.manager.builds)).toBe(before + 1);

    // Past the replay window the key is forgotten, and the request time alone refuses the record.
    net.clock.advance(21 * 60_000);
    target.manager.builds.pruneReplays();
    expect(replayEntries(target.manager.builds)).toBe(0);
    const expiredBefore = target.dispatcher.counters.expired;
    target.dispatcher.onMessage(requesterHash(4), v.bytes);
    expect(target.dispatcher.counters.expired - expiredBefore).toBe(1);
    // The same records in a fresh message reach the handler.
    const old = TestNetwork.decode(v.bytes);
    if (old.type !== I2npType.ShortTunnelBuild) throw new Error('unreachable');
    target.dispatcher.onMessage(requesterHash(4), shortBuild(old.records, random, net.clock.now()));
    expect(h.replayed).toBe(1);
    expect(h.dropped).toBe(1);
    expect(sentOn).toHaveLength(1);
  });
});
