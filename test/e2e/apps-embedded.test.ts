// The apps' embedded fallback as a user meets it (issue 8, item 4): with no router running in
// the home and no SAM bridge at 127.0.0.1:7656, anon-fetch and anon-site start the home's router
// in their own process, say so, and work. Real bins on a private network of our routers on
// loopback (127.0.1.x; their SAM bridges listen there too, never on 127.0.0.1:7656). Each home
// learnt the network once from a router run there (`anon-router start --reseed <testnet reseed>`),
// then stopped; the apps start that router again from its saved config and netDb.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callControl } from '../../src/router/api/control/client.js';
import type { RouterStatus } from '../../src/router/api/control/protocol.js';
import { testnetDown } from '../../src/router/testnet/index.js';
import { fetchWhenPublished, killApps, parseFetchTimings, runApp, SiteProcess } from '../helpers/apps.js';
import { runCli } from '../helpers/cli.js';
import { startLocalRouter } from '../helpers/local-router.js';
import { waitFor } from '../helpers/wait.js';

const ROUTERS = 5;
const tmp = mkdtempSync(join(tmpdir(), 'anon-e2e-embedded-'));
const tn = join(tmp, 'tn');
const routerHome = (k: number) => join(tn, `r${k}`);
const status = (home: string) => callControl(join(home, 'router', 'control.sock'), 'status', undefined, { timeoutMs: 30_000 }) as Promise<RouterStatus>;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const big = randomBytes(1024 * 1024);
const sites: SiteProcess[] = [];
/** What anon-fetch and anon-site print when they fall back (src/apps/garlic/index.ts openGarlic). */
const embeddedSays = (command: string, home: string) =>
  new RegExp(`^${command}: no SAM bridge at 127\\.0\\.0\\.1:7656 \\(connect ECONNREFUSED 127\\.0\\.0\\.1:7656\\); started an embedded router in this process \\(home ${home.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)$`, 'm');

/** Whether anything accepts a TCP connection at 127.0.0.1:7656 (the apps' second choice). */
function samDefaultAnswers(): Promise<boolean> {
  return new Promise((r) => {
    const s = connect({ host: '127.0.0.1', port: 7656 });
    s.setTimeout(2_000, () => (s.destroy(), r(true)));
    s.once('connect', () => (s.destroy(), r(true)));
    s.once('error', () => r(false));
  });
}

/** Whether a router answers on the home's control socket. */
async function routerRuns(home: string): Promise<boolean> {
  return status(home).then(
    () => true,
    () => false,
  );
}

/**
 * A home whose router knows the testnet but is not running: `anon-router start` there once
 * (testnet flags, reseed from the testnet's RouterInfos; no SAM bridge or HTTP proxy, which
 * would take 127.0.0.1:7656 and :4444), until it is connected to the network, then stopped.
 */
async function prepareHome(home: string, host: string): Promise<void> {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const router = await startLocalRouter(home, host, ['--reseed', join(tn, 'reseed'), '--no-sam', '--no-http-proxy']);
  try {
    await waitFor(`the router in ${home} to reach the testnet`, async () => {
      const p = (await status(home)).peers;
      return p.known >= ROUTERS && p.connected >= 1;
    }, 30_000);
  } finally {
    await router.stop();
  }
}

afterAll(async () => {
  for (const s of sites) await s.stop().catch(() => undefined);
  killApps();
  if (existsSync(join(tn, 'testnet.json'))) await testnetDown(tn, { gracefulMs: 3_000, termMs: 2_000 });
  rmSync(tmp, { recursive: true, force: true });
});

