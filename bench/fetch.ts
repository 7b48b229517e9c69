// Eepsite fetch over 3-hop tunnels on both sides, ours vs i2pd, same network size, same run.
// Ours: six anon-routers (real processes on loopback), a site served by `anon-site serve` through
// router 1's SAM bridge, fetched by curl through router 4's HTTP proxy. i2pd: six i2pd 2.45.1
// routers in a private network namespace (../shared/interop/i2pd-testnet.sh), its eepsite on
// router 6, fetched by curl through router 5's HTTP proxy. Bodies are checked by SHA-256; the
// hop counts come from the routers themselves, and no ratio is given unless both ran 3 hops.
import { execFile, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { callControl } from '../src/router/api/control/client.js';
import type { RouterStatus } from '../src/router/api/control/protocol.js';
import { commandLineOf, isOurI2pd, readManifest, testnetDown } from '../src/router/testnet/index.js';
import { readPidFile } from '../src/router/testnet/i2pd.js';
import { httpProxyOf, ourTestnetUp, ROOT, sleep, spawnSite, stopChild } from './our-network.js';
import { watchUsage, type Spread, type UsageUnit, type WindowUsage } from './proc-usage.js';

const I2PD_SCRIPT = resolve(ROOT, '..', 'shared', 'interop', 'i2pd-testnet.sh');
const ROUTERS = 6;
const HOPS = 3;
const FILES = ['1k.bin', '10m.bin'] as const;
type FileName = (typeof FILES)[number];

export interface FetchSample {
  /** curl's time_starttransfer: request sent, lookup and stream set up, first body byte in. */
  ttfbMs: number;
  totalMs: number;
  bytes: number;
  /** bytes / total time, in MB/s (10^6 bytes). */
  mbPerSec: number;
}

export interface FetchFileResult {
  /** The first fetch of this file once the site was reachable, reported apart. */
  cold: FetchSample;
  runs: FetchSample[];
  median: { ttfbMs: number; totalMs: number; mbPerSec: number };
}

export interface HopCounts {
  /** Where the numbers were read. */
  source: string;
  client: { inbound: number[]; outbound: number[] };
  server: { inbound: number[]; outbound: number[] };
}

/** Router-only counts each router process; withSite adds the process that serves the site's files to its router. */
export type UsageView = 'routers' | 'withSite';

export interface ResourceUsage {
  /** Which processes each view counts, and how the windows were taken. */
  note: string;
  /** A window with no traffic, once the site was reachable. */
  idle: Record<UsageView, WindowUsage>;
  /** Around the 10 MB fetches (the cold one and the measured ones), RSS sampled every 200 ms. */
  fetch10m: Record<UsageView, WindowUsage> & {
    /** Bytes fetched in the window, in MB (10^6 bytes). */
    mbFetched: number;
    /** CPU seconds of all units together per MB fetched. */
    cpuSPerMB: Record<UsageView, number>;
  };
}

export interface ColdTunnels {
  /** From the network's start to the site's destination having an inbound and an outbound tunnel. */
  ms: number;
  note: string;
  /** Seconds from the same start to each step on the way. */
  marks: Record<string, number>;
}

export interface FetchSide {
  impl: 'ours' | 'i2pd';
  ran: boolean;
  /** Why this side did not run (or failed). */
  skipped?: string;
  routers: number;
  hops?: HopCounts;
  /** From starting the network to the first successful fetch of the site's index. */
  coldStartMs?: number;
  coldStartNote?: string;
  files?: Partial<Record<FileName, FetchFileResult>>;
  coldTunnels?: ColdTunnels;
  usage?: ResourceUsage;
}

export interface UsageRatios {
  idleCpuS: Spread;
  idleRssMB: Spread;
  fetchCpuS: Spread;
  cpuSPerMB: number;
  fetchPeakRssMB: Spread;
}

export interface FetchReport {
  fetchesPerFile: number;
  ours: FetchSide;
  i2pd: FetchSide;
  /** Only when both sides ran HOPS-hop tunnels everywhere. */
  ratios?: Partial<Record<FileName, { ttfb: number; mbPerSec: number }>>;
  ratioNote: string;
  /** ours/i2pd, under the same condition as `ratios`. */
  usageRatios?: Record<UsageView, UsageRatios>;
  coldTunnelsRatio?: number;
}

export const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv, timeoutMs = 600_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(cmd, args, { env: env ?? process.env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      res({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** curl through an HTTP proxy; `wrap` runs it elsewhere (inside i2pd's namespace). */
async function curl(proxy: string, url: string, out: string, maxTimeS: number, wrap: (args: string[]) => [string, string[]], env?: NodeJS.ProcessEnv): Promise<{ ok: boolean; sample?: FetchSample; detail: string }> {
  const args = ['-sS', '-f', '-x', proxy, '--max-time', String(maxTimeS), '-o', out, '-w', '%{http_code} %{time_starttransfer} %{time_total} %{size_download}', url];
  const [cmd, full] = wrap(args);
  const r = await run(cmd, full, env, (maxTimeS + 30) * 1000);
  const m = /^(\d{3}) ([\d.]+) ([\d.]+) (\d+)/.exec(r.stdout.trim());
  if (r.code !== 0 || !m || m[1] !== '200') return { ok: false, detail: `curl exit ${r.code}: ${r.stdout.trim()} ${r.stderr.trim()}`.trim() };
  const totalMs = Number(m[3]) * 1000;
  const bytes = Number(m[4]);
  return { ok: true, detail: '', sample: { ttfbMs: Number(m[2]) * 1000, totalMs, bytes, mbPerSec: bytes / 1e6 / (totalMs / 1000) } };
}

/** Retries a fetch until it succeeds or `deadlineMs` passes (a fresh site needs its LeaseSet published). */
export async function fetchUntilOk(fetchOnce: () => Promise<{ ok: boolean; detail: string }>, deadlineMs: number, what: string): Promise<void> {
  const end = Date.now() + deadlineMs;
  let last = '';
  for (let i = 0; Date.now() < end && i < 1000; i++) {
    const r = await fetchOnce();
    if (r.ok) return;
    last = r.detail;
    await sleep(1_000);
  }
  throw new Error(`${what}: not reachable within ${deadlineMs / 1000} s (last: ${last})`);
}

type FetchOnce = (file: FileName, out: string) => Promise<{ ok: boolean; sample?: FetchSample; detail: string }>;

/** The cold fetch and `n` more of each file, every body checked against its SHA-256. */
async function measureFiles(
  n: number,
  fetchOnce: FetchOnce,
  expected: Record<FileName, string>,
  scratch: string,
  log: (s: string) => void,
  which: readonly FileName[] = FILES,
): Promise<Partial<Record<FileName, FetchFileResult>>> {
  const files: Partial<Record<FileName, FetchFileResult>> = {};
  for (const file of which) {
    const samples: FetchSample[] = [];
    for (let i = 0; i <= n; i++) {
      const out = join(scratch, `got-${file}`);
      rmSync(out, { force: true });
      const r = await fetchOnce(file, out);
      if (!r.ok || !r.sample) throw new Error(`fetch ${i + 1} of /${file} failed: ${r.detail}`);
      const got = sha256(readFileSync(out));
      if (got !== expected[file]) throw new Error(`fetch ${i + 1} of /${file}: SHA-256 ${got} != ${expected[file]}`);
      samples.push(r.sample);
      log(`  /${file} #${i} ttfb ${r.sample.ttfbMs.toFixed(0)} ms, total ${r.sample.totalMs.toFixed(0)} ms, ${r.sample.mbPerSec.toFixed(3)} MB/s`);
    }
    const [cold, ...runs] = samples;
    files[file] = {
      cold,
      runs,
      median: { ttfbMs: median(runs.map((s) => s.ttfbMs)), totalMs: median(runs.map((s) => s.totalMs)), mbPerSec: median(runs.map((s) => s.mbPerSec)) },
    };
  }
  return files;
}

interface OwnTunnel {
  direction: 'inbound' | 'outbound';
  pool: string;
  hops: string[];
}

const ownTunnels = async (home: string, timeoutMs: number) => ((await callControl(join(home, 'router', 'control.sock'), 'tunnels.list', {}, { timeoutMs })) as { own: OwnTunnel[] }).own;

async function poolHops(home: string, b32: string): Promise<{ inbound: number[]; outbound: number[] }> {
  const pool = `client:${b32.slice(0, 16)}`;
  const mine = (await ownTunnels(home, 30_000)).filter((t) => t.pool === pool);
  const lens = (d: string) => [...new Set(mine.filter((t) => t.direction === d).map((t) => t.hops.length))].sort();
  return { inbound: lens('inbound'), outbound: lens('outbound') };
}

/** Each router alone, and the site's router together with the process that serves the site's files. */
function usageViews(routerPids: number[], siteRouter: number, sitePid: number, siteName: string): Record<UsageView, UsageUnit[]> {
  const routers = routerPids.map((pid, i) => ({ name: `r${i + 1}`, pids: [pid] }));
  return { routers, withSite: routers.map((u, i) => (i + 1 === siteRouter ? { name: `${u.name}+${siteName}`, pids: [...u.pids, sitePid] } : u)) };
}

/** `fn` with the processes of `views` watched; the sampler stops whether it succeeds or not. */
async function watched<T>(views: Record<UsageView, UsageUnit[]>, fn: () => Promise<T>): Promise<{ result: T; usage: Record<UsageView, WindowUsage> }> {
  const w = watchUsage(views);
  let result: T;
  try {
    result = await fn();
  } catch (e) {
    try {
      w.stop();
    } catch {
      // The fetch's own failure is the one to report.
    }
    throw e;
  }
  return { result, usage: w.stop() };
}

const fmtUsage = (u: WindowUsage) =>
  `CPU ${u.cpuS.mean.toFixed(2)} s/router (max ${u.cpuS.max.toFixed(2)}) in ${u.wallS.toFixed(1)} s, RSS ${u.peakRssMB.mean.toFixed(1)} MB (max ${u.peakRssMB.max.toFixed(1)})`;

/**
 * One side's measurements once its site is reachable: an idle window with no traffic, the 1 KB
 * fetches, then the 10 MB fetches with the routers' CPU and RSS watched.
 */
async function measureSide(
  n: number,
  views: Record<UsageView, UsageUnit[]>,
  idleMs: number,
  fetchOnce: FetchOnce,
  expected: Record<FileName, string>,
  scratch: string,
  log: (s: string) => void,
  impl: FetchSide['impl'],
  note: string,
): Promise<{ files: Partial<Record<FileName, FetchFileResult>>; usage: ResourceUsage }> {
  const idle = (await watched(views, () => sleep(idleMs))).usage;
  log(`${impl}: idle ${fmtUsage(idle.routers)}`);
  const small = await measureFiles(n, fetchOnce, expected, scratch, log, ['1k.bin']);
  const { result: big, usage } = await watched(views, () => measureFiles(n, fetchOnce, expected, scratch, log, ['10m.bin']));
  const r = big['10m.bin']!;
  const mbFetched = [r.cold, ...r.runs].reduce((sum, s) => sum + s.bytes, 0) / 1e6;
  log(`${impl}: 10 MB fetches ${fmtUsage(usage.routers)}, ${mbFetched.toFixed(1)} MB`);
  return {
    files: { ...small, ...big },
    usage: { note, idle, fetch10m: { ...usage, mbFetched, cpuSPerMB: { routers: usage.routers.cpuSTotal / mbFetched, withSite: usage.withSite.cpuSTotal / mbFetched } } },
  };
}

/**
 * When each client pool of our router at `home` first had an inbound and an outbound tunnel of
 * `hops` hops: tunnels.list polled every 250 ms (stamped when the answer came) until stop().
 */
function watchClientPools(home: string, hops: number, maxMs: number) {
  const readyAt = new Map<string, number>();
  let stopped = false;
  let lastError = '';
  const done = (async () => {
    const end = Date.now() + maxMs;
    while (!stopped && Date.now() < end) {
      try {
        const own = await ownTunnels(home, 10_000);
        const at = Date.now();
        const dirs = new Map<string, Set<string>>();
        for (const t of own) {
          if (!t.pool.startsWith('client:') || t.hops.length !== hops) continue;
          dirs.set(t.pool, (dirs.get(t.pool) ?? new Set()).add(t.direction));
        }
        for (const [pool, d] of dirs) if (d.size === 2 && !readyAt.has(pool)) readyAt.set(pool, at);
      } catch (e) {
        lastError = (e as Error).message; // a busy router: ask again
      }
      await sleep(250);
    }
  })();
  return {
    /** The time `pool` became ready, waiting up to `waitMs` for it. */
    async readyTime(pool: string, waitMs: number): Promise<number> {
      const end = Date.now() + waitMs;
      while (!readyAt.has(pool) && Date.now() < end && !stopped) await sleep(100);
      const t = readyAt.get(pool);
      if (t === undefined) throw new Error(`pool ${pool} on ${home} had no ${hops}-hop tunnel each way${lastError ? ` (last tunnels.list error: ${lastError})` : ''}`);
      return t;
    },
    async stop(): Promise<void> {
      stopped = true;
      await done;
    },
  };
}

async function benchOurs(n: number, idleMs: number, log: (s: string) => void): Promise<FetchSide> {
  const side: FetchSide = { impl: 'ours', ran: false, routers: ROUTERS };
  const tmp = mkdtempSync(join(tmpdir(), 'anon-bench-fetch-'));
  const tn = join(tmp, 'tn');
  const home = (k: number) => join(tn, `r${k}`);
  const status = (k: number) => callControl(join(home(k), 'router', 'control.sock'), 'status', undefined, { timeoutMs: 30_000 }) as Promise<RouterStatus>;
  const siteDir = join(tmp, 'site');
  mkdirSync(siteDir);
  const bodies: Record<FileName, Buffer> = { '1k.bin': randomBytes(1024), '10m.bin': randomBytes(10 * 1024 * 1024) };
  for (const f of FILES) writeFileSync(join(siteDir, f), bodies[f]);
  writeFileSync(join(siteDir, 'index.html'), '<!doctype html><title>anon bench</title>\n');
  let serve: ChildProcess | undefined;
  let up = false;
  let pools: ReturnType<typeof watchClientPools> | undefined;
  try {
    const t0 = Date.now();
    const marks: Record<string, number> = {};
    const mark = (k: string) => (marks[k] = (Date.now() - t0) / 1000);
    await ourTestnetUp(tn, ROUTERS, () => log(`ours: ${ROUTERS} routers up in ${mark('routers_up').toFixed(1)} s`));
    up = true;
    mark('exploratory_tunnels_everywhere');
    // Watched from before the site starts: its address is printed only once SESSION CREATE has
    // tunnels and a LeaseSet, so the pool is found by name afterwards.
    pools = watchClientPools(home(1), HOPS, 300_000);
    mark('site_started');
    const site = await spawnSite(siteDir, home(1), HOPS);
    serve = site.child;
    const b32 = site.b32;
    mark('site_address_printed');
    log(`ours: site at ${b32}`);
    const ready = await pools.readyTime(`client:${b32.slice(0, 16)}`, 60_000);
    await pools.stop();
    marks.site_client_tunnels = (ready - t0) / 1000;
    side.coldTunnels = {
      ms: ready - t0,
      marks,
      note: `from \`testnet up\` starting (${ROUTERS} new router identities, routers started one after another) to anon-site's client pool on router 1 having >= 1 inbound and >= 1 outbound ${HOPS}-hop tunnel (tunnels.list polled every 250 ms); the site is started once every router has exploratory tunnels (site_started), so ${(marks.site_client_tunnels - marks.site_started).toFixed(1)} s of it is the site's own start`,
    };
    log(`ours: site's client tunnels ${marks.site_client_tunnels.toFixed(1)} s after testnet up started`);
    const proxyUrl = httpProxyOf(await status(4), 4).url;
    const direct = (args: string[]): [string, string[]] => ['curl', args];
    await fetchUntilOk(() => curl(proxyUrl, `http://${b32}/index.html`, '/dev/null', 30, direct), 180_000, 'our site');
    side.coldStartMs = Date.now() - t0;
    side.coldStartNote = 'testnet up (6 new router identities) + site start + first fetch of /index.html';
    log(`ours: first fetch ${(side.coldStartMs / 1000).toFixed(1)} s after testnet up started`);
    const expected = Object.fromEntries(FILES.map((f) => [f, sha256(bodies[f])])) as Record<FileName, string>;
    const manifest = await readManifest(tn);
    if (!manifest || manifest.routers.length !== ROUTERS) throw new Error(`${tn}/testnet.json does not list ${ROUTERS} routers`);
    const routerPids = [...manifest.routers].sort((a, b) => a.k - b.k).map((r) => r.pid);
    const views = usageViews(routerPids, 1, serve.pid!, 'anon-site');
    const note = `ours: the ${ROUTERS} anon-router processes (pids from testnet.json); with site: router 1 + the anon-site serve process (SAM client, streaming, file serving; pid ${serve.pid})`;
    const measured = await measureSide(n, views, idleMs, (f, out) => curl(proxyUrl, `http://${b32}/${f}`, out, 600, direct), expected, tmp, log, 'ours', note);
    side.files = measured.files;
    side.usage = measured.usage;
    const st4 = await status(4);
    const client = await poolHops(home(4), st4.httpProxy?.b32 ?? '');
    const server = await poolHops(home(1), b32);
    side.hops = {
      source: `router 4 status httpProxy.hops=${st4.httpProxy?.hops}; tunnels.list of the proxy's pool (router 4) and the site's pool (router 1)`,
      client,
      server,
    };
    side.ran = true;
  } catch (e) {
    side.skipped = `failed: ${(e as Error).message}`;
  } finally {
    await pools?.stop();
    if (serve) await stopChild(serve);
    if (up || existsSync(join(tn, 'testnet.json'))) await testnetDown(tn, { gracefulMs: 5_000, termMs: 3_000 }).catch((e) => log(`ours: testnet down failed: ${(e as Error).message}`));
    rmSync(tmp, { recursive: true, force: true });
  }
  return side;
}

/** `inbound.length = N` / `outbound.length = N` in the [section] of an i2pd ini file. */
function iniLengths(file: string, section: string): { inbound: number[]; outbound: number[] } {
  const text = readFileSync(file, 'utf8');
  const body = text.split(/^\[/m).find((s) => s.startsWith(`${section}]`)) ?? '';
  const get = (k: string) => {
    const m = new RegExp(`^${k}\\.length\\s*=\\s*(\\d+)`, 'm').exec(body);
    return m ? [Number(m[1])] : [];
  };
  return { inbound: get('inbound'), outbound: get('outbound') };
}

/** i2pd-testnet.sh's timeline file: `event=seconds since the routers started`, the first of each event kept (a bounce repeats some). */
function readTimeline(file: string): Record<string, number> {
  const marks: Record<string, number> = {};
  for (const line of readFileSync(file, 'utf8').trim().split('\n')) {
    const m = /^([a-z0-9_]+)=([\d.]+)$/.exec(line.trim());
    if (m && !(m[1] in marks)) marks[m[1]] = Number(m[2]);
  }
  return marks;
}

/** A pid the script recorded in `file`, trusted only while `isIt` recognises its command line. */
async function scriptPid(file: string, isIt: (pid: number) => boolean, what: string): Promise<number> {
  const pid = await readPidFile(file);
  if (pid === undefined || !isIt(pid)) throw new Error(`${what} is not running (pid file ${file})`);
  return pid;
}

async function benchI2pd(n: number, idleMs: number, log: (s: string) => void): Promise<FetchSide> {
  const side: FetchSide = { impl: 'i2pd', ran: false, routers: ROUTERS };
  if (process.getuid?.() !== 0) return { ...side, skipped: 'not root (i2pd-testnet.sh needs a network namespace)' };
  if (!existsSync('/usr/sbin/i2pd')) return { ...side, skipped: 'i2pd is not installed (/usr/sbin/i2pd)' };
  if (!existsSync(I2PD_SCRIPT)) return { ...side, skipped: `${I2PD_SCRIPT} is missing` };
  const dir = mkdtempSync(join(tmpdir(), 'anon-bench-i2pd-'));
  const basePort = 12000 + 100 * randomInt(60);
  const env = { ...process.env, I2PDNET_DIR: dir, I2PDNET_BASEPORT: String(basePort), I2PDNET_HOPS: String(HOPS) };
  const sh = (args: string[], timeoutMs?: number) => run('bash', [I2PD_SCRIPT, ...args], env, timeoutMs);
  let started = false;
  try {
    const t0 = Date.now();
    started = true;
    const up = await sh(['up', String(ROUTERS)], 900_000);
    if (up.code !== 0) throw new Error(`i2pd-testnet.sh up failed (${up.code}): ${up.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    const upMs = Date.now() - t0;
    const timeline = readTimeline(join(dir, 'timeline'));
    if (timeline.first_fetch === undefined || timeline.eepsite_tunnels === undefined) throw new Error(`${dir}/timeline has no first_fetch or eepsite_tunnels`);
    side.coldStartMs = timeline.first_fetch * 1000;
    side.coldStartNote = `routers started (identities already made in i2pd-testnet.sh's phase 1) to first fetch of /index.html; the whole \`up\` took ${(upMs / 1000).toFixed(1)} s`;
    log(`i2pd: up in ${(upMs / 1000).toFixed(1)} s, first fetch ${timeline.first_fetch} s after the routers started`);
    const bounces = Object.keys(timeline).filter((k) => k.startsWith('eepsite_bounce_')).length;
    side.coldTunnels = {
      ms: timeline.eepsite_tunnels * 1000,
      marks: timeline,
      note: `from the routers' start (identities made before, in i2pd-testnet.sh's phase 1; the eepsite destination starts with router ${ROUTERS}) to the eepsite's local_destination console page on router ${ROUTERS} listing >= 1 established inbound and outbound tunnel (${HOPS} hops configured; the script polls every 0.25 s plus its console requests): its first eepsite_tunnels mark${bounces ? `; the eepsite was restarted ${bounces} time(s) afterwards for i2pd's LeaseSet race` : ''}`,
    };
    log(`i2pd: eepsite's client tunnels ${timeline.eepsite_tunnels} s after the routers started`);
    const b32 = readFileSync(join(dir, 'eepsite.b32'), 'utf8').trim();
    const client = ROUTERS - 1;
    const proxyUrl = `http://127.0.0.1:${basePort + 10 * client + 2}`;
    const inNs = (args: string[]): [string, string[]] => ['bash', [I2PD_SCRIPT, 'exec', 'curl', ...args]];
    const expected = Object.fromEntries(
      readFileSync(join(dir, 'www', 'SHA256SUMS'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s+/).reverse() as [string, string]),
    ) as Record<FileName, string>;
    // `exec` reads I2PDNET_DIR from the environment: curl runs inside that network's namespace.
    const fetchOnce = (f: FileName, out: string) => curl(proxyUrl, `http://${b32}/${f}`, out, 600, inNs, env);
    const routerPids: number[] = [];
    for (let k = 1; k <= ROUTERS; k++) {
      const dataDir = join(dir, `r${k}`);
      routerPids.push(await scriptPid(join(dataDir, 'router.pid'), (pid) => isOurI2pd(pid, dataDir), `i2pd router ${k}`));
    }
    const www = await scriptPid(join(dir, 'www.pid'), (pid) => (commandLineOf(pid) ?? []).includes(join(dir, 'www')), "the eepsite's http.server");
    const views = usageViews(routerPids, ROUTERS, www, 'http.server');
    const note = `i2pd: the ${ROUTERS} i2pd processes (pids from i2pd-testnet.sh's r<k>/router.pid); the eepsite's destination and streaming run inside router ${ROUTERS}'s process, the files are served by python3 http.server (pid ${www}), which "with site" adds to router ${ROUTERS}`;
    const measured = await measureSide(n, views, idleMs, fetchOnce, expected, dir, log, 'i2pd', note);
    side.files = measured.files;
    side.usage = measured.usage;
    side.hops = {
      source: `i2pd config: r${client}/i2pd.conf [httpproxy], r${ROUTERS}/tunnels.conf [eepsite] (I2PDNET_HOPS=${HOPS})`,
      client: iniLengths(join(dir, `r${client}`, 'i2pd.conf'), 'httpproxy'),
      server: iniLengths(join(dir, `r${ROUTERS}`, 'tunnels.conf'), readFileSync(join(dir, `r${ROUTERS}`, 'tunnels.conf'), 'utf8').match(/^\[([^\]]+)\]/m)?.[1] ?? 'eepsite'),
    };
    side.ran = true;
  } catch (e) {
    side.skipped = `failed: ${(e as Error).message}`;
  } finally {
    if (started) {
      const down = await sh(['down'], 120_000);
      if (down.code !== 0) log(`i2pd: down failed (${down.code}): ${down.stderr.trim()}`);
    }
    rmSync(dir, { recursive: true, force: true });
  }
  return side;
}

const allHops = (h: HopCounts | undefined, want: number) =>
  h !== undefined && [h.client.inbound, h.client.outbound, h.server.inbound, h.server.outbound].every((l) => l.length > 0 && l.every((x) => x === want));

/** Runs both sides one after the other (never both at once: two cores). */
export async function benchFetch(opts: { fetches?: number; idleMs?: number; log?: (s: string) => void } = {}): Promise<FetchReport> {
  const n = opts.fetches ?? 5;
  const idleMs = opts.idleMs ?? 30_000;
  const log = opts.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const ours = await benchOurs(n, idleMs, log);
  const i2pd = await benchI2pd(n, idleMs, log);
  const report: FetchReport = { fetchesPerFile: n, ours, i2pd, ratioNote: '' };
  if (!ours.ran || !i2pd.ran) {
    report.ratioNote = 'no ratio: only one side ran';
  } else if (!allHops(ours.hops, HOPS) || !allHops(i2pd.hops, HOPS)) {
    report.ratioNote = `no ratio: not every tunnel on both sides had ${HOPS} hops`;
  } else {
    report.ratios = {};
    for (const f of FILES) {
      const a = ours.files![f]!.median;
      const b = i2pd.files![f]!.median;
      report.ratios[f] = { ttfb: a.ttfbMs / b.ttfbMs, mbPerSec: a.mbPerSec / b.mbPerSec };
    }
    report.ratioNote = `ratios are ours/i2pd of the medians: for TTFB lower is better for us (< 1 = ours faster); for MB/s higher is better for us (> 1 = ours faster)`;
    if (ours.usage && i2pd.usage) report.usageRatios = { routers: usageRatios(ours.usage, i2pd.usage, 'routers'), withSite: usageRatios(ours.usage, i2pd.usage, 'withSite') };
    if (ours.coldTunnels && i2pd.coldTunnels) report.coldTunnelsRatio = ours.coldTunnels.ms / i2pd.coldTunnels.ms;
  }
  return report;
}

/** NaN (null in JSON, a dash in the table) where i2pd used nothing measurable. */
const div = (a: number, b: number) => (b > 0 ? a / b : NaN);
const divSpread = (a: Spread, b: Spread): Spread => ({ mean: div(a.mean, b.mean), max: div(a.max, b.max) });

function usageRatios(a: ResourceUsage, b: ResourceUsage, v: UsageView): UsageRatios {
  return {
    idleCpuS: divSpread(a.idle[v].cpuS, b.idle[v].cpuS),
    idleRssMB: divSpread(a.idle[v].peakRssMB, b.idle[v].peakRssMB),
    fetchCpuS: divSpread(a.fetch10m[v].cpuS, b.fetch10m[v].cpuS),
    cpuSPerMB: div(a.fetch10m.cpuSPerMB[v], b.fetch10m.cpuSPerMB[v]),
    fetchPeakRssMB: divSpread(a.fetch10m[v].peakRssMB, b.fetch10m[v].peakRssMB),
  };
}

/** A markdown table, the first `left` columns aligned left and the rest (numbers) right. */
function markdownTable(head: string[], rows: string[][], left: number): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i].length)));
  const row = (c: string[]) => '| ' + c.map((v, i) => (i < left ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join(' | ') + ' |';
  return [row(head), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.map(row)];
}

/** CPU, memory and cold start to client tunnels of both sides, as markdown lines. */
function usageTable(r: FetchReport): string[] {
  const num = (x: number, d: number) => (Number.isFinite(x) ? x.toFixed(d) : '—');
  const pair = (x: Spread, d: number, unit = '') => `${num(x.mean, d)}${unit}, ${num(x.max, d)}${unit}`;
  const head = ['impl', 'idle CPU s/router (mean, max)', 'idle CPU % (mean, max)', 'RSS MB idle (mean, max)', '10 MB fetch CPU s/router (mean, max)', 'CPU s per MB', 'peak RSS MB during fetch (mean, max)', 'cold start to client tunnels s'];
  const rows: string[][] = [];
  const siteName = { ours: 'anon-site', i2pd: 'http.server' } as const;
  for (const s of [r.ours, r.i2pd]) {
    const u = s.usage;
    if (!u) continue;
    for (const v of ['routers', 'withSite'] as const) {
      const idle = u.idle[v];
      const f = u.fetch10m[v];
      rows.push([
        v === 'routers' ? `${s.impl}: routers` : `${s.impl}: routers + ${siteName[s.impl]}`,
        pair(idle.cpuS, 2),
        pair(idle.cpuPercent, 1),
        pair(idle.peakRssMB, 1),
        pair(f.cpuS, 2),
        num(u.fetch10m.cpuSPerMB[v], 3),
        pair(f.peakRssMB, 1),
        v === 'routers' && s.coldTunnels ? num(s.coldTunnels.ms / 1000, 1) : '',
      ]);
    }
  }
  for (const v of ['routers', 'withSite'] as const) {
    const q = r.usageRatios?.[v];
    if (!q) continue;
    const idleCpuPct = divSpread(r.ours.usage!.idle[v].cpuPercent, r.i2pd.usage!.idle[v].cpuPercent);
    rows.push([
      v === 'routers' ? 'ours/i2pd: routers' : 'ours/i2pd: with site',
      pair(q.idleCpuS, 2, 'x'),
      pair(idleCpuPct, 2, 'x'),
      pair(q.idleRssMB, 2, 'x'),
      pair(q.fetchCpuS, 2, 'x'),
      `${num(q.cpuSPerMB, 2)}x`,
      pair(q.fetchPeakRssMB, 2, 'x'),
      v === 'routers' && r.coldTunnelsRatio !== undefined ? `${num(r.coldTunnelsRatio, 2)}x` : '',
    ]);
  }
  if (rows.length === 0) return [];
  const out = [`## Router CPU and memory, idle and during the 10 MB fetches; cold start to usable client tunnels: ours vs i2pd`, ''];
  out.push(...markdownTable(head, rows, 1), '');
  for (const s of [r.ours, r.i2pd]) {
    const u = s.usage;
    if (!u) continue;
    const hwm = Math.max(...u.fetch10m.routers.units.map((x) => x.hwmMB));
    out.push(
      `- ${u.note}. Idle: ${u.idle.routers.wallS.toFixed(1)} s with no traffic once the site was reachable (${u.idle.routers.samples} RSS samples). ` +
        `10 MB fetches: ${u.fetch10m.routers.wallS.toFixed(1)} s, ${u.fetch10m.mbFetched.toFixed(1)} MB (${r.fetchesPerFile + 1} fetches, ${u.fetch10m.routers.samples} RSS samples); CPU s per MB counts all units together. Highest VmHWM (peak RSS since start) of a router at the end: ${hwm.toFixed(1)} MB.`,
    );
    if (s.coldTunnels) out.push(`- ${s.impl} cold start to client tunnels: ${s.coldTunnels.note}; marks (s): ${Object.entries(s.coldTunnels.marks).sort((x, y) => x[1] - y[1]).map(([k, x]) => `${k} ${x.toFixed(2)}`).join(', ')}.`);
  }
  out.push(
    '- CPU s = utime + stime from /proc/<pid>/stat (all threads) over the window; CPU % = CPU s / wall s of one core; RSS = VmRSS from /proc/<pid>/status, sampled every 200 ms, the highest sample per router; mean and max are over the routers. The client side (curl) is not counted on either side.',
    r.usageRatios ? '- Ratios are ours/i2pd (< 1 = ours uses less or starts sooner).' : `- No ratios: ${r.ratioNote.replace(/^no ratio: /, '')}.`,
    '',
  );
  return out;
}

/** The report as markdown lines for bench/run.ts. */
export function fetchTable(r: FetchReport): string[] {
  const out = [`## Eepsite fetch over ${HOPS}-hop tunnels, ${ROUTERS} routers each side: ours vs i2pd (curl through the HTTP proxy, median of ${r.fetchesPerFile}, SHA-256 checked)`, ''];
  const hopText = (s: FetchSide) => {
    const h = s.hops;
    if (!h) return 'unknown';
    const j = (l: number[]) => (l.length ? l.join('/') : '?');
    return `client in ${j(h.client.inbound)} out ${j(h.client.outbound)}, server in ${j(h.server.inbound)} out ${j(h.server.outbound)}`;
  };
  for (const s of [r.ours, r.i2pd]) {
    if (!s.ran) out.push(`- ${s.impl}: skipped — ${s.skipped}`);
    else out.push(`- ${s.impl}: hops ${hopText(s)} (${s.hops!.source}); cold start to first fetch ${((s.coldStartMs ?? 0) / 1000).toFixed(1)} s (${s.coldStartNote})`);
  }
  out.push('');
  const head = ['file', 'impl', 'cold TTFB ms', 'cold MB/s', 'TTFB ms', 'total ms', 'MB/s', 'ratio TTFB', 'ratio MB/s'];
  const rows: string[][] = [];
  for (const f of FILES) {
    for (const s of [r.ours, r.i2pd]) {
      const x = s.files?.[f];
      if (!x) continue;
      const ratio = s.impl === 'ours' ? r.ratios?.[f] : undefined;
      rows.push([
        f,
        s.impl,
        x.cold.ttfbMs.toFixed(0),
        x.cold.mbPerSec.toFixed(3),
        x.median.ttfbMs.toFixed(0),
        x.median.totalMs.toFixed(0),
        x.median.mbPerSec.toFixed(3),
        ratio ? `${ratio.ttfb.toFixed(2)}x` : '',
        ratio ? `${ratio.mbPerSec.toFixed(2)}x` : '',
      ]);
    }
  }
  out.push(...markdownTable(head, rows, 2), '', r.ratioNote, '', ...usageTable(r));
  return out;
}
