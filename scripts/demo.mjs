// `npm run demo`: what anon does, end to end, as a user would run it. It starts a private
// network of 6 of our routers on loopback (their own network id), hosts a small site with
// `anon-site serve` on router 1, waits until its LeaseSet can be found from router 4, fetches
// the site with `anon-fetch` through router 4 (3-hop tunnels on both sides), checks the bytes,
// prints a timeline, and stops everything it started. No i2pd, no network beyond 127.0.0.0/8.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROUTERS = 6;
const bin = (name) => fileURLToPath(new URL(`../bin/${name}.js`, import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'anon-demo-'));
const tn = join(dir, 'testnet');
const home = (k) => join(tn, `r${k}`);
const t0 = Date.now();
const at = () => `${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s`;
const say = (line) => console.log(`${at()}  ${line}`);
const run = (name, ...args) => spawnSync(process.execPath, [bin(name), ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 << 20 });
const json = (name, ...args) => {
  const r = run(name, ...args, '--json');
  return r.status === 0 ? JSON.parse(r.stdout) : undefined;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, seconds, probe) {
  for (let i = 0; i < seconds * 4; i++) {
    const v = probe();
    if (v) return v;
    await sleep(250);
  }
  throw new Error(`${what} did not happen within ${seconds} s`);
}
const sha = (b) => createHash('sha256').update(b).digest('hex');

let code = 0;
let site;
try {
  say(`starting a private network of ${ROUTERS} routers in ${tn}`);
  const up = run('anon-router', 'testnet', 'up', '--routers', String(ROUTERS), '--dir', tn, '--json');
  if (up.status !== 0) throw new Error(`testnet up failed: ${up.stderr.trim() || up.stdout.trim()}`);
  say(`${ROUTERS} routers up (network id ${JSON.parse(up.stdout).netId}); each serves SAM and an HTTP proxy on its own 127.0.1.x`);

  await until('the routers finding each other and building tunnels', 90, () => {
    const st = json('anon-router', 'testnet', 'status', '--dir', tn);
    return st?.routers.every((r) => r.status && r.status.peers.connected === ROUTERS - 1 && r.status.tunnels.inbound >= 1 && r.status.tunnels.outbound >= 1 && r.status.tunnels.tests.ok >= 1);
  });
  say('every router is connected to the other 5 over NTCP2 and has tested exploratory tunnels through them');

  const www = join(dir, 'www');
  mkdirSync(www);
  writeFileSync(join(www, 'index.html'), '<!doctype html><title>hello from anon</title><h1>This page came through garlic tunnels.</h1>\n');
  const payload = randomBytes(1 << 20);
  writeFileSync(join(www, 'file.bin'), payload);
  site = spawn(process.execPath, [bin('anon-site'), 'serve', www, '--home', home(1), '--hops', '3'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let siteErr = '';
  site.stderr.on('data', (d) => (siteErr += d));
  site.stdout.resume();
  const b32 = await until('anon-site serve to come up', 90, () => {
    if (site.exitCode !== null) throw new Error(`anon-site serve exited: ${siteErr.trim()}`);
    return /at http:\/\/([a-z2-7]{52}\.b32\.i2p)\//.exec(siteErr)?.[1];
  });
  say(`anon-site serve: router 1 hosts the site at http://${b32}/ (3-hop tunnels)`);

  const found = await until('the LeaseSet reaching a floodfill', 60, () => json('anon-router', 'netdb', 'lookup', b32, '--home', home(4), '--timeout', '5'));
  const leases = found.leaseSet?.leases?.length ?? found.leases?.length ?? '?';
  say(`LeaseSet published: router 4 finds it at a floodfill (${leases} leases)`);

  const first = run('anon-fetch', '-v', '--hops', '3', `http://${b32}/`, '--home', home(4));
  if (first.status !== 0) throw new Error(`anon-fetch failed (exit ${first.status}): ${first.stderr.trim().split('\n').at(-1)}`);
  const timings = /\* timings: (.*)/.exec(first.stderr)?.[1] ?? '';
  say(`anon-fetch http://${b32}/ from router 4 (3-hop tunnels): ${JSON.stringify(first.stdout.trim().replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim())}`);
  say(`  first byte and done: ${timings}`);

  const out = join(dir, 'file.bin');
  const started = Date.now();
  const big = run('anon-fetch', '-s', '--hops', '3', '-o', out, `http://${b32}/file.bin`, '--home', home(4));
  if (big.status !== 0) throw new Error(`anon-fetch of 1 MiB failed (exit ${big.status}): ${big.stderr.trim()}`);
  const same = sha(readFileSync(out)) === sha(payload);
  const secs = (Date.now() - started) / 1000;
  say(`anon-fetch of a 1 MiB file: ${same ? 'SHA-256 identical' : 'SHA-256 DIFFERS'}, ${secs.toFixed(1)} s with the reader's session set-up (${(1 / secs).toFixed(2)} MiB/s)`);
  if (!same) throw new Error('the fetched file differs from the served one');

  const tunnels = json('anon-router', 'tunnels', '--home', home(1));
  const ofSite = (tunnels?.own ?? []).filter((t) => t.pool === `client:${b32.slice(0, 16)}`);
  const hops = (d) => ofSite.filter((t) => t.direction === d).map((t) => t.hops.length).join(', ') || '-';
  say(`the site's tunnels, hops each: inbound ${hops('inbound')}; outbound ${hops('outbound')}`);
  console.log('');
  console.log(run('anon-router', 'testnet', 'status', '--dir', tn).stdout.trimEnd());
  console.log('');
} catch (e) {
  console.error(`demo: ${e.message}`);
  code = 1;
} finally {
  if (site && site.exitCode === null) {
    site.kill('SIGTERM');
    await new Promise((r) => site.once('exit', r));
    say('anon-site serve stopped');
  }
  const down = run('anon-router', 'testnet', 'down', '--dir', tn);
  say(down.status === 0 ? 'stopped every router' : `stopping failed: ${down.stderr.trim()}`);
  if (down.status !== 0) code = 1;
  else rmSync(dir, { recursive: true, force: true });
}
process.exit(code);
