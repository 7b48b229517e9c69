import { callControl } from '../router/api/control/client.js';
import { ControlError, RouterNotRunningError } from '../router/api/control/protocol.js';
import { Subscriptions, SubscriptionError } from '../router/api/http-proxy/subscriptions.js';
import { AddressBook } from '../router/client/addressbook.js';
import { openRouterState, routerPaths } from '../router/home.js';
import { silentLogger } from '../router/log.js';
import { systemClock } from '../router/runtime/clock.js';
import { resolveHome } from '../state/home.js';
import { CommandFailure, UsageError } from './exit-codes.js';

/**
 * One subscription operation (`names.subscriptions`, `names.subscribe`, `names.unsubscribe`,
 * `names.refreshSubscriptions`) for the home in `--home`: the running router is asked over its
 * control socket; without one, the list is read or changed in the home's state directly (a
 * refresh needs the running router: it fetches through the router's HTTP proxy destination).
 */
export async function callSubscriptions(homeFlag: string | undefined, method: string, params: unknown): Promise<unknown> {
  const home = resolveHome({ flag: homeFlag });
  try {
    try {
      return await callControl(routerPaths(home).controlSocket, method, params, { home, timeoutMs: method === 'names.refreshSubscriptions' ? 600_000 : 30_000 });
    } catch (e) {
      if (!(e instanceof RouterNotRunningError)) throw e;
      if (method === 'names.refreshSubscriptions') throw new CommandFailure('no router is running in this home: subscriptions are fetched by the running router', 1);
    }
    const { storage } = await openRouterState(home);
    try {
      const subs = new Subscriptions({ storage, addressBook: AddressBook.fromStorage(storage), clock: systemClock, log: silentLogger });
      const url = (params as { url?: string }).url ?? '';
      if (method === 'names.subscribe') return await subs.add(url);
      if (method === 'names.unsubscribe') return { removed: await subs.remove(url) };
      return await subs.list();
    } finally {
      await storage.close();
    }
  } catch (e) {
    if (e instanceof SubscriptionError || e instanceof ControlError) {
      if (e.code === 'INVALID_URL') throw new UsageError(e.message);
      throw new CommandFailure(e.message, 1, e.code);
    }
    throw e;
  }
}
