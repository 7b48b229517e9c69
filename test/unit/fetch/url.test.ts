import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FetchUrlError, parseFetchUrl, removeDotSegments, resolveRedirect } from '../../../src/apps/fetch/url.js';
import { createDestinationKeys } from '../../../src/router/client/destination-keys.js';
import { b32FromHash } from '../../../src/router/data/b32.js';
import { i2pBase64Encode } from '../../../src/router/data/base64.js';
import { encodeDestination } from '../../../src/router/data/keys-and-cert.js';
import { cryptoRandom } from '../../../src/router/runtime/random.js';
import { sha256 } from '../../../src/router/crypto/hash.js';

const hash = new Uint8Array(32).map((_, i) => i * 7);
const B32 = b32FromHash(hash);

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(FetchUrlError);
    expect((e as Error).message).not.toContain('\n');
    return (e as FetchUrlError).code;
  }
  return 'ok';
}

describe('parseFetchUrl', () => {
  it('b32 addresses, in any case, with the hash', () => {
    const u = parseFetchUrl(`http://${B32.toUpperCase()}/x?y=1#frag`);
    expect(u.host).toMatchObject({ kind: 'b32', host: B32 });
    if (u.host.kind === 'b32') expect(u.host.hash).toEqual(hash);
    expect(u.port).toBe(80);
    expect(u.path).toBe('/x?y=1');
    expect(u.hostHeader).toBe(B32);
    expect(u.href).toBe(`http://${B32}/x?y=1`);
  });

  it('address-book names, a default http:// and a path of /', () => {
    const u = parseFetchUrl('Stats.I2P');
    expect(u.host).toEqual({ kind: 'name', host: 'stats.i2p' });
    expect(u.path).toBe('/');
    expect(parseFetchUrl('http://forum.i2p?x').path).toBe('/?x');
    const p = parseFetchUrl('http://zzz.i2p:8080/a');
    expect(p.port).toBe(8080);
    expect(p.hostHeader).toBe('zzz.i2p:8080');
    expect(p.href).toBe('http://zzz.i2p:8080/a');
  });

  it('full base64 destinations, bare or with .i2p; sent with their b32 as Host', () => {
    const keys = createDestinationKeys(cryptoRandom);
    const bytes = encodeDestination(keys.privateKeys.destination);
    const b64 = i2pBase64Encode(bytes);
    for (const host of [b64, `${b64}.i2p`]) {
      const u = parseFetchUrl(`http://${host}/page`);
      expect(u.host.kind).toBe('base64');
      if (u.host.kind === 'base64') {
        expect(u.host.host).toBe(b64);
        expect(u.host.b32).toBe(b32FromHash(sha256(bytes)));
      }
      expect(u.hostHeader).toBe(b32FromHash(sha256(bytes)));
    }
    expect(codeOf(() => parseFetchUrl(`http://${'A'.repeat(520)}/`))).toBe('MALFORMED');
  });

  it('percent-encodes non-ASCII and unsafe characters in the path', () => {
    expect(parseFetchUrl('http://a.i2p/été/{x}').path).toBe('/%C3%A9t%C3%A9/%7Bx%7D');
    expect(parseFetchUrl('http://a.i2p/%41').path).toBe('/%41');
  });

  const refused: [string, string][] = [
    ['http://example.com/', 'NOT_I2P'],
    ['example.org', 'NOT_I2P'],
    ['http://127.0.0.1/', 'NOT_I2P'],
    ['http://[::1]:80/', 'NOT_I2P'],
    ['http://i2p.example.com', 'NOT_I2P'],
    ['https://stats.i2p/', 'UNSUPPORTED'],
    ['ftp://stats.i2p/', 'UNSUPPORTED'],
    [`http://${'a'.repeat(56)}.b32.i2p/`, 'UNSUPPORTED'],
    [`http://${'a'.repeat(51)}.b32.i2p/`, 'MALFORMED'],
    [`http://${'1'.repeat(52)}.b32.i2p/`, 'MALFORMED'],
    ['http://user:pw@stats.i2p/', 'MALFORMED'],
    ['http://stats.i2p:0/', 'MALFORMED'],
    ['http://stats.i2p:65536/', 'MALFORMED'],
    ['http://stats.i2p:8x/', 'MALFORMED'],
    ['http://.i2p/', 'MALFORMED'],
    ['http://a..b.i2p/', 'MALFORMED'],
    ['http://proxy.i2p/', 'MALFORMED'],
    ['http:///path', 'MALFORMED'],
    ['http://stats.i2p/a b', 'MALFORMED'],
    ['http://stats.i2p/a\r\nX-Evil: 1', 'MALFORMED'],
    ['', 'MALFORMED'],
    [`http://a.i2p/${'x'.repeat(9000)}`, 'MALFORMED'],
  ];
  for (const [url, code] of refused) {
    it(`refuses ${JSON.stringify(url.slice(0, 60))} (${code}) with one line`, () => {
      expect(codeOf(() => parseFetchUrl(url))).toBe(code);
    });
  }

  it('the NOT_I2P message says what to do', () => {
    expect(() => parseFetchUrl('http://example.com')).toThrow(/example\.com is not an \.i2p address: anon-fetch reads only I2P sites/);
  });
});

