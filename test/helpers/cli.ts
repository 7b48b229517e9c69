import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one of our bins as a user would (a real process), with its own home. */
export function runCli(bin: string, args: string[], env: Record<string, string> = {}, nodeArgs: string[] = []): CliResult {
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, [...nodeArgs, resolve(ROOT, 'bin', `${bin}.js`), ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...env },
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export { spawn };
