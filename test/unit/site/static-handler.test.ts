import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SiteError } from '../../../src/apps/site/errors.js';
import { serveSite, type SiteHandle } from '../../../src/apps/site/serve.js';
import { createStaticHandler } from '../../../src/apps/site/static-handler.js';
import { get, loopbackListener, rawRequest, request, type LoopbackListener } from './loopback.js';

const SECRET = 'TOP SECRET outside the site';

let base: string;
let root: string;
let bin: Buffer;
let big: Buffer;

interface Running {
  site: SiteHandle;
  lb: LoopbackListener;
  port: number;
}

async function start(dir: string, list = false): Promise<Running> {
  const lb = await loopbackListener();
  const site = await serveSite({ listen: lb.listen, dir, list });
  return { site, lb, port: lb.port() };
}

async function stop(r: Running): Promise<void> {
  await r.site.close();
  await r.lb.close();
}

let plain: Running;
let listing: Running;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'anon-site-static-'));
  root = join(base, 'site');
  mkdirSync(root);
  writeFileSync(join(base, 'secret.txt'), SECRET);
  mkdirSync(join(base, 'outside-dir'));
  writeFileSync(join(base, 'outside-dir', 'secret.txt'), SECRET);
  writeFileSync(join(root, 'index.html'), '<!DOCTYPE html><title>Home</title><p>home page</p>');
  writeFileSync(join(root, 'a.txt'), 'hello world');
  writeFileSync(join(root, 'style.css'), 'body{}');
  writeFileSync(join(root, 'empty.txt'), '');
  bin = randomBytes(10_000);
  writeFileSync(join(root, 'data.bin'), bin);
  big = randomBytes(1024 * 1024 + 17);
  writeFileSync(join(root, 'big.tar.gz'), big);
  mkdirSync(join(root, 'sub'));
  writeFileSync(join(root, 'sub', 'x.json'), '{"x":1}');
  writeFileSync(join(root, 'sub', '<script>alert(1).txt'), 'x');
  writeFileSync(join(root, 'sub', 'a&b "q".txt'), 'x');
  mkdirSync(join(root, 'sub', 'deeper'));
  mkdirSync(join(root, 'sub2'));
  writeFileSync(join(root, 'sub2', 'index.htm'), 'second index');
  mkdirSync(join(root, '.git'));
  writeFileSync(join(root, '.git', 'config'), 'repo config');
  symlinkSync(join(root, 'a.txt'), join(root, 'link-in'));
  symlinkSync(join(base, 'secret.txt'), join(root, 'link-out'));
  symlinkSync('../secret.txt', join(root, 'sub', 'rel-out'));
  symlinkSync(join(base, 'outside-dir'), join(root, 'link-out-dir'));
  plain = await start(root);
  listing = await start(root, true);
});

afterAll(async () => {
  if (plain) await stop(plain);
  if (listing) await stop(listing);
  rmSync(base, { recursive: true, force: true });
});

