import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HttpProxyError } from '../../../src/router/api/http-proxy/errors.js';
import { MAX_HEAD_BYTES, MAX_HEADERS, MAX_LINE_BYTES, parseAuthority, parseRequestHead, RequestHeadReader } from '../../../src/router/api/http-proxy/request.js';

const head = (s: string) => Buffer.from(s, 'latin1');

function proxyError(fn: () => unknown): HttpProxyError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(HttpProxyError);
    return e as HttpProxyError;
  }
  throw new Error('expected an HttpProxyError');
}

describe('parseRequestHead', () => {
  it('reads an absolute-form GET: host lower-cased, port 80 by default, path with query, fragment dropped', () => {
    const r = parseRequestHead(head('GET http://Example.I2P/a/b?x=1#frag HTTP/1.1\r\nHost: example.i2p\r\nX-Thing:  spaced value \t\r\n\r\n'));
    expect(r).toEqual({
      method: 'GET',
      version: '1.1',
      connect: false,
      host: 'example.i2p',
      port: 80,
      path: '/a/b?x=1',
      headers: [
        ['Host', 'example.i2p'],
        ['X-Thing', 'spaced value'],
      ],
    });
  });

  it('gives a bare host the path "/", a bare query "/?q", and keeps an explicit port', () => {
    expect(parseRequestHead(head('GET http://a.i2p HTTP/1.0\r\n\r\n'))).toMatchObject({ path: '/', port: 80, version: '1.0' });
    expect(parseRequestHead(head('GET http://a.i2p?q=1 HTTP/1.1\r\n\r\n')).path).toBe('/?q=1');
    expect(parseRequestHead(head('POST http://a.i2p:8080/x HTTP/1.1\r\n\r\n'))).toMatchObject({ method: 'POST', port: 8080, path: '/x' });
    expect(parseRequestHead(head('GET http://a.i2p./x HTTP/1.1\r\n\r\n')).host).toBe('a.i2p');
  });

  it('reads CONNECT host:port (the port is required)', () => {
    expect(parseRequestHead(head('CONNECT site.i2p:443 HTTP/1.1\r\nHost: site.i2p:443\r\n\r\n'))).toMatchObject({ connect: true, host: 'site.i2p', port: 443, path: '' });
    expect(proxyError(() => parseRequestHead(head('CONNECT site.i2p HTTP/1.1\r\n\r\n'))).code).toBe('BAD_TARGET');
  });

  it('keeps IPv6 literals whole (for the host rules to refuse)', () => {
    expect(parseAuthority('[::1]:8080', 80)).toEqual({ host: '[::1]', port: 8080 });
    expect(parseAuthority('[::1]', 80)).toEqual({ host: '[::1]', port: 80 });
    expect(proxyError(() => parseAuthority('[::1', 80)).code).toBe('BAD_TARGET');
  });

  it.each([
    ['GET /index.html HTTP/1.1\r\nHost: a.i2p\r\n\r\n', 'NOT_A_PROXY_REQUEST', 400],
    ['GET https://a.i2p/ HTTP/1.1\r\n\r\n', 'BAD_TARGET', 400],
    ['GET ftp://a.i2p/ HTTP/1.1\r\n\r\n', 'BAD_TARGET', 400],
    ['GET http://user:pw@a.i2p/ HTTP/1.1\r\n\r\n', 'BAD_TARGET', 400],
    ['GET http://a.i2p:0/ HTTP/1.1\r\n\r\n', 'BAD_TARGET', 400],
    ['GET http://a.i2p:65536/ HTTP/1.1\r\n\r\n', 'BAD_TARGET', 400],
    ['GET http://a.i2p:8x/ HTTP/1.1\r\n\r\n', 'BAD_TARGET', 400],
    ['GET http://:80/ HTTP/1.1\r\n\r\n', 'BAD_TARGET', 400],
    ['GET http://a.i2p/ HTTP/2.0\r\n\r\n', 'BAD_VERSION', 505],
    ['GET http://a.i2p/ SPDY/3\r\n\r\n', 'BAD_REQUEST_LINE', 400],
    ['GET  http://a.i2p/ HTTP/1.1\r\n\r\n', 'BAD_REQUEST_LINE', 400],
    ['G(T http://a.i2p/ HTTP/1.1\r\n\r\n', 'BAD_REQUEST_LINE', 400],
    ['GET http://a.i2p/\x01 HTTP/1.1\r\n\r\n', 'BAD_TARGET', 400],
    ['GET http://a.i2p/ HTTP/1.1\r\nNoColon\r\n\r\n', 'BAD_HEADER', 400],
    ['GET http://a.i2p/ HTTP/1.1\r\nBad Name: x\r\n\r\n', 'BAD_HEADER', 400],
    ['GET http://a.i2p/ HTTP/1.1\r\nX: a\r\n folded\r\n\r\n', 'BAD_HEADER', 400],
    ['GET http://a.i2p/ HTTP/1.1\r\nX: a\x00b\r\n\r\n', 'BAD_HEADER', 400],
    ['GET http://a.i2p/ HTTP/1.1\r\nX: a\nY: b\r\n\r\n', 'BAD_HEADER', 400],
  ])('refuses %j with %s', (text, code, status) => {
    const e = proxyError(() => parseRequestHead(head(text)));
    expect(e.code).toBe(code);
    expect(e.status).toBe(status);
  });

  it(`bounds header count (${MAX_HEADERS}) and line length (${MAX_LINE_BYTES})`, () => {
    const many = `GET http://a.i2p/ HTTP/1.1\r\n${'X: 1\r\n'.repeat(MAX_HEADERS)}\r\n`;
    expect(parseRequestHead(head(many)).headers).toHaveLength(MAX_HEADERS);
    const tooMany = `GET http://a.i2p/ HTTP/1.1\r\n${'X: 1\r\n'.repeat(MAX_HEADERS + 1)}\r\n`;
    expect(proxyError(() => parseRequestHead(head(tooMany)))).toMatchObject({ code: 'TOO_MANY_HEADERS', status: 431 });
    const long = `GET http://a.i2p/ HTTP/1.1\r\nX: ${'a'.repeat(MAX_LINE_BYTES)}\r\n\r\n`;
    expect(proxyError(() => parseRequestHead(head(long)))).toMatchObject({ code: 'LINE_TOO_LONG', status: 431 });
  });
});

