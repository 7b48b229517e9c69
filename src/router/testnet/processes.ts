import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { closeSync, constants as fsc, openSync, readFileSync, readSync, fstatSync } from 'node:fs';
import { errnoCode } from '../../state/errors.js';

/**
 * The processes of a testnet: started detached (their own process group, so a Ctrl-C of
 * `testnet up` or of a shell does not reach them), found again by pid, and only ever signalled
 * after checking that the pid still runs *our* router for *that* home.
 */

export interface SpawnRouterOptions {
  node: string;
  bin: string;
  args: string[];
  logPath: string;
  env?: NodeJS.ProcessEnv;
  /** A command that execs the rest (e.g. nsenter into a namespace), so that the pid stays the router's. */
  prefix?: string[];
}

/** Starts `node bin ...args` detached, stdout and stderr appended to `logPath` (0600). */
export function spawnDetachedRouter(o: SpawnRouterOptions): ChildProcess {
  const fd = openSync(o.logPath, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_APPEND | (fsc.O_NOFOLLOW ?? 0), 0o600);
  try {
    const argv = [...(o.prefix ?? []), o.node, o.bin, ...o.args];
    const child = spawn(argv[0]!, argv.slice(1), {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...(o.env ?? process.env), NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    // The testnet outlives the command that started it.
    child.unref();
    return child;
  } finally {
    closeSync(fd); // the child holds its own copy
  }
}

/** The argv of a live process, or undefined (gone, a zombie, or not ours to read). */
export function commandLineOf(pid: number): string[] | undefined {
  if (process.platform === 'linux') {
    try {
      // A zombie's cmdline is empty: it has exited, its parent just has not reaped it.
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a.length > 0);
      return argv.length > 0 ? argv : undefined;
    } catch {
      return undefined;
    }
  }
  // No /proc (macOS, BSD): ps joins argv with spaces; good enough for the contains-checks below.
  try {
    const out = execFileSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8', timeout: 2_000 }).trim();
    return out ? [out] : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === 'EPERM';
  }
}

/**
 * Whether `pid` runs anon-router for `home`: alive, and its command line names anon-router and
 * has `home` as an argument (exactly, so that r1 never matches r10). Anything else (a reused
 * pid, a zombie) is not ours and is never signalled.
 */
export function isOurRouter(pid: number, home: string): boolean {
  if (!Number.isInteger(pid) || pid < 2 || !alive(pid)) return false;
  const argv = commandLineOf(pid);
  if (argv === undefined) return false;
  if (argv.length === 1) return argv[0]!.includes('anon-router') && argv[0]!.includes(home); // ps fallback
  return argv.some((a) => a.includes('anon-router')) && argv.includes(home);
}

export type SignalOutcome = 'sent' | 'gone' | 'not-ours';

/** Sends `signal` to `pid` only if it is still our router for `home`. */
export function signalOurRouter(pid: number, home: string, signal: NodeJS.Signals): SignalOutcome {
  if (!isOurRouter(pid, home)) return 'not-ours';
  try {
    process.kill(pid, signal);
    return 'sent';
  } catch (err) {
    if (errnoCode(err) === 'ESRCH') return 'gone';
    throw err;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `done` every `intervalMs` until it holds or `timeoutMs` passes; true if it held. */
export async function waitUntil(done: () => boolean, timeoutMs: number, intervalMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (done()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(intervalMs, Math.max(1, deadline - Date.now())));
  }
}

/** Waits for our router on `pid` to be gone (exited, or the pid no longer ours). */
export function waitForExit(pid: number, home: string, timeoutMs: number): Promise<boolean> {
  return waitUntil(() => !isOurRouter(pid, home), timeoutMs);
}

/** The last non-empty line of a log, for an error message (reads at most the last 4 KiB). */
export function lastLogLine(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, fsc.O_RDONLY | (fsc.O_NOFOLLOW ?? 0));
  } catch {
    return undefined;
  }
  try {
    const size = fstatSync(fd).size;
    const n = Math.min(size, 4096);
    const buf = Buffer.alloc(n);
    readSync(fd, buf, 0, n, size - n);
    const lines = buf.toString('utf8').split('\n').map((l) => l.trim()).filter(Boolean);
    const last = lines.at(-1);
    return last === undefined ? undefined : last.length > 300 ? `${last.slice(0, 299)}…` : last;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