describe('static handler: files', () => {
  it('serves index.html for / with its type, a fixed Server header and no Date', async () => {
    const r = await request(plain.port, 'GET', '/');
    expect(r.status).toBe(200);
    expect(r.body.toString()).toContain('home page');
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.headers['server']).toBe('anon-site');
    expect(r.headers['date']).toBeUndefined();
    expect(r.headers['x-powered-by']).toBeUndefined();
    expect(r.headers['x-content-type-options']).toBe('nosniff');
  });

  it('serves a file with Content-Length, ETag, Last-Modified and Accept-Ranges', async () => {
    const r = await request(plain.port, 'GET', '/a.txt');
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('hello world');
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(r.headers['content-length']).toBe('11');
    expect(r.headers['etag']).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    const mtime = statSync(join(root, 'a.txt')).mtimeMs;
    expect(r.headers['last-modified']).toBe(new Date(Math.floor(mtime / 1000) * 1000).toUTCString());
    expect(r.headers['accept-ranges']).toBe('bytes');
  });

  it('picks MIME types from its table, octet-stream when unknown', async () => {
    expect((await request(plain.port, 'GET', '/style.css')).headers['content-type']).toBe('text/css; charset=utf-8');
    expect((await request(plain.port, 'GET', '/sub/x.json')).headers['content-type']).toBe('application/json; charset=utf-8');
    expect((await request(plain.port, 'GET', '/big.tar.gz')).headers['content-type']).toBe('application/gzip');
    const b = await request(plain.port, 'GET', '/data.bin');
    expect(b.headers['content-type']).toBe('application/octet-stream');
    expect(b.body.equals(bin)).toBe(true);
  });

  it('streams a large file intact', async () => {
    const r = await request(plain.port, 'GET', '/big.tar.gz');
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(big.length);
    expect(createHash('sha256').update(r.body).digest('hex')).toBe(createHash('sha256').update(big).digest('hex'));
  });

  it('serves an empty file with Content-Length 0', async () => {
    const r = await request(plain.port, 'GET', '/empty.txt');
    expect(r.status).toBe(200);
    expect(r.headers['content-length']).toBe('0');
    expect(r.body.length).toBe(0);
  });

  it('HEAD gives the headers of GET and no body', async () => {
    const r = await rawRequest(plain.port, 'HEAD /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(r.status).toBe(200);
    expect(r.headers['content-length']).toBe('11');
    expect(r.headers['etag']).toBeDefined();
    expect(r.body.length).toBe(0);
  });

  it('answers 405 with Allow for other methods', async () => {
    for (const m of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
      const r = await request(plain.port, m, '/a.txt', {}, m === 'OPTIONS' ? undefined : 'x');
      expect(r.status, m).toBe(405);
      expect(r.headers['allow']).toBe('GET, HEAD');
    }
  });

  it('a symlink that stays inside the directory is followed', async () => {
    const r = await request(plain.port, 'GET', '/link-in');
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('hello world');
  });

  it('answers 400 for a bad request target or percent-encoding', async () => {
    expect((await rawRequest(plain.port, get('/%zz'))).status).toBe(400);
    expect((await rawRequest(plain.port, get('*'))).status).toBe(400);
  });
});

describe('static handler: directories', () => {
  it('redirects a directory without its slash, keeping the query', async () => {
    const r = await request(plain.port, 'GET', '/sub?x=1');
    expect(r.status).toBe(301);
    expect(r.headers['location']).toBe('/sub/?x=1');
  });

  it('the slash redirect is rebuilt from the path, never a protocol-relative Location', async () => {
    mkdirSync(join(root, 'evil.i2p'), { recursive: true });
    const r = await rawRequest(plain.port, get('//evil.i2p'));
    expect(r.status).toBe(301);
    expect(r.headers['location']).toBe('/evil.i2p/');
    const e = await rawRequest(plain.port, get('/sub/deeper'));
    expect(e.headers['location']).toBe('/sub/deeper/');
  });

  it('uses index.htm when there is no index.html', async () => {
    const r = await request(plain.port, 'GET', '/sub2/');
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('second index');
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
  });

  it('lists nothing by default: a directory without index is 404', async () => {
    const r = await request(plain.port, 'GET', '/sub/');
    expect(r.status).toBe(404);
    expect(r.body.toString()).not.toContain('x.json');
  });

  it('with list: an HTML listing, names escaped, links encoded, dotfiles hidden', async () => {
    const r = await request(listing.port, 'GET', '/sub/');
    expect(r.status).toBe(200);
    const html = r.body.toString();
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(html).toContain('x.json');
    expect(html).toContain('deeper/');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;alert(1).txt');
    expect(html).toContain('href="./%3Cscript%3Ealert(1).txt"');
    expect(html).toContain('a&#38;b &#34;q&#34;.txt');
    expect(html.indexOf('deeper/')).toBeLessThan(html.indexOf('x.json'));
    const rootList = await request(listing.port, 'GET', '/link-out-dir/');
    expect(rootList.status).toBe(404);
    const top = await request(listing.port, 'GET', '/sub/deeper/');
    expect(top.body.toString()).toContain('href="../"');
  });

  it('the root listing never shows .git', async () => {
    writeFileSync(join(root, 'sub2', '.hidden'), 'h');
    const r = await request(listing.port, 'GET', '/sub/deeper/');
    expect(r.body.toString()).not.toContain('.git');
  });
});

