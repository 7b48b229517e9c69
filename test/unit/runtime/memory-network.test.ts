import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/router/runtime/clock.js';
import { RuntimeError } from '../../../src/router/runtime/errors.js';
import { MemoryNetwork } from '../../../src/router/runtime/memory-network.js';
import type { Connection } from '../../../src/router/runtime/net.js';

/** Let queued microtasks and immediates run. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

function recorder(conn: Connection): { data: number[]; events: string[] } {
  const rec = { data: [] as number[], events: [] as string[] };
  conn.on('data', (c) => rec.data.push(...c));
  conn.on('error', (e) => rec.events.push(`error:${(e as RuntimeError).code}`));
  conn.on('close', (hadError) => rec.events.push(`close:${hadError}`));
  return rec;
}

async function echoPair(net: MemoryNetwork, host = '10.0.0.1', port = 7000) {
  const accepted: Connection[] = [];
  const listener = await net.listen(host, port, (conn) => {
    accepted.push(conn);
    conn.on('data', (chunk) => conn.write(chunk));
  });
  return { listener, accepted };
}

describe('MemoryNetwork', () => {
  it('connects a dialer to a listener and echoes bytes, in order', async () => {
    const net = new MemoryNetwork();
    const { accepted } = await echoPair(net);
    const conn = await net.dial('10.0.0.1', 7000, { localAddress: '10.0.0.2' });
    const rec = recorder(conn);
    for (let i = 0; i < 50; i++) conn.write(new Uint8Array([i, i + 1]));
    await settle();
    expect(rec.data).toEqual(Array.from({ length: 50 }, (_, i) => [i, i + 1]).flat());
    expect(conn.remoteAddress).toBe('10.0.0.1');
    expect(conn.remotePort).toBe(7000);
    expect(conn.localAddress).toBe('10.0.0.2');
    expect(accepted).toHaveLength(1);
    expect(accepted[0]!.remoteAddress).toBe('10.0.0.2');
    expect(accepted[0]!.remotePort).toBe(conn.localPort);
    expect(conn.localPort).toBeGreaterThanOrEqual(49152);
  });

  it('copies written bytes: a reused buffer does not change data in flight', async () => {
    const net = new MemoryNetwork();
    const got: number[] = [];
    await net.listen('h', 1, (c) => c.on('data', (d) => got.push(...d)));
    const conn = await net.dial('h', 1);
    const buf = new Uint8Array([1, 2, 3]);
    conn.write(buf);
    buf.fill(9);
    await settle();
    expect(got).toEqual([1, 2, 3]);
  });

  it('refuses a dial to an address nobody listens on', async () => {
    const net = new MemoryNetwork();
    await net.listen('10.0.0.1', 7000, () => undefined);
    await expect(net.dial('10.0.0.1', 7001)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(net.dial('10.0.0.9', 7000)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('refuses a second listener on a taken port and assigns ephemeral ports for 0', async () => {
    const net = new MemoryNetwork();
    const l = await net.listen('h', 80, () => undefined);
    await expect(net.listen('h', 80, () => undefined)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await net.listen('other', 80, () => undefined);
    const e1 = await net.listen('h', 0, () => undefined);
    const e2 = await net.listen('h', 0, () => undefined);
    expect(e1.port).toBeGreaterThanOrEqual(49152);
    expect(e2.port).not.toBe(e1.port);
    await l.close();
    await expect(net.dial('h', 80)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await net.listen('h', 80, () => undefined);
  });

  it('propagates a graceful close both ways after the data in flight', async () => {
    const net = new MemoryNetwork();
    let server!: Connection;
    let serverRec!: ReturnType<typeof recorder>;
    await net.listen('h', 1, (c) => {
      server = c;
      serverRec = recorder(c);
    });
    const conn = await net.dial('h', 1);
    const rec = recorder(conn);
    conn.write(new Uint8Array([1, 2]));
    conn.close();
    conn.write(new Uint8Array([3])); // after close: dropped
    await settle();
    expect(serverRec.data).toEqual([1, 2]);
    expect(serverRec.events).toEqual(['close:false']);
    expect(rec.events).toEqual(['close:false']);
    expect(server.write(new Uint8Array([4]))).toBe(false);
    expect(net.openConnections).toBe(0);
  });

  it('a destroy with an error resets the peer; a plain destroy closes it', async () => {
    const net = new MemoryNetwork();
    const servers: ReturnType<typeof recorder>[] = [];
    await net.listen('h', 1, (c) => servers.push(recorder(c)));
    const a = await net.dial('h', 1);
    const aRec = recorder(a);
    a.destroy(new Error('protocol violation'));
    await settle();
    expect(aRec.events).toEqual(['error:undefined', 'close:true']);
    expect(servers[0]!.events).toEqual(['error:ECONNRESET', 'close:true']);

    const b = await net.dial('h', 1);
    const bRec = recorder(b);
    b.destroy();
    await settle();
    expect(bRec.events).toEqual(['close:false']);
    expect(servers[1]!.events).toEqual(['close:false']);
    expect(net.openConnections).toBe(0);
  });

  it('holds data that arrives before a data listener, and hands it over in order', async () => {
    const net = new MemoryNetwork();
    let server!: Connection;
    await net.listen('h', 1, (c) => {
      server = c;
      c.write(new Uint8Array([7]));
      c.write(new Uint8Array([8]));
    });
    const conn = await net.dial('h', 1);
    await settle();
    const got: number[] = [];
    conn.on('data', (d) => got.push(...d));
    await settle();
    expect(got).toEqual([7, 8]);
    expect(server).toBeDefined();
  });

  it('delays by the latency on the injected clock and never reorders', async () => {
    const clock = new ManualClock();
    const net = new MemoryNetwork({ clock, latencyMs: (from, to) => (from < to ? 10 : 20) });
    const got: Array<[number, number]> = [];
    await net.listen('b', 1, (c) => c.on('data', (d) => got.push([clock.now(), d[0]!])));
    let conn: Connection | undefined;
    void net.dial('b', 1, { localAddress: 'a' }).then((c) => (conn = c));
    clock.advance(10); // SYN arrives
    await settle();
    expect(conn).toBeUndefined();
    clock.advance(20); // SYN-ACK back
    await settle();
    expect(conn).toBeDefined();
    conn!.write(new Uint8Array([1]));
    clock.advance(5);
    conn!.write(new Uint8Array([2]));
    clock.advance(4);
    expect(got).toEqual([]);
    clock.advance(1);
    expect(got).toEqual([[40, 1]]);
    clock.advance(5);
    expect(got).toEqual([
      [40, 1],
      [45, 2],
    ]);
  });

  it('refuses with latency too, and a dial can be aborted', async () => {
    const clock = new ManualClock();
    const net = new MemoryNetwork({ clock, latencyMs: 5 });
    let err: unknown;
    void net.dial('x', 1).catch((e: unknown) => (err = e));
    clock.advance(5);
    await settle();
    expect(err).toBeUndefined();
    clock.advance(5);
    await settle();
    expect(err).toMatchObject({ code: 'ECONNREFUSED' });

    const accepted: Connection[] = [];
    await net.listen('x', 1, (c) => accepted.push(c));
    const ac = new AbortController();
    const p = net.dial('x', 1, { signal: ac.signal });
    clock.advance(5);
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: 'EABORTED' });
    const rec = recorder(accepted[0]!);
    clock.advance(10);
    await settle();
    expect(rec.events).toEqual(['close:false']);
  });

  it('applies backpressure: write returns false above the high-water mark, then drain', async () => {
    const net = new MemoryNetwork({ highWaterMark: 10, maxBuffered: 100 });
    let server!: Connection;
    await net.listen('h', 1, (c) => (server = c));
    const conn = await net.dial('h', 1);
    let drains = 0;
    conn.on('drain', () => drains++);
    expect(conn.write(new Uint8Array(6))).toBe(true);
    expect(conn.write(new Uint8Array(6))).toBe(false);
    await settle();
    expect(drains).toBe(0); // nobody has read yet
    const got: number[] = [];
    server.on('data', (d) => got.push(d.length));
    await settle();
    expect(got).toEqual([6, 6]);
    expect(drains).toBe(1);
    expect(conn.write(new Uint8Array(1))).toBe(true);
  });

  it('destroys a connection whose unread bytes exceed the bound', async () => {
    const net = new MemoryNetwork({ highWaterMark: 10, maxBuffered: 20 });
    const serverRecs: ReturnType<typeof recorder>[] = [];
    // The server never reads (no data listener), so the client's bytes stay unread.
    await net.listen('h', 1, (c) => {
      const rec = { data: [] as number[], events: [] as string[] };
      c.on('close', (hadError) => rec.events.push(`close:${hadError}`));
      serverRecs.push(rec);
    });
    const conn = await net.dial('h', 1);
    const rec = recorder(conn);
    conn.write(new Uint8Array(15));
    expect(conn.write(new Uint8Array(15))).toBe(false);
    await settle();
    expect(rec.events).toEqual(['error:ENOBUFS', 'close:true']);
    expect(serverRecs[0]!.events).toEqual(['close:true']);
  });

  it('carries many routers on one network', async () => {
    const net = new MemoryNetwork();
    const n = 100;
    for (let i = 0; i < n; i++) {
      await net.listen(`127.0.1.${i}`, 9000, (c) => c.on('data', (d) => c.write(new Uint8Array([d[0]! + i]))));
    }
    const sums = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const c = await net.dial(`127.0.1.${(i + 1) % n}`, 9000, { localAddress: `127.0.1.${i}` });
        const reply = new Promise<number>((r) => c.on('data', (d) => r(d[0]!)));
        c.write(new Uint8Array([100]));
        const v = await reply;
        c.close();
        return v;
      }),
    );
    expect(sums).toEqual(Array.from({ length: n }, (_, i) => 100 + ((i + 1) % n)));
    await settle();
    expect(net.openConnections).toBe(0);
  });
});
