// anon-site and anon-fetch (the real bins, from dist/) with real i2pd 2.45.1 routers
// (../shared/interop/i2pd-testnet.sh): run inside the network's namespace and pointed at i2pd's
// SAM bridges with --sam, they fetch the i2pd eepsite, host a site that i2pd's HTTP proxy and
// anon-fetch read, and read a site that our own router hosts in the same network. Every body is
// checked by SHA-256; -v timings are logged.
//
// i2pd 2.45.1 crashes on SAM's NAMING LOOKUP with its address book disabled, as the script
// configures every router (see test/helpers/i2pd-addressbook.ts): anon-fetch on a bridge that is
// not our router's connects to a b32 without looking it up, so the routers run as the script
// starts them. (Restarting the reader with its address book on killed every tunnel through it,
// the eepsite's among them, and the network took minutes or more to heal.) The reader is router
// N-1; the site is hosted through router N's SAM, next to the script's eepsite.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TESTNET_BANDWIDTH_KBPS } from '../../src/router/testnet/up.js';
import { fetchWhenPublished, killApps, parseFetchTimings, readSha256Sums, runApp, runIn, SiteProcess, type BinResult } from '../helpers/apps.js';
import { describeWithI2pd, I2pdTestnet } from '../helpers/i2pd.js';
import { NamespacedRouter } from '../helpers/ns-router.js';
import { waitFor } from '../helpers/wait.js';