describe('static handler: 404 pages', () => {
  it('a built-in 404 page', async () => {
    const r = await request(plain.port, 'GET', '/missing.html');
    expect(r.status).toBe(404);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.body.toString()).toContain('404 Not Found');
  });

  it("the site's own 404.html when it has one", async () => {
    const dir = join(base, 'custom404');
    mkdirSync(dir);
    writeFileSync(join(dir, '404.html'), '<p>custom missing page</p>');
    const s = await start(dir);
    try {
      const r = await request(s.port, 'GET', '/nope');
      expect(r.status).toBe(404);
      expect(r.body.toString()).toBe('<p>custom missing page</p>');
      const h = await rawRequest(s.port, 'HEAD /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      expect(h.status).toBe(404);
      expect(h.body.length).toBe(0);
    } finally {
      await stop(s);
    }
  });
});

describe('static handler: ranges', () => {
  const cases: [string, number, string, string | undefined][] = [
    ['bytes=0-4', 206, 'hello', 'bytes 0-4/11'],
    ['bytes=6-', 206, 'world', 'bytes 6-10/11'],
    ['bytes=-5', 206, 'world', 'bytes 6-10/11'],
    ['bytes=-100', 206, 'hello world', 'bytes 0-10/11'],
    ['bytes=4-4', 206, 'o', 'bytes 4-4/11'],
    ['bytes=0-100', 206, 'hello world', 'bytes 0-10/11'],
    ['bytes=0-1,3-4', 200, 'hello world', undefined],
    ['bytes=x-', 200, 'hello world', undefined],
    ['items=0-4', 200, 'hello world', undefined],
    ['bytes=5-2', 200, 'hello world', undefined],
  ];
  for (const [range, status, body, contentRange] of cases) {
    it(`Range: ${range} → ${status}`, async () => {
      const r = await request(plain.port, 'GET', '/a.txt', { Range: range });
      expect(r.status).toBe(status);
      expect(r.body.toString()).toBe(body);
      expect(r.headers['content-length']).toBe(String(body.length));
      expect(r.headers['content-range']).toBe(contentRange);
    });
  }

  it('an unsatisfiable range is 416 with bytes */size', async () => {
    for (const range of ['bytes=11-', 'bytes=100-200', 'bytes=-0']) {
      const r = await request(plain.port, 'GET', '/a.txt', { Range: range });
      expect(r.status, range).toBe(416);
      expect(r.headers['content-range']).toBe('bytes */11');
    }
    const e = await request(plain.port, 'GET', '/empty.txt', { Range: 'bytes=0-' });
    expect(e.status).toBe(416);
    expect(e.headers['content-range']).toBe('bytes */0');
  });

  it('ranges deep in a binary file match the file', async () => {
    const r = await request(plain.port, 'GET', '/data.bin', { Range: 'bytes=4096-8191' });
    expect(r.status).toBe(206);
    expect(r.body.equals(bin.subarray(4096, 8192))).toBe(true);
  });

  it('If-Range: the current ETag or date allows the range, anything else gets the whole file', async () => {
    const full = await request(plain.port, 'GET', '/a.txt');
    const etag = full.headers['etag'] as string;
    const lm = full.headers['last-modified'] as string;
    expect((await request(plain.port, 'GET', '/a.txt', { Range: 'bytes=0-4', 'If-Range': etag })).status).toBe(206);
    expect((await request(plain.port, 'GET', '/a.txt', { Range: 'bytes=0-4', 'If-Range': lm })).status).toBe(206);
    const stale = await request(plain.port, 'GET', '/a.txt', { Range: 'bytes=0-4', 'If-Range': '"0-0"' });
    expect(stale.status).toBe(200);
    expect(stale.body.toString()).toBe('hello world');
    expect((await request(plain.port, 'GET', '/a.txt', { Range: 'bytes=0-4', 'If-Range': `W/${etag}` })).status).toBe(200);
  });
});

