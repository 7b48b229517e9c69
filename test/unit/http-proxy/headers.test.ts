import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HttpProxyError } from '../../../src/router/api/http-proxy/errors.js';
import { FIXED_USER_AGENT, requestBodyFraming, rewriteRequestHead } from '../../../src/router/api/http-proxy/headers.js';
import { parseRequestHead } from '../../../src/router/api/http-proxy/request.js';
import { isInterim, parseResponseHead, ResponseHeadReader, rewriteResponseHead } from '../../../src/router/api/http-proxy/response.js';

const rewrite = (text: string) => {
  const r = rewriteRequestHead(parseRequestHead(Buffer.from(text, 'latin1')));
  return { ...r, text: r.head.toString('latin1') };
};
const lines = (text: string) => text.split('\r\n').filter((l) => l !== '');

describe('request head rewriting', () => {
  const browser = [
    'GET http://site.i2p/page?x=1 HTTP/1.1',
    'Host: site.i2p',
    'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
    'Accept: text/html',
    'Accept-Language: de-CH,de;q=0.9',
    'Accept-Charset: utf-8',
    'Accept-Encoding: gzip',
    'Proxy-Connection: keep-alive',
    'Proxy-Authorization: Basic dXNlcjpwdw==',
    'Connection: keep-alive, X-Secret-Hop',
    'X-Secret-Hop: 1',
    'Keep-Alive: 300',
    'Upgrade: websocket',
    'Via: 1.1 someproxy',
    'X-Forwarded-For: 192.0.2.7',
    'X-Forwarded-Host: me.example',
    'Forwarded: for=192.0.2.7',
    'From: me@example.com',
    'DNT: 1',
    'X-I2P-DestB32: forged.b32.i2p',
    'X-Requested-With: com.example.app',
    'Referer: http://other.i2p/where-i-was',
    'Origin: http://other.i2p',
    'Cookie: a=1',
    'Authorization: Bearer t',
    '',
    '',
  ].join('\r\n');

  it('origin-form request line, Host first, fixed User-Agent, Connection: close; identifying and hop-by-hop headers gone', () => {
    const { text } = rewrite(browser);
    expect(lines(text)).toEqual([
      'GET /page?x=1 HTTP/1.1',
      'Host: site.i2p',
      'Accept-Encoding: gzip',
      'Origin: null',
      'Cookie: a=1',
      'Authorization: Bearer t',
      `User-Agent: ${FIXED_USER_AGENT}`,
      'Connection: close',
    ]);
    expect(FIXED_USER_AGENT).toBe('MYOB/6.66 (AN/ON)');
    expect(text.endsWith('\r\n\r\n')).toBe(true);
  });

  it('keeps a Referer and Origin of the same site (scheme, host and port), drops one of another port or host', () => {
    const same = rewrite('GET http://site.i2p:8080/b HTTP/1.1\r\nReferer: http://site.i2p:8080/a?q\r\nOrigin: http://site.i2p:8080\r\n\r\n').text;
    expect(same).toContain('Referer: http://site.i2p:8080/a?q\r\n');
    expect(same).toContain('Origin: http://site.i2p:8080\r\n');
    expect(same).toContain('Host: site.i2p:8080\r\n');
    expect(rewrite('GET http://site.i2p/b HTTP/1.1\r\nReferer: http://site.i2p:80/a\r\n\r\n').text).toContain('Referer: http://site.i2p:80/a');
    expect(rewrite('GET http://site.i2p/b HTTP/1.1\r\nReferer: http://site.i2p:81/a\r\n\r\n').text).not.toContain('Referer');
    expect(rewrite('GET http://site.i2p/b HTTP/1.1\r\nReferer: https://site.i2p/a\r\n\r\n').text).not.toContain('Referer');
    expect(rewrite('GET http://site.i2p/b HTTP/1.1\r\nReferer: http://site.i2p.evil.com/a\r\n\r\n').text).not.toContain('Referer');
    expect(rewrite('GET http://site.i2p/b HTTP/1.1\r\nReferer: garbage\r\n\r\n').text).not.toContain('Referer');
  });

  it('keeps the AJAX X-Requested-With, passes request bodies framing, and notes Expect: 100-continue without forwarding it', () => {
    const r = rewrite('POST http://site.i2p/f HTTP/1.1\r\nX-Requested-With: XMLHttpRequest\r\nContent-Length: 12\r\nExpect: 100-continue\r\n\r\n');
    expect(r.text).toContain('X-Requested-With: XMLHttpRequest');
    expect(r.text).toContain('Content-Length: 12');
    expect(r.text).not.toContain('Expect');
    expect(r.expect100).toBe(true);
    expect(r.framing).toEqual({ kind: 'length', length: 12 });
  });

  it('body framing: chunked, Content-Length, none; both or bad values refused (no request smuggling)', () => {
    const h = (...pairs: [string, string][]) => pairs;
    expect(requestBodyFraming(h(['Transfer-Encoding', 'chunked']))).toEqual({ kind: 'chunked', length: 0 });
    expect(requestBodyFraming(h(['Content-Length', '5'], ['content-length', '5']))).toEqual({ kind: 'length', length: 5 });
    expect(requestBodyFraming(h(['Content-Length', '0']))).toEqual({ kind: 'none', length: 0 });
    expect(requestBodyFraming([])).toEqual({ kind: 'none', length: 0 });
    for (const bad of [
      h(['Transfer-Encoding', 'chunked'], ['Content-Length', '5']),
      h(['Transfer-Encoding', 'gzip, chunked']),
      h(['Content-Length', '5'], ['Content-Length', '6']),
      h(['Content-Length', '-1']),
      h(['Content-Length', '1e3']),
    ]) {
      expect(() => requestBodyFraming(bad)).toThrow(HttpProxyError);
    }
  });

  it('never forwards an identifying header, whatever its case or position (property)', () => {
    const banned = ['Via', 'From', 'Forwarded', 'X-Forwarded-For', 'Proxy-Authorization', 'Accept-Language', 'Accept-Charset', 'X-I2P-DestHash', 'Keep-Alive', 'Upgrade', 'DNT'];
    const caseMix = (s: string) => fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length }).map((f) => [...s].map((c, i) => (f[i] ? c.toUpperCase() : c.toLowerCase())).join(''));
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...banned).chain(caseMix), { minLength: 1, maxLength: 6 }), fc.array(fc.stringMatching(/^X-Ok-[a-z]{1,5}$/), { maxLength: 4 }), (bad, ok) => {
        const all = [...bad.map((n) => `${n}: v`), ...ok.map((n) => `${n}: keep`)];
        const out = rewrite(`GET http://s.i2p/ HTTP/1.1\r\n${all.join('\r\n')}${all.length ? '\r\n' : ''}\r\n`).text.toLowerCase();
        for (const n of bad) expect(out).not.toContain(`\r\n${n.toLowerCase()}:`);
        for (const n of ok) expect(out).toContain(`\r\n${n.toLowerCase()}: keep`);
        expect(out.match(/\r\nuser-agent:/g)).toHaveLength(1);
        expect(out.match(/\r\nconnection:/g)).toHaveLength(1);
      }),
    );
  });
});

