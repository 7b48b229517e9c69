import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { callControl } from '../../src/router/api/control/client.js';
import type { RouterStatus } from '../../src/router/api/control/protocol.js';
import { ROOT } from './cli.js';
import type { I2pdTestnet } from './i2pd.js';
import { TESTNET_SCRIPT } from './i2pd.js';
import { waitFor } from './wait.js';

/**
 * One of our routers (`anon-router start`, the real bin) running inside an i2pd test network's
 * namespace, driven over its control socket (a filesystem socket: reachable from outside).
 */
export class NamespacedRouter {
  private child: ChildProcess | undefined;
  readonly log: string;

  constructor(
    readonly net: I2pdTestnet,
    readonly home: string,
  ) {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    this.log = join(home, 'router.log');
  }

  get socket(): string {
    return join(this.home, 'router', 'control.sock');
  }

  async start(args: string[]): Promise<RouterStatus> {
    const out = createWriteStream(this.log, { flags: 'a' });
    this.child = spawn('bash', [TESTNET_SCRIPT, 'exec', process.execPath, resolve(ROOT, 'bin/anon-router.js'), 'start', '--home', this.home, ...args], {
      env: { ...process.env, I2PDNET_DIR: this.net.dir, I2PDNET_BASEPORT: String(this.net.basePort) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child.stdout!.pipe(out);
    this.child.stderr!.pipe(out);
    return waitFor('our router to answer on its control socket', () => this.status(), 20_000);
  }

  status(): Promise<RouterStatus> {
    return callControl(this.socket, 'status') as Promise<RouterStatus>;
  }

  call<T = unknown>(method: string, params?: unknown, timeoutMs = 10_000): Promise<T> {
    return callControl(this.socket, method, params, { timeoutMs }) as Promise<T>;
  }

  /** Graceful stop over the control socket, then the process group by pid if it lingers. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    await this.call('stop', { graceful: true }).catch(() => undefined);
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, 10_000);
    await exited;
    clearTimeout(timer);
    this.child = undefined;
  }
}
