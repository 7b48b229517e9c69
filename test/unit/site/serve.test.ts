import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveSite } from '../../../src/apps/site/serve.js';
import { connectLoopback, loopbackListener, request } from './loopback.js';

const VISITOR = 'v'.repeat(52) + '.b32.i2p';
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'anon-serve-'));
  writeFileSync(join(dir, 'a.txt'), 'hello world');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Polls `cond` every 10 ms, at most `tries` times (a bounded wait, not a timing assertion). */
async function until(cond: () => boolean, tries = 500): Promise<void> {
  for (let i = 0; i < tries && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
}

describe('serveSite', () => {
  it('needs exactly one of dir and proxy', async () => {
    const lb = await loopbackListener();
    try {
      await expect(serveSite({ listen: lb.listen })).rejects.toThrow(/exactly one/);
      await expect(serveSite({ listen: lb.listen, dir, proxy: 'http://127.0.0.1:1' })).rejects.toThrow(/exactly one/);
    } finally {
      await lb.close();
    }
  });

  it('access log: one line per request, path without query, no visitor by default', async () => {
    const lines: string[] = [];
    const lb = await loopbackListener(VISITOR);
    const site = await serveSite({ listen: lb.listen, dir, log: (l) => lines.push(l) });
    try {
      await request(lb.port(), 'GET', '/a.txt?token=secret');
      await request(lb.port(), 'GET', '/missing');
      await until(() => lines.length === 2);
      expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z GET \/a\.txt 200 11 \d+ms$/);
      expect(lines[1]).toMatch(/ GET \/missing 404 \d+ \d+ms$/);
      expect(lines.join('\n')).not.toContain('secret');
      expect(lines.join('\n')).not.toContain(VISITOR);
      expect(site.counters.requests).toBe(2);
    } finally {
      await site.close();
      await lb.close();
    }
  });

  it('access log with logVisitors names the b32', async () => {
    const lines: string[] = [];
    const lb = await loopbackListener(VISITOR);
    const site = await serveSite({ listen: lb.listen, dir, log: (l) => lines.push(l), logVisitors: true });
    try {
      await request(lb.port(), 'HEAD', '/a.txt');
      await until(() => lines.length === 1);
      expect(lines[0]).toMatch(new RegExp(` HEAD /a\\.txt 200 0 \\d+ms ${VISITOR}$`));
    } finally {
      await site.close();
      await lb.close();
    }
  });

  it('takes an async listen (as GarlicSession.listen is) and a failing one fails serveSite', async () => {
    const lb = await loopbackListener();
    let stopped = false;
    const site = await serveSite({
      listen: async (h) => {
        const stop = lb.listen(h) as () => void;
        return { close: () => ((stopped = true), stop()) };
      },
      dir,
    });
    try {
      expect((await request(lb.port(), 'GET', '/a.txt')).status).toBe(200);
    } finally {
      await site.close();
      await lb.close();
    }
    expect(stopped).toBe(true);
    await expect(serveSite({ listen: async () => Promise.reject(new Error('port taken')), dir })).rejects.toThrow('port taken');
  });

  it('refuses streams beyond maxStreams', async () => {
    const lb = await loopbackListener();
    const site = await serveSite({ listen: lb.listen, dir, maxStreams: 1 });
    try {
      const first = await connectLoopback(lb.port());
      await until(() => site.counters.active === 1);
      const second = await connectLoopback(lb.port());
      const closed = new Promise<void>((r) => second.once('close', () => r()));
      second.resume();
      await closed;
      expect(site.counters.refused).toBe(1);
      first.destroy();
    } finally {
      await site.close();
      await lb.close();
    }
  });

  it('close(): idle streams are closed at once, a request in flight finishes, then it resolves', async () => {
    let release: (() => void) | undefined;
    let arrived: (() => void) | undefined;
    const arrivedP = new Promise<void>((r) => (arrived = r));
    const app = http.createServer((req, res) => {
      arrived?.();
      release = () => res.end('slow answer');
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    const lb = await loopbackListener();
    const site = await serveSite({ listen: lb.listen, proxy: `http://127.0.0.1:${(app.address() as AddressInfo).port}`, graceMs: 60_000 });
    try {
      const idle = await connectLoopback(lb.port());
      idle.resume();
      const idleClosed = new Promise<void>((r) => idle.once('close', () => r()));
      await until(() => site.counters.active === 1);
      const inFlight = request(lb.port(), 'GET', '/slow');
      await arrivedP;
      let closeDone = false;
      const closing = site.close().then(() => {
        closeDone = true;
      });
      await idleClosed;
      expect(closeDone).toBe(false);
      release!();
      const r = await inFlight;
      expect(r.status).toBe(200);
      expect(r.body.toString()).toBe('slow answer');
      expect(r.headers['connection']).toBe('close');
      await closing;
      expect(site.counters.active).toBe(0);
    } finally {
      await site.close();
      await lb.close();
      await new Promise((r) => app.close(r));
    }
  });

  it('close(): a request that never ends is cut after graceMs', async () => {
    let arrived: (() => void) | undefined;
    const arrivedP = new Promise<void>((r) => (arrived = r));
    const app = http.createServer(() => arrived?.());
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    const lb = await loopbackListener();
    const site = await serveSite({ listen: lb.listen, proxy: `http://127.0.0.1:${(app.address() as AddressInfo).port}`, graceMs: 50 });
    try {
      const inFlight = request(lb.port(), 'GET', '/never').then(
        () => 'answered',
        () => 'cut',
      );
      await arrivedP;
      await site.close();
      expect(await inFlight).toBe('cut');
      expect(site.counters.active).toBe(0);
    } finally {
      await lb.close();
      app.closeAllConnections();
      await new Promise((r) => app.close(r));
    }
  });

  it('garbage from a visitor gets a 400 and the site keeps serving', async () => {
    const lb = await loopbackListener();
    const site = await serveSite({ listen: lb.listen, dir });
    try {
      const s = await connectLoopback(lb.port());
      const chunks: Buffer[] = [];
      s.on('data', (c: Buffer) => chunks.push(c));
      const ended = new Promise<void>((r) => s.once('close', () => r()));
      s.write('\x00\x01 not http at all\r\n\r\n');
      await ended;
      expect(Buffer.concat(chunks).toString()).toMatch(/^HTTP\/1\.1 400 /);
      expect((await request(lb.port(), 'GET', '/a.txt')).status).toBe(200);
    } finally {
      await site.close();
      await lb.close();
    }
  });
});
