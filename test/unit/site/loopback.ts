import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import net from 'node:net';
import { Duplex } from 'node:stream';
import type { ListenFn } from '../../../src/apps/site/serve.js';

/**
 * Plain loopback TCP standing in for the garlic transport. Each socket is wrapped in a bare
 * Duplex (not a net.Socket), as an I2pStream is one, so nothing here leans on socket-only APIs.
 */
export function wrapSocket(sock: net.Socket, remoteB32?: string): Duplex & { remoteB32?: string } {
  const d = new Duplex({
    read() {
      sock.resume();
    },
    write(chunk, _enc, cb) {
      sock.write(chunk as Buffer, cb);
    },
    final(cb) {
      sock.end();
      cb();
    },
    destroy(err, cb) {
      sock.destroy();
      cb(err);
    },
  }) as Duplex & { remoteB32?: string };
  if (remoteB32 !== undefined) d.remoteB32 = remoteB32;
  sock.on('data', (c: Buffer) => {
    if (!d.push(c)) sock.pause();
  });
  let ended = false;
  sock.on('end', () => {
    ended = true;
    d.push(null);
  });
  sock.on('error', (e) => d.destroy(e));
  // After a clean end the Duplex may still hold unread data: let the reader drain it.
  sock.on('close', () => {
    if (!ended || d.readableEnded) d.destroy();
    else d.once('end', () => d.destroy());
  });
  return d;
}

export interface LoopbackListener {
  readonly listen: ListenFn;
  port(): number;
  /** Stops the TCP server (serveSite's close calls the ListenFn's stopper). */
  close(): Promise<void>;
}

/** A ListenFn on 127.0.0.1; every stream it delivers claims the visitor `remoteB32`. */
export async function loopbackListener(remoteB32?: string): Promise<LoopbackListener> {
  let handler: ((s: Duplex) => void) | undefined;
  const server = net.createServer((sock) => {
    if (handler) handler(wrapSocket(sock, remoteB32));
    else sock.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const close = (): Promise<void> => new Promise((r) => server.close(() => r()));
  return {
    listen: (onStream) => {
      handler = onStream;
      return () => {
        handler = undefined;
      };
    },
    port: () => (server.address() as net.AddressInfo).port,
    close,
  };
}

export function connectLoopback(port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.once('connect', () => resolve(wrapSocket(sock)));
    sock.once('error', reject);
  });
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** One request with node's client over a wrapped loopback stream. */
export async function request(port: number, method: string, path: string, headers: OutgoingHttpHeaders = {}, body?: Buffer | string): Promise<Reply> {
  const stream = await connectLoopback(port);
  return new Promise<Reply>((resolve, reject) => {
    const req = http.request({ method, path, headers: { Host: 'site.i2p', Connection: 'close', ...headers }, createConnection: () => stream }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * A request written byte for byte (node's client would normalise or refuse the paths the
 * traversal tests need); the response parsed just enough for status, headers and body.
 */
export async function rawRequest(port: number, text: string): Promise<Reply> {
  const stream = await connectLoopback(port);
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve());
    stream.on('close', () => resolve());
    stream.on('error', reject);
    stream.write(text);
  });
  const all = Buffer.concat(chunks);
  const split = all.indexOf('\r\n\r\n');
  if (split < 0) throw new Error(`no response head in ${JSON.stringify(all.toString('latin1').slice(0, 200))}`);
  const lines = all.subarray(0, split).toString('latin1').split('\r\n');
  const status = Number(lines[0].split(' ')[1]);
  const headers: IncomingHttpHeaders = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status, headers, body: all.subarray(split + 4) };
}

export function get(path: string): string {
  return `GET ${path} HTTP/1.1\r\nHost: site.i2p\r\nConnection: close\r\n\r\n`;
}
