/**
 * The embedded backend of the garlic API on a simulated network (real tunnels, real ratchet
 * garlic and streaming, the fake clock): two sessions on two routers connect and listen (by
 * b32, base64 destination, address-book name and 32-byte hash), exchange data checked by
 * SHA-256, send repliable and raw datagrams with ports, look each other up, and fail with the
 * right GarlicError codes.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedBackend } from '../../../src/apps/garlic/embedded.js';
import { GarlicError, type GarlicDatagram, type GarlicSession, type GarlicStream } from '../../../src/apps/garlic/session.js';
import { AddressBook } from '../../../src/router/client/addressbook.js';
import { decodeDestinationKeys } from '../../../src/router/client/destination-keys.js';
import { i2pBase64Decode, i2pBase64Encode } from '../../../src/router/data/index.js';
import { SeededRandom } from '../../../src/router/runtime/index.js';
import { ROUTER_SCHEMA_VERSION } from '../../../src/state/layout.js';
import { openMemoryStorage } from '../../../src/state/memory-storage.js';
import type { Storage } from '../../../src/state/store.js';
import { ClientNetwork } from '../client/client-network.js';

const HOPS = { length: 2, quantity: 2, variance: 0 };
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function collect(s: GarlicStream): { bytes(): Buffer; ended: boolean } {
  const chunks: Buffer[] = [];
  const r = { bytes: () => Buffer.concat(chunks), ended: false };
  s.on('data', (c: Buffer) => chunks.push(c));
  s.on('end', () => (r.ended = true));
  s.on('error', () => undefined);
  return r;
}

async function garlicError(p: Promise<unknown>): Promise<GarlicError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(GarlicError);
    return e as GarlicError;
  }
  throw new Error('expected a GarlicError');
}

describe('the embedded garlic backend on a network of six routers', () => {
  let cn: ClientNetwork;
  let storage: Storage;
  let book: AddressBook;
  let backA: EmbeddedBackend;
  let backB: EmbeddedBackend;
  let a: GarlicSession;
  let b: GarlicSession;
  const rnd = new SeededRandom('garlic api payloads');

  beforeAll(async () => {
    cn = await ClientNetwork.create({ routers: 6, seed: 'garlic-api', floodfills: [0, 1], inbound: HOPS, outbound: HOPS });
    cn.net.start();
    storage = await openMemoryStorage({ schema: ROUTER_SCHEMA_VERSION });
    book = AddressBook.fromStorage(storage, { clock: cn.net.clock });
    backA = new EmbeddedBackend({ destinations: cn.client(2).destinations, clock: cn.net.clock, addressBook: book }, { random: cn.client(2).router.random });
    backB = new EmbeddedBackend({ destinations: cn.client(4).destinations, clock: cn.net.clock, addressBook: book }, { random: cn.client(4).router.random });
    const tunnels = { length: 2, quantity: 2 };
    [a, b] = await cn.net.drive(Promise.all([backA.openSession({ name: 'a', tunnels }), backB.openSession({ name: 'b', tunnels })]));
    // Both LeaseSets stored with a floodfill, so lookups find them.
    const confirmed = () => cn.client(2).destinations.list().every((d) => d.counters.confirmed > 0) && cn.client(4).destinations.list().every((d) => d.counters.confirmed > 0);
    expect(await cn.net.runUntil(confirmed, 120_000)).toBe(true);
    await book.add('garlic-b.i2p', b.destination);
  }, 60_000);

  afterAll(async () => {
    await backA?.close();
    await backB?.close();
    cn?.stop();
    await storage?.close();
  });

  it('opens sessions whose addresses and keys agree', () => {
    expect(a.b32).toMatch(/^[a-z2-7]{52}\.b32\.i2p$/);
    expect(a.b32).not.toBe(b.b32);
    // One destination for streams and both kinds of datagrams.
    expect([a.datagramDestination, a.rawDestination]).toEqual([a.destination, a.destination]);
    const keys = decodeDestinationKeys(i2pBase64Decode(a.privateKeys));
    expect(i2pBase64Encode(keys.privateKeys.signingPrivateKey).length).toBeGreaterThan(0);
    expect(backA.sessions()).toEqual([a]);
    expect(backA.kind).toBe('embedded');
  });

  it('connects by b32 and carries 200 KB each way intact', async () => {
    const up = rnd.bytes(200_000);
    const down = rnd.bytes(200_000);
    let server: ReturnType<typeof collect> | undefined;
    let accepted: GarlicStream | undefined;
    const stop = await b.listen({ port: 80 }, (s) => {
      accepted = s;
      server = collect(s);
      s.end(down);
    });
    const s = await cn.net.drive(a.connect(b.b32, { port: 80, fromPort: 4321 }));
    expect([s.remoteB32, s.remoteDestinationBase64, s.remotePort, s.localPort]).toEqual([b.b32, b.destination, 80, 4321]);
    const client = collect(s);
    s.end(up);
    expect(await cn.net.runUntil(() => client.ended && server?.ended === true, 300_000, 20)).toBe(true);
    expect(sha(client.bytes())).toBe(sha(down));
    expect(sha(server!.bytes())).toBe(sha(up));
    expect([accepted!.remoteB32, accepted!.remoteDestinationBase64, accepted!.localPort, accepted!.remotePort]).toEqual([a.b32, a.destination, 80, 4321]);
    stop();
  }, 60_000);

  it('connects by address-book name, base64 destination and 32-byte hash; incoming() yields them in order', async () => {
    const listener = await b.incoming();
    const it = listener[Symbol.asyncIterator]();
    const hash = i2pBase64Encode(createHash('sha256').update(i2pBase64Decode(b.destination)).digest());
    const targets = ['garlic-b.i2p', b.destination, hash, i2pBase64Decode(hash)];
    for (const [i, to] of targets.entries()) {
      const s = await cn.net.drive(a.connect(to));
      expect(s.remoteB32).toBe(b.b32);
      const next = await cn.net.drive(it.next());
      expect(next.done).toBe(false);
      const got = collect(next.value as GarlicStream);
      s.write(Buffer.from(`hello ${i}`));
      expect(await cn.net.runUntil(() => got.bytes().toString() === `hello ${i}`, 30_000)).toBe(true);
      s.destroy();
    }
    listener.close();
    expect((await it.next()).done).toBe(true);
  }, 60_000);

  it('sends repliable and raw datagrams with their ports', async () => {
    const atB: GarlicDatagram[] = [];
    const atA: GarlicDatagram[] = [];
    const offB = b.onDatagram((d) => {
      atB.push(d);
      if (d.kind === 'repliable') void b.sendDatagram(d.from!, Buffer.from(`re:${Buffer.from(d.payload).toString()}`), { kind: 'raw', fromPort: d.toPort, toPort: d.fromPort + 1 });
    });
    const offA = a.onDatagram((d) => atA.push(d));
    await cn.net.drive(a.sendDatagram(b.b32, Buffer.from('ping'), { kind: 'repliable', fromPort: 6881, toPort: 6882 }));
    expect(await cn.net.runUntil(() => atA.length === 1, 30_000)).toBe(true);
    expect(atB[0]).toMatchObject({ kind: 'repliable', from: a.destination, fromB32: a.b32, fromPort: 6881, toPort: 6882 });
    expect(Buffer.from(atB[0].payload).toString()).toBe('ping');
    // The raw answer carries no sender, and the ports the DHT uses (query port + 1).
    expect(atA[0]).toMatchObject({ kind: 'raw', fromPort: 6882, toPort: 6882 });
    expect(atA[0].from).toBeUndefined();
    expect(Buffer.from(atA[0].payload).toString()).toBe('re:ping');
    offA();
    offB();
    expect((await garlicError(a.sendDatagram(b.b32, new Uint8Array(0)))).code).toBe('LIMIT');
    expect((await garlicError(a.sendDatagram(b.b32, Buffer.from('x'), { toPort: 70_000 }))).code).toBe('BAD_ADDRESS');
  }, 60_000);

  it('looks up b32s, hashes and names; unknown ones are NOT_FOUND', async () => {
    expect(await cn.net.drive(a.lookup(b.b32))).toBe(b.destination);
    expect(await a.lookup('garlic-b.i2p')).toBe(b.destination);
    expect(await a.lookup(b.destination)).toBe(b.destination);
    const unknown = `${'a'.repeat(52)}.b32.i2p`;
    expect((await cn.net.drive(garlicError(a.lookup(unknown)))).code).toBe('NOT_FOUND');
    expect((await garlicError(a.lookup('nobody.i2p'))).code).toBe('NOT_FOUND');
    expect((await garlicError(a.connect('nobody.i2p'))).code).toBe('NOT_FOUND');
    expect((await garlicError(a.connect('example.com'))).code).toBe('BAD_ADDRESS');
    expect((await cn.net.drive(garlicError(a.connect(unknown, { timeoutMs: 20_000 })))).code).toMatch(/NOT_FOUND|TIMEOUT/);
  }, 60_000);

  it('a stream to a port nobody listens on is REFUSED', async () => {
    expect((await cn.net.drive(garlicError(a.connect(b.b32, { port: 9999 })))).code).toBe('REFUSED');
  }, 60_000);

  it('reopens a session from its stored keys at the same address', async () => {
    const keys = a.privateKeys;
    await a.close();
    expect(a.closed).toBe(true);
    expect((await garlicError(a.connect(b.b32))).code).toBe('CLOSED');
    const again = await cn.net.drive(backA.openSession({ keys, tunnels: { length: 1, quantity: 1 } }));
    expect(again.b32).toBe(a.b32);
    expect(again.privateKeys).toBe(keys);
    expect((await garlicError(backA.openSession({ keys: 'not base64 !' }))).code).toBe('BAD_KEYS');
    await again.close();
  }, 60_000);
});
