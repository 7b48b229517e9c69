import { createServer, type IncomingHttpHeaders } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AddressBook } from '../../../src/router/client/addressbook.js';
import { fetchHostsTxt, parseSubscriptionUrl } from '../../../src/router/api/http-proxy/hosts-fetch.js';
import { MAX_SUBSCRIPTIONS, SUBSCRIPTION_INTERVAL_MS, SubscriptionError, Subscriptions } from '../../../src/router/api/http-proxy/subscriptions.js';
import { FIXED_USER_AGENT } from '../../../src/router/api/http-proxy/headers.js';
import { HttpProxyError } from '../../../src/router/api/http-proxy/errors.js';
import { b32FromHash, createPrivateKeys, encodeDestination, i2pBase64Encode, keysAndCertHash } from '../../../src/router/data/index.js';
import { silentLogger } from '../../../src/router/log.js';
import { ManualClock } from '../../../src/router/runtime/clock.js';
import { ROUTER_SCHEMA_VERSION } from '../../../src/state/layout.js';
import { openMemoryStorage } from '../../../src/state/memory-storage.js';
import type { Storage } from '../../../src/state/store.js';
import { duplexPair } from './fake-site.js';

const dest = () => {
  const k = createPrivateKeys();
  return { b64: i2pBase64Encode(encodeDestination(k.destination)), hash: keysAndCertHash(k.destination) };
};
const feed = dest();
const FEED = b32FromHash(feed.hash);
const A = dest();
const B = dest();
const C = dest();

/** A hosts.txt server reached only by the feed's hash; ETag-aware, chunked on request. */
function hostsServer(state: { text: string; etag: string; chunked: boolean; requests: IncomingHttpHeaders[]; status?: number }) {
  const server = createServer((req, res) => {
    state.requests.push(req.headers);
    if (state.status) return res.writeHead(state.status).end('no');
    if (req.headers['if-none-match'] === state.etag) return res.writeHead(304, { ETag: state.etag }).end();
    const headers: Record<string, string> = { 'Content-Type': 'text/plain', ETag: state.etag, 'Last-Modified': 'Wed, 25 Nov 2026 10:00:00 GMT' };
    if (!state.chunked) headers['Content-Length'] = String(Buffer.byteLength(state.text));
    res.writeHead(200, headers);
    if (state.chunked) {
      const mid = Math.floor(state.text.length / 2);
      res.write(state.text.slice(0, mid));
      res.end(state.text.slice(mid));
    } else {
      res.end(state.text);
    }
  });
  const connect = async (hash: Uint8Array) => {
    if (b32FromHash(hash) !== FEED) throw Object.assign(new Error('no route'), { code: 'NO_ROUTE' });
    const [mine, theirs] = duplexPair();
    server.emit('connection', theirs);
    return mine;
  };
  return connect;
}

