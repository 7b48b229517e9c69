// The garlic API on a private network of our own routers (`anon-router testnet up`, real
// processes on 127.0.1.x): our SAM client backend against our anon-router's SAM bridge (3.3:
// PRIMARY sessions with STREAM, DATAGRAM and RAW subsessions on one destination, I2CP ports),
// and the embedded backend (a Router in this test process, bootstrapped from the testnet)
// talking to a SAM session.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedRouter, type EmbeddedBackend } from '../../src/apps/garlic/embedded.js';
import { SamBackend } from '../../src/apps/garlic/sam-client.js';
import type { GarlicDatagram, GarlicSession, GarlicStream } from '../../src/apps/garlic/session.js';
import type { RouterStatus } from '../../src/router/api/control/protocol.js';
import type { Router } from '../../src/router/router.js';
import { testnetDown } from '../../src/router/testnet/index.js';
import type { TestnetManifest } from '../../src/router/testnet/manifest.js';
import { runCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';

const ROUTERS = 6;
const tmp = mkdtempSync(join(tmpdir(), 'anon-e2e-garlic-'));
const dir = join(tmp, 'tn');
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const tunnels = { length: 2, quantity: 2 };

/** Everything until the other side closes; a stream that stalls is reset after `ms`. */
async function readAll(s: GarlicStream, ms = 60_000): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const timer = setTimeout(() => s.destroy(new Error(`no end of stream within ${ms} ms`)), ms);
  try {
    for await (const c of s) chunks.push(c as Buffer);
  } finally {
    clearTimeout(timer);
  }
  return Buffer.concat(chunks);
}

