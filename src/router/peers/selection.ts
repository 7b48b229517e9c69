import { isIPv4, isIPv6 } from 'node:net';
import {
  compareVersions,
  CRYPTO_X25519,
  i2pBase64Encode,
  keyTypes,
  ntcp2Options,
  routerInfoCaps,
  routerInfoVersion,
  type RouterInfo,
} from '../data/index.js';
import type { RandomSource } from '../runtime/index.js';
import type { PeerProfiles } from './profiles.js';

/**
 * Hop selection for the tunnels we build. A hop must be able to do what our builds ask of it
 * (ECIES-X25519 router, ShortTunnelBuild, NTCP2) and be reachable; among those, profiles sort
 * peers into tiers and a tunnel takes its hops at random from the tier it asks for.
 *
 * Caps are read to avoid, never to favour (they are self-declared): R is not required, since
 * i2pd 2.45.1 publishes `X`/`Xf` without R when SSU2 is off (PITFALLS.md).
 */

/** ShortTunnelBuild (tunnel-creation-ecies.rst) needs 0.9.51; we only send short builds. */
export const MIN_HOP_VERSION = '0.9.51';
/** How long a published E (high congestion, proposal 162) cap is taken at its word. */
const CONGESTION_E_FRESH_MS = 15 * 60_000;

export type PeerTier = 'fast' | 'high-capacity' | 'standard';
export type TierRequest = PeerTier | 'any';

/** A RouterInfo and its hash: StoredRouterInfo from the netDb fits. */
export interface HopCandidate {
  readonly hash: Uint8Array;
  readonly routerInfo: RouterInfo;
}

export interface SelectHopsOptions {
  /** Router hashes (I2P Base64) not to use: other hops of the tunnel, banned peers, ... */
  readonly exclude: ReadonlySet<string>;
  /** Default 'any'. */
  readonly tier?: TierRequest;
}

export interface PeerSelectorOptions {
  readonly profiles: PeerProfiles;
  readonly random: RandomSource;
  /**
   * The public network: hops of one tunnel from distinct /16 (IPv4) or /32 (IPv6) networks and
   * no K/L bandwidth class. Off for a test network, where every router shares one subnet.
   */
  readonly publicMode: boolean;
  readonly ownHash?: Uint8Array;
  /** A peer we hold a session with is usable without a published address. */
  readonly isConnected?: (hash: Uint8Array) => boolean;
  /** For the age of a published congestion cap; without it an E cap always counts. */
  readonly now?: () => number;
  /** Peers per tier for fast and high-capacity. Default 30. */
  readonly tierSize?: number;
}

/** Why a candidate is not a hop, or undefined if it is one. */
export type IneligibleReason = 'own' | 'crypto' | 'version' | 'unreachable' | 'caps' | 'congested';

interface Eligible {
  readonly hash: Uint8Array;
  readonly key: string;
  /** Networks its NTCP2 hosts lie in (see subnetKey); two hops must not share one in public mode. */
  readonly subnets: readonly string[];
  /** Failing or congested: used only when nothing else is left. */
  readonly lastResort: boolean;
}

const TIER_ORDER: Record<TierRequest, readonly PeerTier[]> = {
  fast: ['fast', 'high-capacity', 'standard'],
  'high-capacity': ['high-capacity', 'fast', 'standard'],
  // Exploratory-style tunnels give unproven peers their chance first.
  standard: ['standard', 'high-capacity', 'fast'],
  any: [],
};

export class PeerSelector {
  private readonly o: PeerSelectorOptions;
  private readonly ownKey: string | undefined;
  private readonly tierSize: number;

  constructor(options: PeerSelectorOptions) {
    this.o = options;
    this.ownKey = options.ownHash ? i2pBase64Encode(options.ownHash) : undefined;
    this.tierSize = options.tierSize ?? 30;
    if (!Number.isSafeInteger(this.tierSize) || this.tierSize < 1) throw new RangeError(`tierSize must be a positive integer, got ${this.tierSize}`);
  }

  /** Why `c` cannot be a hop of ours, or undefined if it can. */
  ineligible(c: HopCandidate): IneligibleReason | undefined {
    return this.check(c).reason;
  }

  /**
   * Up to `count` distinct hops, at random from the requested tier, then from the other tiers in
   * turn, then from failing or congested peers. Fewer only when no more eligible peers exist.
   */
  selectHops(candidates: readonly HopCandidate[], count: number, opts: SelectHopsOptions): Uint8Array[] {
    if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
    if (count === 0) return [];
    const good: Eligible[] = [];
    const resort: Eligible[] = [];
    const seen = new Set<string>();
    for (const c of candidates) {
      const e = this.check(c).eligible;
      if (!e || opts.exclude.has(e.key) || seen.has(e.key)) continue;
      seen.add(e.key);
      (e.lastResort ? resort : good).push(e);
    }

    const tier = opts.tier ?? 'any';
    const pools: Eligible[][] = tier === 'any' ? [good] : this.tiers(good, TIER_ORDER[tier]);
    pools.push(resort);

    const picked: Uint8Array[] = [];
    const taken = new Set<string>();
    for (const pool of pools) {
      this.shuffle(pool);
      for (const e of pool) {
        if (picked.length === count) return picked;
        if (this.o.publicMode && e.subnets.some((s) => taken.has(s))) continue;
        picked.push(Uint8Array.from(e.hash));
        for (const s of e.subnets) taken.add(s);
      }
    }
    return picked;
  }

