// anon-site under load through a private network of our routers: six anon-routers, the site
// served by `anon-site serve` through router 1's SAM bridge over 3-hop tunnels, visitors on
// router 4. Two client paths: its HTTP proxy (node's http client, one proxy connection per
// request, so one I2P stream each: the proxy answers with Connection: close), and streams of one
// destination opened over router 4's SAM bridge through the garlic API (openGarlic), many at
// once on one session. Requests per second: a closed loop of C clients fetching a 1 KB file for
// a fixed time, C = 1, 10, 100. The concurrency it holds: C requests started at once. Every
// body is checked by SHA-256; errors are counted by kind.
import http, { type IncomingMessage, type RequestOptions } from 'node:http';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { isGarlicError, openGarlic, type GarlicBackend, type GarlicSession } from '../src/apps/garlic/index.js';
import { listRunningSites } from '../src/apps/site/running.js';
import type { RouterStatus } from '../src/router/api/control/protocol.js';
import { testnetDown } from '../src/router/testnet/index.js';
import { fetchUntilOk, sha256 } from './fetch.js';
import { httpProxyOf, ourTestnetUp, routerHome, routerStatus, sleep, spawnSite, stopChild, type SpawnedSite } from './our-network.js';

const ROUTERS = 6;
const HOPS = 3;
const SITE_ROUTER = 1;
const CLIENT_ROUTER = 4;
const FILE = '1k.bin';
const FILE_BYTES = 1024;
const LEVELS = [1, 10, 100];
const BURSTS = [100, 200];
const LEVEL_MS = 20_000;
/** One request, from opening its connection to the last body byte: the proxy's own connect timeout is 60 s. */
const REQUEST_TIMEOUT_MS = 90_000;
/** A closed-loop client stops after this many requests even if time remains (a bound, not a target). */
const MAX_REQUESTS_PER_CLIENT = 100_000;
/** Bodies longer than this are not kept (the file is 1 KB; an error page is a few KB). */
const MAX_BODY = 64 * 1024;

export interface Latency {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface LoadLevel {
  concurrency: number;
  /** The closed loop's window; requests still in flight at its end are finished, not counted in reqPerSec. */
  windowMs: number;
  /** Until the last request in flight finished. */
  wallMs: number;
  requests: number;
  ok: number;
  /** By kind: `http 503 (page title)`, `timeout`, `ECONNRESET`, `body mismatch`, `connect TIMEOUT` … */
  errors: Record<string, number>;
  /** OK responses completed inside the window, per second of it. */
  reqPerSec: number;
  /** Of OK requests, ms. */
  latencyMs: Latency;
  /** CPU seconds used during the level (from /proc), by process. */
  cpuSeconds: Record<string, number>;
  /** How much each counter (site, router 1, router 4) grew during the level. */
  delta: Record<string, number>;
}

export interface Burst {
  concurrency: number;
  ok: number;
  errors: Record<string, number>;
  /** From starting all C requests to the last one finished (or failed). */
  allDoneMs: number;
  latencyMs: Latency;
  /** Counters after the burst, and how much each grew during it (site, router 1, router 4). */
  after: Record<string, number>;
  delta: Record<string, number>;
}

export interface SitePath {
  path: 'http-proxy' | 'garlic-sam';
  how: string;
  ran: boolean;
  skipped?: string;
  levels: LoadLevel[];
  bursts: Burst[];
}

export interface SiteReport {
  routers: number;
  hops: number;
  file: string;
  bytes: number;
  levelSeconds: number;
  site?: string;
  paths: SitePath[];
  failure?: string;
}

interface Outcome {
  ok: boolean;
  startMs: number;
  endMs: number;
  error?: string;
}

/** One request: resolves (never rejects) with whether the body came back whole. */
type RequestOnce = () => Promise<Outcome>;

const now = () => performance.now();

function errorKind(e: unknown): string {
  if (isGarlicError(e)) return `connect ${e.code}: ${e.message.replace(/[a-z2-7]{52}\.b32\.i2p/g, 'the site').slice(0, 80)}`;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code ?? ((e as Error | undefined)?.message ?? String(e)).slice(0, 60);
}

/** The title and first sentence of an error page, so a proxy's 503 says which limit it was. */
function pageTitle(body: Buffer): string {
  const text = body.toString('utf8');
  const title = /<title>([^<]{1,80})<\/title>/i.exec(text)?.[1].trim();
  const why = /<p>([^<]{1,200})<\/p>/i.exec(text)?.[1].trim().slice(0, 80);
  return title ? ` (${title}${why ? `: ${why}` : ''})` : '';
}

/** GET with `opts`; OK when the answer is 200 with exactly the expected body. */
function exchange(opts: RequestOptions, expected: string, startMs: number, onDone?: () => void): Promise<Outcome> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      onDone?.();
      resolve({ ok: error === undefined, startMs, endMs: now(), ...(error !== undefined && { error }) });
    };
    const req = http.request({ method: 'GET', ...opts });
    const timer = setTimeout(() => {
      done('timeout');
      req.destroy();
    }, REQUEST_TIMEOUT_MS - (now() - startMs));
    req.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_BODY) chunks.push(c);
      });
      res.on('error', (e) => done(errorKind(e)));
      res.on('aborted', () => done('body cut'));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        if (res.statusCode !== 200) done(`http ${res.statusCode}${pageTitle(body)}`);
        else if (size !== FILE_BYTES || sha256(body) !== expected) done('body mismatch');
        else done();
      });
    });
    req.on('error', (e) => done(errorKind(e)));
    req.end();
  });
}

