// Eepsite fetch over 3-hop tunnels on both sides, ours vs i2pd, same network size, same run.
// Ours: six anon-routers (real processes on loopback), a site served by `anon-site serve` through
// router 1's SAM bridge, fetched by curl through router 4's HTTP proxy. i2pd: six i2pd 2.45.1
// routers in a private network namespace (../shared/interop/i2pd-testnet.sh), its eepsite on
// router 6, fetched by curl through router 5's HTTP proxy. Bodies are checked by SHA-256; the
// hop counts come from the routers themselves, and no ratio is given unless both ran 3 hops.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { callControl } from '../src/router/api/control/client.js';
import type { RouterStatus } from '../src/router/api/control/protocol.js';
import { testnetDown, testnetUp } from '../src/router/testnet/index.js';

/** The repository root: this file runs as dist/bench/fetch.js. */
const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
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
}

export interface FetchReport {
  fetchesPerFile: number;
  ours: FetchSide;
  i2pd: FetchSide;
  /** Only when both sides ran HOPS-hop tunnels everywhere. */
  ratios?: Partial<Record<FileName, { ttfb: number; mbPerSec: number }>>;
  ratioNote: string;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
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
async function fetchUntilOk(fetchOnce: () => Promise<{ ok: boolean; detail: string }>, deadlineMs: number, what: string): Promise<void> {
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

/** The cold fetch and `n` more of each file, every body checked against its SHA-256. */
async function measureFiles(
  n: number,
  fetchOnce: (file: FileName, out: string) => Promise<{ ok: boolean; sample?: FetchSample; detail: string }>,
  expected: Record<FileName, string>,
  scratch: string,
  log: (s: string) => void,
): Promise<Partial<Record<FileName, FetchFileResult>>> {
  const files: Partial<Record<FileName, FetchFileResult>> = {};
  for (const file of FILES) {
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

async function poolHops(home: string, b32: string): Promise<{ inbound: number[]; outbound: number[] }> {
  const list = (await callControl(join(home, 'router', 'control.sock'), 'tunnels.list', {}, { timeoutMs: 30_000 })) as { own: OwnTunnel[] };
  const pool = `client:${b32.slice(0, 16)}`;
  const mine = list.own.filter((t) => t.pool === pool);
  const lens = (d: string) => [...new Set(mine.filter((t) => t.direction === d).map((t) => t.hops.length))].sort();
  return { inbound: lens('inbound'), outbound: lens('outbound') };
}

async function benchOurs(n: number, log: (s: string) => void): Promise<FetchSide> {
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
  try {
    const t0 = Date.now();
    // A host prefix of its own: other testnets on this machine use 127.0.1.x, and each router's
    // HTTP proxy listens on its own address at the fixed port 4444.
    await testnetUp({ routers: ROUTERS, dir: tn, bin: resolve(ROOT, 'bin/anon-router.js'), hostPrefix: `127.0.${100 + randomInt(100)}.` });
    up = true;
    log(`ours: ${ROUTERS} routers up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    for (let i = 0; ; i++) {
      const st = await Promise.all([1, 2, 3, 4, 5, 6].map(status));
      if (st.every((s) => s.tunnels.inbound > 0 && s.tunnels.outbound > 0)) break;
      if (i > 300) throw new Error('exploratory tunnels not built on every router within 90 s');
      await sleep(300);
    }
    serve = spawn(process.execPath, [resolve(ROOT, 'bin/anon-site.js'), 'serve', siteDir, '--home', home(1), '--hops', String(HOPS)], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    serve.stderr!.on('data', (d) => (err = (err + d).slice(-8192)));
    let b32: string | undefined;
    for (let i = 0; !b32; i++) {
      if (serve.exitCode !== null) throw new Error(`anon-site serve exited ${serve.exitCode}: ${err}`);
      if (i > 450) throw new Error(`anon-site serve printed no address within 90 s: ${err}`);
      b32 = /at http:\/\/([a-z2-7]{52}\.b32\.i2p)\//.exec(err)?.[1];
      if (!b32) await sleep(200);
    }
    log(`ours: site at ${b32}`);
    const proxy = (await status(4)).httpProxy;
    if (!proxy?.listening) throw new Error(`router 4's HTTP proxy is not listening: ${proxy?.error ?? 'no httpProxy in status'}`);
    const proxyUrl = `http://${proxy.host}:${proxy.port}`;
    const direct = (args: string[]): [string, string[]] => ['curl', args];
    await fetchUntilOk(() => curl(proxyUrl, `http://${b32}/index.html`, '/dev/null', 30, direct), 180_000, 'our site');
    side.coldStartMs = Date.now() - t0;
    side.coldStartNote = 'testnet up (6 new router identities) + site start + first fetch of /index.html';
    log(`ours: first fetch ${(side.coldStartMs / 1000).toFixed(1)} s after testnet up started`);
    const expected = Object.fromEntries(FILES.map((f) => [f, sha256(bodies[f])])) as Record<FileName, string>;
    side.files = await measureFiles(n, (f, out) => curl(proxyUrl, `http://${b32}/${f}`, out, 600, direct), expected, tmp, log);
    const st4 = await status(4);
    const client = await poolHops(home(4), st4.httpProxy?.b32 ?? '');
    const server = await poolHops(home(1), b32!);
    side.hops = {
      source: `router 4 status httpProxy.hops=${st4.httpProxy?.hops}; tunnels.list of the proxy's pool (router 4) and the site's pool (router 1)`,
      client,
      server,
    };
    side.ran = true;
  } catch (e) {
    side.skipped = `failed: ${(e as Error).message}`;
  } finally {
    if (serve && serve.exitCode === null) {
      serve.kill('SIGTERM');
      const gone = await Promise.race([new Promise((r) => serve!.once('exit', () => r(true))), sleep(5_000).then(() => false)]);
      if (!gone) serve.kill('SIGKILL');
    }
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

async function benchI2pd(n: number, log: (s: string) => void): Promise<FetchSide> {
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
    const timeline = Object.fromEntries(
      readFileSync(join(dir, 'timeline'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split('=') as [string, string]),
    );
    side.coldStartMs = Number(timeline.first_fetch) * 1000;
    side.coldStartNote = `routers started (identities already made in i2pd-testnet.sh's phase 1) to first fetch of /index.html; the whole \`up\` took ${(upMs / 1000).toFixed(1)} s`;
    log(`i2pd: up in ${(upMs / 1000).toFixed(1)} s, first fetch ${timeline.first_fetch} s after the routers started`);
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
    side.files = await measureFiles(n, fetchOnce, expected, dir, log);
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
export async function benchFetch(opts: { fetches?: number; log?: (s: string) => void } = {}): Promise<FetchReport> {
  const n = opts.fetches ?? 5;
  const log = opts.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const ours = await benchOurs(n, log);
  const i2pd = await benchI2pd(n, log);
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
  }
  return report;
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
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i].length)));
  const row = (c: string[]) => '| ' + c.map((v, i) => (i < 2 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join(' | ') + ' |';
  out.push(row(head), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.map(row), '', r.ratioNote, '');
  return out;
}
