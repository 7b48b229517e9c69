/**
 * What a LocalDestination does with the garlic it opens, one clove at a time (real ratchet garlic
 * from a second engine, handed to onMessage as its inbound tunnel would), and the errors of a
 * send that cannot go out. No traffic: the router's tunnel manager is never started.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDestinationKeys, destinationHash, type DestinationKeys } from '../../../src/router/client/destination-keys.js';
import { DestinationError, type LocalDestination } from '../../../src/router/client/destination.js';
import { DatagramEndpoint, type ReceivedDatagram } from '../../../src/router/client/datagrams.js';
import { encodeDatagram1, signDatagram1 } from '../../../src/router/client/datagram.js';
import { encodeI2cpPayload, PROTO_DATAGRAM, PROTO_DATAGRAM_RAW, PROTO_STREAMING } from '../../../src/router/client/i2cp-payload.js';
import { buildLeaseSet2 } from '../../../src/router/client/lease-set-builder.js';
import { encodeLeaseSet2, signLeaseSet2, type LeaseSet2 } from '../../../src/router/data/index.js';
import type { GarlicClove } from '../../../src/router/garlic/clove.js';
import { RatchetEngine } from '../../../src/router/garlic/ratchet/engine.js';
import { encodePayload, I2npType, StoreType, type I2npMessage } from '../../../src/router/i2np/index.js';
import { SeededRandom } from '../../../src/router/runtime/index.js';
import type { InboundTunnel } from '../../../src/router/tunnel/tunnel.js';
import { ClientNetwork } from './client-network.js';

const rnd = new SeededRandom('destination input');
const enc = (s: string) => new TextEncoder().encode(s);

function lengthPrefixed(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + data.length);
  new DataView(out.buffer).setUint32(0, data.length);
  out.set(data, 4);
  return out;
}

function fakeInbound(i: number, expiresAt: number): InboundTunnel {
  return { direction: 'inbound', id: i, hops: [], createdAt: expiresAt - 600_000, expiresAt, pool: 'x', testFailures: 0, messages: 0, bytes: 0, gateway: rnd.bytes(32), gatewayTunnelId: 1 + i };
}

describe("a destination's garlic input", () => {
  let cn: ClientNetwork;
  let d: LocalDestination;
  let sender: RatchetEngine;
  let ep: DatagramEndpoint;
  const got: ReceivedDatagram[] = [];
  const raw: Uint8Array[] = [];
  const now = () => cn.net.clock.now();

  /** One-time ratchet garlic (NS without a session) from `sender` to d, opened by d. */
  function deliver(...cloves: GarlicClove[]): void {
    const data = sender.encrypt({ staticPublicKey: d.keys.encryption.publicKey }, cloves.map((clove) => ({ type: 'clove' as const, clove })), { needsReply: false });
    d.onMessage({ type: I2npType.Garlic, msgId: 1 + rnd.int(1e9), expiration: now() + 60_000, data } as I2npMessage);
  }
  const dataClove = (payload: Uint8Array, delivery: GarlicClove['delivery'] = { type: 'local' }): GarlicClove => ({
    delivery,
    message: { type: I2npType.Data, msgId: 1 + rnd.int(1e9), expiration: now() + 60_000, payload },
  });
  const storeClove = (key: Uint8Array, data: Uint8Array): GarlicClove => ({
    delivery: { type: 'local' },
    message: { type: I2npType.DatabaseStore, msgId: 1, expiration: now() + 60_000, payload: encodePayload({ type: I2npType.DatabaseStore, key, storeType: StoreType.LeaseSet2, data }) },
  });
  /** Another destination's LeaseSet2, as it would publish it. */
  function remoteLeaseSet(keys: DestinationKeys, at = now(), last = 0): LeaseSet2 {
    return buildLeaseSet2(keys, [fakeInbound(1, at + 500_000), fakeInbound(2, at + 400_000)], at, last)!.leaseSet;
  }

  beforeAll(async () => {
    cn = await ClientNetwork.create({ routers: 1, seed: 'destination input' });
    d = cn.client(0).destinations.create(createDestinationKeys(rnd), { publish: false });
    d.onData((p) => raw.push(p));
    ep = new DatagramEndpoint(d);
    ep.onDatagram((x) => got.push(x));
    const sk = createDestinationKeys(rnd);
    sender = new RatchetEngine({ staticPrivateKey: sk.encryption.privateKey, staticPublicKey: sk.encryption.publicKey, clock: cn.net.clock, random: rnd });
  });
  afterAll(() => cn?.stop());

  it('takes Data from LOCAL cloves and DESTINATION cloves to itself; ignores other deliveries and bad lengths', () => {
    const r0 = d.counters.received;
    const body = encodeI2cpPayload({ protocol: PROTO_DATAGRAM_RAW, sourcePort: 3, destPort: 4, payload: enc('one') });
    deliver(dataClove(lengthPrefixed(body)));
    deliver(dataClove(lengthPrefixed(body), { type: 'destination', hash: d.hash }));
    expect(d.counters.received).toBe(r0 + 2);
    expect(raw.slice(-2)).toEqual([body, body]);
    deliver(
      dataClove(lengthPrefixed(body), { type: 'destination', hash: rnd.bytes(32) }),
      dataClove(lengthPrefixed(body), { type: 'router', hash: cn.net.routers[0].hash }),
      dataClove(lengthPrefixed(body), { type: 'tunnel', gateway: rnd.bytes(32), tunnelId: 5 }),
      dataClove(new Uint8Array([0, 0, 1])),
      dataClove(lengthPrefixed(body).subarray(0, 10)),
      dataClove(new Uint8Array([0, 0, 0, 9, 1, 2])),
    );
    expect(d.counters.received).toBe(r0 + 2);
    expect(d.counters.undecryptable).toBe(0);
  });

  it('hands datagrams to the endpoint: raw and repliable with ports; refuses bad framing and bad signatures; leaves other protocols', () => {
    const from = createDestinationKeys(rnd).privateKeys;
    const signed = encodeDatagram1(signDatagram1(from.destination, from.signingPrivateKey, enc('signed')));
    const n = got.length;
    deliver(dataClove(lengthPrefixed(encodeI2cpPayload({ protocol: PROTO_DATAGRAM, sourcePort: 80, destPort: 8080, payload: signed }))));
    expect(got).toHaveLength(n + 1);
    expect(got[n]).toMatchObject({ kind: 'repliable', fromPort: 80, toPort: 8080, fromHash: destinationHash(from.destination) });
    const refused = ep.counters.refused;
    const undecodable = d.counters.undecodable;
    const tampered = signed.slice();
    tampered[tampered.length - 1] ^= 1;
    deliver(dataClove(lengthPrefixed(encodeI2cpPayload({ protocol: PROTO_DATAGRAM, sourcePort: 1, destPort: 2, payload: tampered }))));
    deliver(dataClove(lengthPrefixed(rnd.bytes(40))));
    // The bad signature is the endpoint's to refuse; bytes that are no I2CP payload, the destination's.
    expect(ep.counters.refused).toBe(refused + 1);
    expect(d.counters.undecodable).toBe(undecodable + 1);
    const received = ep.counters.received;
    deliver(dataClove(lengthPrefixed(encodeI2cpPayload({ protocol: PROTO_STREAMING, sourcePort: 1, destPort: 2, payload: enc('syn') }))));
    expect(ep.counters.received).toBe(received);
    expect(ep.counters.refused).toBe(refused + 1);
    expect(got).toHaveLength(n + 1);
  });

  it('keeps a bundled LeaseSet2 that verifies under its own hash (then no lookup is needed), the newest only', async () => {
    const x = createDestinationKeys(rnd);
    const xHash = destinationHash(x.privateKeys.destination);
    const older = remoteLeaseSet(x);
    const newer = remoteLeaseSet(x, now(), older.published);
    // Refused: a store under another key, a bad signature, garbage.
    deliver(storeClove(rnd.bytes(32), encodeLeaseSet2(older)));
    deliver(storeClove(xHash, encodeLeaseSet2({ ...older, published: older.published - 1 })));
    deliver(storeClove(xHash, rnd.bytes(100)));
    const lookups = d.counters.lookups;
    await expect(d.resolve(xHash)).rejects.toMatchObject({ code: 'NO_LEASESET' });
    expect(d.counters.lookups).toBe(lookups + 1);
    deliver(storeClove(xHash, encodeLeaseSet2(newer)));
    deliver(storeClove(xHash, encodeLeaseSet2(older)));
    expect((await d.resolve(xHash)).published).toBe(newer.published);
    expect(d.counters.lookups).toBe(lookups + 1);
    // Direct, as a lookup answer is taken.
    expect(d.remember(encodeLeaseSet2(older), xHash)?.published).toBe(newer.published);
    expect(d.remember(rnd.bytes(64))).toBeUndefined();
  });

  it('a DeliveryStatus with a token it never sent confirms nothing', () => {
    const status = (id: number): GarlicClove => ({
      delivery: { type: 'local' },
      message: { type: I2npType.DeliveryStatus, msgId: 1, expiration: now() + 60_000, payload: encodePayload({ type: I2npType.DeliveryStatus, deliveredMsgId: id, timestamp: now() }) },
    });
    deliver(status(12345), { delivery: { type: 'local' }, message: { type: I2npType.DeliveryStatus, msgId: 2, expiration: now() + 60_000, payload: new Uint8Array(2) } });
    d.onMessage({ type: I2npType.DeliveryStatus, msgId: 3, expiration: now() + 60_000, deliveredMsgId: 777, timestamp: now() } as I2npMessage);
    expect(d.counters.confirmed).toBe(0);
  });

  it('a send that cannot go out says why: no leases left, no X25519 key, no outbound tunnel', async () => {
    const at = now();
    const sign = (keys: DestinationKeys, fields: Partial<LeaseSet2>): LeaseSet2 => {
      const base = remoteLeaseSet(keys, at);
      const { signature: _s, ...rest } = base;
      return signLeaseSet2({ ...rest, ...fields }, keys.privateKeys.signingPrivateKey);
    };
    const stale = createDestinationKeys(rnd);
    const staleLs = sign(stale, { leases: [{ gateway: rnd.bytes(32), tunnelId: 9, endDate: Math.floor(at / 1000) + 3 }], expires: 600 });
    expect(d.remember(encodeLeaseSet2(staleLs))).toBeDefined();
    await expect(d.send(destinationHash(stale.privateKeys.destination), enc('x'))).rejects.toMatchObject({ code: 'NO_LEASES' });
    const elgamal = createDestinationKeys(rnd);
    expect(d.remember(encodeLeaseSet2(sign(elgamal, { encryptionKeys: [{ type: 0, key: rnd.bytes(256) }] })))).toBeDefined();
    await expect(d.send(destinationHash(elgamal.privateKeys.destination), enc('x'))).rejects.toMatchObject({ code: 'NO_KEY' });
    const fine = createDestinationKeys(rnd);
    expect(d.remember(encodeLeaseSet2(remoteLeaseSet(fine)))).toBeDefined();
    const err = await d.send(destinationHash(fine.privateKeys.destination), enc('x')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DestinationError);
    expect((err as DestinationError).code).toBe('NO_TUNNELS');
    expect(d.counters.sent).toBe(0);
  });

  it('without inbound tunnels there is no LeaseSet, and nothing to publish', () => {
    d.maintain();
    expect(d.leaseSet).toBeUndefined();
    expect(d.publish()).toBe(0);
    expect(d.counters.published).toBe(0);
  });

  it('after close, the endpoint hands nothing on', () => {
    const n = got.length;
    ep.close();
    deliver(dataClove(lengthPrefixed(encodeI2cpPayload({ protocol: PROTO_DATAGRAM_RAW, sourcePort: 1, destPort: 2, payload: enc('late') }))));
    expect(got).toHaveLength(n);
    expect(d.counters.received).toBeGreaterThan(0);
  });
});
