import type { BandwidthStatus, RouterStatus, TunnelStatus } from './protocol.js';

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

/** 12288 → "12.0 KiB/s"; a rate is an average, so bytes below a KiB are rounded. */
export function formatRate(bps: number): string {
  const v = Number.isFinite(bps) ? Math.max(0, bps) : 0;
  return v < 1024 ? `${Math.round(v)} B/s` : `${formatBytes(v)}/s`;
}

/** 0.8235 → "82%". */
export function formatPercent(ratio: number): string {
  const v = Number.isFinite(ratio) ? Math.min(1, Math.max(0, ratio)) : 0;
  return `${Math.round(v * 100)}%`;
}

/** "3 inbound, 3 outbound, 12 participating". */
export function formatTunnels(t: TunnelStatus): string {
  return `${t.inbound} inbound, ${t.outbound} outbound, ${t.participating} participating`;
}

/** "41 of 50 succeeded (82%), 6 rejected, 3 timed out"; builds still pending count in the "of". */
export function formatBuilds(b: TunnelStatus['builds']): string {
  return `${b.succeeded} of ${b.attempted} succeeded (${formatPercent(b.successRate)}), ${b.rejected} rejected, ${b.timedOut} timed out`;
}

/** "on, 120 accepted, 4 refused", or "off" when we take no transit tunnels. */
export function formatTransit(t: TunnelStatus): string {
  return t.transit ? `on, ${t.transitRequests.accepted} accepted, ${t.transitRequests.refused} refused` : 'off';
}

/** "10 ok, 1 failed". */
export function formatTunnelTests(t: TunnelStatus['tests']): string {
  return `${t.ok} ok, ${t.failed} failed`;
}

/** "4.0 KiB/s of 64.0 KiB/s, 3.2 MiB relayed"; no "of" without a limit. */
export function formatTransitRate(b: BandwidthStatus): string {
  const limit = b.transitLimitBps > 0 ? ` of ${formatRate(b.transitLimitBps)}` : '';
  const d = b.dropped;
  const dropped = d && d.transit + d.own > 0 ? `, dropped over limit: ${d.transit} transit / ${d.own} own` : '';
  return `${formatRate(b.transitBps)}${limit}, ${formatBytes(b.transitBytes)} relayed${dropped}`;
}

/** "in 12.0 KiB/s, out 9.1 KiB/s, transit 4.0 KiB/s of 64.0 KiB/s, 3.2 MiB relayed". */
export function formatBandwidth(b: BandwidthStatus): string {
  return `in ${formatRate(b.inBps)}, out ${formatRate(b.outBps)}, transit ${formatTransitRate(b)}`;
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
    ...(isObject(s.httpProxy) && { 'http proxy': formatHttpProxy(s.httpProxy) }),
    ...(isObject(s.sam) && { sam: formatSam(s.sam) }),
    peers: `${s.peers.known} known, ${s.peers.connected} connected`,
    sessions: `${s.sessions.inbound} inbound, ${s.sessions.outbound} outbound`,
    traffic: `${formatBytes(s.bytes.in)} in, ${formatBytes(s.bytes.out)} out`,
    // A router that predates tunnels answers without these: say so rather than crash.
    ...(isObject(s.tunnels)
      ? { tunnels: formatTunnels(s.tunnels), builds: formatBuilds(s.tunnels.builds), transit: formatTransit(s.tunnels), 'tunnel tests': formatTunnelTests(s.tunnels.tests) }
      : { tunnels: '(not reported)' }),
    bandwidth: isObject(s.bandwidth) ? formatBandwidth(s.bandwidth) : '(not reported)',
  };
}

/** "127.0.0.1:4444, listening, 3 hops, tunnels 2 in / 2 out", or why it is off. */
export function formatHttpProxy(p: NonNullable<RouterStatus['httpProxy']>): string {
  if (!p.enabled) return 'off';
  if (!p.listening) return `${p.host}:${p.port}, not listening${p.error ? ` (${p.error})` : ''}`;
  return `${p.host}:${p.port}, listening, ${p.hops} hops${p.tunnels ? `, tunnels ${p.tunnels.inbound} in / ${p.tunnels.outbound} out` : ''}`;
}

/** "127.0.0.1:7656 (datagrams 127.0.0.1:7655), listening, 2 sessions", or why it is off. */
export function formatSam(p: NonNullable<RouterStatus['sam']>): string {
  if (!p.enabled) return 'off';
  const where = `${p.host}:${p.port} (datagrams ${p.host}:${p.udpPort})`;
  if (!p.listening) return `${where}, not listening${p.error ? ` (${p.error})` : ''}`;
  return `${where}, listening, ${p.sessions ?? 0} session${p.sessions === 1 ? '' : 's'}`;
}

function isObject(v: unknown): v is object {
  return typeof v === 'object' && v !== null;
}
