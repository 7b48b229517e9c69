import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AddressBook } from '../../../src/router/client/addressbook.js';
import { extractAddressHelper, MAX_PENDING, NONCE_TTL_MS, PendingChoices } from '../../../src/router/api/http-proxy/addresshelper.js';
import { HttpProxy } from '../../../src/router/api/http-proxy/server.js';
import { b32FromHash, createPrivateKeys, encodeDestination, i2pBase64Encode, keysAndCertHash } from '../../../src/router/data/index.js';
import { cryptoRandom, SeededRandom } from '../../../src/router/runtime/random.js';
import { ROUTER_SCHEMA_VERSION } from '../../../src/state/layout.js';
import { openMemoryStorage } from '../../../src/state/memory-storage.js';
import type { Storage } from '../../../src/state/store.js';
import { FakeSite, fetchViaProxy } from './fake-site.js';

const newDest = () => {
  const k = createPrivateKeys();
  return { b64: i2pBase64Encode(encodeDestination(k.destination)), b32: b32FromHash(keysAndCertHash(k.destination)) };
};

describe('extractAddressHelper', () => {
  it('finds the helper as the only, first or a later parameter, and takes it out of the path', () => {
    expect(extractAddressHelper('/p?i2paddresshelper=AAAA')).toEqual({ destination: 'AAAA', cleanPath: '/p' });
    expect(extractAddressHelper('/p?i2paddresshelper=AA~-&x=1')).toEqual({ destination: 'AA~-', cleanPath: '/p?x=1' });
    expect(extractAddressHelper('/p?x=1&i2paddresshelper=A%3D%3D&y=2')).toEqual({ destination: 'A==', cleanPath: '/p?x=1&y=2' });
    expect(extractAddressHelper('/p?x=1')).toBeUndefined();
    expect(extractAddressHelper('/p?noti2paddresshelper=1')).toBeUndefined();
    expect(extractAddressHelper('/p')).toBeUndefined();
    expect(() => extractAddressHelper('/p?i2paddresshelper=%E0%A4%A')).toThrow(expect.objectContaining({ code: 'BAD_TARGET' }));
  });
});

describe('PendingChoices', () => {
  it('a nonce works once, expires after its TTL, and at most MAX_PENDING are kept', () => {
    let now = 0;
    const c = new PendingChoices(new SeededRandom('nonces'), () => now);
    const n1 = c.offer({ host: 'a.i2p', destination: 'X', cleanPath: '/', port: 80 });
    expect(n1).toMatch(/^[0-9a-f]{32}$/);
    expect(c.take('0'.repeat(32))).toBeUndefined();
    expect(c.take(n1)).toMatchObject({ host: 'a.i2p' });
    expect(c.take(n1)).toBeUndefined();
    const n2 = c.offer({ host: 'b.i2p', destination: 'X', cleanPath: '/', port: 80 });
    now += NONCE_TTL_MS + 1;
    expect(c.take(n2)).toBeUndefined();
    const first = c.offer({ host: 'c.i2p', destination: 'X', cleanPath: '/', port: 80 });
    for (let i = 0; i < MAX_PENDING; i++) c.offer({ host: `d${i}.i2p`, destination: 'X', cleanPath: '/', port: 80 });
    expect(c.size).toBe(MAX_PENDING);
    expect(c.take(first)).toBeUndefined();
  });
});