/** Through an HTTP proxy (an IP literal, so no lookup), the absolute URL as the request target. */
function viaProxy(proxy: { host: string; port: number }, b32: string, expected: string, agent: http.Agent): RequestOnce {
  return () => exchange({ host: proxy.host, port: proxy.port, path: `http://${b32}/${FILE}`, agent, headers: { Host: b32, Connection: 'close' } }, expected, now());
}

/** A stream of `session` to the site, and the same GET written on it. */
function viaGarlic(session: GarlicSession, b32: string, expected: string): RequestOnce {
  return async () => {
    const startMs = now();
    let stream: Duplex;
    try {
      stream = await session.connect(b32, { timeoutMs: REQUEST_TIMEOUT_MS });
    } catch (e) {
      return { ok: false, startMs, endMs: now(), error: errorKind(e) };
    }
    stream.on('error', () => undefined);
    // The site closes after a Connection: close answer; a stream it leaves open is reset later.
    const reap = setTimeout(() => stream.destroy(), 15_000);
    reap.unref();
    stream.once('close', () => clearTimeout(reap));
    const createConnection = (() => stream) as unknown as RequestOptions['createConnection'];
    return exchange({ path: `/${FILE}`, createConnection, headers: { Host: b32, Connection: 'close' } }, expected, startMs);
  };
}

const percentile = (sorted: number[], p: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]);

function latencyOf(outcomes: Outcome[]): Latency {
  const ms = outcomes.filter((o) => o.ok).map((o) => o.endMs - o.startMs).sort((a, b) => a - b);
  const r = (x: number) => Math.round(x);
  return { p50: r(percentile(ms, 50)), p90: r(percentile(ms, 90)), p99: r(percentile(ms, 99)), max: r(ms.at(-1) ?? 0) };
}

function errorsOf(outcomes: Outcome[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const o of outcomes) if (o.error !== undefined) out[o.error] = (out[o.error] ?? 0) + 1;
  return out;
}

/** utime + stime of a process, in seconds (Linux /proc; undefined elsewhere or once it is gone). */
function cpuOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return undefined;
  }
}