/** Real time passes (streams and the HTTP server run on the event loop); bounded. */
async function until(cond: () => boolean | Promise<boolean>, maxMs = 10_000): Promise<void> {
  const end = Date.now() + maxMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('address-book subscriptions', () => {
  let storage: Storage;
  let book: AddressBook;
  let clock: ManualClock;
  let state: { text: string; etag: string; chunked: boolean; requests: IncomingHttpHeaders[]; status?: number };
  let subs: Subscriptions;

  beforeEach(async () => {
    storage = await openMemoryStorage({ schema: ROUTER_SCHEMA_VERSION });
    clock = new ManualClock(Date.UTC(2026, 10, 26));
    book = AddressBook.fromStorage(storage, { clock });
    state = { text: '', etag: '"v1"', chunked: false, requests: [] };
    subs = new Subscriptions({ storage, addressBook: book, clock, log: silentLogger, connect: hostsServer(state) });
  });
  afterEach(async () => {
    subs.stop();
    await storage.close();
  });

  it('merges a hosts.txt into the book without replacing names it holds; skips bad lines', async () => {
    await book.add('mine.i2p', A.b64);
    state.text = `# a feed\nmine.i2p=${B.b64}\nnew.i2p=${C.b64}#!sig=xyz\nbad_name.i2p=${C.b64}\nnot a line\n`;
    expect(await subs.add(`http://${FEED}/hosts.txt`)).toEqual({ url: `http://${FEED}/hosts.txt`, status: 'added' });
    const [r] = await subs.refresh();
    expect(r.lastResult).toEqual({ ok: true, notModified: false, added: 1, unchanged: 0, skipped: 3, bytes: Buffer.byteLength(state.text) });
    expect((await book.get('mine.i2p'))?.destination).toBe(A.b64);
    expect((await book.get('new.i2p'))?.destination).toBe(C.b64);
    expect(state.requests[0]['user-agent']).toBe(FIXED_USER_AGENT);
    expect(state.requests[0].host).toBe(FEED);
    expect(r.etag).toBe('"v1"');
  });

  it('asks conditionally the second time (If-None-Match / If-Modified-Since); a 304 changes nothing', async () => {
    state.text = `one.i2p=${A.b64}\n`;
    await subs.add(`http://${FEED}/hosts.txt`);
    await subs.refresh();
    const [again] = await subs.refresh();
    expect(state.requests[1]['if-none-match']).toBe('"v1"');
    expect(state.requests[1]['if-modified-since']).toBe('Wed, 25 Nov 2026 10:00:00 GMT');
    expect(again.lastResult).toMatchObject({ ok: true, notModified: true });
    expect((await subs.list())[0].lastResult).toMatchObject({ notModified: true });
  });

  it('reads chunked answers; records failures (HTTP errors, unknown hosts) without throwing', async () => {
    state.chunked = true;
    state.text = `chunk.i2p=${A.b64}\n`;
    await subs.add(`http://${FEED}/hosts.txt`);
    await subs.add('http://unknown-feed.i2p/hosts.txt');
    const results = await subs.refresh();
    expect(results[0].lastResult).toMatchObject({ ok: true, added: 1 });
    expect(results[1].lastResult).toMatchObject({ ok: false });
    expect((results[1].lastResult as { error: string }).error).toContain('not in the address book');
    state.status = 500;
    const [failed] = await subs.refresh(`http://${FEED}/hosts.txt`);
    expect(failed.lastResult).toEqual({ ok: false, error: `${FEED} answered HTTP 500` });
  });

  it('fetches soon after start and every 12 hours after', async () => {
    state.text = `timed.i2p=${A.b64}\n`;
    await subs.add(`http://${FEED}/hosts.txt`);
    subs.start(1_000);
    clock.advance(999);
    await new Promise((r) => setTimeout(r, 20));
    expect(state.requests).toHaveLength(0);
    clock.advance(1);
    await until(() => state.requests.length === 1);
    // The next round is scheduled once this one is done: 12 hours from then.
    const done = clock.now();
    await until(() => clock.nextDue() !== undefined);
    expect(clock.nextDue()).toBe(done + SUBSCRIPTION_INTERVAL_MS);
    expect((await subs.list())[0].lastResult).toMatchObject({ ok: true, added: 1 });
    clock.advance(SUBSCRIPTION_INTERVAL_MS);
    await until(() => state.requests.length === 2);
    subs.stop();
    clock.advance(SUBSCRIPTION_INTERVAL_MS);
    await new Promise((r) => setTimeout(r, 50));
    expect(state.requests).toHaveLength(2);
  });

  it('only http:// URLs on .i2p hosts; the same URL twice is one; at most MAX_SUBSCRIPTIONS; remove', async () => {
    for (const bad of ['https://feed.i2p/hosts.txt', 'http://example.com/hosts.txt', 'http://127.0.0.1/hosts.txt', 'feed.i2p/hosts.txt', 'http://proxy.i2p/x']) {
      await expect(subs.add(bad)).rejects.toBeInstanceOf(SubscriptionError);
    }
    expect((await subs.add('http://Feed.i2p:80/hosts.txt')).url).toBe('http://feed.i2p/hosts.txt');
    expect((await subs.add('http://feed.i2p/hosts.txt')).status).toBe('unchanged');
    for (let i = 1; i < MAX_SUBSCRIPTIONS; i++) await subs.add(`http://feed${i}.i2p/hosts.txt`);
    await expect(subs.add('http://onemore.i2p/hosts.txt')).rejects.toMatchObject({ code: 'LIMIT' });
    expect(await subs.remove('http://feed.i2p/hosts.txt')).toBe(true);
    expect(await subs.remove('http://feed.i2p/hosts.txt')).toBe(false);
    expect(await subs.list()).toHaveLength(MAX_SUBSCRIPTIONS - 1);
  });

  it('bounds the body: a hosts.txt over the limit is refused', async () => {
    state.text = 'x'.repeat(5000);
    await expect(fetchHostsTxt(`http://${FEED}/hosts.txt`, { connect: hostsServer(state), addressBook: book }, { timeoutMs: 5_000, maxBytes: 4096 })).rejects.toBeInstanceOf(HttpProxyError);
    state.chunked = true;
    await expect(fetchHostsTxt(`http://${FEED}/hosts.txt`, { connect: hostsServer(state), addressBook: book }, { timeoutMs: 5_000, maxBytes: 4096 })).rejects.toThrow(/larger than 4096/);
    expect(parseSubscriptionUrl('http://feed.i2p:8080')).toEqual({ host: 'feed.i2p', port: 8080, path: '/' });
  });
});