describe('address helper links through the proxy', () => {
  let storage: Storage;
  let book: AddressBook;
  let proxy: HttpProxy;
  let port: number;
  const site = new FakeSite();

  beforeAll(async () => {
    storage = await openMemoryStorage({ schema: ROUTER_SCHEMA_VERSION });
    book = AddressBook.fromStorage(storage);
    proxy = new HttpProxy({ connect: site.connect, addressBook: book, random: cryptoRandom }, { host: '127.0.0.1', port: 0 });
    port = (await proxy.listen()).port;
  });
  afterAll(async () => {
    await proxy.close();
    await storage.close();
  });

  const confirmLink = (html: string, action: 'save' | 'once') => {
    const m = new RegExp(`href="(http://proxy\\.i2p/addresshelper\\?nonce=[0-9a-f]{32}&amp;action=${action})"`).exec(html);
    expect(m, `a ${action} link`).not.toBeNull();
    return m![1].replace(/&amp;/g, '&');
  };

  it('an unknown name: a choice page, nothing saved, nothing fetched; "save" saves and redirects to the clean URL', async () => {
    const d = newDest();
    const r = await fetchViaProxy(port, `http://new.i2p/page?a=1&i2paddresshelper=${d.b64}`);
    expect(r.status).toBe(200);
    const html = r.body.toString();
    expect(html).toContain(d.b32);
    expect(r.headers['x-frame-options']).toBe('DENY');
    expect(r.headers['cache-control']).toBe('no-store');
    expect(await book.get('new.i2p')).toBeUndefined();
    expect(site.connections).toBe(0);
    const save = await fetchViaProxy(port, confirmLink(html, 'save'));
    expect(save.status).toBe(302);
    expect(save.headers.location).toBe('http://new.i2p/page?a=1');
    expect((await book.get('new.i2p'))?.destination).toBe(d.b64);
    // The nonce was one-time.
    const again = await fetchViaProxy(port, confirmLink(html, 'save'));
    expect(again.status).toBe(403);
  });

  it('"continue without saving" goes to the b32 address, and saves nothing', async () => {
    const d = newDest();
    const r = await fetchViaProxy(port, `http://once.i2p/?i2paddresshelper=${d.b64}`);
    const go = await fetchViaProxy(port, confirmLink(r.body.toString(), 'once'));
    expect(go.status).toBe(302);
    expect(go.headers.location).toBe(`http://${d.b32}/`);
    expect(await book.get('once.i2p')).toBeUndefined();
  });

  it('a guessed or missing nonce saves nothing', async () => {
    const d = newDest();
    await fetchViaProxy(port, `http://guess.i2p/?i2paddresshelper=${d.b64}`);
    for (const url of ['http://proxy.i2p/addresshelper?action=save', `http://proxy.i2p/addresshelper?nonce=${'ab'.repeat(16)}&action=save`, 'http://proxy.i2p/addresshelper?nonce=&action=save']) {
      expect((await fetchViaProxy(port, url)).status).toBe(403);
    }
    expect(await book.get('guess.i2p')).toBeUndefined();
  });

  it('a name held by another destination: a conflict page, the entry is kept, no save link', async () => {
    const mine = newDest();
    const theirs = newDest();
    await book.add('bank.i2p', mine.b64);
    const r = await fetchViaProxy(port, `http://bank.i2p/login?i2paddresshelper=${theirs.b64}`);
    expect(r.status).toBe(409);
    const html = r.body.toString();
    expect(html).toContain(mine.b32);
    expect(html).toContain(theirs.b32);
    expect(html).not.toContain('action=save');
    expect((await book.get('bank.i2p'))?.destination).toBe(mine.b64);
  });

  it('the same destination as saved: straight on to the clean URL; a bad destination: 400', async () => {
    const d = newDest();
    await book.add('same.i2p', d.b64);
    const r = await fetchViaProxy(port, `http://same.i2p/x?i2paddresshelper=${d.b64}`);
    expect(r.status).toBe(302);
    expect(r.headers.location).toBe('http://same.i2p/x');
    const bad = await fetchViaProxy(port, 'http://bad.i2p/?i2paddresshelper=notadestination');
    expect(bad.status).toBe(400);
    expect(bad.body.toString()).toContain('no valid destination');
  });

  it('a saving race: a name taken between the page and the click gives the conflict page', async () => {
    const d = newDest();
    const r = await fetchViaProxy(port, `http://race.i2p/?i2paddresshelper=${d.b64}`);
    const other = newDest();
    await book.add('race.i2p', other.b64);
    const save = await fetchViaProxy(port, confirmLink(r.body.toString(), 'save'));
    expect(save.status).toBe(409);
    expect((await book.get('race.i2p'))?.destination).toBe(other.b64);
  });
});
