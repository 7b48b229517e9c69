import { describe, expect, it } from 'vitest';
import { nodeNetwork, type Connection } from '../../../src/router/runtime/net.js';

function once<T extends unknown[]>(conn: Connection, event: 'close' | 'data'): Promise<T> {
  return new Promise((r) => conn.on(event, ((...args: T) => r(args)) as never));
}

describe('nodeNetwork (loopback, ephemeral port)', () => {
  it('listens, dials from a bound local address, echoes bytes and propagates close', async () => {
    const accepted: Connection[] = [];
    const listener = await nodeNetwork.listen('127.0.0.1', 0, (conn) => {
      accepted.push(conn);
      conn.on('data', (chunk) => conn.write(chunk));
    });
    expect(listener.port).toBeGreaterThan(0);
    const conn = await nodeNetwork.dial('127.0.0.1', listener.port, { localAddress: '127.0.0.1' });
    expect(conn.remoteAddress).toBe('127.0.0.1');
    expect(conn.remotePort).toBe(listener.port);
    expect(conn.localAddress).toBe('127.0.0.1');

    const received: number[] = [];
    const all = new Promise<void>((resolve) =>
      conn.on('data', (chunk) => {
        received.push(...chunk);
        if (received.length >= 1000) resolve();
      }),
    );
    const payload = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);
    conn.write(payload.subarray(0, 400));
    conn.write(payload.subarray(400));
    await all;
    expect(Uint8Array.from(received)).toEqual(payload);
    expect(accepted).toHaveLength(1);
    expect(accepted[0]!.remotePort).toBe(conn.localPort);

    const serverClosed = once<[boolean]>(accepted[0]!, 'close');
    const clientClosed = once<[boolean]>(conn, 'close');
    conn.close();
    expect(await serverClosed).toEqual([false]);
    expect(await clientClosed).toEqual([false]);
    await listener.close();
  });

  it('refuses a dial to a closed port with a typed error', async () => {
    const listener = await nodeNetwork.listen('127.0.0.1', 0, () => undefined);
    const port = listener.port;
    await listener.close();
    await expect(nodeNetwork.dial('127.0.0.1', port)).rejects.toMatchObject({ name: 'RuntimeError', code: 'ECONNREFUSED' });
  });

  it('reports a taken port as EADDRINUSE', async () => {
    const listener = await nodeNetwork.listen('127.0.0.1', 0, () => undefined);
    await expect(nodeNetwork.listen('127.0.0.1', listener.port, () => undefined)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await listener.close();
  });

  it('a destroy on one side closes the other without crashing the process', async () => {
    const accepted: Connection[] = [];
    const listener = await nodeNetwork.listen('127.0.0.1', 0, (c) => accepted.push(c));
    const conn = await nodeNetwork.dial('127.0.0.1', listener.port);
    const clientClosed = once<[boolean]>(conn, 'close');
    // Wait until accepted, then reset from the server side.
    for (let i = 0; i < 100 && accepted.length === 0; i++) await new Promise((r) => setImmediate(r));
    const server = accepted[0]!;
    const serverErrors: string[] = [];
    server.on('error', (e) => serverErrors.push(e.message));
    const serverClosed = once<[boolean]>(server, 'close');
    server.destroy(new Error('bye'));
    expect(await serverClosed).toEqual([true]);
    expect(serverErrors).toEqual(['bye']);
    // Nothing was unread, so the kernel sends FIN: the client sees an orderly close.
    expect(await clientClosed).toEqual([false]);
    await listener.close();
  });

  it('aborts a dial', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(nodeNetwork.dial('127.0.0.1', 1, { signal: ac.signal })).rejects.toMatchObject({ code: 'EABORTED' });
  });
});
