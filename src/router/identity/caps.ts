/**
 * RouterInfo `caps` (network-database.html): one bandwidth letter, then R (reachable) or U
 * (unreachable), then f for a floodfill. i2pd's client tunnels only pick hops of class M, N, O,
 * P or X, so we never publish less than N by default (PITFALLS.md).
 */
export const BANDWIDTH_CLASSES = ['K', 'L', 'M', 'N', 'O', 'P', 'X'] as const;
export type BandwidthClass = (typeof BANDWIDTH_CLASSES)[number];

/** Lower bound of each class in KBytes/s of shared bandwidth. */
const CLASS_FLOOR_KBPS: Record<BandwidthClass, number> = { K: 0, L: 12, M: 48, N: 64, O: 128, P: 256, X: 2000 };

/** The class a shared bandwidth limit (KBytes/s) falls into. */
export function bandwidthClass(sharedKBps: number): BandwidthClass {
  let best: BandwidthClass = 'K';
  for (const c of BANDWIDTH_CLASSES) if (sharedKBps >= CLASS_FLOOR_KBPS[c]) best = c;
  return best;
}

export interface CapsOptions {
  bandwidth: BandwidthClass;
  /** Has a published address others can dial. */
  reachable: boolean;
  floodfill?: boolean;
}

export function routerCaps(o: CapsOptions): string {
  return `${o.floodfill ? 'f' : ''}${o.bandwidth}${o.reachable ? 'R' : 'U'}`;
}
