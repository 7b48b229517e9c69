import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable, type Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchUrl, FETCH_USER_AGENT, type FetchDeps, type FetchProgress } from '../../../src/apps/fetch/client.js';
import { exitCodeForConnectError, exitCodeHelp, EXIT_CODE_TABLE, FetchExit } from '../../../src/apps/fetch/exit-codes.js';
import { buildFetchOptions, type FetchFlags } from '../../../src/apps/fetch/options.js';
import { serveSite, type SiteHandle } from '../../../src/apps/site/serve.js';
import { connectLoopback, loopbackListener, type LoopbackListener } from '../site/loopback.js';

/*
 * anon-fetch against anon-site (and small raw servers), both over loopback TCP in place of the
 * garlic transport: the client's connect() maps each .i2p host to a local port.
 */

let base: string;
let data: Buffer;
let site: SiteHandle;
let siteLb: LoopbackListener;
let app: http.Server;
const rawServers: net.Server[] = [];
const ports = new Map<string, number>();

class Collect extends Writable {
  chunks: Buffer[] = [];
  override _write(c: Buffer, _e: BufferEncoding, cb: () => void): void {
    this.chunks.push(c);
    cb();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('latin1');
  }
}

function nodeError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

function deps(extra: Partial<FetchDeps> = {}): FetchDeps & { stdout: Collect } {
  return {
    stdout: new Collect(),
    async connect(host: string): Promise<Duplex> {
      if (host === 'refused.i2p') throw nodeError('REFUSED', 'the destination refused the stream');
      if (host === 'slow.i2p') throw nodeError('TIMEOUT', 'no answer to the SYN');
      const port = ports.get(host);
      if (port === undefined) throw nodeError('NOT_FOUND', `${host} is not in the address book`);
      return connectLoopback(port);
    },
    ...extra,
  } as FetchDeps & { stdout: Collect };
}

async function rawServer(name: string, onSocket: (s: net.Socket) => void): Promise<void> {
  const srv = net.createServer(onSocket);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  rawServers.push(srv);
  ports.set(name, (srv.address() as AddressInfo).port);
}

function run(url: string, flags: FetchFlags = {}, d = deps()) {
  return fetchUrl(buildFetchOptions(url, flags), d).then((r) => ({ r, out: d.stdout }));
}

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'anon-fetch-'));
  const root = join(base, 'site');
  mkdirSync(root);
  data = randomBytes(300_000);
  writeFileSync(join(root, 'data.bin'), data);
  writeFileSync(join(root, 'index.html'), '<title>t</title>hello');
  siteLb = await loopbackListener();
  site = await serveSite({ listen: siteLb.listen, dir: root });
  ports.set('site.i2p', siteLb.port());

  app = http.createServer((req, res) => {
    const url = req.url ?? '/';
    const redirect = /^\/r\/(\d+)$/.exec(url);
    if (redirect) {
      const n = Number(redirect[1]);
      if (n === 0) return void res.end('done');
      res.statusCode = 302;
      res.setHeader('Location', `/r/${n - 1}`);
      return void res.end();
    }
    if (url === '/offsite') {
      res.statusCode = 301;
      res.setHeader('Location', 'http://example.com/');
      return void res.end();
    }
    if (url === '/see-other') {
      res.statusCode = 303;
      res.setHeader('Location', '/echo');
      return void res.end();
    }
    if (url === '/no-ranges') return void res.end('whole body, ranges ignored');
    if (url === '/never') return; // no answer at all
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ method: req.method, url, headers: req.headers, body: Buffer.concat(chunks).toString() }));
    });
  });
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  ports.set('app.i2p', (app.address() as AddressInfo).port);

  await rawServer('short.i2p', (s) => {
    s.once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b'));
  });
  await rawServer('weird.i2p', (s) => {
    s.once('data', () => s.end('SSH-2.0-OpenSSH_9.0\r\n\r\n'));
  });
});

afterAll(async () => {
  await site.close();
  await siteLb.close();
  app.closeAllConnections();
  await new Promise((r) => app.close(r));
  for (const s of rawServers) await new Promise((r) => s.close(r));
  rmSync(base, { recursive: true, force: true });
});