function cpuSnapshot(pids: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) {
    const s = cpuOf(pid);
    if (s !== undefined) out[name] = s;
  }
  return out;
}

/** C clients, each fetching again as soon as its last fetch ended, for `windowMs`. */
async function closedLoop(c: number, windowMs: number, once: RequestOnce, pids: Record<string, number>): Promise<Omit<LoadLevel, 'delta'>> {
  const cpu0 = cpuSnapshot(pids);
  const start = now();
  const deadline = start + windowMs;
  const outcomes: Outcome[] = [];
  const client = async () => {
    for (let i = 0; i < MAX_REQUESTS_PER_CLIENT && now() < deadline; i++) outcomes.push(await once());
  };
  await Promise.all(Array.from({ length: c }, client));
  const wallMs = now() - start;
  const cpu1 = cpuSnapshot(pids);
  const ok = outcomes.filter((o) => o.ok);
  return {
    concurrency: c,
    windowMs,
    wallMs: Math.round(wallMs),
    requests: outcomes.length,
    ok: ok.length,
    errors: errorsOf(outcomes),
    reqPerSec: ok.filter((o) => o.endMs <= deadline).length / (windowMs / 1000),
    latencyMs: latencyOf(outcomes),
    cpuSeconds: Object.fromEntries(Object.keys(cpu1).map((k) => [k, Math.round((cpu1[k] - (cpu0[k] ?? 0)) * 100) / 100])),
  };
}

/** Numbers that explain a burst: the site's counters, router 1's SAM and drops, router 4's proxy and streams. */
async function counters(tn: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const put = (prefix: string, o: object | undefined) => {
    for (const [k, v] of Object.entries(o ?? {})) {
      if (typeof v === 'number') out[`${prefix}.${k}`] = v;
      else if (v && typeof v === 'object' && !Array.isArray(v)) put(`${prefix}.${k}`, v as object);
    }
  };
  put('site', listRunningSites(routerHome(tn, SITE_ROUTER)).find((s) => s.running)?.counters);
  const [r1, r4]: RouterStatus[] = await Promise.all([routerStatus(tn, SITE_ROUTER), routerStatus(tn, CLIENT_ROUTER)]);
  put('r1.sam', { sessions: r1.sam?.sessions, connections: r1.sam?.connections });
  put('r1.dropped', r1.bandwidth.dropped);
  put('r1.tunnels', { inbound: r1.tunnels.inbound, outbound: r1.tunnels.outbound, participating: r1.tunnels.participating });
  put('r4.proxy', r4.httpProxy?.counters);
  put('r4.streams', r4.httpProxy?.streams);
  put('r4.sam', { sessions: r4.sam?.sessions, connections: r4.sam?.connections });
  put('r4.dropped', r4.bandwidth.dropped);
  return out;
}

/** `run`, with the counters before and after it (once the site has written its own: every 2 s). */
async function counted<T>(tn: string, run: () => Promise<T>): Promise<{ result: T; after: Record<string, number>; delta: Record<string, number> }> {
  const before = await counters(tn);
  const result = await run();
  await sleep(2_500);
  const after = await counters(tn);
  return { result, after, delta: Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - (before[k] ?? 0)])) };
}

/** C requests started at once. */
async function burst(c: number, once: RequestOnce, tn: string): Promise<Burst> {
  const { result, after, delta } = await counted(tn, async () => {
    const start = now();
    const outcomes = await Promise.all(Array.from({ length: c }, once));
    return { outcomes, allDoneMs: Math.round(now() - start) };
  });
  const { outcomes, allDoneMs } = result;
  return { concurrency: c, ok: outcomes.filter((o) => o.ok).length, errors: errorsOf(outcomes), allDoneMs, latencyMs: latencyOf(outcomes), after, delta };
}

