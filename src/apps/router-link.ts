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
import { DEFAULT_SAM_ADDRESS, GarlicError, isGarlicError, SamBackend, startEmbeddedRouter, type GarlicBackend } from './garlic/index.js';

export interface RouterLinkOptions {
  /** The anon home (resolved). */
  home: string;
  /** `--sam HOST:PORT`. */
  sam?: string | undefined;
  /** Router log lines of an embedded router at this level and above go to `log` (default: warn). */
  logLevel?: LogLevel;
  log?: (line: string) => void;
  /** How long the embedded router may take to find its first peers (default 30 s). */
  peersTimeoutMs?: number;
}

export interface RouterLink {
  backend: GarlicBackend;
  kind: 'sam' | 'embedded';
  /** One line for the app to print: which router it uses. */
  message: string;
}

const SAM_PROBE_MS = 3_000;

export async function linkToRouter(opts: RouterLinkOptions): Promise<RouterLink> {
  if (opts.sam !== undefined) {
    const backend = await SamBackend.connect({ address: opts.sam });
    return { backend, kind: 'sam', message: `using the ${backend.description}` };
  }
  const running = await runningRouterSam(opts.home);
  if (running === 'off') {
    throw new GarlicError('BACKEND_DOWN', `the router running in ${opts.home} has its SAM bridge off: restart it with --sam, or pass --sam HOST:PORT`);
  }
  const probes = running ? [running] : [DEFAULT_SAM_ADDRESS];
  let why = '';
  for (const address of probes) {
    try {
      const backend = await SamBackend.connect({ address, connectTimeoutMs: SAM_PROBE_MS });
      return { backend, kind: 'sam', message: `using the ${backend.description}` };
    } catch (e) {
      if (running) throw e; // the home's own router: its failure is the answer
      if (!isGarlicError(e, 'BACKEND_DOWN') && !isGarlicError(e, 'TIMEOUT') && !isGarlicError(e, 'PROTOCOL')) throw e;
      why = (e as Error).message;
    }
  }
  const write = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const { router, backend } = await startEmbeddedRouter({
    home: opts.home,
    runOnly: { sam: { enabled: false }, httpProxy: { enabled: false } },
    log: createLogger(write, { level: opts.logLevel ?? 'warn' }),
  });
  // A router that knows nobody can build no tunnels: say so now, not after a session timeout.
  const deadline = Date.now() + (opts.peersTimeoutMs ?? 30_000);
  while (router.status().peers.connected === 0) {
    if (router.status().peers.known === 0 || Date.now() > deadline) {
      await backend.close();
      throw new GarlicError(
        'BACKEND_DOWN',
        router.status().peers.known === 0
          ? `no router is running and the one in ${opts.home} knows no peers: start one with \`anon-router start --reseed …\`, or pass --sam HOST:PORT`
          : `no router is running, and the one started here (home ${opts.home}) reached none of its ${router.status().peers.known} known peers`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { backend, kind: 'embedded', message: `no router answered (${why}); started the router of ${opts.home} in this process` };
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
