import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SiteError } from '../../../src/apps/site/errors.js';
import { forwardRequestHeaders, forwardResponseHeaders, isLoopbackIp, originForm, parseProxyTarget } from '../../../src/apps/site/reverse-proxy.js';
import { serveSite, type SiteHandle } from '../../../src/apps/site/serve.js';
import { loopbackListener, request, type LoopbackListener } from './loopback.js';

const VISITOR = 'x'.repeat(52) + '.b32.i2p';
const big = randomBytes(512 * 1024);

let app: http.Server;
let appPort: number;

beforeAll(async () => {
  app = http.createServer((req, res) => {
    res.setHeader('Server', 'Apache/2.4.1 (Debian)');
    res.setHeader('X-Powered-By', 'PHP/8.1');
    if (req.url === '/big') {
      res.setHeader('Content-Type', 'application/octet-stream');
      res.end(big);
      return;
    }
    if (req.method === 'POST') {
      const h = createHash('sha256');
      let n = 0;
      req.on('data', (c: Buffer) => {
        h.update(c);
        n += c.length;
      });
      req.on('end', () => res.end(JSON.stringify({ sha: h.digest('hex'), n })));
      return;
    }
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('X-App', 'yes');
    res.end(JSON.stringify({ url: req.url, headers: req.headers }));
  });
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  appPort = (app.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((r) => app.close(r));
});

async function proxySite(visitorHeader: boolean, target = `http://127.0.0.1:${appPort}`): Promise<{ site: SiteHandle; lb: LoopbackListener; stop(): Promise<void> }> {
  const lb = await loopbackListener(VISITOR);
  const site = await serveSite({ listen: lb.listen, proxy: target, visitorHeader });
  return {
    site,
    lb,
    async stop() {
      await site.close();
      await lb.close();
    },
  };
}

const spoof = {
  'X-I2P-DestB32': 'spoofed.b32.i2p',
  'x-i2p-desthash': 'spoofed',
  'X-I2P-DestB64': 'spoofed',
  'X-Other': 'kept',
};

describe('reverse proxy', () => {
  it('without --visitor-header: forwards, strips every X-I2P-* from the visitor, adds none', async () => {
    const s = await proxySite(false);
    try {
      const r = await request(s.lb.port(), 'GET', '/page?q=1', spoof);
      expect(r.status).toBe(200);
      const seen = JSON.parse(r.body.toString()) as { url: string; headers: Record<string, string> };
      expect(seen.url).toBe('/page?q=1');
      expect(Object.keys(seen.headers).filter((k) => k.startsWith('x-i2p-'))).toEqual([]);
      expect(seen.headers['x-other']).toBe('kept');
      expect(seen.headers['host']).toBe('site.i2p');
      expect(r.headers['x-app']).toBe('yes');
    } finally {
      await s.stop();
    }
  });

  it("with --visitor-header: X-I2P-DestB32 is the stream's b32, never the visitor's claim", async () => {
    const s = await proxySite(true);
    try {
      const r = await request(s.lb.port(), 'GET', '/', spoof);
      const seen = JSON.parse(r.body.toString()) as { headers: Record<string, string> };
      expect(seen.headers['x-i2p-destb32']).toBe(VISITOR);
      expect(seen.headers['x-i2p-desthash']).toBeUndefined();
      expect(seen.headers['x-i2p-destb64']).toBeUndefined();
    } finally {
      await s.stop();
    }
  });

  it("replaces the app's Server and drops X-Powered-By", async () => {
    const s = await proxySite(false);
    try {
      const r = await request(s.lb.port(), 'GET', '/');
      expect(r.headers['server']).toBe('anon-site');
      expect(r.headers['x-powered-by']).toBeUndefined();
      expect(r.headers['date']).toBeUndefined();
    } finally {
      await s.stop();
    }
  });

  it('streams bodies both ways intact', async () => {
    const s = await proxySite(false);
    try {
      const down = await request(s.lb.port(), 'GET', '/big');
      expect(down.body.equals(big)).toBe(true);
      const up = await request(s.lb.port(), 'POST', '/upload', { 'Content-Type': 'application/octet-stream' }, big);
      const echoed = JSON.parse(up.body.toString()) as { sha: string; n: number };
      expect(echoed.n).toBe(big.length);
      expect(echoed.sha).toBe(createHash('sha256').update(big).digest('hex'));
    } finally {
      await s.stop();
    }
  });

  it('a path prefix in --proxy is put before every request path', async () => {
    const s = await proxySite(false, `http://127.0.0.1:${appPort}/app/`);
    try {
      const r = await request(s.lb.port(), 'GET', '/x?y=1');
      expect((JSON.parse(r.body.toString()) as { url: string }).url).toBe('/app/x?y=1');
    } finally {
      await s.stop();
    }
  });

  it('answers a 502 page when the app is down', async () => {
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const deadPort = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const s = await proxySite(false, `http://127.0.0.1:${deadPort}`);
    try {
      const r = await request(s.lb.port(), 'GET', '/');
      expect(r.status).toBe(502);
      expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(r.body.toString()).toContain('502 Bad Gateway');
    } finally {
      await s.stop();
    }
  });
});

describe('proxy header rules (pure)', () => {
  it('drops hop-by-hop fields and those the visitor lists in Connection', () => {
    const out = forwardRequestHeaders({ connection: 'close, x-secret', 'x-secret': '1', 'keep-alive': '5', te: 'trailers', upgrade: 'websocket', accept: '*/*', 'x-i2p-destb32': 'evil' }, undefined);
    expect(out).toEqual({ accept: '*/*' });
    expect(forwardRequestHeaders({ 'X-I2P-DESTB32': 'evil' } as never, 'me.b32.i2p')).toEqual({ 'x-i2p-destb32': 'me.b32.i2p' });
  });

  it('absolute-form targets become paths', () => {
    expect(originForm('/a?b')).toBe('/a?b');
    expect(originForm('http://site.i2p/a?b')).toBe('/a?b');
    expect(originForm('http://site.i2p?b')).toBe('/?b');
    expect(originForm('*')).toBe('/');
    expect(originForm(undefined)).toBe('/');
  });

  it('response: hop-by-hop and identifying fields go, Server is ours', () => {
    const out = forwardResponseHeaders({ server: 'nginx/1.2', 'x-powered-by': 'Express', date: 'x', 'transfer-encoding': 'chunked', 'set-cookie': ['a=1', 'b=2'], 'content-type': 'text/html' });
    expect(out).toEqual({ server: 'anon-site', 'set-cookie': ['a=1', 'b=2'], 'content-type': 'text/html' });
  });
});

describe('parseProxyTarget', () => {
  it('accepts loopback IP literals with a port', () => {
    expect(parseProxyTarget('http://127.0.0.1:8080')).toEqual({ host: '127.0.0.1', port: 8080, basePath: '' });
    expect(parseProxyTarget('http://127.1.2.3:1/')).toEqual({ host: '127.1.2.3', port: 1, basePath: '' });
    expect(parseProxyTarget('http://[::1]:3000/app/')).toEqual({ host: '::1', port: 3000, basePath: '/app' });
  });

  const refused: [string, RegExp][] = [
    ['http://localhost:8080', /not an IP address; use 127\.0\.0\.1/],
    ['http://example.com:80', /not an IP address/],
    ['http://10.0.0.1:80', /not a loopback address/],
    ['http://0.0.0.0:80', /not a loopback address/],
    ['http://[::]:80', /not a loopback address/],
    ['https://127.0.0.1:443', /only http:\/\//],
    ['http://127.0.0.1', /port is missing/],
    ['http://u:p@127.0.0.1:80', /credentials/],
    ['127.0.0.1:8080', /only http|not a URL/],
    ['not a url', /not a URL/],
  ];
  for (const [text, why] of refused) {
    it(`refuses ${text} with one clear line`, () => {
      try {
        parseProxyTarget(text);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(SiteError);
        expect((e as SiteError).code).toBe('BAD_PROXY_TARGET');
        expect((e as Error).message).toMatch(why);
        expect((e as Error).message).not.toContain('\n');
      }
    });
  }

  it('isLoopbackIp', () => {
    expect(isLoopbackIp('127.255.0.1')).toBe(true);
    expect(isLoopbackIp('::ffff:127.0.0.1')).toBe(true);
    expect(isLoopbackIp('128.0.0.1')).toBe(false);
    expect(isLoopbackIp('::2')).toBe(false);
  });
});