describe('fetchUrl: bodies and output', () => {
  it('GET to stdout: status, bytes, timings for connect and first byte', async () => {
    const { r, out } = await run('http://site.i2p/data.bin');
    expect(r.exitCode).toBe(0);
    expect(r.status).toBe(200);
    expect(r.bytes).toBe(data.length);
    expect(Buffer.concat(out.chunks).equals(data)).toBe(true);
    expect(r.timings.lookupMs).toBeUndefined();
    expect(r.timings.connectMs).toBeGreaterThanOrEqual(0);
    expect(r.timings.firstByteMs).toBeGreaterThanOrEqual(r.timings.connectMs!);
    expect(r.timings.totalMs).toBeGreaterThanOrEqual(r.timings.firstByteMs!);
  });

  it('a lookup function is timed apart; an unknown name is exit 6', async () => {
    const looked: string[] = [];
    const d = deps({
      lookup: async (h) => {
        looked.push(h);
        if (!ports.has(h)) throw nodeError('NOT_FOUND', 'unknown name');
      },
    });
    const { r } = await run('http://site.i2p/', {}, d);
    expect(r.exitCode).toBe(0);
    expect(r.timings.lookupMs).toBeGreaterThanOrEqual(0);
    expect(looked).toEqual(['site.i2p']);
    const miss = await run('http://nowhere.i2p/', {}, deps({ lookup: d.lookup }));
    expect(miss.r.exitCode).toBe(FetchExit.NOT_FOUND);
    expect(miss.r.message).toMatch(/cannot resolve nowhere\.i2p/);
  });

  it('lookupWanted false: no lookup for that host, -v says the bridge resolves it, connect does', async () => {
    const b32 = `${'a'.repeat(52)}.b32.i2p`;
    ports.set(b32, siteLb.port());
    const looked: string[] = [];
    const lines: string[] = [];
    const d = deps({
      lookup: async (h) => void looked.push(h),
      lookupWanted: (t) => t.kind !== 'b32',
      verboseLog: (l) => lines.push(l),
    });
    const { r } = await run(`http://${b32}/index.html`, { verbose: true }, d);
    expect(r.exitCode).toBe(0);
    expect(looked).toEqual([]);
    expect(r.timings.lookupMs).toBeUndefined();
    expect(lines).toContain(`* not looking ${b32} up: the bridge resolves it as it connects`);
    // A name is still looked up.
    const named = await run('http://site.i2p/index.html', {}, deps({ lookup: d.lookup, lookupWanted: d.lookupWanted }));
    expect(named.r.exitCode).toBe(0);
    expect(looked).toEqual(['site.i2p']);
  });

  it('-o FILE writes the body to the file', async () => {
    const file = join(base, 'out.bin');
    const { r, out } = await run('http://site.i2p/data.bin', { output: file });
    expect(r.message).toBeUndefined();
    expect(r.exitCode).toBe(0);
    expect(readFileSync(file).equals(data)).toBe(true);
    expect(out.chunks.length).toBe(0);
  });

  it('progress: called per chunk, ending at the total', async () => {
    const seen: FetchProgress[] = [];
    const { r } = await run('http://site.i2p/data.bin', {}, deps({ onProgress: (p) => seen.push(p) }));
    expect(r.exitCode).toBe(0);
    expect(seen.length).toBeGreaterThan(1);
    expect(seen[0]).toEqual({ received: 0, total: data.length, resumedFrom: 0 });
    expect(seen.at(-1)).toEqual({ received: data.length, total: data.length, resumedFrom: 0 });
  });

  it('-I prints the response head and no body', async () => {
    const { r, out } = await run('http://site.i2p/data.bin', { head: true });
    expect(r.exitCode).toBe(0);
    expect(out.text()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(out.text()).toContain(`Content-Length: ${data.length}\r\n`);
    expect(out.text()).toMatch(/ETag: "/);
    expect(out.text().endsWith('\r\n\r\n')).toBe(true);
  });

  it('-v logs the request, the response head and the timings', async () => {
    const lines: string[] = [];
    const { r } = await run('http://site.i2p/', { verbose: true }, deps({ verboseLog: (l) => lines.push(l) }));
    expect(r.exitCode).toBe(0);
    expect(lines).toContain('> GET / HTTP/1.1');
    expect(lines).toContain('> Host: site.i2p');
    expect(lines).toContain('< HTTP/1.1 200 OK');
    expect(lines.at(-1)).toMatch(/^\* timings: lookup -, connect [\d.]+ ms, first byte [\d.]+ ms, total [\d.]+ ms$/);
  });

  it('a write error is exit 23', async () => {
    const { r } = await run('http://site.i2p/data.bin', { output: join(base, 'no-such-dir', 'f') });
    expect(r.exitCode).toBe(FetchExit.WRITE);
    expect(r.message).toMatch(/cannot write/);
  });
});

describe('fetchUrl: HTTP errors and -f', () => {
  it('without -f a 404 is output and exit 0; with -f it is exit 22 and writes nothing', async () => {
    const plain = await run('http://site.i2p/missing');
    expect(plain.r.exitCode).toBe(0);
    expect(plain.r.status).toBe(404);
    expect(plain.out.text()).toContain('404 Not Found');
    const file = join(base, 'should-not-exist');
    const failed = await run('http://site.i2p/missing', { fail: true, output: file });
    expect(failed.r.exitCode).toBe(FetchExit.HTTP_ERROR);
    expect(failed.r.status).toBe(404);
    expect(failed.r.message).toBe('the requested URL returned error: 404');
    expect(existsSync(file)).toBe(false);
  });
});

describe('fetchUrl: resume with -C -', () => {
  it('continues from the size of the existing file', async () => {
    const file = join(base, 'partial.bin');
    writeFileSync(file, data.subarray(0, 123_456));
    const seen: FetchProgress[] = [];
    const { r } = await run('http://site.i2p/data.bin', { output: file, continueAt: '-' }, deps({ onProgress: (p) => seen.push(p) }));
    expect(r.exitCode).toBe(0);
    expect(r.status).toBe(206);
    expect(r.bytes).toBe(data.length - 123_456);
    expect(readFileSync(file).equals(data)).toBe(true);
    expect(seen.at(-1)).toEqual({ received: data.length - 123_456, total: data.length - 123_456, resumedFrom: 123_456 });
  });

  it('a complete file: the 416 means nothing to do, exit 0, file untouched', async () => {
    const file = join(base, 'complete.bin');
    writeFileSync(file, data);
    const { r } = await run('http://site.i2p/data.bin', { output: file, continueAt: '-' });
    expect(r.exitCode).toBe(0);
    expect(r.status).toBe(416);
    expect(r.message).toMatch(/already complete/);
    expect(readFileSync(file).equals(data)).toBe(true);
  });

  it('a missing file is a plain download', async () => {
    const file = join(base, 'fresh.bin');
    const { r } = await run('http://site.i2p/data.bin', { output: file, continueAt: '-' });
    expect(r.exitCode).toBe(0);
    expect(r.status).toBe(200);
    expect(readFileSync(file).equals(data)).toBe(true);
  });

  it('a site that ignores Range: exit 33, the partial file is left as it was', async () => {
    const file = join(base, 'noranges.bin');
    writeFileSync(file, 'abc');
    const { r } = await run('http://app.i2p/no-ranges', { output: file, continueAt: '-' });
    expect(r.exitCode).toBe(FetchExit.RANGE);
    expect(readFileSync(file, 'utf8')).toBe('abc');
  });
});

describe('fetchUrl: redirects', () => {
  it('without -L a redirect is the answer', async () => {
    const { r } = await run('http://app.i2p/r/2');
    expect(r.exitCode).toBe(0);
    expect(r.status).toBe(302);
    expect(r.redirects).toBe(0);
  });

  it('-L follows up to --max-redirs', async () => {
    const ok = await run('http://app.i2p/r/3', { location: true, maxRedirs: 3 });
    expect(ok.r.exitCode).toBe(0);
    expect(ok.r.redirects).toBe(3);
    expect(ok.out.text()).toBe('done');
    expect(ok.r.url).toBe('http://app.i2p/r/0');
    const tooMany = await run('http://app.i2p/r/4', { location: true, maxRedirs: 3 });
    expect(tooMany.r.exitCode).toBe(FetchExit.REDIRECTS);
    expect(tooMany.out.text()).toBe('');
  });

  it('-L never leaves I2P', async () => {
    const { r } = await run('http://app.i2p/offsite', { location: true });
    expect(r.exitCode).toBe(FetchExit.BAD_URL);
    expect(r.message).toMatch(/redirect refused: example\.com is not an \.i2p address/);
  });

  it('303 after a POST becomes a GET without the body', async () => {
    const { r, out } = await run('http://app.i2p/see-other', { location: true, data: ['a=1'] });
    expect(r.exitCode).toBe(0);
    const seen = JSON.parse(out.text()) as { method: string; body: string };
    expect(seen).toMatchObject({ method: 'GET', body: '' });
  });
});

describe('fetchUrl: the request it sends', () => {
  it('fixed User-Agent, Connection: close, Host of the site; -X, -d and -H as curl', async () => {
    const { r, out } = await run('http://app.i2p/echo?x=1', { request: 'PUT', data: ['a=1', 'b=2'], header: ['X-Test: yes', 'Accept:'] });
    expect(r.exitCode).toBe(0);
    const seen = JSON.parse(out.text()) as { method: string; url: string; headers: Record<string, string>; body: string };
    expect(seen.method).toBe('PUT');
    expect(seen.url).toBe('/echo?x=1');
    expect(seen.body).toBe('a=1&b=2');
    expect(seen.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(seen.headers['user-agent']).toBe(FETCH_USER_AGENT);
    expect(seen.headers['connection']).toBe('close');
    expect(seen.headers['host']).toBe('app.i2p');
    expect(seen.headers['x-test']).toBe('yes');
    expect(seen.headers['accept']).toBeUndefined();
  });

  it('-H replaces our User-Agent when the user wants to', async () => {
    const { out } = await run('http://app.i2p/echo', { header: ['user-agent: mine/1'] });
    expect((JSON.parse(out.text()) as { headers: Record<string, string> }).headers['user-agent']).toBe('mine/1');
  });
});

describe('fetchUrl: failures by cause', () => {
  it('connect errors map to exit codes: not found 6, refused 7, timeout 28', async () => {
    expect((await run('http://unknown.i2p/')).r.exitCode).toBe(FetchExit.NOT_FOUND);
    expect((await run('http://refused.i2p/')).r.exitCode).toBe(FetchExit.CONNECT);
    expect((await run('http://slow.i2p/')).r.exitCode).toBe(FetchExit.TIMEOUT);
  });

  it('--max-time cuts a site that never answers: exit 28', async () => {
    const { r } = await run('http://app.i2p/never', { maxTime: 0.2 });
    expect(r.exitCode).toBe(FetchExit.TIMEOUT);
    expect(r.message).toMatch(/--max-time/);
  });

  it('a body shorter than its Content-Length is exit 18', async () => {
    const { r } = await run('http://short.i2p/');
    expect(r.exitCode).toBe(FetchExit.PARTIAL);
  });

  it('an answer that is not HTTP is exit 8', async () => {
    const { r } = await run('http://weird.i2p/');
    expect(r.exitCode).toBe(FetchExit.WEIRD_REPLY);
  });

  it('a stream refused at the TCP level is exit 7', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const dead = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    ports.set('dead.i2p', dead);
    expect((await run('http://dead.i2p/')).r.exitCode).toBe(FetchExit.CONNECT);
  });
});

describe('exit codes', () => {
  it('classifies errors by code and lists every code for --help', () => {
    expect(exitCodeForConnectError(nodeError('NO_ROUTE', ''))).toBe(6);
    expect(exitCodeForConnectError(nodeError('ECONNREFUSED', ''))).toBe(7);
    expect(exitCodeForConnectError(nodeError('RESET', ''))).toBe(7);
    expect(exitCodeForConnectError(nodeError('TIMEOUT', ''))).toBe(28);
    expect(exitCodeForConnectError(nodeError('UNREACHABLE', ''))).toBe(7);
    expect(exitCodeForConnectError(nodeError('BAD_ADDRESS', ''))).toBe(3);
    expect(exitCodeForConnectError(nodeError('BACKEND_DOWN', ''))).toBe(1);
    expect(exitCodeForConnectError(new Error('no code'))).toBe(7);
    expect(exitCodeForConnectError('string')).toBe(7);
    const help = exitCodeHelp();
    for (const e of EXIT_CODE_TABLE) expect(help).toContain(`${String(e.code).padStart(2)}  ${e.meaning}`);
    expect(new Set(EXIT_CODE_TABLE.map((e) => e.code)).size).toBe(Object.keys(FetchExit).length);
  });
});

describe('fetchUrl: a transport that carries no stream ports (a SAM 3.1 bridge, as i2pd 2.45)', () => {
  function portless(): { d: FetchDeps & { stdout: Collect }; ports: number[]; log: string[] } {
    const seen: number[] = [];
    const log: string[] = [];
    const d = deps({
      async connect(host: string, port: number): Promise<Duplex> {
        seen.push(port);
        if (port !== 0) throw nodeError('UNSUPPORTED', 'the SAM 3.1 bridge cannot carry stream ports (3.2 needed)');
        return connectLoopback(ports.get(host)!);
      },
      verboseLog: (line) => log.push(line),
    });
    return { d, ports: seen, log };
  }

  it('drops the port 80 the URL only implied, and says so under -v', async () => {
    const p = portless();
    const { r, out } = await run('http://site.i2p/index.html', { verbose: true }, p.d);
    expect(r.exitCode).toBe(FetchExit.OK);
    expect(out.text()).toBe('<title>t</title>hello');
    expect(p.ports).toEqual([80, 0]);
    expect(p.log).toContain('* the SAM 3.1 bridge cannot carry stream ports (3.2 needed): connecting without a port');
    expect(p.log).toContain('* connected to site.i2p port 0');
  });

  it('keeps a port written in the URL: exit 7, naming the port and why', async () => {
    const p = portless();
    const { r } = await run('http://site.i2p:8080/index.html', {}, p.d);
    expect(r.exitCode).toBe(FetchExit.CONNECT);
    expect(r.message).toBe('cannot connect to site.i2p:8080 port 8080: the SAM 3.1 bridge cannot carry stream ports (3.2 needed)');
    expect(p.ports).toEqual([8080]);
  });
});
