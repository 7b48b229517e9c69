import { callControl } from '../router/api/control/client.js';
import { namesControlHandlers } from '../router/api/control/names-handlers.js';
import { ControlError, RouterNotRunningError } from '../router/api/control/protocol.js';
import { AddressBook, AddressBookError } from '../router/client/addressbook.js';
import { openRouterState, routerPaths } from '../router/home.js';
import { resolveHome } from '../state/home.js';
import { CommandFailure, UsageError } from './exit-codes.js';

const USAGE_CODES = new Set(['INVALID_NAME', 'INVALID_DESTINATION', 'INVALID_PARAMS']);

/**
 * One address book operation (`names.add`, `names.remove`, `names.list`, `names.import`) for
 * the home in `--home`. A running router holds the LevelDB lock, so it is asked over its
 * control socket; otherwise the book is opened here, changed through the same handler
 * functions the router serves, and closed. Errors come back as UsageError (exit 2: a bad name
 * or destination) or CommandFailure (exit 1).
 */
export async function callNames(homeFlag: string | undefined, method: string, params: unknown): Promise<unknown> {
  const home = resolveHome({ flag: homeFlag });
  try {
    try {
      return await callControl(routerPaths(home).controlSocket, method, params, { home, timeoutMs: 30_000 });
    } catch (e) {
      if (!(e instanceof RouterNotRunningError)) throw e;
    }
    const { storage } = await openRouterState(home);
    try {
      const handler = namesControlHandlers(AddressBook.fromStorage(storage))[method];
      if (!handler) throw new Error(`unknown address book method ${method}`);
      return await handler(params);
    } finally {
      await storage.close();
    }
  } catch (e) {
    throw asCliError(e);
  }
}

function asCliError(e: unknown): unknown {
  if (!(e instanceof AddressBookError) && !(e instanceof ControlError)) return e;
  if (USAGE_CODES.has(e.code)) return new UsageError(e.message);
  if (e.code === 'UNKNOWN_METHOD') {
    return new CommandFailure('the running router does not serve its address book over the control socket; stop it to edit the book', 1, e.code);
  }
  return new CommandFailure(e.message, 1, e.code);
}
