import type { RouterStatus } from './protocol.js';

/** 3723000 → "1h 2m 3s": uptime for people. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const parts = [d && `${d}d`, (d || h) && `${h}h`, (d || h || m) && `${m}m`, `${s % 60}s`].filter(Boolean);
  return parts.join(' ');
}

/** 1536 → "1.5 KiB". */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = Math.max(0, n);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** The flat, aligned block `anon-router status` prints (through renderTree). */
export function formatStatus(s: RouterStatus): Record<string, string> {
  return {
    router: `running, pid ${s.pid}, up ${formatDuration(s.uptimeMs)}`,
    home: s.home,
    version: s.version,
    hash: s.identity.hash,
    'short id': s.identity.shortId,
    network: `netId ${s.netId}${s.testnet ? ' (testnet)' : s.netId === 2 ? ' (main network)' : ''}`,
    caps: `${s.caps || '-'}${s.floodfill ? ' (floodfill)' : ''}`,
    ntcp2: `${s.ntcp2.host ?? '(not published)'}:${s.ntcp2.port}, ${s.ntcp2.listening ? 'listening' : 'not listening'}`,
    peers: `${s.peers.known} known, ${s.peers.connected} connected`,
    sessions: `${s.sessions.inbound} inbound, ${s.sessions.outbound} outbound`,
    traffic: `${formatBytes(s.bytes.in)} in, ${formatBytes(s.bytes.out)} out`,
  };
}
