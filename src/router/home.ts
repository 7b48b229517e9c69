import { join } from 'node:path';
import { ensurePrivateDir, openLevelStorage, routerDir, ROUTER_SCHEMA_VERSION, type Storage } from '../state/index.js';

/** Where a router keeps its files: `<home>/router`, beside its LevelDB. */
export interface RouterPaths {
  dir: string;
  /** The router's private keys, in i2pd's router.keys layout (0600). */
  keys: string;
  /** The NTCP2 static key and IV (0600). */
  ntcp2Keys: string;
  /** The last RouterInfo we signed, for peers to bootstrap from (as i2pd's router.info). */
  routerInfo: string;
  /** The running router's control socket (0600). */
  controlSocket: string;
}

export function routerPaths(home: string): RouterPaths {
  const dir = routerDir(home);
  return {
    dir,
    keys: join(dir, 'router.keys'),
    ntcp2Keys: join(dir, 'ntcp2.keys'),
    routerInfo: join(dir, 'router.info'),
    controlSocket: join(dir, 'control.sock'),
  };
}

/** Opens the router's state: `<home>` and `<home>/router` private, the LevelDB locked to this process. */
export async function openRouterState(home: string): Promise<{ paths: RouterPaths; storage: Storage }> {
  ensurePrivateDir(home);
  const paths = routerPaths(home);
  const storage = await openLevelStorage(paths.dir, { schema: ROUTER_SCHEMA_VERSION });
  return { paths, storage };
}
