// CPU time and memory of other processes, read from Linux's /proc, over a window of time.
// A "unit" is what the report counts as one router: one process, or several whose numbers add
// up (our router 1 plus the anon-site process that serves the site through it). Several views
// group the same processes differently (routers only, routers with the site), all from the
// same readings.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export class ProcUsageError extends Error {
  constructor(
    readonly code: 'BAD_STAT' | 'BAD_STATUS' | 'GONE' | 'NO_CLK_TCK' | 'BAD_UNITS',
    message: string,
  ) {
    super(message);
    this.name = 'ProcUsageError';
  }
}

/** What /proc/<pid>/stat says about CPU time, in clock ticks (sysconf CLK_TCK per second). */
export interface ProcStat {
  pid: number;
  /** The executable's name as the kernel keeps it (at most 15 bytes; may hold spaces and parentheses). */
  comm: string;
  utime: number;
  stime: number;
}

/**
 * One line of /proc/<pid>/stat. The name sits in parentheses and may itself contain spaces and
 * ')' (a process can name itself anything), so it ends at the *last* ')'; the fields after it
 * are plain numbers: state is field 3, utime field 14, stime field 15 (proc(5)).
 */
export function parseProcStat(line: string): ProcStat {
  const open = line.indexOf(' (');
  const close = line.lastIndexOf(')');
  if (open < 1 || close < open) throw new ProcUsageError('BAD_STAT', `not a /proc/<pid>/stat line: ${JSON.stringify(line.slice(0, 80))}`);
  const pid = Number(line.slice(0, open));
  const rest = line.slice(close + 2).trim().split(/\s+/);
  // rest[0] is field 3 (state), so field f is rest[f - 3].
  const utime = Number(rest[14 - 3]);
  const stime = Number(rest[15 - 3]);
  if (!Number.isInteger(pid) || pid < 1 || !Number.isInteger(utime) || utime < 0 || !Number.isInteger(stime) || stime < 0) {
    throw new ProcUsageError('BAD_STAT', `pid, utime or stime is not a count in: ${JSON.stringify(line.slice(0, 200))}`);
  }
  return { pid, comm: line.slice(open + 2, close), utime, stime };
}

/** Resident memory from /proc/<pid>/status, in KiB: VmRSS now, VmHWM its peak since the process started. */
export interface ProcMemory {
  rssKb: number;
  hwmKb: number;
}

export function parseProcStatus(text: string): ProcMemory {
  const kb = (key: string): number => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(text);
    if (!m) throw new ProcUsageError('BAD_STATUS', `no ${key} line in /proc/<pid>/status (a kernel thread, or a zombie?)`);
    return Number(m[1]);
  };
  return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
}

/** One process at one moment. */
export interface ProcReading extends ProcMemory {
  /** utime + stime, in ticks. */
  cpuTicks: number;
}

