import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRouter, type LocalRouter } from '../helpers/local-router.js';
import { ROOT, runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'anon-e2e-top-'));
const TUNNELS = /^tunnels\s+\d+ inbound, \d+ outbound, \d+ participating$/gm;

describe('anon-router top without a router', () => {
  const home = join(tmp, 'empty');

  it('says so in one line and exits 1', () => {
    const r = runCli('anon-router', ['top', '--home', home]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`anon-router top: no router is running in ${home}\n`);
  });

  it('refuses an interval under 200 ms as a usage error', () => {
    const r = runCli('anon-router', ['top', '--interval', '100', '--home', home]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^anon-router top: .*--interval/);
  });
});

describe('anon-router top of a running router', () => {
  const home = join(tmp, 'running');
  let router: LocalRouter | undefined;

  beforeAll(async () => {
    router = await startLocalRouter(home, '127.0.1.201');
  }, 30_000);

  afterAll(async () => {
    await router?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('without a terminal prints --count text frames, one per interval, and exits 0', () => {
    const r = runCli('anon-router', ['top', '--count', '2', '--interval', '200', '--home', home]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const frames = r.stdout.trimEnd().split('\n\n');
    expect(frames).toHaveLength(2);
    for (const f of frames) {
      expect(f).toMatch(/^router\s+\S{6}, up \S+.*, caps \S+, netId 99 \(testnet\)$/m);
      expect(f).toMatch(/^peers\s+\d+ known, \d+ connected$/m);
      expect(f.match(TUNNELS)).toHaveLength(1);
      expect(f).toMatch(/^builds\s+\d+ of \d+ succeeded \(\d+%\), \d+ rejected, \d+ timed out$/m);
      expect(f).toMatch(/^transit\s+(on, \d+ accepted, \d+ refused|off)$/m);
      expect(f).toMatch(/^bw in\s+\d+(\.\d)? [KMG]?i?B\/s\s+[▁▂▃▄▅▆▇█ ]*$/m);
      expect(f).toMatch(/^bw transit\s+\S+ \S+( of \S+ \S+)?, \S+ \S+ relayed/m);
    }
  });

  it('without --count and without a terminal prints one frame', () => {
    const r = runCli('anon-router', ['top', '--home', home]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.match(TUNNELS)).toHaveLength(1);
    expect(r.stdout).not.toContain('\n\n');
  });

  it('--json prints one status with its tunnels and bandwidth', () => {
    const r = runCli('anon-router', ['top', '--json', '--home', home]);
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.pid).toBe(router!.pid);
    expect(s.identity.hash).toMatch(/^[A-Za-z0-9~-]{43}=$/);
    for (const n of [s.tunnels.inbound, s.tunnels.outbound, s.tunnels.participating, s.tunnels.builds.attempted]) expect(Number.isInteger(n) && n >= 0).toBe(true);
    expect(Array.isArray(s.bandwidth.history.in)).toBe(true);
  });

  // The live (ink) view needs a terminal: `script` gives it a pseudo-terminal.
  const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
  // Like the i2pd rule: skipped only outside CI, and it says so (CI installs util-linux).
  if (!hasScript && !process.env.CI) it('needs `script` (util-linux) for the live view: skipped outside CI', () => expect(hasScript).toBe(false));
  const noTerminal = !hasScript && !process.env.CI;

  /** Runs `top` on a pseudo-terminal, sends `key` once the view has redrawn, and resolves with its exit code and output. */
  function liveTop(key: string): Promise<{ code: number | null; out: string }> {
    const cmd = `stty cols 110 rows 30; exec '${process.execPath}' '${resolve(ROOT, 'bin/anon-router.js')}' top --interval 200 --home '${home}'`;
    // ink draws nothing but the last frame when it sees CI set (is-in-ci): this test is about
    // the live view on a terminal, so the pseudo-terminal's environment does not claim CI.
    const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm' };
    for (const k of ['CI', 'CONTINUOUS_INTEGRATION']) delete env[k];
    const p = spawn('script', ['-qec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env });
    let out = '';
    let repeat: NodeJS.Timeout | undefined;
    const kill = setTimeout(() => p.kill('SIGKILL'), 40_000);
    p.stdout!.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      // Two titles: ink has drawn, mounted (raw mode on) and redrawn with a second answer. Under
      // load the key can still beat raw mode by a moment: say it again until the process exits.
      if (!repeat && out.split('q quits').length > 2) {
        p.stdin!.write(key);
        repeat = setInterval(() => p.stdin!.writable && p.stdin!.write(key), 1_000);
      }
    });
    return new Promise((r) =>
      p.once('exit', (code) => {
        clearTimeout(kill);
        if (repeat) clearInterval(repeat);
        r({ code, out: out.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '') });
      }),
    );
  }

  it.skipIf(noTerminal)('on a terminal redraws in place until q, then exits 0', async () => {
    const r = await liveTop('q');
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/tunnels\s+\d+ inbound, \d+ outbound, \d+ participating/);
    expect(r.out).toMatch(/bw in\s+\S+ \S+\s+[▁▂▃▄▅▆▇█]+/);
  });

  it.skipIf(noTerminal)('on a terminal Ctrl-C quits with exit 0 too', async () => {
    const r = await liveTop('\x03');
    expect(r.code, r.out).toBe(0);
  });
});