const ROUTERS = 5;
/** Reads: anon-fetch through its SAM bridge, curl through its HTTP proxy (address book on). */
const READER = ROUTERS - 1;
/** Serves the script's eepsite, and anon-site through its SAM bridge. */
const HOST = ROUTERS;
const TITLE = 'anon-site through i2pd SAM';
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describeWithI2pd('anon-site and anon-fetch with i2pd routers', () => {
  let net: I2pdTestnet;
  let work: string;
  let eepsite: string;
  let ours: NamespacedRouter | undefined;
  const big = randomBytes(1024 * 1024);
  const sites: SiteProcess[] = [];

  const port = (k: number, offset: number) => net.basePort + 10 * k + offset;
  const samOf = (k: number) => `127.0.0.1:${port(k, 3)}`;
  const fetchHome = (tag: string) => join(work, `fetch-${tag}`);

  beforeAll(async () => {
    net = new I2pdTestnet(ROUTERS);
    work = mkdtempSync(join(tmpdir(), 'anon-apps-i2pd-'));
    // Wait for the eepsite: the first test fetches it.
    net.up(true);
    eepsite = net.script('b32').trim();
    for (const dir of ['site', 'ours']) {
      mkdirSync(join(work, dir), { recursive: true });
      writeFileSync(join(work, dir, 'index.html'), `<!doctype html><html><head><title>${TITLE} (${dir})</title></head><body><p>garlic</p></body></html>\n`);
      writeFileSync(join(work, dir, '1m.bin'), big);
    }
  }, 700_000);

  afterAll(async () => {
    for (const s of sites) await s.stop().catch(() => undefined);
    killApps();
    await ours?.stop();
    net?.down();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** anon-fetch inside the namespace, its own home (no router runs there: --sam decides). */
  const fetchVia = (k: number, tag: string, args: string[], tries = 8) =>
    fetchWhenPublished(['--home', fetchHome(tag), '--sam', samOf(k), '--max-time', '60', ...args], { ns: net, tries, log: (l) => console.log(l) });

  function logTimings(what: string, r: BinResult): void {
    const t = parseFetchTimings(r.stderr);
    expect(t, `${what}: no timings line in ${r.stderr}`).toBeDefined();
    console.log(`${what}: lookup ${t!.lookup ?? '-'} ms, connect ${t!.connect ?? '-'} ms, first byte ${t!.firstByte ?? '-'} ms, total ${t!.total} ms (process ${r.ms} ms with SAM session set-up)`);
  }

  it('bad input: a --sam where nothing listens gives one line and exit 1; a malformed b32 exit 3', async () => {
    const b32 = `${'a'.repeat(52)}.b32.i2p`;
    const down = await runApp('anon-fetch', ['--home', fetchHome('bad'), '--sam', '127.0.0.1:1', `http://${b32}/`], { ns: net, timeoutMs: 30_000 });
    // anon-fetch --help: "1 other failure (e.g. no router reachable)".
    expect(down.status, down.stderr).toBe(1);
    expect(down.stderr.trim().split('\n')).toHaveLength(1);
    expect(down.stderr).toMatch(/^anon-fetch: no SAM bridge at 127\.0\.0\.1:1: .*ECONNREFUSED/);
    const bad = await runApp('anon-fetch', ['--home', fetchHome('bad'), '--sam', '127.0.0.1:1', 'http://x.b32.i2p/'], { ns: net, timeoutMs: 30_000 });
    expect(bad.status, bad.stderr).toBe(3);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/52 base32 characters/);
  }, 60_000);

  it(`anon-fetch through i2pd router ${READER}'s SAM gets the eepsite's 1k.bin and 10m.bin intact, with -v timings`, async () => {
    const sums = readSha256Sums(join(net.dir, 'www', 'SHA256SUMS'));
    for (const file of ['1k.bin', '10m.bin']) {
      const out = join(work, `eepsite-${file}`);
      const r = await fetchVia(READER, 'eepsite', ['-v', '-o', out, `http://${eepsite}/${file}`]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(new RegExp(`using the SAM 3\\.1 bridge at 127\\.0\\.0\\.1:${port(READER, 3)}`));
      expect(r.stderr).toMatch(/< HTTP\/1\.[01] 200/);
      // No NAMING LOOKUP on i2pd's bridge (its address book is off): STREAM CONNECT takes the b32.
      expect(r.stderr).toMatch(/\* not looking [a-z2-7]{52}\.b32\.i2p up: the bridge resolves it as it connects/);
      const body = readFileSync(out);
      expect(body.length).toBe(file === '1k.bin' ? 1024 : 10 * 1024 * 1024);
      expect(sha(body)).toBe(sums[file]);
      logTimings(`i2pd eepsite /${file} via i2pd SAM`, r);
    }
  }, 400_000);

  it(`anon-site through i2pd router ${HOST}'s SAM: curl through router ${READER}'s HTTP proxy and anon-fetch get identical bodies; 404, HEAD; SIGTERM stops it cleanly`, async () => {
    const home = join(work, 'site-home');
    const serveArgs = [join(work, 'site'), '--sam', samOf(HOST)];
    let site = await SiteProcess.start(serveArgs, home, { ns: net });
    sites.push(site);
    const b32 = site.b32;
    expect(site.stderr()).toMatch(new RegExp(`using the SAM 3\\.1 bridge at 127\\.0\\.0\\.1:${port(HOST, 3)}`));
    // i2pd 2.45.1 may never publish a new destination's LeaseSet (the script's "LeaseSet race");
    // a user restarts the site: its keys, so its address, stay.
    for (let restarts = 0; !(await leaseSetPublished(b32, 60_000)); restarts++) {
      expect(restarts, `the site's LeaseSet never reached an i2pd floodfill`).toBeLessThan(3);
      console.log(`site ${b32}: no LeaseSet on a floodfill after 60 s, restarting anon-site (LeaseSet race)`);
      expect(await site.stop()).toBe(0);
      site = await SiteProcess.start(serveArgs, home, { ns: net });
      sites.push(site);
      expect(site.b32).toBe(b32);
    }

    const viaCurl = join(work, 'curl-1m.bin');
    const curled = await curlUntilOk(`http://${b32}/1m.bin`, viaCurl, 120_000);
    console.log(`curl via i2pd HTTP proxy: /1m.bin ${curled}`);
    expect(sha(readFileSync(viaCurl))).toBe(sha(big));

    const viaFetch = join(work, 'fetch-1m.bin');
    const [index, file, missing, head] = await Promise.all([
      fetchVia(READER, 's-index', ['-v', `http://${b32}/`]),
      fetchVia(READER, 's-file', ['-v', '-s', '-o', viaFetch, `http://${b32}/1m.bin`]),
      fetchVia(READER, 's-404', ['-v', `http://${b32}/nope.html`]),
      fetchVia(READER, 's-head', ['-I', `http://${b32}/1m.bin`]),
    ]);
    expect(index.status, index.stderr).toBe(0);
    expect(index.stdout.toString()).toContain(`<title>${TITLE} (site)</title>`);
    expect(index.stdout.equals(readFileSync(join(work, 'site', 'index.html')))).toBe(true);
    expect(file.status, file.stderr).toBe(0);
    expect(sha(readFileSync(viaFetch))).toBe(sha(big));
    expect(readFileSync(viaFetch).equals(readFileSync(viaCurl))).toBe(true);
    expect(missing.status, missing.stderr).toBe(0);
    expect(missing.stderr).toMatch(/< HTTP\/1\.1 404/);
    expect(missing.stdout.toString()).toMatch(/404/);
    expect(head.status, head.stderr).toBe(0);
    expect(head.stdout.toString()).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(head.stdout.toString()).toMatch(/content-length: 1048576/i);
    logTimings('anon-site via i2pd SAM, / through i2pd SAM', index);
    logTimings('anon-site via i2pd SAM, /1m.bin through i2pd SAM', file);

    expect(await site.stop()).toBe(0);
    expect(site.stderr()).toMatch(/stopping site default/);
    const log = site.stdout();
    expect(log).toMatch(/ GET \/1m\.bin 200 1048576 /);
    expect(log).toMatch(/ HEAD \/1m\.bin 200 /);
    expect(log).toMatch(/ GET \/nope\.html 404 /);
  }, 600_000);

  it(`our router in the namespace hosts anon-site; anon-fetch through i2pd router ${READER}'s SAM reads it`, async () => {
    ours = new NamespacedRouter(net, join(work, 'router'));
    const samPort = net.basePort + 504;
    await ours.start(['--host', '198.18.1.2', '--port', String(net.basePort + 502), '--netid', '99', '--testnet', '--reseed', join(net.routerDir(HOST), 'netDb'), '--sam-port', String(samPort), '--sam-udp-port', String(samPort), '--no-http-proxy',
      // As a testnet router: the default 128 KB/s share would pace the 1 MiB to that rate.
      '--bandwidth', String(TESTNET_BANDWIDTH_KBPS), '--share', '100']);
    await waitFor('exploratory tunnels of our router through i2pd', async () => {
      const t = (await ours!.status()).tunnels;
      return t.inbound >= 1 && t.outbound >= 1;
    }, 120_000);
    // No --sam: anon-site finds the router running in its home, and uses its bridge.
    const site = await SiteProcess.start([join(work, 'ours')], ours.home, { ns: net }).catch(async (e: Error) => {
      const t = (await ours!.status()).tunnels;
      console.log(`our router's tunnels: ${JSON.stringify(t)}\nits log, last lines:\n${readFileSync(ours!.log, 'utf8').split('\n').slice(-40).join('\n')}`);
      throw e;
    });
    sites.push(site);
    expect(site.stderr()).toMatch(new RegExp(`using the SAM 3\\.3 bridge at 127\\.0\\.0\\.1:${samPort}`));
    const out = join(work, 'ours-1m.bin');
    const file = await fetchVia(READER, 'ours-file', ['-v', '-s', '-o', out, `http://${site.b32}/1m.bin`]);
    if (file.status !== 0) console.log(`our router's log, last lines:\n${readFileSync(ours.log, 'utf8').split('\n').slice(-40).join('\n')}`);
    expect(file.status, file.stderr).toBe(0);
    expect(sha(readFileSync(out))).toBe(sha(big));
    logTimings('anon-site via our router, /1m.bin through i2pd SAM', file);
    const index = await fetchVia(READER, 'ours-index', ['-v', `http://${site.b32}/`]);
    expect(index.status, index.stderr).toBe(0);
    expect(index.stdout.toString()).toContain(`<title>${TITLE} (ours)</title>`);
    logTimings('anon-site via our router, / through i2pd SAM', index);
    expect(await site.stop()).toBe(0);
    expect(site.stdout()).toMatch(/ GET \/1m\.bin 200 1048576 /);
  }, 600_000);

  /** Polls the floodfills' consoles (inside the namespace) until one lists the LeaseSet of `b32`. */
  async function leaseSetPublished(b32: string, timeoutMs: number): Promise<boolean> {
    const bare = b32.replace(/\.b32\.i2p$/, '');
    const floodfills = Number(readFileSync(join(net.dir, 'floodfills'), 'utf8').trim());
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      for (let f = 1; f <= floodfills; f++) {
        const page = await runIn(['curl', '-s', '--max-time', '3', `http://127.0.0.1:${port(f, 1)}/?page=leasesets`], { ns: net, timeoutMs: 10_000 });
        if (page.stdout.toString().includes(bare)) return true;
      }
      await new Promise((r) => setTimeout(r, 2_000));
    }
    return false;
  }

  /** curl through the reader's HTTP proxy until it gets a 200 (bounded); its timings. */
  async function curlUntilOk(url: string, out: string, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (let i = 0; i < 60 && Date.now() < deadline; i++) {
      const r = await runIn(['curl', '-sS', '-f', '-x', `http://127.0.0.1:${port(READER, 2)}`, '--max-time', '60', '-o', out, '-w', 'http=%{http_code} ttfb=%{time_starttransfer}s total=%{time_total}s bytes=%{size_download}', url], { ns: net, timeoutMs: 90_000 });
      last = `${r.stdout.toString().trim()} ${r.stderr.trim()}`;
      if (r.status === 0 && /^http=200 /.test(r.stdout.toString())) return r.stdout.toString().trim();
      await new Promise((res) => setTimeout(res, 2_000));
    }
    throw new Error(`curl through i2pd router ${READER}'s HTTP proxy got no 200 for ${url} within ${timeoutMs / 1000} s (last: ${last})`);
  }
});
