/**
 * How an app (anon-site, anon-fetch, later chat and share) reaches the garlic layer:
 *   1. `--sam HOST:PORT` given: that SAM bridge, or a clear failure (no fallback: the user chose).
 *   2. A router running in the anon home: its own SAM bridge, at the address it reports.
 *   3. A SAM bridge at 127.0.0.1:7656 (our anon-router, i2pd or Java I2P).
 *   4. Nothing answers: the home's router, started in this process (same keys, netDb, address
 *      book), with its SAM bridge and HTTP proxy off for this run only; the app says so.
 */
import { routerStatus } from '../router/api/control/client.js';
import { routerPaths } from '../router/home.js';
import { createLogger, type LogLevel } from '../router/log.js';
import type { Router } from '../router/router.js';
import { GarlicError, openGarlic, type GarlicBackend } from './garlic/index.js';

export interface RouterLinkOptions {
  /** The anon home (resolved). */
  home: string;
  /** `--sam HOST:PORT`. */
  sam?: string | undefined;
  /** Router log lines of an embedded router at this level and above go to `log` (default: error). */
  logLevel?: LogLevel;
  log?: (line: string) => void;
  /** How long the embedded router may take to find its first peers (default 30 s). */
  peersTimeoutMs?: number;
}

export interface RouterLink {
  backend: GarlicBackend;
  kind: 'sam' | 'embedded';
  /**
   * Our own router: the home's running router or the embedded one. Not a bridge given with
   * --sam, nor whatever answers at 127.0.0.1:7656 (i2pd, Java I2P, or ours: we cannot tell).
   */
  ours: boolean;
  /** One line for the app to print: which router it uses. */
  message: string;
}

export async function linkToRouter(opts: RouterLinkOptions): Promise<RouterLink> {
  const running = opts.sam === undefined ? await runningRouterSam(opts.home) : undefined;
  if (running === 'off') {
    throw new GarlicError('BACKEND_DOWN', `the router running in ${opts.home} has its SAM bridge off: restart it with --sam, or pass --sam HOST:PORT`);
  }
  const write = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const opened = await openGarlic({
    ...(opts.sam !== undefined && { sam: opts.sam }),
    ...(running !== undefined && { probe: running }),
    embedded: { home: opts.home, runOnly: { sam: { enabled: false }, httpProxy: { enabled: false } }, log: createLogger(write, { level: opts.logLevel ?? 'error' }) },
  });
  if (opened.router) await waitForPeers(opened.router, opened.backend, opts);
  // A probe at the address the home's router reported, or the embedded fallback: ours.
  return { backend: opened.backend, kind: opened.kind, message: opened.message, ours: running !== undefined || opened.kind === 'embedded' };
}

/** A router that knows nobody can build no tunnels: say so now, not after a session timeout. */
async function waitForPeers(router: Router, backend: GarlicBackend, opts: RouterLinkOptions): Promise<void> {
  const deadline = Date.now() + (opts.peersTimeoutMs ?? 30_000);
  while (router.status().peers.connected === 0) {
    const known = router.status().peers.known;
    if (known === 0 || Date.now() > deadline) {
      await backend.close();
      throw new GarlicError(
        'BACKEND_DOWN',
        known === 0
          ? `no router is running and the one in ${opts.home} knows no peers: start one with \`anon-router start --reseed …\`, or pass --sam HOST:PORT`
          : `no router is running, and the one started here (home ${opts.home}) reached none of its ${known} known peers`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The SAM address of a router running in `home` ('off' when its bridge is off), if one runs. */
async function runningRouterSam(home: string): Promise<string | 'off' | undefined> {
  let status;
  try {
    status = await routerStatus(routerPaths(home).controlSocket, { timeoutMs: 2_000 });
  } catch {
    return undefined;
  }
  const sam = status.sam;
  if (!sam || !sam.enabled || !sam.listening) return 'off';
  return `${sam.host}:${sam.port}`;
}
