import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { routerStatus } from '../../src/router/api/control/client.js';
import { routerPaths } from '../../src/router/home.js';
import { ROOT } from './cli.js';

export interface LocalRouter {
  pid: number;
  port: number;
  stop(): Promise<void>;
}

/**
 * `anon-router start` (the real bin) in `home` on a loopback address, in a test network of its
 * own; ready when its control socket answers (not when it prints something), within 20 s.
 * `stop()` ends it by its pid and waits for it. `extraArgs` go to `anon-router start` after ours.
 */
export async function startLocalRouter(home: string, host: string, extraArgs: string[] = []): Promise<LocalRouter> {
  const port = 40000 + Math.floor(Math.random() * 10000);
  const child = spawn(process.execPath, [resolve(ROOT, 'bin/anon-router.js'), 'start', '--home', home, '--host', host, '--port', String(port), '--netid', '99', '--testnet', ...extraArgs], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`anon-router start exited ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`anon-router start did not answer status within 20 s: ${stderr}`);
    }
    try {
      await routerStatus(routerPaths(home).controlSocket, { timeoutMs: 1_000 });
      return { pid: child.pid!, port, stop };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