  /** Which tier each eligible peer falls in now. */
  tierOf(candidates: readonly HopCandidate[]): Map<string, PeerTier> {
    const good = candidates.flatMap((c) => {
      const e = this.check(c).eligible;
      return e && !e.lastResort ? [e] : [];
    });
    const [fast, high, standard] = this.tiers(good, ['fast', 'high-capacity', 'standard']);
    const out = new Map<string, PeerTier>();
    for (const e of fast) out.set(e.key, 'fast');
    for (const e of high) out.set(e.key, 'high-capacity');
    for (const e of standard) out.set(e.key, 'standard');
    return out;
  }

  /**
   * Splits peers into tiers, returned in `order`. Fast: the quickest measured peers; high
   * capacity: of the rest, those with the best positive build record; standard: everyone else.
   */
  private tiers(peers: readonly Eligible[], order: readonly PeerTier[]): Eligible[][] {
    const { profiles } = this.o;
    const scored = peers.map((e) => ({ e, speed: profiles.speed(e.hash), capacity: profiles.capacity(e.hash) }));
    const fast = scored
      .filter((s) => s.speed > 0)
      .sort((a, b) => b.speed - a.speed)
      .slice(0, this.tierSize);
    const inFast = new Set(fast.map((s) => s.e.key));
    const high = scored
      .filter((s) => !inFast.has(s.e.key) && s.capacity > 0)
      .sort((a, b) => b.capacity - a.capacity)
      .slice(0, this.tierSize);
    const inHigh = new Set(high.map((s) => s.e.key));
    const byTier: Record<PeerTier, Eligible[]> = {
      fast: fast.map((s) => s.e),
      'high-capacity': high.map((s) => s.e),
      standard: peers.filter((e) => !inFast.has(e.key) && !inHigh.has(e.key)),
    };
    return order.map((t) => byTier[t]);
  }

  private check(c: HopCandidate): { reason?: IneligibleReason; eligible?: Eligible } {
    const ri = c.routerInfo;
    const key = i2pBase64Encode(c.hash);
    if (key === this.ownKey) return { reason: 'own' };
    if (keyTypes(ri.identity).cryptoType !== CRYPTO_X25519) return { reason: 'crypto' };
    const version = routerInfoVersion(ri);
    if (version === undefined || !/^[0-9]+(\.[0-9]+)*$/.test(version) || compareVersions(version, MIN_HOP_VERSION) < 0) {
      return { reason: 'version' };
    }
    const caps = routerInfoCaps(ri);
    if (caps.includes('U')) return { reason: 'caps' };
    if (this.o.publicMode && /[KL]/.test(caps)) return { reason: 'caps' };
    if (caps.includes('G')) return { reason: 'congested' }; // proposal 162: rejecting all tunnels
    const hosts = ntcp2Hosts(ri);
    if (hosts.length === 0 && !this.o.isConnected?.(c.hash)) return { reason: 'unreachable' };
    const subnets = [...new Set(hosts.map(subnetKey).filter((s): s is string => s !== undefined))];
    const congested = caps.includes('E') && (this.o.now === undefined || this.o.now() - ri.published < CONGESTION_E_FRESH_MS);
    const lastResort = congested || this.o.profiles.isFailing(c.hash);
    return { eligible: { hash: c.hash, key, subnets, lastResort } };
  }

  /** Fisher-Yates on the injected random source. */
  private shuffle<T>(a: T[]): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.o.random.int(i + 1);
      [a[i], a[j]] = [a[j], a[i]];
    }
  }
}

/** Hosts of the router's published NTCP2 addresses that carry a valid IP and port. */
export function ntcp2Hosts(ri: RouterInfo): string[] {
  const out: string[] = [];
  for (const a of ri.addresses) {
    if (a.transportStyle !== 'NTCP2') continue;
    let o;
    try {
      o = ntcp2Options(a);
    } catch {
      continue; // a malformed address is not a way to reach the peer
    }
    if (o.host !== undefined && o.port !== undefined && (isIPv4(o.host) || isIPv6(o.host))) out.push(o.host);
  }
  return out;
}

/**
 * The network a host lies in for the one-hop-per-network rule: `4:a.b` for an IPv4 /16,
 * `6:xxxx:xxxx` for an IPv6 /32 (IPv4-mapped IPv6 counts as IPv4); undefined if not an IP.
 */
export function subnetKey(host: string): string | undefined {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (isIPv4(h)) {
    const [a, b] = h.split('.');
    return `4:${Number(a)}.${Number(b)}`;
  }
  if (!isIPv6(h)) return undefined;
  const groups = ipv6Groups(h.split('%')[0]);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `4:${groups[6] >> 8}.${groups[6] & 0xff}`;
  }
  return `6:${groups[0].toString(16)}:${groups[1].toString(16)}`;
}

/** The eight 16-bit groups of a valid IPv6 address (with `::` and a trailing dotted quad expanded). */
function ipv6Groups(addr: string): number[] {
  let text = addr;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    const q = last.split('.').map(Number);
    tail.push((q[0] << 8) | q[1], (q[2] << 8) | q[3]);
    text = text.slice(0, lastColon + 1) + '0'; // placeholder group, dropped below
  }
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => Number.parseInt(g, 16)));
  const [head, rest] = text.includes('::') ? text.split('::') : [text, undefined];
  let groups: number[];
  if (rest === undefined) {
    groups = parse(head);
  } else {
    const a = parse(head);
    const b = parse(rest);
    const fill = 8 - (tail.length ? tail.length - 1 : 0) - a.length - b.length;
    groups = [...a, ...new Array<number>(Math.max(0, fill)).fill(0), ...b];
  }
  if (tail.length) groups = [...groups.slice(0, -1), ...tail];
  return groups;
}
