import { execFile, spawn } from 'node:child_process';
import { accessSync, constants as fsc, existsSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeKeyFile } from '../../state/key-file.js';
import { decodeRouterInfo, i2pBase64Encode, routerInfoHash, routerInfoNetId } from '../data/index.js';
import { TestnetError } from './errors.js';
import { parseI2pdConsole, type I2pdConsoleSummary } from './i2pd-console.js';
import type { TestnetI2pdRecord, TestnetI2pdSection } from './manifest.js';
import { commandLineOf, sleep, waitUntil } from './processes.js';

/**
 * The i2pd half of a mixed testnet: i2pd-testnet.sh (../shared/interop) starts M i2pd routers
 * in a network namespace of their own (i2pd 2.45.1 refuses peers on 127/8), and our routers join
 * them there. This module runs the script, reads back what it started, and stops it again.
 */

/** The script needs N >= 3 (floodfills 1..N-2, then the eepsite's client and server). */
export const MIN_TESTNET_I2PD = 3;
export const MAX_TESTNET_I2PD = 20;
/** i2pd router k: 198.18.0.k (the script's choice); ours: 198.18.1.k, in the same namespace. */
export const I2PD_HOST_PREFIX = '198.18.0.';
export const NAMESPACE_HOST_PREFIX = '198.18.1.';
/**
 * Port layout of a mixed testnet with base B: ours NTCP2 B+k, SAM B+100+k, HTTP proxy B+150+k
 * (k <= 50); the script's base is B+200, so i2pd router k takes B+200+10k .. B+200+10k+3.
 */
export const HTTP_PROXY_PORT_OFFSET = 150;
export const I2PD_PORT_OFFSET = 200;
/** The highest port a mixed testnet with base B and M i2pd routers uses, for validation. */
export function mixedTopPort(basePort: number, i2pd: number): number {
  return basePort + I2PD_PORT_OFFSET + 10 * i2pd + 3;
}
export function httpProxyPortFor(basePort: number, k: number): number {
  return basePort + HTTP_PROXY_PORT_OFFSET + k;
}
export function i2pdPorts(i2pdBase: number, k: number): { ntcp2: number; console: number } {
  return { ntcp2: i2pdBase + 10 * k, console: i2pdBase + 10 * k + 1 };
}
/** The script's default: min(3, N-2) floodfills. */
export function i2pdFloodfills(n: number): number {
  return Math.min(3, n - 2);
}

/** Where the script is when nobody says: ../shared/interop next to the checkout. */
export function defaultI2pdScript(root: string): string {
  return process.env.ANON_I2PD_TESTNET ?? resolve(root, '..', 'shared', 'interop', 'i2pd-testnet.sh');
}

export interface I2pdHost {
  uid: number | undefined;
  script: string;
  /** The i2pd binary the script will run (I2PDNET_I2PD, default /usr/sbin/i2pd). */
  i2pd: string;
  /** Whether a command is on PATH. */
  has: (cmd: string) => boolean;
  exists: (path: string) => boolean;
}

/**
 * Why this host cannot run i2pd routers for a testnet, in one line; undefined when it can.
 * Asked before anything starts, so that `up --i2pd` refuses cleanly.
 */
export function i2pdUnavailable(h: I2pdHost): string | undefined {
  if (h.uid !== 0) return '--i2pd needs root: i2pd-testnet.sh puts the i2pd routers in a network namespace (run as root, or drop --i2pd)';
  if (!h.exists(h.script)) return `--i2pd needs ${h.script} (the shared i2pd-testnet.sh; set ANON_I2PD_TESTNET or --i2pd-script)`;
  if (!h.exists(h.i2pd)) return `--i2pd needs i2pd at ${h.i2pd} (apt-get install -y i2pd)`;
  for (const cmd of ['bash', 'nsenter', 'unshare', 'ip', 'curl', 'python3']) if (!h.has(cmd)) return `--i2pd needs ${cmd} on PATH (the i2pd test network uses it)`;
  return undefined;
}

