/**
 * The proxy end to end over a simulated network (real tunnels, real ratchet garlic, real
 * streaming, the fake clock driven while real sockets talk): a node http.Server behind a
 * destination, fed its I2pStreams as connections; the real proxy on 127.0.0.1; a real HTTP
 * client fetching through it.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AddressBook } from '../../../src/router/client/addressbook.js';
import type { LocalDestination } from '../../../src/router/client/destination.js';
import { HttpProxy } from '../../../src/router/api/http-proxy/server.js';
import { FIXED_USER_AGENT } from '../../../src/router/api/http-proxy/headers.js';
import { encodeDestination, i2pBase64Encode } from '../../../src/router/data/index.js';
import { cryptoRandom } from '../../../src/router/runtime/random.js';
import { ROUTER_SCHEMA_VERSION } from '../../../src/state/layout.js';
import { openMemoryStorage } from '../../../src/state/memory-storage.js';
import type { Storage } from '../../../src/state/store.js';
import { ClientNetwork } from '../client/client-network.js';
import { bodyOf, fetchViaProxy, sha256hex } from './fake-site.js';

const HOPS = { length: 2, quantity: 2, variance: 0 };

describe('the HTTP proxy over a simulated I2P network', () => {
  let cn: ClientNetwork;
  let site: LocalDestination;
  let client: LocalDestination;
  let storage: Storage;
  let proxy: HttpProxy;
  let port: number;
  const seen: { url: string; headers: IncomingHttpHeaders }[] = [];

  beforeAll(async () => {
    cn = await ClientNetwork.create({ routers: 6, seed: 'http proxy', floodfills: [0, 1], inbound: HOPS, outbound: HOPS });
    cn.net.start();
    site = cn.client(4).destinations.create(undefined, { inbound: HOPS, outbound: HOPS });
    // The proxy's destination publishes nothing: its LeaseSet rides in the garlic to the site.
    client = cn.client(2).destinations.create(undefined, { inbound: HOPS, outbound: HOPS, publish: false });
    expect(await cn.net.runUntil(() => site.counters.confirmed >= 1 && client.tunnelCounts().inbound > 0 && client.tunnelCounts().outbound > 0, 120_000)).toBe(true);
    const web = createServer((req, res) => {
      seen.push({ url: req.url!, headers: req.headers });
      const m = /^\/bytes\/(\d+)$/.exec(req.url!);
      if (!m) {
        res.writeHead(404).end();
        return;
      }
      const body = bodyOf(Number(m[1]));
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length });
      res.end(body);
    });
    site.streams.listen((s) => web.emit('connection', s));
    storage = await openMemoryStorage({ schema: ROUTER_SCHEMA_VERSION });
    const book = AddressBook.fromStorage(storage);
    await book.add('site.i2p', i2pBase64Encode(encodeDestination(site.keys.privateKeys.destination)));
    proxy = new HttpProxy({ connect: (hash, o) => client.streams.connect(hash, o), addressBook: book, random: cryptoRandom }, { host: '127.0.0.1', port: 0 });
    port = (await proxy.listen()).port;
  }, 120_000);

  afterAll(async () => {
    await proxy?.close();
    await storage?.close();
    cn?.stop();
  });

  it.each([
    ['site.i2p', 1024],
    ['b32', 1024 * 1024],
  ])('fetches %s /bytes/%d through real streams, SHA-256 identical', async (host, n) => {
    const h = host === 'b32' ? site.b32 : host;
    const before = seen.length;
    const r = await cn.net.drive(
      fetchViaProxy(port, `http://${h}/bytes/${n}`, {
        headers: { 'User-Agent': 'Mozilla/5.0 Firefox/128.0', 'Accept-Language': 'en', 'X-Forwarded-For': '192.0.2.1', Via: '1.0 x', From: 'a@b', Referer: 'http://elsewhere.i2p/' },
      }),
      600_000,
      20,
    );
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(n);
    expect(sha256hex(r.body)).toBe(sha256hex(bodyOf(n)));
    expect(r.headers.connection).toBe('close');
    const got = seen[before];
    expect(got.url).toBe(`/bytes/${n}`);
    expect(got.headers.host).toBe(h);
    expect(got.headers['user-agent']).toBe(FIXED_USER_AGENT);
    expect(got.headers.connection).toBe('close');
    for (const k of ['accept-language', 'x-forwarded-for', 'via', 'from', 'referer', 'proxy-connection']) expect(got.headers[k]).toBeUndefined();
  }, 300_000);

  it('a destination nobody published: 504 "site unreachable" page', async () => {
    const nowhere = cn.client(3).destinations.create(undefined, { inbound: HOPS, outbound: HOPS, publish: false });
    const r = await cn.net.drive(fetchViaProxy(port, `http://${nowhere.b32}/`), 600_000, 50);
    expect(r.status).toBe(504);
    expect(r.body.toString()).toContain('unreachable');
  }, 300_000);
});
