import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir } from '../../state/home.js';
import type { SiteCounters } from './serve.js';

/**
 * Which sites are being served from a home, for `anon-site status`: each `serve` keeps a small
 * record (0600) in <home>/apps/site-run/<name>.json, refreshed while it runs and removed when it
 * stops. A record whose process is gone (a crash, kill -9) reads as not running.
 */
export interface RunningSite {
  name: string;
  pid: number;
  b32: string;
  /** The full destination (base64), for address books and `names add`. */
  destination: string;
  /** What is served: a directory, or the local app a reverse proxy forwards to. */
  serving: { dir: string } | { proxy: string };
  backend: string;
  startedAt: number;
  updatedAt: number;
  counters: SiteCounters;
}

export function runDir(home: string): string {
  return join(home, 'apps', 'site-run');
}

export function writeRunningSite(home: string, site: RunningSite): void {
  const dir = runDir(home);
  ensurePrivateDir(join(home, 'apps'));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${site.name}.json`);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(site) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}

export function removeRunningSite(home: string, name: string): void {
  rmSync(join(runDir(home), `${name}.json`), { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Every record in the home, each with whether its process still lives. Unreadable records are skipped. */
export function listRunningSites(home: string): (RunningSite & { running: boolean })[] {
  let names: string[];
  try {
    names = readdirSync(runDir(home)).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  const out: (RunningSite & { running: boolean })[] = [];
  for (const f of names.slice(0, 1000)) {
    try {
      const r = JSON.parse(readFileSync(join(runDir(home), f), 'utf8')) as RunningSite;
      if (typeof r.pid !== 'number' || typeof r.name !== 'string' || typeof r.b32 !== 'string') continue;
      out.push({ ...r, running: r.pid === process.pid || alive(r.pid) });
    } catch {
      continue;
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}
