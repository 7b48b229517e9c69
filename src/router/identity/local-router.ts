import { ntcp2Address, type RouterInfo } from '../data/index.js';
import type { RandomSource } from '../runtime/index.js';
import { publishedBandwidth, type RouterConfig } from '../config.js';
import type { RouterPaths } from '../home.js';
import { loadOrCreateNtcp2Keys, type Ntcp2Keys } from './ntcp2-keys.js';
import { buildRouterInfo } from './router-info-builder.js';
import { loadOrCreateRouterKeys, type RouterKeys } from './router-keys.js';

/** Everything secret that makes a router itself: its identity keys and its NTCP2 static key. */
export interface LocalIdentity {
  keys: RouterKeys;
  ntcp2: Ntcp2Keys;
  created: boolean;
}

export async function loadOrCreateLocalIdentity(paths: RouterPaths, random: RandomSource): Promise<LocalIdentity> {
  const { keys, created } = await loadOrCreateRouterKeys(paths.keys);
  const ntcp2 = await loadOrCreateNtcp2Keys(paths.ntcp2Keys, (n) => random.bytes(n));
  return { keys, ntcp2, created };
}

/**
 * Our RouterInfo as of `now`: the NTCP2 address when a host is configured (then caps R),
 * else an unpublished NTCP2 address with `s` and `v` only (ntcp2.rst: peers still need the
 * static key to accept us) and caps U.
 */
export function signLocalRouterInfo(identity: LocalIdentity, config: RouterConfig, now: number): RouterInfo {
  const { host, port } = config.ntcp2;
  const address = host
    ? ntcp2Address({ host, port, s: identity.ntcp2.staticPublicKey, i: identity.ntcp2.iv })
    : ntcp2Address({ s: identity.ntcp2.staticPublicKey });
  return buildRouterInfo(identity.keys, {
    netId: config.netId,
    published: now,
    addresses: [address],
    reachable: host !== undefined,
    bandwidth: publishedBandwidth(config),
    floodfill: config.floodfill,
  });
}
