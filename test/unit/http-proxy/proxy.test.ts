import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Duplex } from 'node:stream';
import { AddressBook } from '../../../src/router/client/addressbook.js';
import { HttpProxy } from '../../../src/router/api/http-proxy/server.js';
import { FIXED_USER_AGENT } from '../../../src/router/api/http-proxy/headers.js';
import { b32FromHash, createPrivateKeys, encodeDestination, i2pBase64Encode, keysAndCertHash } from '../../../src/router/data/index.js';
import { cryptoRandom } from '../../../src/router/runtime/random.js';
import type { Storage } from '../../../src/state/store.js';
import { ROUTER_SCHEMA_VERSION } from '../../../src/state/layout.js';
import { openMemoryStorage } from '../../../src/state/memory-storage.js';
import { bodyOf, duplexPair, FakeSite, fetchViaProxy, rawViaProxy, sha256hex } from './fake-site.js';

const siteKeys = createPrivateKeys();
const siteHash = keysAndCertHash(siteKeys.destination);
const siteB32 = b32FromHash(siteHash);

/** Connect failures as the streaming layer reports them, by code. */
class CodedError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

describe('the HTTP proxy, against an in-memory site', () => {
  let storage: Storage;
  let book: AddressBook;
  let site: FakeSite;
  let proxy: HttpProxy;
  let port: number;
  const connects: { hash: string; toPort: number; timeoutMs: number }[] = [];
  let failWith: Error | undefined;
  let hang = false;

  beforeAll(async () => {
    storage = await openMemoryStorage({ schema: ROUTER_SCHEMA_VERSION });
    book = AddressBook.fromStorage(storage);
    await book.add('site.i2p', i2pBase64Encode(encodeDestination(siteKeys.destination)));
    site = new FakeSite();
    proxy = new HttpProxy(
      {
        connect: async (hash, opts) => {
          connects.push({ hash: b32FromHash(hash), ...opts });
          if (failWith) throw failWith;
          // A site that never answers: the streaming layer gives up after its connect timeout.
          if (hang) return new Promise<Duplex>((_, reject) => setTimeout(() => reject(new CodedError('TIMEOUT', 'no answer')), 400));
          if (b32FromHash(hash) !== siteB32) throw new CodedError('NO_ROUTE', 'no LeaseSet found');
          return site.connect(hash, opts);
        },
        addressBook: book,
        random: cryptoRandom,
      },
      { host: '127.0.0.1', port: 0, maxConnections: 8, headTimeoutMs: 500, responseTimeoutMs: 500 },
    );
    port = (await proxy.listen()).port;
  });

  afterAll(async () => {
    await proxy.close();
    await storage.close();
  });

  it.each([1024, 1024 * 1024])('fetches a %d-byte body by name and by b32, SHA-256 identical; Connection: close', async (n) => {
    for (const host of ['site.i2p', siteB32]) {
      const r = await fetchViaProxy(port, `http://${host}/bytes/${n}`);
      expect(r.status).toBe(200);
      expect(r.body.length).toBe(n);
      expect(sha256hex(r.body)).toBe(sha256hex(bodyOf(n)));
      expect(r.headers.connection).toBe('close');
      expect(r.headers['keep-alive']).toBeUndefined();
    }
    expect(connects.at(-1)).toMatchObject({ hash: siteB32, toPort: 80 });
  });

  it('the site sees origin form, its own Host, the fixed User-Agent, and none of the identifying headers', async () => {
    const before = site.seen.length;
    const r = await fetchViaProxy(port, 'http://site.i2p/echo?a=1', {
      headers: {
        'User-Agent': 'Mozilla/5.0 (Windows NT 10.0) Firefox/128.0',
        'Accept-Language': 'fr-FR',
        'X-Forwarded-For': '192.0.2.1',
        Via: '1.1 corp-proxy',
        From: 'me@example.com',
        Referer: 'http://other.i2p/secret-page',
        'Proxy-Authorization': 'Basic eDp5',
        Cookie: 'session=1',
      },
    });
    expect(r.status).toBe(200);
    const seen = site.seen[before];
    expect(seen.url).toBe('/echo?a=1');
    expect(seen.headers.host).toBe('site.i2p');
    expect(seen.headers['user-agent']).toBe(FIXED_USER_AGENT);
    expect(seen.headers.connection).toBe('close');
    expect(seen.headers.cookie).toBe('session=1');
    for (const h of ['accept-language', 'x-forwarded-for', 'via', 'from', 'referer', 'proxy-authorization', 'proxy-connection']) expect(seen.headers[h]).toBeUndefined();
  });

  it('streams a 3 MB POST body (Content-Length) and a chunked one to the site intact', async () => {
    const big = bodyOf(3 * 1024 * 1024 + 17);
    const r = await fetchViaProxy(port, 'http://site.i2p/echo', { method: 'POST', body: big, headers: { 'Content-Type': 'application/octet-stream' } });
    expect(JSON.parse(r.body.toString())).toEqual({ sha256: sha256hex(big), length: big.length });
    const parts = [bodyOf(1000), bodyOf(70_000), bodyOf(5)];
    const c = await fetchViaProxy(port, 'http://site.i2p/echo', { method: 'POST', body: parts });
    expect(JSON.parse(c.body.toString())).toEqual({ sha256: sha256hex(Buffer.concat(parts)), length: 71_005 });
    expect(site.seen.at(-1)!.headers['transfer-encoding']).toBe('chunked');
  });

  it('answers Expect: 100-continue itself, and passes a chunked response through', async () => {
    const raw = await rawViaProxy(port, 'POST http://site.i2p/echo HTTP/1.1\r\nHost: site.i2p\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\nabc');
    expect(raw.startsWith('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n')).toBe(true);
    expect(raw).toContain(sha256hex(Buffer.from('abc')));
    expect(site.seen.at(-1)!.headers.expect).toBeUndefined();
    const ch = await fetchViaProxy(port, 'http://site.i2p/chunked');
    expect(ch.body.toString()).toBe('part one, part two');
  });

  it('clearnet hosts, IPs and localhost get a 403 page saying there is no outproxy, and nothing is connected', async () => {
    const n = connects.length;
    for (const url of ['http://example.com/', 'http://127.0.0.1:8080/', 'http://[::1]/', 'http://localhost:3000/', 'http://intranet/']) {
      const r = await fetchViaProxy(port, url);
      expect(r.status).toBe(403);
      expect(r.headers['content-type']).toContain('text/html');
      expect(r.body.toString()).toContain('there is no outproxy');
    }
    const c = await rawViaProxy(port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    expect(c).toMatch(/^HTTP\/1\.1 403 /);
    expect(connects.length).toBe(n);
  });

  it('bad requests get a 400/431 page; an unknown name a 404; a site without LeaseSet a 504', async () => {
    expect(await rawViaProxy(port, 'GARBAGE\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
    expect(await rawViaProxy(port, 'GET /index.html HTTP/1.1\r\nHost: site.i2p\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 [\s\S]*set it as the proxy/);
    expect(await rawViaProxy(port, `GET http://site.i2p/ HTTP/1.1\r\nX: ${'a'.repeat(70_000)}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 431 /);
    const unknown = await fetchViaProxy(port, 'http://nobody.i2p/');
    expect(unknown.status).toBe(404);
    expect(unknown.body.toString()).toContain('not in the address book');
    const other = b32FromHash(keysAndCertHash(createPrivateKeys().destination));
    const gone = await fetchViaProxy(port, `http://${other}/`);
    expect(gone.status).toBe(504);
    expect(gone.body.toString()).toContain('Site unreachable');
  });

  it('connect errors map to pages by code: TIMEOUT 504, REFUSED 502, LIMIT 503', async () => {
    try {
      for (const [code, status] of [['TIMEOUT', 504], ['REFUSED', 502], ['RESET', 502], ['LIMIT', 503], ['NO_TUNNELS', 503]] as const) {
        failWith = new CodedError(code, `simulated ${code}`);
        const r = await fetchViaProxy(port, 'http://site.i2p/');
        expect(r.status, code).toBe(status);
        expect(r.body.toString()).toContain(`simulated ${code}`);
      }
    } finally {
      failWith = undefined;
    }
  });

  it('a head that never ends times out with 408; a site that never answers gives 504', async () => {
    expect(await rawViaProxy(port, 'GET http://site.i2p/ HTTP/1.1\r\n')).toMatch(/^HTTP\/1\.1 408 /);
    const silent = new HttpProxy(
      {
        connect: async () => duplexPair()[0],
        addressBook: book,
        random: cryptoRandom,
      },
      { host: '127.0.0.1', port: 0, responseTimeoutMs: 200 },
    );
    const p = (await silent.listen()).port;
    try {
      expect((await fetchViaProxy(p, 'http://site.i2p/')).status).toBe(504);
    } finally {
      await silent.close();
    }
  });

  it('a client that half-closes after its request still gets the whole answer', async () => {
    const { connect: rawConnect } = await import('node:net');
    const got = await new Promise<Buffer>((resolve, reject) => {
      const s = rawConnect({ host: '127.0.0.1', port, allowHalfOpen: true }, () => s.end('GET http://site.i2p/bytes/70000 HTTP/1.1\r\nHost: site.i2p\r\n\r\n'));
      const chunks: Buffer[] = [];
      s.on('data', (c: Buffer) => chunks.push(c));
      s.on('end', () => resolve(Buffer.concat(chunks)));
      s.on('error', reject);
    });
    const split = got.indexOf('\r\n\r\n');
    expect(got.subarray(0, split).toString()).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*Connection: close$/);
    expect(sha256hex(got.subarray(split + 4))).toBe(sha256hex(bodyOf(70_000)));
  });

  it('fuzz: random request heads from the browser get an error page or an answer, and the proxy goes on', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
        const answer = await rawViaProxy(port, Buffer.concat([Buffer.from(bytes), Buffer.from('\r\n\r\n')]));
        expect(answer).toMatch(/^HTTP\/1\.1 [2-5]\d\d /);
      }),
      { numRuns: 150 },
    );
    expect((await fetchViaProxy(port, 'http://site.i2p/bytes/100')).status).toBe(200);
  });

  it("fuzz: a site answering garbage gets the browser a 502 page (or the bytes, once a head parsed), never a crash", async () => {
    let reply = Buffer.alloc(0);
    const garbage = new HttpProxy(
      {
        connect: async (_hash, opts) => {
          const [mine, theirs] = duplexPair();
          theirs.once('data', () => theirs.end(reply));
          if (opts.initialData) mine.write(opts.initialData);
          return mine;
        },
        addressBook: book,
        random: cryptoRandom,
      },
      { host: '127.0.0.1', port: 0, responseTimeoutMs: 300 },
    );
    const p = (await garbage.listen()).port;
    try {
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\n'), Buffer.from(b), Buffer.from('\r\n\r\n')]))), async (bytes) => {
          reply = Buffer.from(bytes);
          const answer = await rawViaProxy(p, 'GET http://site.i2p/ HTTP/1.1\r\nHost: site.i2p\r\n\r\n');
          expect(answer).toMatch(/^HTTP\/1\.1 \d\d\d/);
          if (!answer.startsWith('HTTP/1.1 502 ') && !answer.startsWith('HTTP/1.1 504 ')) expect(answer.split('\r\n\r\n')[0]).toContain('Connection: close');
        }),
        { numRuns: 150 },
      );
    } finally {
      await garbage.close();
    }
  });

  it('CONNECT to an .i2p host opens a raw tunnel to the site', async () => {
    const raw = await rawViaProxy(port, 'CONNECT site.i2p:80 HTTP/1.1\r\nHost: site.i2p:80\r\n\r\nGET /bytes/10 HTTP/1.1\r\nHost: site.i2p\r\nConnection: close\r\n\r\n');
    expect(raw.startsWith('HTTP/1.1 200 Connection established\r\n\r\nHTTP/1.1 200 OK\r\n')).toBe(true);
    expect(connects.at(-1)).toMatchObject({ hash: siteB32, toPort: 80 });
  });

  it('holds at most maxConnections at once: the next gets a 503 page; the rest finish', async () => {
    hang = true;
    const { connect: rawConnect } = await import('node:net');
    const held = Array.from({ length: 8 }, () => {
      const s = rawConnect({ host: '127.0.0.1', port });
      s.on('error', () => undefined);
      s.write('GET http://site.i2p/ HTTP/1.1\r\nHost: site.i2p\r\n\r\n');
      return s;
    });
    try {
      await new Promise((r) => setTimeout(r, 100));
      expect(proxy.counters.active).toBe(8);
      const busy = await rawViaProxy(port, 'GET http://site.i2p/ HTTP/1.1\r\n\r\n');
      expect(busy).toMatch(/^HTTP\/1\.1 503 /);
      expect(proxy.counters.refusedBusy).toBe(1);
    } finally {
      hang = false;
      for (const s of held) s.destroy();
    }
    // A browser that went away keeps its slot only until the connect gives up.
    await new Promise((r) => setTimeout(r, 500));
    expect(proxy.counters.active).toBe(0);
    expect((await fetchViaProxy(port, 'http://site.i2p/bytes/5')).status).toBe(200);
  });
});