describe('static handler: conditional requests', () => {
  it('If-None-Match with the ETag (strong or weak form, or *) gives 304 without a body', async () => {
    const etag = (await request(plain.port, 'GET', '/a.txt')).headers['etag'] as string;
    for (const inm of [etag, `W/${etag}`, `"nope", ${etag}`, '*']) {
      const r = await request(plain.port, 'GET', '/a.txt', { 'If-None-Match': inm });
      expect(r.status, inm).toBe(304);
      expect(r.body.length).toBe(0);
      expect(r.headers['etag']).toBe(etag);
    }
    expect((await request(plain.port, 'GET', '/a.txt', { 'If-None-Match': '"other"' })).status).toBe(200);
  });

  it('If-Modified-Since: 304 at or after Last-Modified, 200 before; If-None-Match wins over it', async () => {
    const lm = (await request(plain.port, 'GET', '/a.txt')).headers['last-modified'] as string;
    expect((await request(plain.port, 'GET', '/a.txt', { 'If-Modified-Since': lm })).status).toBe(304);
    const later = new Date(Date.parse(lm) + 3600_000).toUTCString();
    expect((await request(plain.port, 'GET', '/a.txt', { 'If-Modified-Since': later })).status).toBe(304);
    const earlier = new Date(Date.parse(lm) - 3600_000).toUTCString();
    expect((await request(plain.port, 'GET', '/a.txt', { 'If-Modified-Since': earlier })).status).toBe(200);
    expect((await request(plain.port, 'GET', '/a.txt', { 'If-Modified-Since': 'garbage' })).status).toBe(200);
    expect((await request(plain.port, 'GET', '/a.txt', { 'If-Modified-Since': lm, 'If-None-Match': '"other"' })).status).toBe(200);
  });

  it('HEAD answers 304 too', async () => {
    const etag = (await request(plain.port, 'GET', '/a.txt')).headers['etag'] as string;
    const r = await rawRequest(plain.port, `HEAD /a.txt HTTP/1.1\r\nHost: x\r\nIf-None-Match: ${etag}\r\nConnection: close\r\n\r\n`);
    expect(r.status).toBe(304);
  });
});

describe('static handler: no way out of the directory', () => {
  const attempts = [
    '/../secret.txt',
    '/../../../../../../etc/passwd',
    '/%2e%2e/secret.txt',
    '/%2E%2E/secret.txt',
    '/%2e%2e%2fsecret.txt',
    '/sub/..%2f..%2fsecret.txt',
    '/sub/../../secret.txt',
    '/sub/%2e%2e/%2e%2e/secret.txt',
    '/..%5csecret.txt',
    '/sub\\..\\..\\secret.txt',
    '/a.txt%00.html',
    '/%00',
    '/link-out',
    '/link-out-dir/secret.txt',
    '/sub/rel-out',
    '/.git/config',
    '/sub/./../.git/config',
    '//..//secret.txt',
    '/%252e%252e/secret.txt',
    'http://site.i2p/../secret.txt',
    '/sub/..',
  ];
  for (const path of attempts) {
    it(`${JSON.stringify(path)} → 400/403/404, never a file outside`, async () => {
      const r = await rawRequest(plain.port, get(path));
      expect([400, 403, 404]).toContain(r.status);
      expect(r.body.toString()).not.toContain(SECRET);
      expect(r.body.toString()).not.toContain('repo config');
      expect(r.body.toString()).not.toContain('root:');
    });
  }

  it('a ".." segment is 403, not normalised into a file inside', async () => {
    expect((await rawRequest(plain.port, get('/sub/../a.txt'))).status).toBe(403);
    expect((await rawRequest(plain.port, get('/%2e%2e/site/a.txt'))).status).toBe(403);
  });
});

describe('static handler: configuration', () => {
  it('a missing directory is a SiteError NO_DIR', () => {
    expect(() => createStaticHandler({ dir: join(base, 'does-not-exist') })).toThrow(SiteError);
    try {
      createStaticHandler({ dir: join(base, 'does-not-exist') });
    } catch (e) {
      expect((e as SiteError).code).toBe('NO_DIR');
    }
  });

  it('a file instead of a directory is NOT_A_DIRECTORY', () => {
    try {
      createStaticHandler({ dir: join(root, 'a.txt') });
      expect.unreachable();
    } catch (e) {
      expect((e as SiteError).code).toBe('NOT_A_DIRECTORY');
    }
  });
});
