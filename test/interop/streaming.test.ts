// Streaming with real i2pd 2.45.1 (../shared/interop/i2pd-testnet.sh), 3-hop tunnels on both
// sides: an embedded router of ours (test/helpers/stream-site.mjs, run from dist/ inside the
// network's namespace) publishes a destination serving HTTP over incoming streams, which curl
// fetches through i2pd's HTTP proxy; and it connects out to the i2pd-hosted eepsite (python
// http.server behind an i2pd server tunnel) and GETs its files. Every body is checked by SHA-256.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { describeWithI2pd, I2pdTestnet, TESTNET_SCRIPT } from '../helpers/i2pd.js';

const I2PD_ROUTERS = 5;
const HOPS = 3;
/** The i2pd router whose HTTP proxy curl uses (routers 1..3 are pure floodfills). */
const PROXY_ROUTER = 4;

interface Event {
  event: string;
  id?: number;
  [k: string]: unknown;
}
interface Fetched extends Event {
  status: number;
  bytes: number;
  sha256: string;
  lookupMs: number;
  connectMs: number;
  ttfbMs: number;
  totalMs: number;
}

describeWithI2pd('streaming with i2pd', () => {
  let net: I2pdTestnet;
  let work: string;
  let site: ChildProcess | undefined;
  let ready: Event & { b32: string; sha256: Record<string, string>; ms: Record<string, number> };
  const waiting = new Map<number, (e: Event) => void>();
  const events: Event[] = [];
  let nextId = 1;
  const env = () => ({ ...process.env, I2PDNET_DIR: net.dir, I2PDNET_BASEPORT: String(net.basePort) });

  function request(cmd: object, timeoutMs: number): Promise<Event> {
    const id = nextId++;
    return new Promise((resolveEvent, reject) => {
      const t = setTimeout(() => reject(new Error(`no answer to ${JSON.stringify(cmd)} within ${timeoutMs} ms`)), timeoutMs);
      waiting.set(id, (e) => {
        clearTimeout(t);
        resolveEvent(e);
      });
      site!.stdin!.write(JSON.stringify({ ...cmd, id }) + '\n');
    });
  }

  beforeAll(async () => {
    net = new I2pdTestnet(I2PD_ROUTERS);
    net.up(true);
    work = mkdtempSync(join(tmpdir(), 'anon-stream-interop-'));
    site = spawn(
      'bash',
      [TESTNET_SCRIPT, 'exec', process.execPath, resolve(ROOT, 'test/helpers/stream-site.mjs'), join(work, 'home'), '198.18.1.3', String(net.basePort + 503), '99', join(net.routerDir(I2PD_ROUTERS), 'netDb'), String(HOPS)],
      { env: env(), stdio: ['pipe', 'pipe', 'pipe'], detached: true },
    );
    const errLog: string[] = [];
    // ANON_STREAM_SITE_LOG=FILE keeps the site's log (ANON_LOG_LEVEL=debug for details).
    const keep = process.env.ANON_STREAM_SITE_LOG ? createWriteStream(process.env.ANON_STREAM_SITE_LOG) : undefined;
    createInterface({ input: site.stderr! }).on('line', (l) => {
      keep?.write(l + '\n');
      errLog.push(l);
      if (errLog.length > 200) errLog.shift();
    });
    const exited = new Promise<never>((_, reject) => site!.once('exit', (code) => reject(new Error(`stream-site exited (${code}): ${errLog.slice(-20).join('\n')}`))));
    const readyEvent = new Promise<Event>((resolveReady) => {
      createInterface({ input: site!.stdout! }).on('line', (l) => {
        let e: Event;
        try {
          e = JSON.parse(l) as Event;
        } catch {
          return;
        }
        events.push(e);
        if (e.event === 'ready') resolveReady(e);
        if (e.id !== undefined) waiting.get(e.id)?.(e);
        if (e.event === 'error' && e.id === undefined) errLog.push(String(e.message));
      });
    });
    ready = (await Promise.race([readyEvent, exited])) as typeof ready;
    console.log(`our router in the namespace: exploratory tunnels after ${ready.ms.exploratory} ms, destination published after ${ready.ms.published} ms; ${HOPS}-hop tunnels`);
  }, 900_000);

  afterAll(async () => {
    if (site?.pid && site.exitCode === null) {
      const gone = new Promise((r) => site!.once('exit', r));
      site.stdin?.write(JSON.stringify({ cmd: 'stop' }) + '\n');
      const t = setTimeout(() => {
        try {
          process.kill(-site!.pid!, 'SIGKILL');
        } catch {
          /* gone */
        }
      }, 15_000);
      await gone;
      clearTimeout(t);
    }
    net?.down();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** curl through i2pd's HTTP proxy (the script's `fetch`: retried until the site answers). */
  function curlThroughI2pd(url: string): { body: Buffer; timing: string } {
    const r = spawnSync('bash', [TESTNET_SCRIPT, 'fetch', url, String(PROXY_ROUTER)], {
      env: { ...env(), I2PDNET_TIMEOUT: '240', I2PDNET_FETCH_MAXTIME: '240' },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 300_000,
    });
    const stderr = r.stderr.toString();
    if (r.status !== 0) throw new Error(`fetch ${url} failed (${r.status}): ${stderr}`);
    // "fetch ok via router K after S s: http=200 ttfb=… total=… speed=…" (S counts any retries).
    return { body: r.stdout, timing: stderr.match(/after .*$/m)?.[0] ?? stderr.trim() };
  }

  const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

  it('serves a site over our streams that curl fetches through i2pd: 1 KB and 10 MB, SHA-256 identical', async () => {
    for (const path of ['/1k.bin', '/10m.bin']) {
      const { body, timing } = curlThroughI2pd(`http://${ready.b32}${path}`);
      console.log(`i2pd proxy -> our site ${path}: ${timing}`);
      expect(body.length).toBe(path === '/1k.bin' ? 1024 : 10 * 1024 * 1024);
      expect(sha(body)).toBe(ready.sha256[path]);
    }
    const c = (await request({ cmd: 'counters' }, 10_000)) as Event & { streams: { accepted: number; badSignatures: number } };
    console.log(`our stream counters after serving: ${JSON.stringify(c.streams)}`);
    expect(c.streams.accepted).toBeGreaterThanOrEqual(2);
    expect(c.streams.badSignatures).toBe(0);
  }, 600_000);

  it("fetches the i2pd-hosted eepsite over our outgoing streams: 1 KB and 10 MB match its SHA256SUMS", async () => {
    const eepsite = readFileSync(join(net.dir, 'eepsite.b32'), 'utf8').trim();
    const sums = new Map(
      readFileSync(join(net.dir, 'www', 'SHA256SUMS'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(/\s+/))
        .map(([h, f]) => [f, h] as const),
    );
    for (const [path, size] of [['/1k.bin', 1024], ['/10m.bin', 10 * 1024 * 1024]] as const) {
      const e = (await request({ cmd: 'fetch', b32: eepsite, path }, 400_000)) as Fetched;
      if (e.event !== 'fetched') throw new Error(`fetch ${path} from the i2pd eepsite failed: ${JSON.stringify(e)}`);
      const mbps = e.bytes / 1e6 / (e.totalMs / 1000);
      console.log(`our streams -> i2pd eepsite ${path}: LeaseSet ${e.lookupMs} ms, connect ${e.connectMs} ms, first byte ${e.ttfbMs} ms, total ${e.totalMs} ms, ${mbps.toFixed(3)} MB/s`);
      expect(e.status).toBe(200);
      expect(e.bytes).toBe(size);
      expect(e.sha256).toBe(sums.get(path.slice(1)));
    }
    const c = (await request({ cmd: 'counters' }, 10_000)) as Event & { streams: { badSignatures: number; badPackets: number }; dest: object };
    console.log(`our stream counters: ${JSON.stringify(c.streams)}; destination: ${JSON.stringify(c.dest)}`);
    expect(c.streams.badSignatures).toBe(0);
    expect(c.streams.badPackets).toBe(0);
    // Every stream ends (i2pd drops a stream once it has sent its CLOSE: ours, unanswered,
    // must still finish), none is left open.
    const deadline = Date.now() + 90_000;
    let active = -1;
    while (Date.now() < deadline) {
      active = ((await request({ cmd: 'counters' }, 10_000)) as Event & { streams: { active: number } }).streams.active;
      if (active === 0) break;
      await new Promise((r) => setTimeout(r, 1_000));
    }
    expect(active).toBe(0);
  }, 900_000);
});
