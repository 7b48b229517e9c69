/**
 * The apps' garlic layer: `openGarlic()` picks a backend (a SAM bridge if one answers, else a
 * router embedded in this process) and everything else goes through GarlicSession.
 */
import { startEmbeddedRouter, type EmbeddedRouterOptions } from './embedded.js';
import { GarlicError, isGarlicError } from './errors.js';
import { SamBackend, type SamBackendOptions } from './sam-client.js';
import type { Router } from '../../router/router.js';
import type { GarlicBackend } from './session.js';

export * from './session.js';
export { SamBackend, parseSamAddress, publicOfPrivateKeys, type SamBackendOptions } from './sam-client.js';
export { EmbeddedBackend, embeddedBackend, startEmbeddedRouter, type EmbeddedHost, type EmbeddedRouterOptions } from './embedded.js';

export const DEFAULT_SAM_ADDRESS = '127.0.0.1:7656';

export interface OpenGarlicOptions {
  /** "HOST:PORT" of a SAM bridge to use (the user asked for it: no fallback when it is down). */
  sam?: string;
  samOptions?: Omit<SamBackendOptions, 'address'>;
  /** Where to look for a running router's bridge when `sam` is not given (default 127.0.0.1:7656). */
  probe?: string;
  /** How to start a router here when no SAM bridge answers; without it, there is no fallback. */
  embedded?: EmbeddedRouterOptions;
}

export interface OpenedGarlic {
  backend: GarlicBackend;
  kind: GarlicBackend['kind'];
  /** One line for the app to print: which router it uses, and why. */
  message: string;
  /** The router started in this process (embedded backend only). */
  router?: Router;
}

/**
 * `--sam HOST:PORT` given: that bridge or a BACKEND_DOWN error. Otherwise the bridge at
 * 127.0.0.1:7656 (our anon-router, i2pd or Java I2P) if it answers HELLO, else an embedded
 * router started with `embedded` (and the message says so).
 */
export async function openGarlic(opts: OpenGarlicOptions = {}): Promise<OpenedGarlic> {
  if (opts.sam !== undefined) {
    const backend = await SamBackend.connect({ ...opts.samOptions, address: opts.sam });
    return { backend, kind: 'sam', message: `using the ${backend.description}` };
  }
  const probe = opts.probe ?? DEFAULT_SAM_ADDRESS;
  let why: string;
  try {
    const backend = await SamBackend.connect({ ...opts.samOptions, address: probe, connectTimeoutMs: opts.samOptions?.connectTimeoutMs ?? 3_000 });
    return { backend, kind: 'sam', message: `using the ${backend.description}` };
  } catch (e) {
    if (!isGarlicError(e, 'BACKEND_DOWN') && !isGarlicError(e, 'TIMEOUT') && !isGarlicError(e, 'PROTOCOL')) throw e;
    why = (e as Error).message;
  }
  if (!opts.embedded) throw new GarlicError('BACKEND_DOWN', `no router to use: ${why} (start one with \`anon-router start\`, or pass --sam HOST:PORT)`);
  const { backend, router } = await startEmbeddedRouter(opts.embedded);
  // The socket's own words already begin "no SAM bridge at <probe>: …": said once is enough.
  const detail = why.startsWith(`no SAM bridge at ${probe}: `) ? why.slice(`no SAM bridge at ${probe}: `.length) : why;
  return { backend, router, kind: 'embedded', message: `no SAM bridge at ${probe} (${detail}); started an embedded router in this process (home ${opts.embedded.home})` };
}
