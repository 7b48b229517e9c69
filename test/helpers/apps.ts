// anon-site and anon-fetch (the real bins) as a user runs them: on this host, or inside an i2pd
// test network's namespace through `i2pd-testnet.sh exec`. Each runs in a process group of its
// own, so `killApps()` ends it also when the script's bash stands between us and node.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ROOT, runCli } from './cli.js';
import { TESTNET_SCRIPT, type I2pdTestnet } from './i2pd.js';
import { waitFor } from './wait.js';

export type AppBin = 'anon-site' | 'anon-fetch';

export interface BinResult {
  status: number | null;
  stdout: Buffer;
  stderr: string;
  ms: number;
}

const live = new Set<ChildProcess>();

/** A command as a child process; `ns` runs it inside that i2pd network's namespace. */
export function spawnIn(cmd: string[], ns?: I2pdTestnet): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
  const child = ns
    ? spawn('bash', [TESTNET_SCRIPT, 'exec', ...cmd], { env: { ...env, I2PDNET_DIR: ns.dir, I2PDNET_BASEPORT: String(ns.basePort) }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    : spawn(cmd[0], cmd.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** bin/<bin>.js under this node. */
const appCommand = (bin: AppBin, args: string[]): string[] => [process.execPath, resolve(ROOT, 'bin', `${bin}.js`), ...args];

export function spawnApp(bin: AppBin, args: string[], ns?: I2pdTestnet): ChildProcess {
  return spawnIn(appCommand(bin, args), ns);
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    /* already gone */
  }
}

/** Every bin of this file still running, by process group (for afterAll and failures). */
export function killApps(): void {
  for (const c of live) killGroup(c, 'SIGKILL');
  live.clear();
}

/** Runs a command to its end (killed after `timeoutMs`): exit status, stdout bytes, stderr text, wall time. */
export function runIn(cmd: string[], opts: { ns?: I2pdTestnet; timeoutMs?: number } = {}): Promise<BinResult> {
  const t0 = performance.now();
  const child = spawnIn(cmd, opts.ns);
  const out: Buffer[] = [];
  let err = '';
  child.stdout!.on('data', (d: Buffer) => out.push(d));
  child.stderr!.on('data', (d) => (err += d));
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), opts.timeoutMs ?? 300_000);
  return new Promise((r) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      r({ status: code, stdout: Buffer.concat(out), stderr: err, ms: Math.round(performance.now() - t0) });
    }),
  );
}

export function runApp(bin: AppBin, args: string[], opts: { ns?: I2pdTestnet; timeoutMs?: number } = {}): Promise<BinResult> {
  return runIn(appCommand(bin, args), opts);
}

/**
 * anon-fetch until the site answers: a site just started publishes its LeaseSet through new
 * tunnels, and until a floodfill holds it the lookup finds nothing (exit 6), or an older
 * LeaseSet whose tunnels are gone (7, 28). Bounded by `tries`.
 */
export async function fetchWhenPublished(args: string[], opts: { ns?: I2pdTestnet; tries?: number; pauseMs?: number; log?: (line: string) => void } = {}): Promise<BinResult> {
  const tries = opts.tries ?? 8;
  let r = await runApp('anon-fetch', args, opts);
  for (let i = 1; i < tries && (r.status === 6 || r.status === 7 || r.status === 28); i++) {
    // With -v, the lines before the error say how far it got (session, lookup, connect, reply).
    const tail = r.stderr.trim().split('\n').slice(-4).join(' | ');
    opts.log?.(`anon-fetch ${args.at(-1)}: exit ${r.status} after ${r.ms} ms (${tail}), asking again`);
    await new Promise((res) => setTimeout(res, opts.pauseMs ?? 3_000));
    r = await runApp('anon-fetch', args, opts);
  }
  return r;
}

export interface FetchTimingsMs {
  lookup: number | undefined;
  connect: number | undefined;
  firstByte: number | undefined;
  total: number;
}

/** The `* timings: …` line anon-fetch -v prints (src/apps/fetch/client.ts describeTimings). */
export function parseFetchTimings(stderr: string): FetchTimingsMs | undefined {
  const v = '([\\d.]+ ms|-)';
  const m = new RegExp(`^\\* timings: lookup ${v}, connect ${v}, first byte ${v}, total ([\\d.]+) ms$`, 'm').exec(stderr);
  if (!m) return undefined;
  const ms = (s: string) => (s === '-' ? undefined : Number.parseFloat(s));
  return { lookup: ms(m[1]), connect: ms(m[2]), firstByte: ms(m[3]), total: Number.parseFloat(m[4]) };
}

/** sha256sum's output, file name → hex digest. */
export function readSha256Sums(file: string): Record<string, string> {
  const sums: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').trim().split('\n')) {
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (m) sums[m[2]] = m[1];
  }
  return sums;
}

/** `anon-site serve …` in the background, from the moment it printed its address. */
export class SiteProcess {
  private out = '';
  private err = '';
  readonly exited: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    readonly home: string,
    readonly name: string,
  ) {
    child.stdout!.on('data', (d) => (this.out = (this.out + d).slice(-256 * 1024)));
    child.stderr!.on('data', (d) => (this.err = (this.err + d).slice(-64 * 1024)));
    this.exited = new Promise((r) => child.once('exit', (code) => r(code)));
  }

  /** Starts `anon-site serve ARGS --home HOME` and waits (bounded) for its address. */
  static async start(args: string[], home: string, opts: { ns?: I2pdTestnet; name?: string; timeoutMs?: number } = {}): Promise<SiteProcess & { b32: string }> {
    const name = opts.name ?? 'default';
    const site = new SiteProcess(spawnApp('anon-site', ['serve', ...args, '--home', home], opts.ns), home, name);
    try {
      const b32 = await waitFor(
        'anon-site serve to print its address',
        () => {
          if (site.child.exitCode !== null) throw new Error(`anon-site serve exited ${site.child.exitCode}: ${site.err}`);
          return /at http:\/\/([a-z2-7]{52}\.b32\.i2p)\//.exec(site.err)?.[1];
        },
        opts.timeoutMs ?? 120_000,
        200,
      );
      return Object.assign(site, { b32 });
    } catch (e) {
      killGroup(site.child, 'SIGKILL');
      throw e;
    }
  }

  /** The access log (stdout). */
  stdout(): string {
    return this.out;
  }

  stderr(): string {
    return this.err;
  }

  /**
   * The pid of anon-site itself, as `anon-site status --json` reports it: under the script's
   * `exec` our child is bash, and node is its child.
   */
  pid(): number {
    const r = runCli('anon-site', ['status', '--home', this.home, '--json']);
    const sites = (JSON.parse(r.stdout) as { sites: { name: string; pid: number; running: boolean }[] }).sites;
    const me = sites.find((s) => s.name === this.name && s.running);
    if (!me) throw new Error(`anon-site status in ${this.home} shows no running site ${this.name}: ${r.stdout}${r.stderr}`);
    const parent = Number(readFileSync(`/proc/${me.pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1]);
    if (me.pid !== this.child.pid && parent !== this.child.pid) throw new Error(`pid ${me.pid} of site ${this.name} is not the process started here (${this.child.pid})`);
    return me.pid;
  }

  /** SIGTERM to anon-site's own pid; its exit code (0: a graceful stop), or null if it had to be killed. */
  async stop(timeoutMs = 20_000): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    process.kill(this.pid(), 'SIGTERM');
    const timer = setTimeout(() => killGroup(this.child, 'SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}