async function runPath(path: SitePath, once: RequestOnce, tn: string, pids: Record<string, number>, log: (s: string) => void): Promise<void> {
  await fetchUntilOk(async () => {
    const o = await once();
    return { ok: o.ok, detail: o.error ?? '' };
  }, 180_000, `the site through ${path.path}`);
  for (const c of LEVELS) {
    const { result, delta } = await counted(tn, () => closedLoop(c, LEVEL_MS, once, pids));
    const level = { ...result, delta };
    path.levels.push(level);
    log(`site ${path.path}: C=${c} ${level.reqPerSec.toFixed(1)} req/s, ${level.ok}/${level.requests} ok, p50 ${level.latencyMs.p50} ms, p99 ${level.latencyMs.p99} ms, errors ${JSON.stringify(level.errors)}`);
  }
  for (const c of BURSTS) {
    // Streams of the load before have closed by then: the burst starts from a quiet site.
    await sleep(3_000);
    const b = await burst(c, once, tn);
    path.bursts.push(b);
    log(`site ${path.path}: burst of ${c}: ${b.ok} ok in ${(b.allDoneMs / 1000).toFixed(1)} s, errors ${JSON.stringify(b.errors)}`);
    // 200 only if 100 held.
    if (b.ok < c) break;
  }
  path.ran = true;
}

export async function benchSite(opts: { log?: (s: string) => void } = {}): Promise<SiteReport> {
  const log = opts.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const report: SiteReport = { routers: ROUTERS, hops: HOPS, file: FILE, bytes: FILE_BYTES, levelSeconds: LEVEL_MS / 1000, paths: [] };
  const proxyPath: SitePath = { path: 'http-proxy', how: `node http through router ${CLIENT_ROUTER}'s HTTP proxy, Connection: close (one I2P stream per request)`, ran: false, levels: [], bursts: [] };
  const garlicPath: SitePath = { path: 'garlic-sam', how: `one destination on router ${CLIENT_ROUTER}'s SAM bridge (openGarlic), a stream per request, HTTP/1.1 with Connection: close`, ran: false, levels: [], bursts: [] };
  report.paths.push(proxyPath, garlicPath);
  const tmp = mkdtempSync(join(tmpdir(), 'anon-bench-site-'));
  const tn = join(tmp, 'tn');
  const siteDir = join(tmp, 'site');
  mkdirSync(siteDir);
  const body = randomBytes(FILE_BYTES);
  writeFileSync(join(siteDir, FILE), body);
  writeFileSync(join(siteDir, 'index.html'), '<!doctype html><title>anon bench</title>\n');
  const expected = sha256(body);
  let site: SpawnedSite | undefined;
  let backend: GarlicBackend | undefined;
  try {
    const t0 = Date.now();
    await ourTestnetUp(tn, ROUTERS);
    log(`site: ${ROUTERS} routers up with exploratory tunnels in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    site = await spawnSite(siteDir, routerHome(tn, SITE_ROUTER), HOPS);
    report.site = site.b32;
    log(`site: serving at ${site.b32}`);
    const st = await Promise.all(Array.from({ length: ROUTERS }, (_, i) => routerStatus(tn, i + 1)));
    const r4 = st[CLIENT_ROUTER - 1];
    const pids: Record<string, number> = { ...Object.fromEntries(st.map((s, i) => [`router${i + 1}`, s.pid])), site: site.child.pid!, bench: process.pid };
    const proxy = httpProxyOf(r4, CLIENT_ROUTER);
    try {
      const agent = new http.Agent({ keepAlive: false, maxSockets: Math.max(...LEVELS, ...BURSTS) });
      await runPath(proxyPath, viaProxy(proxy, site.b32, expected, agent), tn, pids, log);
    } catch (e) {
      proxyPath.skipped = `failed: ${(e as Error).message}`;
    }
    try {
      if (!r4.sam?.listening) throw new Error(`router ${CLIENT_ROUTER}'s SAM bridge is not listening: ${r4.sam?.error ?? 'no sam in status'}`);
      const opened = await openGarlic({ sam: `${r4.sam.host}:${r4.sam.port}` });
      backend = opened.backend;
      const session = await backend.openSession({ name: 'bench-site', tunnels: { length: HOPS } });
      await runPath(garlicPath, viaGarlic(session, site.b32, expected), tn, pids, log);
    } catch (e) {
      garlicPath.skipped = `failed: ${(e as Error).message}`;
    }
  } catch (e) {
    report.failure = (e as Error).message;
  } finally {
    await backend?.close().catch(() => undefined);
    if (site) await stopChild(site.child);
    if (existsSync(join(tn, 'testnet.json'))) await testnetDown(tn, { gracefulMs: 5_000, termMs: 3_000 }).catch((e) => log(`site: testnet down failed: ${(e as Error).message}`));
    rmSync(tmp, { recursive: true, force: true });
  }
  return report;
}

