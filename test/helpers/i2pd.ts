import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { decodeRouterInfo, i2pBase64Encode, keysAndCertHash } from '../../src/router/data/index.js';

/** The shared script that starts a private network of real i2pd routers (../shared/interop). */
export const TESTNET_SCRIPT = process.env.ANON_I2PD_TESTNET ?? resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../shared/interop/i2pd-testnet.sh');

/** Whether a process of ours (by pid) still exists. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

export const i2pdAvailable = which('i2pd') && existsSync(TESTNET_SCRIPT);

/**
 * A describe block that needs i2pd. Skipped only when i2pd is absent AND `CI` is unset, and
 * then it says so; in CI a missing i2pd is a failure, never a silent skip.
 */
export function describeWithI2pd(name: string, body: () => void): void {
  if (i2pdAvailable) {
    describe(name, body);
    return;
  }
  if (process.env.CI) {
    describe(name, () => {
      it('needs i2pd and ../shared/interop/i2pd-testnet.sh', () => {
        throw new Error(`i2pd or ${TESTNET_SCRIPT} is missing, and CI is set: .ci/run must install i2pd`);
      });
    });
    return;
  }
  console.warn(`[skip] ${name}: i2pd or ${TESTNET_SCRIPT} is missing and CI is unset (apt-get install -y i2pd, with ../shared beside the checkout, to run it)`);
  describe.skip(name, body);
}

/** One private i2pd network in a temp dir, on its own ports; `down()` stops exactly what `up` started. */
export class I2pdTestnet {
  readonly dir = mkdtempSync(join(tmpdir(), 'anon-i2pd-'));
  constructor(
    readonly routers: number,
    readonly basePort = 20000 + Math.floor(Math.random() * 400) * 100,
    readonly extraEnv: Record<string, string> = {},
  ) {}

  private env(): NodeJS.ProcessEnv {
    return { ...process.env, I2PDNET_DIR: this.dir, I2PDNET_BASEPORT: String(this.basePort), ...this.extraEnv };
  }

  script(...args: string[]): string {
    return execFileSync('bash', [TESTNET_SCRIPT, ...args], { env: this.env(), encoding: 'utf8', timeout: 200_000 });
  }

  /**
   * Starts the network. Waiting for the eepsite can fail on i2pd 2.45's LeaseSet race even
   * after the script's own bounces (its `up` then cleans up and exits non-zero): one more try
   * on a fresh start, and the second failure is the test's.
   */
  up(wait = false): void {
    const start = () =>
      execFileSync('bash', [TESTNET_SCRIPT, 'up', String(this.routers)], {
        env: { ...this.env(), I2PDNET_WAIT: wait ? '1' : '0' },
        stdio: ['ignore', 'ignore', 'inherit'],
        timeout: 200_000,
      });
    try {
      start();
    } catch (e) {
      if (!wait) throw e;
      console.warn(`i2pd-testnet up failed (${(e as Error).message.split('\n')[0]}); starting it once more`);
      spawnSync('bash', [TESTNET_SCRIPT, 'down'], { env: this.env(), stdio: 'ignore', timeout: 60_000 });
      start();
    }
  }

  /**
   * Stop one i2pd router of the network (by the pid the script recorded), e.g. to take a
   * floodfill away, and wait until it is gone: i2pd answers for a moment after SIGTERM, and a
   * test that asks right away would still be served by it. SIGKILL after `timeoutMs`.
   */
  async stopRouter(k: number, timeoutMs = 20_000): Promise<void> {
    const pid = Number(readFileSync(join(this.routerDir(k), 'i2pd.pid'), 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 1) throw new Error(`no pid for i2pd router ${k}`);
    const alive = () => pidAlive(pid);
    if (!alive()) return;
    process.kill(pid, 'SIGTERM');
    for (let waited = 0; alive() && waited < timeoutMs; waited += 100) await new Promise((r) => setTimeout(r, 100));
    if (!alive()) return;
    process.kill(pid, 'SIGKILL');
    for (let i = 0; alive() && i < 50; i++) await new Promise((r) => setTimeout(r, 100));
    if (alive()) throw new Error(`i2pd router ${k} (pid ${pid}) outlived SIGKILL`);
  }

  /**
   * Restart the eepsite destination (as the script's `up` does against i2pd 2.45's LeaseSet
   * race): its tunnels are rebuilt and it publishes a fresh LeaseSet to the floodfills it knows.
   */
  async bounceEepsite(): Promise<void> {
    const k = this.routers;
    const dir = this.routerDir(k);
    // The script's pid files hold the pid, then a marker of the command line.
    const pid = Number(readFileSync(join(dir, 'router.pid'), 'utf8').split('\n')[0].trim());
    if (!Number.isInteger(pid) || pid <= 1) throw new Error(`no pid for i2pd router ${k}`);
    writeFileSync(join(dir, 'tunnels.conf'), '');
    process.kill(pid, 'SIGHUP');
    await new Promise((r) => setTimeout(r, 1_000));
    copyFileSync(join(dir, 'eepsite.section'), join(dir, 'tunnels.conf'));
    process.kill(pid, 'SIGHUP');
  }

  /**
   * Pairs of i2pd routers (as "j-k") with no NTCP2 session between them, from each router's web
   * console (`?page=transports` lists a session as the first 4 characters of the peer's hash).
   */
  missingLinks(): string[] {
    const prefixes = Array.from({ length: this.routers }, (_, i) => this.routerHash(i + 1).slice(0, 4));
    const sees = prefixes.map((_, i) => {
      let page = '';
      try {
        page = this.script('exec', 'curl', '-s', '--max-time', '3', `http://127.0.0.1:${this.basePort + 10 * (i + 1) + 1}/?page=transports`);
      } catch {
        // a console that does not answer lists nobody
      }
      return new Set([...page.matchAll(/([A-Za-z0-9~-]{4}): /g)].map((m) => m[1]));
    });
    const missing: string[] = [];
    for (let j = 0; j < this.routers; j++)
      for (let k = j + 1; k < this.routers; k++) if (!sees[j].has(prefixes[k]) && !sees[k].has(prefixes[j])) missing.push(`${j + 1}-${k + 1}`);
    return missing;
  }

  /**
   * Waits until every two i2pd routers have a session. Started together, an i2pd router may dial
   * one that is not listening yet; i2pd 2.45 then marks it unreachable and drops everything for
   * it (Transports::PostMessages) until its netDb's next minute's save clears the mark
   * (NetDb::SaveUpdated, in a network under 90 routers). A build through that pair times out.
   */
  async waitForMesh(timeoutMs = 120_000): Promise<void> {
    let missing = this.missingLinks();
    for (let waited = 0; missing.length > 0; waited += 2_000) {
      if (waited >= timeoutMs) throw new Error(`i2pd routers without a session between them after ${timeoutMs / 1000} s: ${missing.join(', ')}`);
      await new Promise((r) => setTimeout(r, 2_000));
      missing = this.missingLinks();
    }
  }

  routerDir(k: number): string {
    return join(this.dir, `r${k}`);
  }

  /** Router k's hash (I2P base64), from the router.info it wrote. */
  routerHash(k: number): string {
    const ri = decodeRouterInfo(new Uint8Array(readFileSync(join(this.routerDir(k), 'router.info'))));
    return i2pBase64Encode(keysAndCertHash(ri.identity));
  }

  down(): void {
    try {
      this.script('down');
    } finally {
      // ANON_KEEP_I2PD_LOGS=1 keeps the routers' logs and data for a look after a failure.
      if (!process.env.ANON_KEEP_I2PD_LOGS) rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