describe('response head', () => {
  it('passes status and headers, drops hop-by-hop ones, adds Connection: close', () => {
    const h = parseResponseHead(Buffer.from('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nSet-Cookie: a=b\r\n\r\n'));
    expect(h).toMatchObject({ version: '1.0', status: 200, reason: 'OK' });
    expect(rewriteResponseHead(h).toString()).toBe('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nSet-Cookie: a=b\r\nConnection: close\r\n\r\n');
  });

  it('a 100 or 103 is interim (no Connection header added); a reason may be empty', () => {
    const c = parseResponseHead(Buffer.from('HTTP/1.1 100 Continue\r\n\r\n'));
    expect(isInterim(c)).toBe(true);
    expect(rewriteResponseHead(c).toString()).toBe('HTTP/1.1 100 Continue\r\n\r\n');
    expect(parseResponseHead(Buffer.from('HTTP/1.1 204\r\n\r\n'))).toMatchObject({ status: 204, reason: '' });
  });

  it('malformed heads are BAD_RESPONSE (502); the reader bounds the head', () => {
    for (const bad of ['HTTP/2 200 OK\r\n\r\n', 'ICY 200 OK\r\n\r\n', 'HTTP/1.1 20 OK\r\n\r\n', 'HTTP/1.1 200 OK\r\nbad header\r\n\r\n', '\r\n\r\n']) {
      expect(() => parseResponseHead(Buffer.from(bad))).toThrow(expect.objectContaining({ code: 'BAD_RESPONSE', status: 502 }));
    }
    const r = new ResponseHeadReader();
    expect(() => {
      for (let i = 0; i < 100; i++) r.push(Buffer.alloc(1024, 0x61));
    }).toThrow(expect.objectContaining({ code: 'BAD_RESPONSE' }));
  });

  it('fuzz: random response heads parse or throw an HttpProxyError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (b) => {
        try {
          const h = parseResponseHead(Buffer.from(b));
          expect(h.status).toBeGreaterThanOrEqual(100);
        } catch (e) {
          expect(e).toBeInstanceOf(HttpProxyError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