describe('anon-fetch and anon-site start an embedded router when none runs', () => {
  let served: SiteProcess & { b32: string };
  const fetchHome = join(tmp, 'fetch-home');
  const siteHome = join(tmp, 'site-home');

  beforeAll(async () => {
    // The apps try 127.0.0.1:7656 before they embed a router: something there would make
    // every assertion below about something else.
    if (await samDefaultAnswers()) throw new Error('something answers at 127.0.0.1:7656: stop it (this test needs no SAM bridge there to reach the embedded fallback)');
    for (const dir of ['site', 'embedded-site']) {
      mkdirSync(join(tmp, dir), { recursive: true });
      writeFileSync(join(tmp, dir, 'index.html'), `<!doctype html><html><head><title>${dir}</title></head><body>garlic</body></html>\n`);
      writeFileSync(join(tmp, dir, '1m.bin'), big);
    }
    const up = runCli('anon-router', ['testnet', 'up', '--routers', String(ROUTERS), '--floodfills', '2', '--dir', tn, '--netid', '99', '--json']);
    expect(up.status, up.stdout + up.stderr).toBe(0);
    await waitFor('exploratory tunnels on every router', async () => {
      for (let k = 1; k <= ROUTERS; k++) {
        const t = (await status(routerHome(k))).tunnels;
        if (t.inbound < 1 || t.outbound < 1) return false;
      }
      return true;
    }, 90_000);
    await Promise.all([prepareHome(fetchHome, '127.0.1.50'), prepareHome(siteHome, '127.0.1.51')]);
    served = await SiteProcess.start([join(tmp, 'site')], routerHome(1));
    sites.push(served);
    expect(await routerRuns(fetchHome)).toBe(false);
    expect(await routerRuns(siteHome)).toBe(false);
  }, 240_000);

  it('anon-fetch --home H with no router running: an embedded router, said so, and the body intact', async () => {
    const out = join(tmp, 'embedded-fetch-1m.bin');
    const r = await fetchWhenPublished(['--home', fetchHome, '-v', '-s', '-o', out, '--max-time', '120', `http://${served.b32}/1m.bin`], { log: (l) => console.log(l) });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(embeddedSays('anon-fetch', fetchHome));
    expect(sha(readFileSync(out))).toBe(sha(big));
    const t = parseFetchTimings(r.stderr);
    expect(t, r.stderr).toBeDefined();
    console.log(`embedded anon-fetch /1m.bin: lookup ${t!.lookup ?? '-'} ms, connect ${t!.connect ?? '-'} ms, first byte ${t!.firstByte ?? '-'} ms, total ${t!.total} ms; the whole process (router start, tunnels, fetch, stop) ${r.ms} ms`);
    // The embedded router went away with the process.
    expect(await routerRuns(fetchHome)).toBe(false);
  }, 300_000);

  it('anon-site serve --home H2 with no router running: an embedded router hosts it; a testnet router reads it', async () => {
    const site = await SiteProcess.start([join(tmp, 'embedded-site')], siteHome);
    sites.push(site);
    expect(site.stderr()).toMatch(embeddedSays('anon-site serve', siteHome));
    const index = await fetchWhenPublished(['--home', routerHome(4), '-s', '--max-time', '60', `http://${site.b32}/`], { tries: 15, log: (l) => console.log(l) });
    expect(index.status, index.stderr).toBe(0);
    expect(index.stdout.toString()).toContain('<title>embedded-site</title>');
    const file = await fetchWhenPublished(['--home', routerHome(4), '-s', '--max-time', '60', `http://${site.b32}/1m.bin`]);
    expect(file.status, file.stderr).toBe(0);
    expect(sha(file.stdout)).toBe(sha(big));
    expect(await site.stop()).toBe(0);
    expect(site.stdout()).toMatch(/ GET \/1m\.bin 200 1048576 /);
    expect(await routerRuns(siteHome)).toBe(false);
  }, 300_000);

  it('a fresh home that knows no peers: one clear line and exit 1, at once', async () => {
    const empty = join(tmp, 'empty-home');
    const r = await runApp('anon-fetch', ['--home', empty, `http://${served.b32}/`], { timeoutMs: 30_000 });
    console.log(`anon-fetch in an empty home gave up after ${r.ms} ms`);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^anon-fetch: no router is running and the one in .* knows no peers: start one with `anon-router start --reseed …`, or pass --sam HOST:PORT$/m);
    expect(r.stdout.length).toBe(0);
  }, 60_000);
});