describe('RequestHeadReader', () => {
  const text = 'POST http://a.i2p/ HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody';

  it('finds the end of the head in any split of the bytes, and hands back what follows', () => {
    const bytes = head(text);
    fc.assert(
      fc.property(fc.array(fc.nat(bytes.length), { maxLength: 6 }), (cuts) => {
        const points = [...new Set([0, ...cuts, bytes.length])].sort((a, b) => a - b);
        const reader = new RequestHeadReader();
        let got: { head: Buffer; rest: Buffer } | undefined;
        let after: Buffer[] = [];
        for (let i = 0; i + 1 < points.length; i++) {
          const piece = bytes.subarray(points[i], points[i + 1]);
          if (got) after.push(piece);
          else got = reader.push(Buffer.from(piece));
        }
        expect(got).toBeDefined();
        expect(got!.head.toString('latin1')).toBe(text.slice(0, -4));
        expect(Buffer.concat([got!.rest, ...after]).toString()).toBe('body');
        after = [];
      }),
    );
  });

  it(`refuses a head longer than ${MAX_HEAD_BYTES} bytes without waiting for its end`, () => {
    const reader = new RequestHeadReader();
    expect(reader.push(head(`GET http://a.i2p/ HTTP/1.1\r\n`))).toBeUndefined();
    let err: unknown;
    try {
      for (let i = 0; i < 100; i++) reader.push(Buffer.alloc(1024, 0x61));
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'HEAD_TOO_LARGE', status: 431 });
  });
});

describe('request head fuzz', () => {
  it('random bytes either parse or throw an HttpProxyError, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        try {
          const r = parseRequestHead(Buffer.from(bytes));
          expect(r.host.length).toBeGreaterThan(0);
        } catch (e) {
          expect(e).toBeInstanceOf(HttpProxyError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('mutated valid heads either parse or throw an HttpProxyError', () => {
    const base = head('GET http://site.i2p:8080/p?q=1 HTTP/1.1\r\nHost: site.i2p\r\nReferer: http://site.i2p/\r\nContent-Length: 0\r\n\r\n');
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), (edits) => {
        const b = Buffer.from(base);
        for (const [i, v] of edits) b[i] = v;
        try {
          const r = parseRequestHead(b);
          expect(r.port).toBeGreaterThanOrEqual(1);
          expect(r.port).toBeLessThanOrEqual(65535);
          expect(r.path.startsWith('/') || r.connect).toBe(true);
        } catch (e) {
          expect(e).toBeInstanceOf(HttpProxyError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('generated requests round-trip: host, port, path and headers come back as written', () => {
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
    const pathArb = fc.stringMatching(/^(\/[A-Za-z0-9._~%!$&'()*+,;=:@-]{0,12}){1,4}(\?[A-Za-z0-9=&%]{0,20})?$/);
    const headerArb = fc.tuple(fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/), fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,30}[\x21-\x7e])?$/));
    fc.assert(
      fc.property(label, fc.integer({ min: 1, max: 65535 }), pathArb, fc.array(headerArb, { maxLength: 10 }), (l, port, path, headers) => {
        const text = `GET http://${l}.i2p:${port}${path} HTTP/1.1\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
        const r = parseRequestHead(head(text));
        expect(r).toMatchObject({ host: `${l}.i2p`, port, path, connect: false });
        expect(r.headers).toEqual(headers);
      }),
    );
  });
});
