import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  clockTicksPerSecond,
  parseProcStat,
  parseProcStatus,
  ProcUsageError,
  readProc,
  spread,
  UsageWindowTracker,
  watchUsage,
  type ProcReading,
} from '../../../bench/proc-usage.js';

const onLinux = process.platform === 'linux';

// A real line (`cat /proc/self/stat`) with the name swapped: utime is 7, stime 3.
const statLine = (pid: number, comm: string, utime = 7, stime = 3) =>
  `${pid} (${comm}) R 4823 4823 592 0 -1 4194304 99 0 0 0 ${utime} ${stime} 0 0 20 0 1 0 3183713 3133440 408 18446744073709551615 94101192757248 94101192777129 140721676060096 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 94101192793136 94101192794752 94101435879424 140721676065504 140721676065524 140721676065524 140721676066795 0\n`;

const statusText = (rssKb: number, hwmKb: number) =>
  `Name:\tanon-router\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t42\nPid:\t42\nVmPeak:\t 1234567 kB\nVmSize:\t 1200000 kB\nVmLck:\t       0 kB\nVmHWM:\t  ${hwmKb} kB\nVmRSS:\t  ${rssKb} kB\nRssAnon:\t   50000 kB\nThreads:\t11\n`;

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ProcUsageError);
    return (e as ProcUsageError).code;
  }
  throw new Error('did not throw');
}

describe('parseProcStat', () => {
  it('reads pid, name, utime and stime of a plain line', () => {
    expect(parseProcStat(statLine(4825, 'cat'))).toEqual({ pid: 4825, comm: 'cat', utime: 7, stime: 3 });
  });

  it('ends the name at the last parenthesis, whatever spaces and parentheses it holds', () => {
    expect(parseProcStat(statLine(17, 'a b) (c', 120, 45))).toEqual({ pid: 17, comm: 'a b) (c', utime: 120, stime: 45 });
    expect(parseProcStat(statLine(18, ') R 1 2 3 4 5 6 7 8 9 10 11 12', 5, 6))).toMatchObject({ comm: ') R 1 2 3 4 5 6 7 8 9 10 11 12', utime: 5, stime: 6 });
    expect(parseProcStat(statLine(19, '', 1, 2))).toMatchObject({ comm: '', utime: 1, stime: 2 });
  });

  it('refuses what is not a stat line', () => {
    expect(codeOf(() => parseProcStat(''))).toBe('BAD_STAT');
    expect(codeOf(() => parseProcStat('hello world'))).toBe('BAD_STAT');
    expect(codeOf(() => parseProcStat('12 (x) S 1 2'))).toBe('BAD_STAT'); // cut short
    expect(codeOf(() => parseProcStat(statLine(12, 'x').replace(' 7 3 ', ' -7 3 ')))).toBe('BAD_STAT');
  });

  it.runIf(onLinux)('reads this process: its pid, the name in /proc/self/comm, the CPU time getrusage reports', () => {
    const hz = clockTicksPerSecond();
    const s = parseProcStat(readFileSync('/proc/self/stat', 'utf8'));
    expect(s.pid).toBe(process.pid);
    expect(s.comm).toBe(readFileSync('/proc/self/comm', 'utf8').trim());
    // Burn some CPU so the comparison is not 0 against 0; both count every thread of the process.
    const before = process.cpuUsage();
    let x = 0;
    for (let i = 0; i < 1e9 && process.cpuUsage(before).user < 150_000; i++) x += Math.sqrt(x + 1);
    expect(x).toBeGreaterThan(0);
    const ticks = readProc(process.pid).cpuTicks;
    const u = process.cpuUsage();
    const viaRusage = (u.user + u.system) / 1e6;
    expect(Math.abs(ticks / hz - viaRusage)).toBeLessThan(0.1 + 0.05 * viaRusage);
  });
});

