import { join } from 'node:path';
import {
  ensurePrivateDir,
  jsonCodec,
  openLevelStorage,
  routerDir,
  RouterSublevels,
  ROUTER_SCHEMA_VERSION,
  type Storage,
} from '../state/index.js';
import { bandwidthClass, BANDWIDTH_CLASSES, type BandwidthClass } from './identity/caps.js';
import { MAIN_NET_ID } from './identity/version.js';

/** Where a router keeps its files inside `<home>/router` (beside its LevelDB). */
export interface RouterPaths {
  dir: string;
  /** The router's private keys, in i2pd's router.keys layout (0600). */
  keys: string;
  /** The last RouterInfo we signed, for peers to bootstrap from (i2pd's router.info). */
  routerInfo: string;
}

export function routerPaths(home: string): RouterPaths {
  const dir = routerDir(home);
  return { dir, keys: join(dir, 'router.keys'), routerInfo: join(dir, 'router.info') };
}

/** What the user chose for this router; kept in the `config` sublevel. */
export interface RouterConfig {
  netId: number;
  /** Shared bandwidth in KBytes/s: sets the published class (N at 64). */
  sharedKBps: number;
  floodfill: boolean;
}

export const DEFAULT_ROUTER_CONFIG: RouterConfig = { netId: MAIN_NET_ID, sharedKBps: 128, floodfill: false };

function validateConfig(v: unknown): Partial<RouterConfig> {
  if (typeof v !== 'object' || v === null) throw new TypeError('router config must be an object');
  const c = v as Record<string, unknown>;
  const out: Partial<RouterConfig> = {};
  if (c.netId !== undefined) {
    if (!Number.isInteger(c.netId) || (c.netId as number) < 1 || (c.netId as number) > 255) throw new TypeError('netId must be 1..255');
    out.netId = c.netId as number;
  }
  if (c.sharedKBps !== undefined) {
    if (typeof c.sharedKBps !== 'number' || !(c.sharedKBps >= 0)) throw new TypeError('sharedKBps must be ≥ 0');
    out.sharedKBps = c.sharedKBps;
  }
  if (c.floodfill !== undefined) {
    if (typeof c.floodfill !== 'boolean') throw new TypeError('floodfill must be a boolean');
    out.floodfill = c.floodfill;
  }
  return out;
}

const CONFIG_KEY = 'router';

export async function readRouterConfig(storage: Storage): Promise<RouterConfig> {
  const stored = await storage.sublevel(RouterSublevels.config, jsonCodec(validateConfig)).get(CONFIG_KEY);
  return { ...DEFAULT_ROUTER_CONFIG, ...stored };
}

export async function writeRouterConfig(storage: Storage, config: RouterConfig): Promise<void> {
  await storage.sublevel(RouterSublevels.config, jsonCodec(validateConfig)).putDurable(CONFIG_KEY, config);
}

export function publishedBandwidth(config: RouterConfig): BandwidthClass {
  const c = bandwidthClass(config.sharedKBps);
  // Below N, i2pd's client tunnels would never pick us: publish N as the floor (PITFALLS.md).
  return BANDWIDTH_CLASSES.indexOf(c) < BANDWIDTH_CLASSES.indexOf('N') ? 'N' : c;
}

/** Opens the router's state: `<home>` and `<home>/router` private, the LevelDB locked to this process. */
export async function openRouterState(home: string): Promise<{ paths: RouterPaths; storage: Storage }> {
  ensurePrivateDir(home);
  const paths = routerPaths(home);
  const storage = await openLevelStorage(paths.dir, { schema: ROUTER_SCHEMA_VERSION });
  return { paths, storage };
}
