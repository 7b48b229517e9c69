import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { request as httpRequest } from 'node:http';
import { connect as netConnect } from 'node:net';
import { Duplex } from 'node:stream';

/**
 * Test helpers for the proxy: two Duplex ends joined in memory (what a stream to a site looks
 * like to the proxy), a node http.Server fed those ends as connections (the site), and an HTTP
 * client that uses the proxy the way a browser does.
 */

export function duplexPair(): [Duplex, Duplex] {
  const make = (peer: () => Duplex) =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        peer().push(chunk);
        cb();
      },
      final(cb) {
        peer().push(null);
        cb();
      },
      destroy(err, cb) {
        const p = peer();
        if (!p.destroyed) p.destroy();
        cb(err);
      },
    });
  const a: Duplex = make(() => b);
  const b: Duplex = make(() => a);
  // What node's http server may ask of a socket.
  for (const d of [a, b]) Object.assign(d, { setTimeout: () => d, setNoDelay: () => d, setKeepAlive: () => d, remoteAddress: '127.0.0.1' });
  return [a, b];
}

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  bodySha256: string;
  bodyLength: number;
}

/** A site: serves /bytes/N (N pseudo-random bytes, fixed per N), echoes bodies' digests, records requests. */
export class FakeSite {
  readonly server: Server;
  readonly seen: SeenRequest[] = [];
  connections = 0;

  constructor() {
    this.server = createServer((req, res) => {
      const h = createHash('sha256');
      let n = 0;
      req.on('data', (c: Buffer) => {
        h.update(c);
        n += c.length;
      });
      req.on('end', () => {
        const seen = { method: req.method!, url: req.url!, headers: req.headers, rawHeaders: req.rawHeaders, bodySha256: h.digest('hex'), bodyLength: n };
        this.seen.push(seen);
        const m = /^\/bytes\/(\d+)$/.exec(req.url!);
        if (m) {
          const body = bodyOf(Number(m[1]));
          res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length, 'Keep-Alive': 'timeout=5' });
          res.end(body);
        } else if (req.url === '/chunked') {
          res.writeHead(200, { 'Content-Type': 'text/plain' });
          res.write('part one, ');
          setTimeout(() => res.end('part two'), 5);
        } else if (req.url!.split('?')[0] === '/echo') {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ sha256: seen.bodySha256, length: n }));
        } else {
          res.writeHead(404, { 'Content-Type': 'text/plain' });
          res.end('not here');
        }
      });
    });
  }

  /** A connect function for the proxy: a fresh in-memory stream into this site, `initialData` first. */
  connect = async (_hash?: Uint8Array, opts?: { initialData?: Uint8Array }): Promise<Duplex> => {
    const [proxySide, siteSide] = duplexPair();
    this.connections++;
    this.server.emit('connection', siteSide);
    if (opts?.initialData) proxySide.write(opts.initialData);
    return proxySide;
  };
}

/** Deterministic bytes, so the client can check what it got against a digest of its own. */
export function bodyOf(n: number): Buffer {
  const out = Buffer.alloc(n);
  let x = 0x12345678 ^ n;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

export const sha256hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export interface FetchResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** GET/POST through an HTTP proxy, as browsers and curl -x do: absolute URL in the request line. */
export function fetchViaProxy(proxyPort: number, url: string, opts: { method?: string; headers?: Record<string, string>; body?: Buffer | Buffer[] } = {}): Promise<FetchResult> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: proxyPort, method: opts.method ?? 'GET', path: url, headers: { Host: u.host, ...opts.headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    const body = opts.body;
    if (Array.isArray(body)) {
      // Written in pieces: a chunked request body.
      for (const b of body) req.write(b);
      req.end();
    } else {
      req.end(body);
    }
  });
}

/** Raw bytes to the proxy, everything it answers until it closes. */
export function rawViaProxy(proxyPort: number, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = netConnect({ host: '127.0.0.1', port: proxyPort }, () => s.write(bytes));
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    s.on('error', reject);
  });
}