describe('parseProcStatus', () => {
  it('reads VmRSS and VmHWM in KiB', () => {
    expect(parseProcStatus(statusText(81234, 99000))).toEqual({ rssKb: 81234, hwmKb: 99000 });
  });

  it('says so when a process has no memory lines (a kernel thread, a zombie)', () => {
    expect(codeOf(() => parseProcStatus('Name:\tkthreadd\nState:\tS (sleeping)\nThreads:\t1\n'))).toBe('BAD_STATUS');
    expect(codeOf(() => parseProcStatus('VmRSS:\t  12 kB\n'))).toBe('BAD_STATUS'); // no VmHWM
  });

  it.runIf(onLinux)("agrees with Node's own resident set size for this process", () => {
    const m = parseProcStatus(readFileSync('/proc/self/status', 'utf8'));
    const rssKb = process.memoryUsage().rss / 1024;
    expect(m.hwmKb).toBeGreaterThanOrEqual(m.rssKb);
    expect(Math.abs(m.rssKb - rssKb)).toBeLessThan(32 * 1024);
  });
});

describe('readProc', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('adds utime and stime, and reads memory, from a /proc tree', () => {
    const root = mkdtempSync(join(tmpdir(), 'proc-usage-'));
    dirs.push(root);
    mkdirSync(join(root, '42'));
    writeFileSync(join(root, '42', 'stat'), statLine(42, 'node (x)', 250, 50));
    writeFileSync(join(root, '42', 'status'), statusText(60_000, 70_000));
    expect(readProc(42, root)).toEqual({ cpuTicks: 300, rssKb: 60_000, hwmKb: 70_000 });
    expect(codeOf(() => readProc(43, root))).toBe('GONE');
  });

  it.runIf(onLinux)('reads a live process whose name holds spaces and parentheses', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'proc-usage-'));
    dirs.push(dir);
    const exe = join(dir, 'a b) (c');
    copyFileSync('/bin/sleep', exe);
    const child = spawn(exe, ['30'], { stdio: 'ignore', env: {} });
    try {
      await new Promise<void>((res, rej) => {
        child.once('spawn', () => res());
        child.once('error', rej);
      });
      const pid = child.pid!;
      // After exec the kernel names the process after the file (the name is what stat shows).
      for (let i = 0; i < 100 && parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8')).comm !== 'a b) (c'; i++) await new Promise((r) => setTimeout(r, 20));
      expect(parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))).toMatchObject({ pid, comm: 'a b) (c' });
      const r = readProc(pid);
      expect(r.rssKb).toBeGreaterThan(0);
      expect(r.hwmKb).toBeGreaterThanOrEqual(r.rssKb);
      expect(r.cpuTicks).toBeGreaterThanOrEqual(0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('clockTicksPerSecond', () => {
  it.runIf(onLinux)('is a positive tick rate', () => {
    const hz = clockTicksPerSecond();
    expect(Number.isInteger(hz)).toBe(true);
    expect(hz).toBeGreaterThan(0);
  });
});

const reading = (cpuTicks: number, rssKb: number, hwmKb = rssKb): ProcReading => ({ cpuTicks, rssKb, hwmKb });

describe('UsageWindowTracker', () => {
  // Routers 1 and 2 (pids 11, 12) and the site process (pid 20) that serves through router 1.
  const views = {
    routers: [
      { name: 'r1', pids: [11] },
      { name: 'r2', pids: [12] },
    ],
    withSite: [
      { name: 'r1+site', pids: [11, 20] },
      { name: 'r2', pids: [12] },
    ],
  };

  it('counts CPU seconds per unit over the window, and the peak of summed RSS at one sample', () => {
    const t = new UsageWindowTracker(views, new Map([[11, reading(1000, 40 * 1024)], [12, reading(500, 30 * 1024)], [20, reading(200, 20 * 1024)]]), 10_000);
    // Router 1 peaks while the site is small, the site peaks later: their sum peaks at neither alone.
    t.sample(new Map([[11, reading(1100, 60 * 1024)], [12, reading(520, 31 * 1024)], [20, reading(210, 20 * 1024)]]));
    t.sample(new Map([[11, reading(1200, 45 * 1024)], [12, reading(540, 30 * 1024)], [20, reading(260, 30 * 1024)]]));
    const end = new Map([[11, reading(1300, 44 * 1024, 70 * 1024)], [12, reading(600, 30 * 1024, 35 * 1024)], [20, reading(300, 25 * 1024, 32 * 1024)]]);
    const u = t.finish(end, 30_000, 100);

    expect(u.routers.wallS).toBe(20);
    expect(u.routers.samples).toBe(4);
    expect(u.routers.units.map((x) => [x.name, x.cpuS, x.peakRssMB, x.hwmMB])).toEqual([
      ['r1', 3, 60, 70],
      ['r2', 1, 31, 35],
    ]);
    expect(u.routers.cpuS).toEqual({ mean: 2, max: 3 });
    expect(u.routers.cpuSTotal).toBe(4);
    expect(u.routers.cpuPercent).toEqual({ mean: 10, max: 15 });
    expect(u.routers.peakRssMB).toEqual({ mean: 45.5, max: 60 });

    const site = u.withSite.units[0];
    expect(site.pids).toEqual([11, 20]);
    expect(site.cpuS).toBe(4); // 3 + 1
    expect(site.peakRssMB).toBe(80); // 60 + 20 at the first sample, not 60 + 30
    expect(site.hwmMB).toBe(102);
    expect(u.withSite.cpuSTotal).toBe(5);
  });

  it('fails on a process without a reading', () => {
    expect(codeOf(() => new UsageWindowTracker(views, new Map([[11, reading(0, 1)], [12, reading(0, 1)]]), 0))).toBe('BAD_UNITS');
    expect(codeOf(() => new UsageWindowTracker({ v: [{ name: 'empty', pids: [] }] }, new Map(), 0))).toBe('BAD_UNITS');
    const t = new UsageWindowTracker(views, new Map([[11, reading(0, 1)], [12, reading(0, 1)], [20, reading(0, 1)]]), 0);
    expect(codeOf(() => t.sample(new Map([[11, reading(1, 1)], [20, reading(1, 1)]])))).toBe('GONE');
  });
});

describe('spread', () => {
  it('is the mean and the max, and zero for nothing', () => {
    expect(spread([1, 2, 6])).toEqual({ mean: 3, max: 6 });
    expect(spread([])).toEqual({ mean: 0, max: 0 });
  });
});

describe('watchUsage', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('samples RSS on its interval between the two CPU readings', () => {
    vi.useFakeTimers();
    let tick = 0;
    let ms = 0;
    // The RSS of pid 5 rises to 90 MB at the third sample, then falls back.
    const rss = [10, 20, 90, 30, 30, 30, 30, 30];
    const w = watchUsage({ all: [{ name: 'r', pids: [5] }] }, { intervalMs: 200, hz: 100, now: () => ms, read: () => reading(100 * tick, rss[Math.min(tick++, rss.length - 1)] * 1024) });
    vi.advanceTimersByTime(1000);
    ms = 1000;
    const u = w.stop().all;
    expect(u.samples).toBe(7); // start, five intervals, end
    expect(u.units[0].peakRssMB).toBe(90);
    expect(u.units[0].cpuS).toBe(6); // 600 ticks at 100 Hz
    expect(u.cpuPercent.max).toBe(600);
  });

  it('reports a process that vanished mid-window when stopped', () => {
    vi.useFakeTimers();
    let calls = 0;
    const w = watchUsage({ all: [{ name: 'r', pids: [5] }] }, {
      intervalMs: 200,
      hz: 100,
      read: (pid) => {
        if (++calls > 2) throw new ProcUsageError('GONE', `process ${pid} is gone`);
        return reading(0, 1024);
      },
    });
    vi.advanceTimersByTime(1000);
    expect(codeOf(() => w.stop())).toBe('GONE');
  });
});
