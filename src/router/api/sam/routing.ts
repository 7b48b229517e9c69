/**
 * Which (sub)session an incoming datagram belongs to (samv3.html, "SAM PRIMARY Sessions"): by
 * style (17 → DATAGRAM, anything but 6 and 17 → RAW), LISTEN_PROTOCOL for RAW and LISTEN_PORT,
 * where 0 is a wildcard; an exact match wins over a wildcard. Pure, so it is tested alone.
 */

export type SamStyle = 'STREAM' | 'DATAGRAM' | 'RAW';

export interface ListenKey {
  style: SamStyle;
  /** 0: any port. */
  listenPort: number;
  /** RAW only; 0: any protocol (never streaming or repliable datagrams). */
  listenProtocol: number;
}

export function routeIncoming<T extends ListenKey>(subs: Iterable<T>, protocol: number, toPort: number): T | undefined {
  let best: T | undefined;
  let bestScore = -1;
  for (const s of subs) {
    if (s.style === 'STREAM') continue;
    if (s.style === 'DATAGRAM' && protocol !== 17) continue;
    if (s.style === 'RAW') {
      if (protocol === 6 || protocol === 17) continue;
      if (s.listenProtocol !== 0 && s.listenProtocol !== protocol) continue;
    }
    if (s.listenPort !== 0 && s.listenPort !== toPort) continue;
    const score = (s.listenPort !== 0 ? 2 : 0) + (s.style === 'RAW' && s.listenProtocol !== 0 ? 1 : 0);
    if (score > bestScore) {
      best = s;
      bestScore = score;
    }
  }
  return best;
}

/** Two subsessions may not listen on the same style, port and protocol. */
export function listenConflict(existing: Iterable<ListenKey>, k: ListenKey): boolean {
  for (const s of existing) {
    if (s.style !== k.style || s.listenPort !== k.listenPort) continue;
    if (k.style !== 'RAW' || s.listenProtocol === k.listenProtocol) return true;
  }
  return false;
}
