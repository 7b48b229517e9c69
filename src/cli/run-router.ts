import { CommandFailure, EXIT } from './exit-codes.js';
import { RouterConfigError, type HttpProxyConfig } from '../router/config.js';
import { createLogger, type Logger, type LogLevel } from '../router/log.js';
import { Router } from '../router/router.js';
import { AddressPolicyError } from '../router/transport/address-policy.js';
import type { SamConfig } from '../router/api/sam/router-sam.js';

export interface ForegroundOptions {
  home: string;
  host?: string;
  port?: number;
  netId?: number;
  testnet?: boolean;
  floodfill?: boolean;
  sharedKBps?: number;
  transit?: boolean;
  sharePercent?: number;
  maxParticipating?: number;
  tunnelLength?: number;
  tunnelQuantity?: number;
  reseed?: string;
  httpProxy?: Partial<HttpProxyConfig>;
  sam?: Partial<SamConfig>;
  logLevel: LogLevel;
}

/**
 * `anon-router start`: a router in this process until a signal or `stop` over the control
 * socket. SIGINT stops gracefully, SIGTERM promptly; a second signal exits at once.
 */
export async function runRouterForeground(o: ForegroundOptions): Promise<void> {
  const log = createLogger((line) => process.stdout.write(line + '\n'), { level: o.logLevel });
  let router: Router;
  try {
    router = await openRouter(o, log);
  } catch (e) {
    // A refused flag value is a usage error (exit 2), said in one line.
    if (e instanceof RouterConfigError || e instanceof AddressPolicyError) throw new CommandFailure(e.message, EXIT.USAGE);
    throw e;
  }
  try {
    await router.start();
  } catch (e) {
    await router.stop({ graceful: false });
    throw e;
  }
  await runUntilStopped(router, log);
}

function openRouter(o: ForegroundOptions, log: Logger): Promise<Router> {
  return Router.open({
    home: o.home,
    reseed: o.reseed,
    log,
    config: {
      ...(o.netId !== undefined && { netId: o.netId }),
      ...(o.testnet !== undefined && { testnet: o.testnet }),
      ...(o.floodfill !== undefined && { floodfill: o.floodfill }),
      ...(o.sharedKBps !== undefined && { sharedKBps: o.sharedKBps }),
      ...(o.transit !== undefined && { transit: o.transit }),
      ...(o.sharePercent !== undefined && { sharePercent: o.sharePercent }),
      ...(o.maxParticipating !== undefined && { maxParticipating: o.maxParticipating }),
      ...(o.tunnelLength !== undefined && { tunnelLength: o.tunnelLength }),
      ...(o.tunnelQuantity !== undefined && { tunnelQuantity: o.tunnelQuantity }),
      ntcp2: { ...(o.host !== undefined && { host: o.host }), ...(o.port !== undefined && { port: o.port }) },
      ...(o.httpProxy && { httpProxy: o.httpProxy }),
      ...(o.sam && { sam: o.sam }),
    },
  });
}

async function runUntilStopped(router: Router, log: Logger): Promise<void> {
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) process.exit(EXIT.FAILURE);
    log.info('signal received', { signal });
    void router.stop({ graceful: signal === 'SIGINT' });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await router.stopped();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  // The state is closed. Sockets of peers that never answer our Termination may linger a few
  // seconds more; they must not hold the process.
  setTimeout(() => process.exit(process.exitCode ?? 0), 1_000).unref();
}
