import { signRouterInfo, type RouterAddress, type RouterInfo } from '../data/index.js';
import { routerCaps, type BandwidthClass } from './caps.js';
import type { RouterKeys } from './router-keys.js';
import { ROUTER_VERSION } from './version.js';

export interface RouterInfoOptions {
  netId: number;
  /** ms since the epoch; a fresh RouterInfo is signed at every start (i2pd refuses one older than 90 min). */
  published: number;
  addresses?: readonly RouterAddress[];
  /** Others can dial us (R); defaults to "publishes an address". */
  reachable?: boolean;
  bandwidth?: BandwidthClass;
  floodfill?: boolean;
  /** Extra options (e.g. netdb.knownRouters on floodfills). */
  extra?: Readonly<Record<string, string>>;
}

/** Our RouterInfo, signed with the router's key. */
export function buildRouterInfo(keys: RouterKeys, o: RouterInfoOptions): RouterInfo {
  if (!Number.isInteger(o.netId) || o.netId < 1 || o.netId > 255) throw new RangeError(`netId must be 1..255, got ${o.netId}`);
  const addresses = o.addresses ?? [];
  const options = new Map<string, string>(Object.entries(o.extra ?? {}));
  options.set('caps', routerCaps({ bandwidth: o.bandwidth ?? 'N', reachable: o.reachable ?? addresses.length > 0, floodfill: o.floodfill }));
  options.set('netId', String(o.netId));
  options.set('router.version', ROUTER_VERSION);
  return signRouterInfo({ identity: keys.identity, published: o.published, addresses, options }, keys.signingPrivateKey);
}