const errText = (e: Record<string, number>) =>
  Object.entries(e)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} x${n}`)
    .join(', ') || '-';

/** The counters that say where requests went (shown when they moved). */
const KEYS = ['site.streams', 'site.requests', 'site.refused', 'r4.proxy.accepted', 'r4.proxy.refusedBusy', 'r4.streams.opened', 'r4.streams.resets', 'r4.streams.timeouts', 'r4.streams.refused', 'r4.streams.retransmitted', 'r1.dropped.own', 'r1.dropped.transit', 'r4.dropped.own'];

/** The report as markdown lines for bench/run.ts. */
export function siteTable(r: SiteReport): string[] {
  const out = [`## anon-site under load: ${r.routers} routers, ${r.hops}-hop tunnels both sides, GET /${r.file} (${r.bytes} bytes, SHA-256 checked)`, ''];
  if (r.failure) out.push(`- failed before measuring: ${r.failure}`, '');
  for (const p of r.paths) out.push(`- ${p.path}: ${p.how}${p.skipped ? ` — ${p.skipped}` : ''}`);
  out.push('', `Closed loop: C clients for ${r.levelSeconds} s each (req/s counts OK answers inside the window); burst: C requests started at once.`, '');
  const head = ['path', 'load', 'C', 'time s', 'requests', 'ok', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'errors'];
  const rows: string[][] = [];
  for (const p of r.paths) {
    for (const l of p.levels) rows.push([p.path, 'closed loop', String(l.concurrency), (l.wallMs / 1000).toFixed(1), String(l.requests), String(l.ok), l.reqPerSec.toFixed(1), ...lat(l.latencyMs), errText(l.errors)]);
    for (const b of p.bursts) rows.push([p.path, 'burst', String(b.concurrency), (b.allDoneMs / 1000).toFixed(1), String(b.concurrency), String(b.ok), '', ...lat(b.latencyMs), errText(b.errors)]);
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i].length)));
  const row = (c: string[]) => '| ' + c.map((v, i) => (i < 2 || i === c.length - 1 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join(' | ') + ' |';
  out.push(row(head), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.map(row), '');
  for (const p of r.paths) {
    for (const l of p.levels) out.push(`- ${p.path} C=${l.concurrency}: CPU s ${Object.entries(l.cpuSeconds).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}; ${moved(l.delta).join(', ') || 'no counter moved'}`);
    for (const b of p.bursts) {
      out.push(`- ${p.path} burst ${b.concurrency}: ${moved(b.delta).join(', ') || 'no counter moved'}; after: site.active ${b.after['site.active'] ?? '?'}, r4.proxy.active ${b.after['r4.proxy.active'] ?? '?'}`);
    }
  }
  out.push('');
  return out;
}

const moved = (delta: Record<string, number>) => KEYS.filter((k) => (delta[k] ?? 0) !== 0).map((k) => `${k} +${delta[k]}`);

const lat = (l: Latency) => [String(l.p50), String(l.p90), String(l.p99), String(l.max)];