function onPath(cmd: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (!dir) continue;
    try {
      const p = join(dir, cmd);
      if (statSync(p).isFile()) {
        accessSync(p, fsc.X_OK);
        return true;
      }
    } catch {
      /* not here */
    }
  }
  return false;
}

/** This machine, as i2pdUnavailable sees it. */
export function thisHost(script: string): I2pdHost {
  return { uid: process.getuid?.(), script, i2pd: process.env.I2PDNET_I2PD ?? '/usr/sbin/i2pd', has: onPath, exists: existsSync };
}

/** Whether `pid` is the i2pd the script started with data dir `dataDir` (never a reused pid). */
export function isOurI2pd(pid: number, dataDir: string): boolean {
  const argv = pid >= 2 ? commandLineOf(pid) : undefined;
  return argv !== undefined && argv.includes(`--datadir=${dataDir}`);
}

/** Whether `pid` is the script's namespace holder for `dir` (`exec -a i2pdnet-netns:<dir> sleep`). */
export function isNetnsHolder(pid: number, dir: string): boolean {
  const argv = pid >= 2 ? commandLineOf(pid) : undefined;
  return argv !== undefined && argv[0] === `i2pdnet-netns:${dir}`;
}

/**
 * A file the script or i2pd wrote (0644, so not through readKeyFile's private-file checks):
 * a regular file, no symlink, at most maxBytes; undefined when it does not exist.
 */
export async function readSmallFile(path: string, maxBytes: number): Promise<Uint8Array | undefined> {
  let h;
  try {
    h = await open(path, fsc.O_RDONLY | (fsc.O_NOFOLLOW ?? 0));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const st = await h.stat();
    if (!st.isFile()) throw new Error(`${path} is not a regular file`);
    if (st.size > maxBytes) throw new Error(`${path} is ${st.size} bytes (at most ${maxBytes})`);
    const buf = new Uint8Array(st.size);
    const { bytesRead } = await h.read(buf, 0, st.size, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await h.close();
  }
}

/** The script's pid file: "pid\nmarker". */
export async function readPidFile(path: string): Promise<number | undefined> {
  const bytes = await readSmallFile(path, 4096).catch(() => undefined);
  if (bytes === undefined) return undefined;
  const first = new TextDecoder().decode(bytes).split('\n')[0]!.trim();
  return /^\d{1,10}$/.test(first) && Number(first) >= 2 && Number(first) <= 0x7fffffff ? Number(first) : undefined;
}

export interface I2pdScriptOptions {
  script: string;
  dir: string;
  basePort: number;
  netId?: number;
  env?: NodeJS.ProcessEnv;
}

function scriptEnv(o: I2pdScriptOptions, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...(o.env ?? process.env),
    I2PDNET_DIR: o.dir,
    I2PDNET_BASEPORT: String(o.basePort),
    ...(o.netId !== undefined ? { I2PDNET_NETID: String(o.netId) } : {}),
    ...extra,
  };
}

/** Runs the script; resolves with its exit code and the tail of its stderr (bounded). */
export function runScript(o: I2pdScriptOptions, args: string[], timeoutMs: number, extraEnv: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn('bash', [o.script, ...args], { env: scriptEnv(o, extraEnv), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-8192);
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      fail(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      done({ code, stderr });
    });
  });
}

const tail = (s: string, n = 3) => s.trim().split('\n').slice(-n).join(' | ');

/**
 * `i2pd-testnet.sh up M` with our netId, not waiting for its eepsite; then every router's pid,
 * ports and hash read back from the script's dir. The script cleans up after itself on failure.
 */
export async function i2pdUp(o: I2pdScriptOptions & { routers: number; netId: number; timeoutMs?: number }): Promise<TestnetI2pdSection> {
  const r = await runScript(o, ['up', String(o.routers)], o.timeoutMs ?? 180_000, { I2PDNET_WAIT: '0' });
  if (r.code !== 0) throw new TestnetError('ROUTER_FAILED', `i2pd-testnet.sh up ${o.routers} failed (exit ${r.code}): ${tail(r.stderr)}`);
  try {
    return await readBack(o);
  } catch (err) {
    // It is running but not as recorded: nothing would stop it later, so stop it now.
    await runScript(o, ['down'], 60_000).catch(() => undefined);
    throw err;
  }
}

