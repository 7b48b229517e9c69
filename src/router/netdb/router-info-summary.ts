import {
  i2pBase64Encode,
  isFloodfill,
  ntcp2Options,
  routerInfoCaps,
  routerInfoHash,
  routerInfoNetId,
  routerInfoVersion,
  type RouterInfo,
} from '../data/index.js';

/** One line's worth of a RouterInfo, for CLI listings (`anon router netdb`, inspect). */
export interface RouterInfoSummary {
  /** The router hash in I2P Base64. */
  readonly hash: string;
  readonly caps: string;
  readonly floodfill: boolean;
  readonly version?: string;
  readonly netId?: number;
  /** Published NTCP2 addresses as host:port ([v6]:port); empty for an unreachable router. */
  readonly ntcp2: string[];
  /** ms since the epoch, and the same as ISO 8601. */
  readonly published: number;
  readonly publishedIso: string;
}

export function routerInfoSummary(ri: RouterInfo): RouterInfoSummary {
  const ntcp2: string[] = [];
  for (const a of ri.addresses) {
    if (a.transportStyle !== 'NTCP2') continue;
    let o;
    try {
      o = ntcp2Options(a);
    } catch {
      continue; // a malformed option: nothing to show, and a listing must not fail on it
    }
    if (o.host === undefined || o.port === undefined) continue;
    ntcp2.push(o.host.includes(':') ? `[${o.host}]:${o.port}` : `${o.host}:${o.port}`);
  }
  const version = routerInfoVersion(ri);
  const netId = routerInfoNetId(ri);
  const date = new Date(ri.published);
  return {
    hash: i2pBase64Encode(routerInfoHash(ri)),
    caps: routerInfoCaps(ri),
    floodfill: isFloodfill(ri),
    ...(version !== undefined ? { version } : {}),
    ...(netId !== undefined ? { netId } : {}),
    ntcp2,
    published: ri.published,
    publishedIso: Number.isNaN(date.getTime()) ? String(ri.published) : date.toISOString(),
  };
}
