/**
 * What an adversary holding some routers learns from the client tunnels it carries.
 *
 * A message from destination A to destination B leaves A's router through one of A's outbound
 * tunnels and reaches B's router through one of B's inbound tunnels (a lease of B's LeaseSet).
 * The hop next to A's router is the outbound tunnel's first hop: it receives from A's router and
 * so knows the sender. The hop next to B's router is the inbound tunnel's last hop (the one
 * before B's router, the endpoint): it sends to B's router and so knows the receiver. An
 * adversary "sees both ends" of the pair (outbound of A, inbound of B) when it controls both of
 * those hops: with timing it can then link A to B. For one destination alone, the same test on
 * its own outbound and inbound tunnels says whether the adversary can link its requests to its
 * replies (both ends of its traffic, at its own router).
 *
 * Pure functions over hop lists: the simulation feeds them the tunnels its routers really built.
 */

export interface TunnelEnds {
  /** The destination (or router) the tunnels belong to, for pairing A with B != A. */
  readonly owner: string;
  /** Each outbound tunnel's first hop (the hop next to the owner's router), as a key. */
  readonly outboundFirstHops: readonly string[];
  /** Each inbound tunnel's last hop (the hop that delivers to the owner's router), as a key. */
  readonly inboundLastHops: readonly string[];
}

export interface ExposureCount {
  /** Pairs considered, and pairs whose both ends the adversary controls. */
  pairs: number;
  seen: number;
  /** seen / pairs (0 when there are no pairs). */
  share: number;
}

export interface Exposure {
  /** (outbound tunnel of A, inbound tunnel of B) for every ordered pair A != B. */
  betweenDestinations: ExposureCount;
  /** (outbound tunnel of A, inbound tunnel of A) for every A. */
  sameDestination: ExposureCount;
}

function count(pairs: number, seen: number): ExposureCount {
  return { pairs, seen, share: pairs === 0 ? 0 : seen / pairs };
}

/**
 * The adversary's view of these tunnel sets. Counting is per tunnel pair: with O outbound
 * tunnels of A and I inbound tunnels of B, A→B contributes O·I pairs, of which
 * (adversarial first hops of A) · (adversarial last hops of B) are seen.
 */
export function exposure(sets: readonly TunnelEnds[], adversary: ReadonlySet<string>): Exposure {
  const bad = sets.map((s) => ({
    owner: s.owner,
    out: s.outboundFirstHops.length,
    outBad: s.outboundFirstHops.filter((h) => adversary.has(h)).length,
    in: s.inboundLastHops.length,
    inBad: s.inboundLastHops.filter((h) => adversary.has(h)).length,
  }));
  const totalIn = bad.reduce((n, s) => n + s.in, 0);
  const totalInBad = bad.reduce((n, s) => n + s.inBad, 0);
  let pairs = 0;
  let seen = 0;
  let selfPairs = 0;
  let selfSeen = 0;
  for (const a of bad) {
    // Every other destination's inbound tunnels: the totals minus A's own.
    pairs += a.out * (totalIn - a.in);
    seen += a.outBad * (totalInBad - a.inBad);
    selfPairs += a.out * a.in;
    selfSeen += a.outBad * a.inBad;
  }
  return { betweenDestinations: count(pairs, seen), sameDestination: count(selfPairs, selfSeen) };
}

/**
 * Adversary sets for several fractions of `n` routers, nested: the set for a smaller fraction is
 * a part of the set for a larger one (one random order, cut at round(fraction·n)). So the share
 * seen can only grow with the fraction, and the fractions are compared on the same tunnels.
 * `eligible` is that order (routers the adversary may hold, shuffled by the caller).
 */
export function nestedAdversaries(eligible: readonly string[], n: number, fractions: readonly number[]): Map<number, Set<string>> {
  const out = new Map<number, Set<string>>();
  for (const f of fractions) {
    if (!Number.isFinite(f) || f < 0 || f > 1) throw new RangeError(`adversary fraction must be in [0, 1], got ${f}`);
    const k = Math.min(eligible.length, Math.round(f * n));
    out.set(f, new Set(eligible.slice(0, k)));
  }
  return out;
}
