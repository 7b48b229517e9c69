import { callControl } from '../router/api/control/client.js';
import { routerPaths } from '../router/home.js';
import { resolveHome } from '../state/home.js';

/** One call to the router running in `--home` (or the default home) over its control socket. */
export function askRouter(homeFlag: string | undefined, method: string, params?: unknown, timeoutMs = 10_000): Promise<unknown> {
  const home = resolveHome({ flag: homeFlag });
  return callControl(routerPaths(home).controlSocket, method, params, { timeoutMs, home });
}
