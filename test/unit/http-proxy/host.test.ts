import { describe, expect, it } from 'vitest';
import { AddressBook } from '../../../src/router/client/addressbook.js';
import { HttpProxyError } from '../../../src/router/api/http-proxy/errors.js';
import { classifyHost, resolveTarget } from '../../../src/router/api/http-proxy/host.js';
import { b32FromHash, createPrivateKeys, encodeDestination, i2pBase64Encode, keysAndCertHash } from '../../../src/router/data/index.js';
import { ROUTER_SCHEMA_VERSION } from '../../../src/state/layout.js';
import { openMemoryStorage } from '../../../src/state/memory-storage.js';

const keys = createPrivateKeys();
const hash = keysAndCertHash(keys.destination);
const b32 = b32FromHash(hash);

function refused(host: string): HttpProxyError {
  try {
    classifyHost(host);
  } catch (e) {
    expect(e).toBeInstanceOf(HttpProxyError);
    return e as HttpProxyError;
  }
  throw new Error(`${host} was accepted`);
}

describe('which hosts the proxy reaches', () => {
  it('a b32 address: its own hash, no lookup of any kind', () => {
    const t = classifyHost(b32);
    expect(t.kind).toBe('b32');
    expect(t.kind === 'b32' && Buffer.from(t.hash).equals(Buffer.from(hash))).toBe(true);
    expect(classifyHost(b32.toUpperCase()).kind).toBe('b32');
    expect(classifyHost(`${b32}.`).kind).toBe('b32');
  });

  it('an address-book style name (also under .i2p.alt), and proxy.i2p for the proxy itself', () => {
    expect(classifyHost('forum.i2p')).toEqual({ kind: 'name', host: 'forum.i2p' });
    expect(classifyHost('www.forum.i2p')).toEqual({ kind: 'name', host: 'www.forum.i2p' });
    expect(classifyHost('forum.i2p.alt')).toEqual({ kind: 'name', host: 'forum.i2p' });
    expect(classifyHost('proxy.i2p')).toEqual({ kind: 'proxy' });
  });

  it.each([
    ['example.com', 'NOT_I2P', 403],
    ['i2p.example.org', 'NOT_I2P', 403],
    ['onion.i2p.net', 'NOT_I2P', 403],
    ['127.0.0.1', 'IP_LITERAL', 403],
    ['10.1.2.3', 'IP_LITERAL', 403],
    ['[::1]', 'IP_LITERAL', 403],
    ['2130706433', 'IP_LITERAL', 403],
    ['0x7f000001', 'IP_LITERAL', 403],
    ['127.1', 'IP_LITERAL', 403],
    ['localhost', 'LOCALHOST', 403],
    ['app.localhost', 'LOCALHOST', 403],
    ['intranet', 'BARE_NAME', 403],
    ['i2p', 'BARE_NAME', 403],
    ['abc.b32.i2p', 'BAD_HOST', 400],
    [`${'a'.repeat(60)}.b32.i2p`, 'B33_UNSUPPORTED', 400],
    [`${'a'.repeat(516)}.i2p`, 'BASE64_HOST', 400],
    ['-bad.i2p', 'BAD_HOST', 400],
    ['a..b.i2p', 'BAD_HOST', 400],
    ['under_score.i2p', 'BAD_HOST', 400],
    ['router.i2p', 'BAD_HOST', 400],
  ])('%s is refused (%s, HTTP %d) and the page says there is no outproxy where it applies', (host, code, status) => {
    const e = refused(host);
    expect(e.code).toBe(code);
    expect(e.status).toBe(status);
    if (status === 403) expect(e.message).toContain("anon's proxy only reaches .i2p sites; there is no outproxy");
  });
});

describe('resolveTarget', () => {
  it('names go through the address book; an unknown one is UNKNOWN_NAME (404)', async () => {
    const storage = await openMemoryStorage({ schema: ROUTER_SCHEMA_VERSION });
    const book = AddressBook.fromStorage(storage);
    await book.add('known.i2p', i2pBase64Encode(encodeDestination(keys.destination)));
    const r = await resolveTarget({ kind: 'name', host: 'known.i2p' }, book);
    expect(Buffer.from(r.hash).equals(Buffer.from(hash))).toBe(true);
    await expect(resolveTarget({ kind: 'name', host: 'unknown.i2p' }, book)).rejects.toMatchObject({ code: 'UNKNOWN_NAME', status: 404 });
    // b32 addresses never touch the book.
    const never = { resolve: () => Promise.reject(new Error('asked the address book')) };
    expect((await resolveTarget({ kind: 'b32', host: b32, hash }, never)).hash).toBe(hash);
    await storage.close();
  });
});