async function readBack(o: I2pdScriptOptions & { routers: number; netId: number }): Promise<TestnetI2pdSection> {
  const netnsPid = await readPidFile(join(o.dir, 'netns.pid'));
  if (netnsPid === undefined || !isNetnsHolder(netnsPid, o.dir)) throw new TestnetError('ROUTER_FAILED', `i2pd-testnet.sh up left no namespace holder in ${o.dir}/netns.pid`);
  const floodfills = i2pdFloodfills(o.routers);
  const routers: TestnetI2pdRecord[] = [];
  for (let k = 1; k <= o.routers; k++) {
    const dataDir = join(o.dir, `r${k}`);
    const pid = await readPidFile(join(dataDir, 'router.pid'));
    if (pid === undefined || !isOurI2pd(pid, dataDir)) throw new TestnetError('ROUTER_FAILED', `i2pd router ${k} is not running (see ${dataDir}/i2pd.log)`);
    const ri = await readI2pdRouterInfo(dataDir, o.netId);
    const ports = i2pdPorts(o.basePort, k);
    routers.push({ k, pid, dataDir, host: `${I2PD_HOST_PREFIX}${k}`, port: ports.ntcp2, consolePort: ports.console, floodfill: k <= floodfills, hash: ri.hash });
  }
  return { script: o.script, dir: o.dir, basePort: o.basePort, netnsPid, routers };
}

/** An i2pd router's router.info, checked to be on our network; its hash in I2P base64. */
export async function readI2pdRouterInfo(dataDir: string, netId: number): Promise<{ hash: string; bytes: Uint8Array }> {
  const file = join(dataDir, 'router.info');
  const bytes = await readSmallFile(file, 64 * 1024).catch((err: Error) => {
    throw new TestnetError('ROUTER_FAILED', `cannot read ${file}: ${err.message}`, { cause: err });
  });
  if (bytes === undefined) throw new TestnetError('ROUTER_FAILED', `${file} does not exist`);
  let ri;
  try {
    ri = decodeRouterInfo(bytes);
  } catch (err) {
    throw new TestnetError('ROUTER_FAILED', `${file} does not decode: ${(err as Error).message}`, { cause: err });
  }
  if (routerInfoNetId(ri) !== netId) throw new TestnetError('ROUTER_FAILED', `${file} has netId ${routerInfoNetId(ri)}, not ${netId}`);
  return { hash: i2pBase64Encode(routerInfoHash(ri)), bytes };
}

/** Puts every i2pd router's RouterInfo into reseed/, so that our routers bootstrap from them. */
export async function seedFromI2pd(section: TestnetI2pdSection, netId: number, reseedDir: string): Promise<void> {
  for (const r of section.routers) {
    const { hash, bytes } = await readI2pdRouterInfo(r.dataDir, netId);
    await writeKeyFile(join(reseedDir, `routerInfo-${hash}.dat`), bytes);
  }
}

/** argv prefix that runs a command inside the section's namespace (nsenter execs: the pid stays the command's). */
export function inNamespace(section: Pick<TestnetI2pdSection, 'netnsPid' | 'dir'>): string[] {
  if (!isNetnsHolder(section.netnsPid, section.dir)) throw new TestnetError('ROUTER_FAILED', `the i2pd test network's namespace (pid ${section.netnsPid}) is gone`);
  return ['nsenter', '-t', String(section.netnsPid), '-n', '--'];
}

export interface I2pdRouterStatus extends TestnetI2pdRecord {
  kind: 'i2pd';
  alive: boolean;
  console?: I2pdConsoleSummary;
  error?: string;
}