/** Reads a live process; a typed GONE error when it has exited (a router died mid-bench). */
export function readProc(pid: number, procRoot = '/proc'): ProcReading {
  let stat: string;
  let status: string;
  try {
    stat = readFileSync(`${procRoot}/${pid}/stat`, 'utf8');
    status = readFileSync(`${procRoot}/${pid}/status`, 'utf8');
  } catch (e) {
    throw new ProcUsageError('GONE', `process ${pid} is gone (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const s = parseProcStat(stat);
  return { cpuTicks: s.utime + s.stime, ...parseProcStatus(status) };
}

/** sysconf(_SC_CLK_TCK): the unit of utime and stime. Node has no sysconf, so ask getconf. */
export function clockTicksPerSecond(): number {
  let out: string;
  try {
    out = execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 5_000 }).trim();
  } catch (e) {
    throw new ProcUsageError('NO_CLK_TCK', `getconf CLK_TCK failed: ${(e as Error).message}`);
  }
  const hz = Number(out);
  if (!Number.isInteger(hz) || hz <= 0) throw new ProcUsageError('NO_CLK_TCK', `getconf CLK_TCK printed ${JSON.stringify(out)}`);
  return hz;
}

export interface UsageUnit {
  name: string;
  pids: number[];
}

export interface Spread {
  mean: number;
  max: number;
}

export interface UnitUsage extends UsageUnit {
  /** CPU seconds of the unit's processes in the window. */
  cpuS: number;
  /** The highest sum of VmRSS over the unit's processes at any one sample, in MB (2^20 bytes). */
  peakRssMB: number;
  /** Sum of the processes' VmHWM at the window's end: peak since each started, in MB. */
  hwmMB: number;
}

export interface WindowUsage {
  wallS: number;
  /** RSS readings taken (start and end included). */
  samples: number;
  units: UnitUsage[];
  /** Over the units: CPU seconds, CPU % of one core (cpuS / wallS), peak RSS. */
  cpuS: Spread;
  cpuPercent: Spread;
  peakRssMB: Spread;
  /** All units together. */
  cpuSTotal: number;
}

export const spread = (xs: number[]): Spread => ({ mean: xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0, max: xs.length ? Math.max(...xs) : 0 });
const MB = 1024; // KiB per MiB

/**
 * The arithmetic of a window, without I/O: a reading of every process at the start, readings
 * every so often (for the peak of RSS), one at the end. Views group the processes into units.
 */
export class UsageWindowTracker<V extends string> {
  private readonly start: Map<number, ProcReading>;
  private readonly peakKb: Record<V, number[]>;
  private samples = 0;

  constructor(
    private readonly views: Record<V, UsageUnit[]>,
    start: Map<number, ProcReading>,
    private readonly startMs: number,
  ) {
    for (const units of Object.values(views) as UsageUnit[][]) {
      for (const u of units) {
        if (u.pids.length === 0) throw new ProcUsageError('BAD_UNITS', `unit ${u.name} has no process`);
        for (const p of u.pids) if (!start.has(p)) throw new ProcUsageError('BAD_UNITS', `no start reading of pid ${p} (unit ${u.name})`);
      }
    }
    this.start = new Map(start);
    this.peakKb = Object.fromEntries(Object.entries(views).map(([v, units]) => [v, (units as UsageUnit[]).map(() => 0)])) as Record<V, number[]>;
    this.sample(start);
  }

  /** Folds one set of readings into the running peaks (nothing is kept per sample). */
  sample(readings: Map<number, ProcReading>): void {
    for (const v of Object.keys(this.views) as V[]) {
      this.views[v].forEach((u, i) => {
        const kb = u.pids.reduce((sum, p) => sum + this.reading(readings, p).rssKb, 0);
        if (kb > this.peakKb[v][i]) this.peakKb[v][i] = kb;
      });
    }
    this.samples++;
  }

  finish(end: Map<number, ProcReading>, endMs: number, hz: number): Record<V, WindowUsage> {
    this.sample(end);
    const wallS = (endMs - this.startMs) / 1000;
    const out = {} as Record<V, WindowUsage>;
    for (const v of Object.keys(this.views) as V[]) {
      const units = this.views[v].map((u, i): UnitUsage => {
        const ticks = u.pids.reduce((sum, p) => sum + this.reading(end, p).cpuTicks - this.start.get(p)!.cpuTicks, 0);
        const hwmKb = u.pids.reduce((sum, p) => sum + this.reading(end, p).hwmKb, 0);
        return { name: u.name, pids: [...u.pids], cpuS: ticks / hz, peakRssMB: this.peakKb[v][i] / MB, hwmMB: hwmKb / MB };
      });
      const cpu = units.map((u) => u.cpuS);
      out[v] = {
        wallS,
        samples: this.samples,
        units,
        cpuS: spread(cpu),
        cpuPercent: spread(cpu.map((c) => (wallS > 0 ? (100 * c) / wallS : 0))),
        peakRssMB: spread(units.map((u) => u.peakRssMB)),
        cpuSTotal: cpu.reduce((a, b) => a + b, 0),
      };
    }
    return out;
  }

  private reading(readings: Map<number, ProcReading>, pid: number): ProcReading {
    const r = readings.get(pid);
    if (!r) throw new ProcUsageError('GONE', `no reading of pid ${pid}`);
    return r;
  }
}

const readAll = (pids: Iterable<number>, read: (pid: number) => ProcReading) => new Map([...pids].map((p) => [p, read(p)] as const));

/**
 * Watches the processes of `views` from now until stop(): RSS every `intervalMs`, CPU time at
 * both ends. A process that exits in between makes stop() throw GONE.
 */
export function watchUsage<V extends string>(
  views: Record<V, UsageUnit[]>,
  o: { intervalMs?: number; hz?: number; read?: (pid: number) => ProcReading; now?: () => number } = {},
): { stop(): Record<V, WindowUsage> } {
  const read = o.read ?? ((p: number) => readProc(p));
  const now = o.now ?? Date.now;
  const hz = o.hz ?? clockTicksPerSecond();
  const pids = new Set((Object.values(views) as UsageUnit[][]).flatMap((units) => units.flatMap((u) => u.pids)));
  const tracker = new UsageWindowTracker(views, readAll(pids, read), now());
  let failure: Error | undefined;
  const timer = setInterval(() => {
    try {
      tracker.sample(readAll(pids, read));
    } catch (e) {
      failure ??= e as Error;
      clearInterval(timer);
    }
  }, o.intervalMs ?? 200);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      if (failure) throw failure;
      return tracker.finish(readAll(pids, read), now(), hz);
    },
  };
}