/** Retries what a LeaseSet published a moment ago may not serve yet. */
async function retry<T>(what: string, fn: () => Promise<T>, ms: number): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      console.log(`${what}: ${(e as Error).message} (retrying)`);
      if (Date.now() > until) throw new Error(`${what}: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 2_000));
    }
  }
}

/** Answers every stream: reads `size` bytes, writes their SHA-256 and a line, then `reply`, and closes. */
const listening: (() => void)[] = [];
afterEach(() => {
  for (const stop of listening.splice(0)) stop();
});

async function serve(session: GarlicSession, size: number, reply: Buffer, served: { sha: string; from: string; localPort: number; remotePort: number }[]): Promise<() => void> {
  const stop = await session.listen({}, (s) => {
    const chunks: Buffer[] = [];
    let got = 0;
    s.on('data', (c: Buffer) => {
      chunks.push(c);
      got += c.length;
      if (got === size) {
        const all = Buffer.concat(chunks);
        served.push({ sha: sha(all), from: s.remoteB32, localPort: s.localPort, remotePort: s.remotePort });
        s.write(sha(all) + '\n');
        s.end(reply);
      }
    });
    s.on('error', () => undefined);
  });
  listening.push(stop);
  return stop;
}

describe('the garlic API on a testnet of our routers', () => {
  let manifest: TestnetManifest;
  let samA: SamBackend;
  let samB: SamBackend;
  let a: GarlicSession;
  let b: GarlicSession;
  let embedded: { router: Router; backend: EmbeddedBackend } | undefined;

  beforeAll(async () => {
    const up = runCli('anon-router', ['testnet', 'up', '--routers', String(ROUTERS), '--dir', dir, '--json']);
    expect(up.status, up.stdout + up.stderr).toBe(0);
    manifest = JSON.parse(readFileSync(join(dir, 'testnet.json'), 'utf8')) as TestnetManifest;
    // Sessions open once the network has formed: every router knows every other one and has
    // exploratory tunnels. (Routers reseed only from those started before them; a session opened
    // earlier may publish leases that others cannot reach yet, and a sender keeps a LeaseSet it
    // found until it expires.)
    await waitFor(
      'a formed network',
      () => {
        const st = JSON.parse(runCli('anon-router', ['testnet', 'status', '--dir', dir, '--json']).stdout) as { routers: { status?: RouterStatus }[] };
        return st.routers.every((x) => x.status && x.status.peers.known >= ROUTERS - 1 && x.status.tunnels.inbound >= 1 && x.status.tunnels.outbound >= 1) ? true : undefined;
      },
      90_000,
      2_000,
    );
    const [ra, rb] = manifest.routers.slice(-2);
    samA = await SamBackend.connect({ address: `${ra.host}:${ra.samPort}`, udpPort: ra.samPort });
    samB = await SamBackend.connect({ address: `${rb.host}:${rb.samPort}`, udpPort: rb.samPort });
    // Client tunnels need the exploratory ones (and peers) first: retry until the bridge has them.
    [a, b] = await Promise.all([
      retry('session A', () => samA.openSession({ name: 'a', tunnels, datagrams: true, timeoutMs: 60_000 }), 120_000),
      retry('session B', () => samB.openSession({ name: 'b', tunnels, datagrams: true, timeoutMs: 60_000 }), 120_000),
    ]);
  }, 300_000);

  afterAll(async () => {
    await samA?.close();
    await samB?.close();
    await embedded?.backend.close();
    if (existsSync(join(dir, 'testnet.json'))) await testnetDown(dir, { gracefulMs: 3_000, termMs: 2_000 });
    if (!process.env.GARLIC_KEEP) rmSync(tmp, { recursive: true, force: true });
  });

  it('speaks SAM 3.3 with one destination for streams and both kinds of datagrams', () => {
    expect([samA.version, samB.version]).toEqual(['3.3', '3.3']);
    expect([a.datagramDestination, a.rawDestination]).toEqual([a.destination, a.destination]);
    expect(a.b32).not.toBe(b.b32);
  });

  it('connects and carries 256 KiB and 96 KiB, SHA-256 checked, with ports', async () => {
    const up = randomBytes(256 * 1024);
    const down = randomBytes(96 * 1024);
    const served: { sha: string; from: string; localPort: number; remotePort: number }[] = [];
    const stop = await serve(a, up.length, down, served);
    const t0 = Date.now();
    const reply = await retry(
      'stream B → A',
      async () => {
        const s = await b.connect(a.b32, { port: 80, fromPort: 5555, timeoutMs: 60_000 });
        s.write(up);
        const r = await readAll(s);
        if (r.length === 0) throw new Error('closed without an answer');
        return r;
      },
      120_000,
    );
    const nl = reply.indexOf(0x0a);
    expect(reply.subarray(0, nl).toString()).toBe(sha(up));
    expect(reply.length - nl - 1).toBe(down.length);
    expect(sha(reply.subarray(nl + 1))).toBe(sha(down));
    expect(served[0]).toMatchObject({ sha: sha(up), from: b.b32, localPort: 80, remotePort: 5555 });
    console.log(`SAM client ↔ our SAM bridge: 256 KiB up, 96 KiB down in ${Date.now() - t0} ms`);
    stop();
  }, 180_000);

  it('sends repliable and raw datagrams with ports through PRIMARY subsessions', async () => {
    const atA: GarlicDatagram[] = [];
    const atB: GarlicDatagram[] = [];
    a.onDatagram((d) => {
      atA.push(d);
      if (d.kind === 'repliable') void a.sendDatagram(d.from!, Buffer.from(`re:${Buffer.from(d.payload).toString()}`), { kind: 'raw', fromPort: d.toPort, toPort: d.fromPort + 1 });
    });
    b.onDatagram((d) => atB.push(d));
    await retry(
      'datagram B → A and the raw answer',
      async () => {
        await b.sendDatagram(a.destination, Buffer.from('dht-ping'), { kind: 'repliable', fromPort: 6881, toPort: 6881 });
        await waitFor('the raw answer', async () => atB.find((d) => d.kind === 'raw'), 10_000, 200);
      },
      90_000,
    );
    expect(atA.find((d) => d.kind === 'repliable')).toMatchObject({ from: b.destination, fromB32: b.b32, fromPort: 6881, toPort: 6881 });
    const raw = atB.find((d) => d.kind === 'raw')!;
    expect(raw).toMatchObject({ fromPort: 6881, toPort: 6882 });
    expect(raw.from).toBeUndefined();
    expect(Buffer.from(raw.payload).toString()).toBe('re:dht-ping');
  }, 120_000);

  it('looks up a b32 through NAMING LOOKUP; an unknown one is NOT_FOUND', async () => {
    expect(await b.lookup(a.b32)).toBe(a.destination);
    await expect(b.lookup(`${'a'.repeat(52)}.b32.i2p`)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  }, 120_000);

  it('an embedded router in this process reaches a SAM session, and is reached by it', async () => {
    const home = join(tmp, 'embedded');
    embedded = await startEmbeddedRouter({
      home,
      reseed: manifest.reseedDir,
      config: { netId: manifest.netId, testnet: true, floodfill: false, ntcp2: { host: '127.0.1.200', port: manifest.basePort + 200 } },
    });
    await waitFor('exploratory tunnels of the embedded router', async () => {
      const t = embedded!.router.status().tunnels;
      return t.inbound >= 1 && t.outbound >= 1;
    }, 90_000, 1_000);
    const e = await embedded.backend.openSession({ name: 'e', tunnels, timeoutMs: 90_000 });
    expect(embedded.backend.kind).toBe('embedded');
    const up = randomBytes(64 * 1024);
    const down = randomBytes(32 * 1024);
    const served: { sha: string; from: string; localPort: number; remotePort: number }[] = [];
    const stop = await serve(a, up.length, down, served);
    const reply = await retry(
      'embedded → SAM session',
      async () => {
        const s = await e.connect(a.b32, { timeoutMs: 60_000 });
        s.write(up);
        const r = await readAll(s);
        if (r.length === 0) throw new Error('closed without an answer');
        return r;
      },
      120_000,
    );
    const nl = reply.indexOf(0x0a);
    expect(reply.subarray(0, nl).toString()).toBe(sha(up));
    expect(sha(reply.subarray(nl + 1))).toBe(sha(down));
    expect(served.at(-1)!.from).toBe(e.b32);
    stop();
    // And the other way: the SAM session connects to the embedded one, which listens.
    const stopE = await serve(e, 1000, Buffer.from('from-embedded'), []);
    const back = await retry(
      'SAM session → embedded',
      async () => {
        const s = await b.connect(e.b32, { timeoutMs: 60_000 });
        s.write(randomBytes(1000));
        const r = await readAll(s);
        if (r.length === 0) throw new Error('closed without an answer');
        return r;
      },
      120_000,
    );
    expect(back.subarray(back.indexOf(0x0a) + 1).toString()).toBe('from-embedded');
    stopE();
    await e.close();
  }, 300_000);
});
