/**
 * Streams between destinations of a simulated network (real tunnels, real ratchet garlic, the
 * fake clock): connect/listen, transfers checked by SHA-256, echo both ways, half-close, reset,
 * refused and unroutable connects, and many concurrent streams to one destination.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalDestination } from '../../../src/router/client/destination.js';
import { I2pStream, StreamError } from '../../../src/router/client/streaming/index.js';
import { I2npType } from '../../../src/router/i2np/index.js';
import { SeededRandom } from '../../../src/router/runtime/index.js';
import { ClientNetwork } from '../client/client-network.js';
import { TestNetwork } from '../tunnel/network.js';

const HOPS = { length: 2, quantity: 2, variance: 0 };

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function collect(s: I2pStream): { chunks: Buffer[]; ended: boolean; error?: Error; bytes(): Buffer } {
  const r = { chunks: [] as Buffer[], ended: false, error: undefined as Error | undefined, bytes: () => Buffer.concat(r.chunks) };
  s.on('data', (c: Buffer) => r.chunks.push(c));
  s.on('end', () => (r.ended = true));
  s.on('error', (e) => (r.error = e));
  return r;
}

describe('streaming on a network of six routers', () => {
  let cn: ClientNetwork;
  let a: LocalDestination;
  let b: LocalDestination;
  const rnd = new SeededRandom('streaming payloads');

  beforeAll(async () => {
    cn = await ClientNetwork.create({ routers: 6, seed: 'streaming', floodfills: [0, 1], inbound: HOPS, outbound: HOPS });
    cn.net.start();
    a = cn.client(2).destinations.create(undefined, { inbound: HOPS, outbound: HOPS });
    b = cn.client(4).destinations.create(undefined, { inbound: HOPS, outbound: HOPS });
    expect(await cn.net.runUntil(() => a.counters.confirmed >= 1 && b.counters.confirmed >= 1, 120_000)).toBe(true);
  }, 60_000);

  afterAll(() => cn?.stop());

  it('connects, and carries 1 KB each way intact (echo)', async () => {
    const accepted: I2pStream[] = [];
    const unlisten = b.streams.listen((s) => {
      accepted.push(s);
      s.pipe(s); // echo
    }, { port: 7 });
    const s = await cn.net.drive(a.streams.connect(b.hash, { toPort: 7, fromPort: 1234 }));
    expect(s.remoteB32).toBe(b.b32);
    expect(s.remotePort).toBe(7);
    const got = collect(s);
    const data = rnd.bytes(1024);
    s.end(data);
    expect(await cn.net.runUntil(() => got.ended, 60_000)).toBe(true);
    expect(sha(got.bytes())).toBe(sha(data));
    expect(accepted).toHaveLength(1);
    expect(accepted[0].remoteB32).toBe(a.b32);
    expect(accepted[0].localPort).toBe(7);
    expect(accepted[0].remotePort).toBe(1234);
    unlisten();
  }, 60_000);

  it('carries 1 MB from the connecting side and 1 MB back, SHA-256 identical', async () => {
    const up = rnd.bytes(1024 * 1024);
    const down = rnd.bytes(1024 * 1024);
    let server: ReturnType<typeof collect> | undefined;
    const unlisten = b.streams.listen((s) => {
      server = collect(s);
      s.end(down);
    }, { port: 80 });
    const s = await cn.net.drive(a.streams.connect(b.hash, { toPort: 80 }));
    const client = collect(s);
    s.end(up);
    const t0 = cn.net.clock.now();
    expect(await cn.net.runUntil(() => client.ended && server?.ended === true, 300_000, 20)).toBe(true);
    expect(sha(client.bytes())).toBe(sha(down));
    expect(sha(server!.bytes())).toBe(sha(up));
    // Whole packets: about 1 MB / 1812 packets each way, not one per write.
    const simulatedMs = cn.net.clock.now() - t0;
    expect(simulatedMs).toBeGreaterThan(0);
    expect(a.streams.counters.packetsOut).toBeLessThan(3 * Math.ceil((1024 * 1024) / 1812));
    unlisten();
  }, 120_000);

  it("keeps one path per remote: a stream's packets leave through one outbound tunnel (no reordering)", async () => {
    const ours = new Set(a.pool.outbound.map((t) => t.firstTunnelId));
    expect(ours.size).toBeGreaterThanOrEqual(2);
    const used = new Map<number, number>();
    cn.net.observe = (from, _to, bytes) => {
      if (from !== cn.client(2).router) return;
      const m = TestNetwork.decode(bytes);
      if (m.type === I2npType.TunnelData && ours.has(m.tunnelId)) used.set(m.tunnelId, (used.get(m.tunnelId) ?? 0) + 1);
    };
    let done = false;
    const unlisten = b.streams.listen(
      (srv) =>
        srv.on('data', () => undefined).on('end', () => {
          done = true;
          srv.end();
        }),
      { port: 83 },
    );
    const s = await cn.net.drive(a.streams.connect(b.hash, { toPort: 83 }));
    s.end(rnd.bytes(300_000));
    expect(await cn.net.runUntil(() => done, 60_000, 20)).toBe(true);
    cn.net.observe = undefined;
    expect([...used.values()].reduce((x, y) => x + y, 0)).toBeGreaterThan(300);
    expect(used.size).toBe(1);
    unlisten();
  }, 60_000);

  it('a burst of lost messages longer than the ratchet tag look-ahead: the garlic session restarts and the stream completes', async () => {
    // A hop whose bandwidth bucket ran dry drops whole flights. The receiver of a ratchet
    // session recognises tags only up to min(160, 24 + N/4) past the last one it saw: lose more
    // in a row and nothing later on that session can be decrypted. Retransmissions alone never
    // recover (the control below, restarts disabled); the sender must start a new session with
    // an NS once its resends go unanswered on a new path too.
    let src = a;
    const ours = new Set<number | undefined>();
    let seen = 0;
    let dropped = 0;
    let dropUntil = Infinity;
    const DROP_FROM = 400; // tunnel messages out of the sender's tunnels first (~200 packets: the window is at its most, 128)
    const DROP_MS = 1_500; // everything it sends in this time is lost: the whole flight and a couple of resends
    cn.net.intercept = (from, _to, bytes) => {
      if (from !== cn.client(2).router) return undefined;
      const m = TestNetwork.decode(bytes);
      if (m.type !== I2npType.TunnelData) return undefined;
      // The sender's tunnels of now: repath and the pool's replacements bring new ones.
      for (const t of src.pool.outbound) ours.add(t.firstTunnelId);
      if (!ours.has(m.tunnelId)) return undefined;
      if (++seen === DROP_FROM) dropUntil = cn.net.clock.now() + DROP_MS;
      if (seen >= DROP_FROM && cn.net.clock.now() < dropUntil) {
        dropped++;
        return null;
      }
      return undefined;
    };
    const served: I2pStream[] = [];
    const unlisten = b.streams.listen((srv) => {
      served.push(srv);
      const got = collect(srv);
      srv.on('end', () => srv.end(sha(got.bytes())));
    }, { port: 84 });
    const transfer = async (from: LocalDestination) => {
      src = from;
      ours.clear();
      seen = 0;
      dropped = 0;
      dropUntil = Infinity;
      const up = rnd.bytes(1024 * 1024);
      const s = await cn.net.drive(from.streams.connect(b.hash, { toPort: 84 }));
      const client = collect(s);
      s.end(up);
      expect(await cn.net.runUntil(() => client.error !== undefined || client.ended, 300_000, 20)).toBe(true);
      // The condition: more lost in a row than b's look-ahead (24 + N/4 tags at N ~ 200).
      expect(dropped).toBeGreaterThan(2 * 80);
      return { client, expected: sha(up) };
    };

    const restarts0 = a.counters.sessionRestarts;
    const healed = await transfer(a);
    expect(healed.client.error).toBeUndefined();
    expect(healed.client.bytes().toString()).toBe(healed.expected);
    expect(a.counters.sessionRestarts).toBeGreaterThan(restarts0);
    expect(a.streams.counters.sessionRestarts).toBeGreaterThan(0);

    // Control: a new destination on the same router, its restarts disabled: the stream dies.
    const c = cn.client(2).destinations.create(undefined, { inbound: HOPS, outbound: HOPS });
    expect(await cn.net.runUntil(() => c.counters.confirmed >= 1, 120_000)).toBe(true);
    c.restartSession = () => undefined;
    const undecryptable = b.counters.undecryptable;
    const dead = await transfer(c);
    cn.net.intercept = undefined;
    // b could no longer open what c sent on that session, and c never stopped using it.
    expect(b.counters.undecryptable).toBeGreaterThan(undecryptable);
    expect(dead.client.error).toBeInstanceOf(StreamError);
    expect((dead.client.error as StreamError).code).toBe('TIMEOUT');
    cn.client(2).destinations.remove(c.hash);
    // b's end of the dead stream waits for data that will not come (nothing of its own in
    // flight to time out): the application gives up on it, as one would on a silent peer.
    for (const srv of served) if (!srv.readableEnded) srv.destroy();
    unlisten();
  }, 120_000);

  it('half-closes: the side that ended still reads what the other sends afterwards', async () => {
    let server: I2pStream | undefined;
    const unlisten = b.streams.listen((s) => (server = s), { port: 81 });
    const s = await cn.net.drive(a.streams.connect(b.hash, { toPort: 81 }));
    const client = collect(s);
    s.end(Buffer.from('request'));
    expect(await cn.net.runUntil(() => server !== undefined, 30_000)).toBe(true);
    const srv = collect(server!);
    expect(await cn.net.runUntil(() => srv.ended, 30_000)).toBe(true);
    expect(srv.bytes().toString()).toBe('request');
    // After the client's CLOSE, the server writes, then closes.
    server!.write('response part 1, ');
    await cn.net.run(500);
    server!.end('part 2');
    expect(await cn.net.runUntil(() => client.ended, 30_000)).toBe(true);
    expect(client.bytes().toString()).toBe('response part 1, part 2');
    expect(client.error).toBeUndefined();
    unlisten();
  }, 60_000);

  it('a reset reaches the peer as a RESET error; the resetting side just closes', async () => {
    let server: I2pStream | undefined;
    const unlisten = b.streams.listen((s) => (server = s), { port: 82 });
    const s = await cn.net.drive(a.streams.connect(b.hash, { toPort: 82 }));
    const client = collect(s);
    s.write('hello');
    expect(await cn.net.runUntil(() => server !== undefined, 30_000)).toBe(true);
    const srv = collect(server!);
    let closed = false;
    server!.on('close', () => (closed = true));
    server!.destroy();
    expect(await cn.net.runUntil(() => client.error !== undefined, 30_000)).toBe(true);
    expect(client.error).toBeInstanceOf(StreamError);
    expect((client.error as StreamError).code).toBe('RESET');
    expect(closed).toBe(true);
    expect(srv.error).toBeUndefined();
    unlisten();
  }, 60_000);

  it('a connect to a port nobody listens on is refused (RESET → REFUSED)', async () => {
    const refusedBefore = b.streams.counters.refused;
    await expect(cn.net.drive(a.streams.connect(b.hash, { toPort: 9999 }))).rejects.toMatchObject({ code: 'REFUSED' });
    expect(b.streams.counters.refused).toBe(refusedBefore + 1);
  }, 60_000);

  it('a connect to a destination nobody published fails with NO_ROUTE', async () => {
    const unknown = new SeededRandom('nobody').bytes(32);
    await expect(cn.net.drive(a.streams.connect(unknown, { toPort: 80 }))).rejects.toMatchObject({ code: 'NO_ROUTE' });
  }, 60_000);

  it("node's http server and client work over streams (as the interop site and proxy use them)", async () => {
    const body = rnd.bytes(300_000);
    const server = http.createServer((req, res) => {
      res.writeHead(200, { 'content-length': body.length, 'x-path': req.url ?? '' });
      res.end(body);
    });
    const unlisten = b.streams.listen((s) => server.emit('connection', s), { port: 8080 });
    const s = await cn.net.drive(a.streams.connect(b.hash, { toPort: 8080 }));
    const got: Buffer[] = [];
    let status = 0;
    let header = '';
    let done = false;
    const req = http.request({ createConnection: () => s, path: '/x.bin', headers: { host: b.b32, connection: 'close' } }, (res) => {
      status = res.statusCode ?? 0;
      header = String(res.headers['x-path']);
      res.on('data', (c: Buffer) => got.push(c));
      res.on('end', () => (done = true));
    });
    req.end();
    expect(await cn.net.runUntil(() => done, 120_000, 20)).toBe(true);
    expect(status).toBe(200);
    expect(header).toBe('/x.bin');
    expect(sha(Buffer.concat(got))).toBe(sha(body));
    unlisten();
    server.close();
  }, 60_000);

  it('200 concurrent streams to one destination all complete, each with its own data', async () => {
    const unlisten = b.streams.listen((s) => s.pipe(s), { port: 200 });
    const n = 200;
    const payloads = Array.from({ length: n }, (_, i) => rnd.bytes(100 + ((i * 997) % 5000)));
    const results: ReturnType<typeof collect>[] = [];
    const opened = await cn.net.drive(Promise.all(payloads.map(() => a.streams.connect(b.hash, { toPort: 200 }))));
    opened.forEach((s, i) => {
      results.push(collect(s));
      s.end(payloads[i]);
    });
    expect(await cn.net.runUntil(() => results.every((r) => r.ended), 300_000, 20)).toBe(true);
    results.forEach((r, i) => expect(sha(r.bytes())).toBe(sha(payloads[i])));
    expect(results.every((r) => r.error === undefined)).toBe(true);
    expect(await cn.net.runUntil(() => b.streams.counters.active === 0 && a.streams.counters.active === 0, 60_000)).toBe(true);
    unlisten();
  }, 180_000);
});
