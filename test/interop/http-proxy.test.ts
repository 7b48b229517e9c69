// Our HTTP proxy against real i2pd 2.45 routers (../shared/interop/i2pd-testnet.sh): our router
// runs inside the test network's namespace with its proxy on, and curl fetches the i2pd-hosted
// eepsite's /1k.bin and /10m.bin through it. Both bodies must match the site's SHA256SUMS. Our
// proxy's tunnels are 3 hops each way and so are the eepsite's (I2PDNET_HOPS, default 3). The
// timings (time to first byte, MB/s) are printed for the report, never asserted.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { HttpProxyStatus } from '../../src/router/api/http-proxy/router-proxy.js';
import { i2pBase64Encode, parseB32Address } from '../../src/router/data/index.js';
import { describeWithI2pd, I2pdTestnet, TESTNET_SCRIPT } from '../helpers/i2pd.js';
import { NamespacedRouter } from '../helpers/ns-router.js';
import { waitFor } from '../helpers/wait.js';

const I2PD_ROUTERS = 5;
const HOPS = 3;

interface CurlResult {
  status: number;
  code: number;
  ttfb: number;
  total: number;
  bytes: number;
  speed: number;
  body: Buffer;
  stderr: string;
}

describeWithI2pd('our HTTP proxy fetching an i2pd-hosted eepsite', () => {
  let net: I2pdTestnet;
  let ours: NamespacedRouter;
  let work: string;
  let eepsite: string;
  let sums: Map<string, string>;
  let proxyPort: number;

  beforeAll(async () => {
    net = new I2pdTestnet(I2PD_ROUTERS, undefined, { I2PDNET_HOPS: String(HOPS) });
    net.up(true);
    eepsite = readFileSync(join(net.dir, 'eepsite.b32'), 'utf8').trim();
    sums = new Map(
      readFileSync(join(net.dir, 'www', 'SHA256SUMS'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(/\s+/))
        .map(([sum, file]) => [file, sum]),
    );
    work = mkdtempSync(join(tmpdir(), 'anon-proxy-interop-'));
    ours = new NamespacedRouter(net, join(work, 'a'));
    proxyPort = net.basePort + 504;
    // 8 MB/s: the default 128 KB/s would make the 10 MB fetch a test of the rate limit.
    await ours.start([
      '--host', '198.18.1.4', '--port', String(net.basePort + 503), '--netid', '99', '--testnet', '--bandwidth', '8192',
      '--http-proxy-port', String(proxyPort), '--http-proxy-hops', String(HOPS),
      '--reseed', join(net.routerDir(I2PD_ROUTERS), 'netDb'),
    ]);
    const p = await waitFor('our HTTP proxy listening with tunnels both ways', async () => {
      const s = (await ours.status()).httpProxy;
      return s?.listening && s.tunnels && s.tunnels.inbound >= 1 && s.tunnels.outbound >= 1 ? s : undefined;
    }, 120_000, 1_000);
    expect(p.hops).toBe(HOPS);
  }, 700_000);

  afterAll(async () => {
    await ours?.stop();
    net?.down();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** curl -x inside the namespace; the body on stdout, curl's timings on stderr's last line. */
  function curl(url: string, maxTime: number, viaPort = proxyPort): CurlResult {
    const r = spawnSync('bash', [TESTNET_SCRIPT, 'exec', 'curl', '-sS', '-x', `http://127.0.0.1:${viaPort}`, '--max-time', String(maxTime), '-w', '%{stderr}%{http_code} %{time_starttransfer} %{time_total} %{size_download} %{speed_download}\n', url], {
      env: { ...process.env, I2PDNET_DIR: net.dir, I2PDNET_BASEPORT: String(net.basePort) },
      maxBuffer: 64 * 1024 * 1024,
      timeout: (maxTime + 20) * 1000,
    });
    const stderr = r.stderr.toString();
    const last = stderr.trim().split('\n').at(-1) ?? '';
    const [status, ttfb, total, bytes, speed] = last.split(' ').map(Number);
    return { status, code: r.status ?? -1, ttfb, total, bytes, speed, body: r.stdout, stderr };
  }

  /** The first fetch also waits for the lookup of the eepsite's LeaseSet: retried while the network settles. */
  async function fetchOk(path: string, maxTime: number): Promise<CurlResult> {
    let last: CurlResult | undefined;
    return waitFor(`${path} through our proxy`, async () => {
      last = curl(`http://${eepsite}${path}`, maxTime);
      if (last.status !== 200) console.log(`fetch ${path}: HTTP ${last.status}, curl exit ${last.code}: ${last.stderr.slice(0, 300)} ${last.status >= 400 ? last.body.toString().replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').slice(0, 300) : ''}`);
      return last.status === 200 ? last : undefined;
    }, 240_000, 2_000);
  }

  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  const report = (name: string, r: CurlResult) =>
    console.log(`${name}${name.includes('i2pd') ? '' : ' through our proxy'} (${HOPS}+${HOPS} hops): ${r.bytes} bytes, first byte ${(r.ttfb * 1000).toFixed(0)} ms, total ${(r.total * 1000).toFixed(0)} ms, ${(r.speed / 1e6).toFixed(3)} MB/s`);

  it('1 KB: /1k.bin arrives with the SHA-256 of the site', async () => {
    // How much of a cold first byte the LeaseSet lookup alone takes (an iterative lookup of the
    // router's own, not shared with the proxy destination's: that one is still cold below).
    const lookup = await ours.call<{ found: boolean; ms?: number }>('netdb.findLeaseSet', { key: i2pBase64Encode(parseB32Address(eepsite)), timeoutMs: 30_000 }, 40_000);
    console.log(`the eepsite's LeaseSet, looked up alone: found ${lookup.found} in ${lookup.ms} ms`);
    // Cold: the eepsite's LeaseSet looked up through our tunnels, a new ratchet session, a SYN.
    const cold = await fetchOk('/index.html', 60);
    report('index.html (cold)', cold);
    console.log(`streams after the cold fetch: ${JSON.stringify((await ours.status()).httpProxy?.streams)}`);
    // i2pd answers a SYN only once it holds the caller's LeaseSet; if not, its first answer waits
    // for its initial RTO (9 s in i2pd 2.45). Say what the eepsite's router logged about it.
    const i2pdLog = readFileSync(join(net.routerDir(I2PD_ROUTERS), 'i2pd.log'), 'utf8').split('\n');
    console.log(`i2pd eepsite router log, streaming lines: ${JSON.stringify(i2pdLog.filter((l) => /Streaming|LeaseSet|Garlic|Destination|ECIES/i.test(l)).slice(-30))}`);
    expect(cold.body.toString()).toBe('hello from the i2pd test network\n');
    const r = await fetchOk('/1k.bin', 60);
    report('1k.bin', r);
    expect(r.body.length).toBe(1024);
    expect(sha(r.body)).toBe(sums.get('1k.bin'));
  }, 300_000);

  it('10 MB: /10m.bin arrives with the SHA-256 of the site', async () => {
    const r = await fetchOk('/10m.bin', 240);
    report('10m.bin', r);
    expect(r.body.length).toBe(10 * 1024 * 1024);
    expect(sha(r.body)).toBe(sums.get('10m.bin'));
    // The same fetches through i2pd's own HTTP proxy (router 4, also 3 hops), for comparison only.
    const i2pdProxy = net.basePort + 10 * (I2PD_ROUTERS - 1) + 2;
    for (const file of ['/1k.bin', '/10m.bin']) {
      const i = curl(`http://${eepsite}${file}`, 240, i2pdProxy);
      if (i.status === 200) {
        report(`${file.slice(1)} through i2pd's proxy (for comparison)`, i);
        expect(sha(i.body)).toBe(sums.get(file.slice(1)));
      } else {
        console.log(`${file} through i2pd's proxy: HTTP ${i.status} (comparison skipped)`);
      }
    }
    const s = (await ours.status()).httpProxy as HttpProxyStatus;
    console.log(`our proxy: ${JSON.stringify({ hops: s.hops, tunnels: s.tunnels, counters: s.counters, streams: s.streams })}`);
    expect(s.counters!.responses).toBeGreaterThanOrEqual(3);
    expect(s.counters!.errors).toEqual({});
    // The hops the traffic really crossed: every tunnel of the proxy's pool, and the eepsite's config.
    const pool = `client:${s.b32!.slice(0, 16)}`;
    const own = (await ours.call<{ own: { direction: string; pool: string; hops: string[] }[] }>('tunnels.list')).own.filter((t) => t.pool === pool);
    const eepsiteConf = readFileSync(join(net.routerDir(I2PD_ROUTERS), 'eepsite.section'), 'utf8');
    console.log(`hops: our proxy's tunnels ${own.map((t) => `${t.direction}:${t.hops.length}`).join(' ')}; i2pd eepsite ${/inbound\.length = (\d+)/.exec(eepsiteConf)?.[1]} in / ${/outbound\.length = (\d+)/.exec(eepsiteConf)?.[1]} out`);
    expect(own.length).toBeGreaterThanOrEqual(2);
    for (const t of own) expect(t.hops).toHaveLength(HOPS);
    expect(eepsiteConf).toContain(`inbound.length = ${HOPS}`);
    expect(eepsiteConf).toContain(`outbound.length = ${HOPS}`);
  }, 400_000);

  it('a clearnet URL through our proxy inside the namespace gets the 403 page, nothing else', () => {
    const r = curl('http://example.com/', 20);
    expect(r.status).toBe(403);
    expect(r.body.toString()).toContain('there is no outproxy');
  });
});