describe('resolveRedirect', () => {
  const base = parseFetchUrl('http://site.i2p:8080/a/c/d?q=1');
  it('relative references resolve against the current URL (RFC 3986)', () => {
    expect(resolveRedirect(base, '../b').href).toBe('http://site.i2p:8080/a/b');
    expect(resolveRedirect(base, 'e').href).toBe('http://site.i2p:8080/a/c/e');
    expect(resolveRedirect(base, './').href).toBe('http://site.i2p:8080/a/c/');
    expect(resolveRedirect(base, '/x/../y').href).toBe('http://site.i2p:8080/y');
    expect(resolveRedirect(base, '?z=2').href).toBe('http://site.i2p:8080/a/c/d?z=2');
    expect(resolveRedirect(base, '#top').href).toBe('http://site.i2p:8080/a/c/d?q=1');
    expect(resolveRedirect(base, '../../../../up').href).toBe('http://site.i2p:8080/up');
  });

  it('absolute and scheme-relative locations go through the same checks as a typed URL', () => {
    expect(resolveRedirect(base, 'http://other.i2p/p').href).toBe('http://other.i2p/p');
    expect(resolveRedirect(base, '//other.i2p/p').href).toBe('http://other.i2p/p');
    expect(codeOf(() => resolveRedirect(base, 'http://example.com/'))).toBe('NOT_I2P');
    expect(codeOf(() => resolveRedirect(base, '//example.com/'))).toBe('NOT_I2P');
    expect(codeOf(() => resolveRedirect(base, 'https://site.i2p/'))).toBe('UNSUPPORTED');
    expect(codeOf(() => resolveRedirect(base, 'javascript:alert(1)'))).toBe('UNSUPPORTED');
    expect(codeOf(() => resolveRedirect(base, ''))).toBe('MALFORMED');
  });

  it('removeDotSegments follows RFC 3986 §5.2.4 examples', () => {
    expect(removeDotSegments('/a/b/c/./../../g')).toBe('/a/g');
    expect(removeDotSegments('/../x')).toBe('/x');
    expect(removeDotSegments('/a/..')).toBe('/');
  });
});

describe('URL parser properties (fast-check)', () => {
  const hostish = fc.oneof(
    fc.string({ maxLength: 80 }),
    fc.stringMatching(/^[a-z0-9.-]{1,30}\.(i2p|com|b32\.i2p|onion)$/),
    fc.constant(B32),
  );
  const urlArb = fc.tuple(fc.constantFrom('', 'http://', 'HTTP://', 'https://', 'x://'), hostish, fc.option(fc.integer({ min: -5, max: 70000 }), { nil: undefined }), fc.string({ maxLength: 60 })).map(
    ([s, h, p, rest]) => `${s}${h}${p === undefined ? '' : ':' + p}${rest.startsWith('/') ? rest : '/' + rest}`,
  );

  it('only FetchUrlError is thrown; an accepted URL is an .i2p host with a clean request target', () => {
    fc.assert(
      fc.property(urlArb, (text) => {
        let u;
        try {
          u = parseFetchUrl(text);
        } catch (e) {
          expect(e).toBeInstanceOf(FetchUrlError);
          return;
        }
        expect(u.path.startsWith('/')).toBe(true);
        expect(/[\x00-\x20\x7f]/.test(u.path)).toBe(false);
        expect(/[\x00-\x20\x7f]/.test(u.hostHeader)).toBe(false);
        expect(u.port).toBeGreaterThanOrEqual(1);
        expect(u.port).toBeLessThanOrEqual(65535);
        if (u.host.kind !== 'base64') expect(u.host.host.endsWith('.i2p')).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('no host outside .i2p is ever accepted', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9-]{1,20}(\.[a-z0-9-]{1,10}){0,3}\.(com|net|org|onion|local|i2p\.net)$/), (h) => {
        expect(() => parseFetchUrl(`http://${h}/`)).toThrow(FetchUrlError);
      }),
      { numRuns: 1000 },
    );
  });

  it('redirect resolution only throws FetchUrlError and keeps the host for relative locations', () => {
    const base = parseFetchUrl('http://site.i2p/a/b');
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (loc) => {
        try {
          const r = resolveRedirect(base, loc);
          if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(loc.trim()) && !loc.trim().startsWith('//')) expect(r.host).toBe(base.host);
          expect(r.path.startsWith('/')).toBe(true);
        } catch (e) {
          expect(e).toBeInstanceOf(FetchUrlError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