function consolePage(section: TestnetI2pdSection, port: number, timeoutMs: number): Promise<string> {
  const [cmd, ...args] = inNamespace(section);
  return new Promise((done, fail) => {
    execFile(cmd!, [...args, 'curl', '-sS', '--max-time', String(Math.ceil(timeoutMs / 1000)), '--max-filesize', '524288', `http://127.0.0.1:${port}/`], { encoding: 'utf8', timeout: timeoutMs + 1_000, maxBuffer: 1024 * 1024 }, (err, stdout, stderr) =>
      err ? fail(new Error(stderr.trim() || err.message)) : done(stdout),
    );
  });
}

/** Each i2pd router: its process, and the summary on its web console (asked inside the namespace). */
export async function i2pdStatus(section: TestnetI2pdSection, timeoutMs = 3_000): Promise<I2pdRouterStatus[]> {
  const nsUp = isNetnsHolder(section.netnsPid, section.dir);
  return Promise.all(
    section.routers.map(async (r): Promise<I2pdRouterStatus> => {
      const alive = isOurI2pd(r.pid, r.dataDir);
      if (!alive) return { ...r, kind: 'i2pd', alive, error: 'not running' };
      if (!nsUp) return { ...r, kind: 'i2pd', alive, error: 'namespace gone' };
      try {
        return { ...r, kind: 'i2pd', alive, console: parseI2pdConsole(await consolePage(section, r.consolePort, timeoutMs)) };
      } catch (err) {
        return { ...r, kind: 'i2pd', alive, error: (err as Error).message.split('\n')[0]!.slice(0, 200) };
      }
    }),
  );
}

export interface I2pdStopReport {
  k: number;
  pid: number;
  outcome: 'stopped' | 'killed' | 'already-gone' | 'still-running';
}

/**
 * `i2pd-testnet.sh down` (SIGTERM to each i2pd, then the eepsite server and the namespace), then
 * a check of every recorded pid; one the script missed gets SIGKILL, only while still ours.
 */
export async function i2pdDown(section: TestnetI2pdSection, env?: NodeJS.ProcessEnv): Promise<{ routers: I2pdStopReport[]; namespaceGone: boolean; scriptError?: string }> {
  const before = section.routers.map((r) => isOurI2pd(r.pid, r.dataDir));
  let scriptError: string | undefined;
  if (existsSync(section.script)) {
    const r = await runScript({ script: section.script, dir: section.dir, basePort: section.basePort, ...(env ? { env } : {}) }, ['down'], 60_000).catch((err: Error) => ({ code: -1, stderr: err.message }));
    if (r.code !== 0) scriptError = `i2pd-testnet.sh down failed (exit ${r.code}): ${tail(r.stderr)}`;
  } else {
    scriptError = `${section.script} is gone; stopping the i2pd routers by pid`;
    for (const r of section.routers) if (isOurI2pd(r.pid, r.dataDir)) process.kill(r.pid, 'SIGTERM');
    await waitUntil(() => section.routers.every((r) => !isOurI2pd(r.pid, r.dataDir)), 15_000, 100);
  }
  const routers = section.routers.map((r, i): I2pdStopReport => {
    if (!before[i]) return { k: r.k, pid: r.pid, outcome: 'already-gone' };
    if (!isOurI2pd(r.pid, r.dataDir)) return { k: r.k, pid: r.pid, outcome: 'stopped' };
    try {
      process.kill(r.pid, 'SIGKILL');
    } catch {
      /* exited just now */
    }
    return { k: r.k, pid: r.pid, outcome: 'killed' };
  });
  await sleep(routers.some((r) => r.outcome === 'killed') ? 300 : 0);
  routers.forEach((r, i) => {
    if (r.outcome === 'killed' && isOurI2pd(r.pid, section.routers[i]!.dataDir)) r.outcome = 'still-running';
  });
  if (isNetnsHolder(section.netnsPid, section.dir)) {
    try {
      process.kill(section.netnsPid, 'SIGKILL');
    } catch {
      /* gone */
    }
    await waitUntil(() => !isNetnsHolder(section.netnsPid, section.dir), 2_000);
  }
  return { routers, namespaceGone: !isNetnsHolder(section.netnsPid, section.dir), ...(scriptError ? { scriptError } : {}) };
}
