import type { RouterStatus } from '../api/control/protocol.js';
import type { TestnetRouterRecord } from './manifest.js';
import type { TestnetDownReport } from './down.js';
import type { TestnetStatusReport } from './status.js';

/** Left-aligned columns, two spaces apart: the testnet commands' text tables. */
export function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

const short = (hash: string | null | undefined) => (hash ? hash.slice(0, 6) : '-');

export function routerUpLine(r: TestnetRouterRecord, s: RouterStatus): string {
  return `r${r.k} up: ${r.host}:${r.port}, pid ${r.pid}, router ${short(s.identity.hash)}, log ${r.log}`;
}

/** "3/2/12": inbound, outbound, participating; "-" from a router that does not report tunnels. */
function tunnelCounts(s: RouterStatus): string {
  const t = s.tunnels as RouterStatus['tunnels'] | undefined;
  return t && typeof t === 'object' ? `${t.inbound}/${t.outbound}/${t.participating}` : '-';
}

/** "127.0.1.1:20101" when the router's SAM listens, "-" when it does not, "" without a status. */
function samAddress(s: RouterStatus | undefined): string {
  if (!s) return '';
  const sam = s.sam as RouterStatus['sam'] | undefined;
  return sam && typeof sam === 'object' && sam.listening ? `${sam.host}:${sam.port}` : '-';
}

export function formatTestnetStatus(rep: TestnetStatusReport): string[] {
  const rows = [['', 'address', 'pid', 'state', 'router', 'peers (known/connected)', 'sessions (in/out)', 'tunnels (in/out/participating)', 'sam']];
  for (const r of rep.routers) {
    const s = r.status;
    rows.push([
      `r${r.k}`,
      `${r.host}:${r.port}`,
      String(r.pid),
      !r.alive ? 'down' : s ? 'running' : 'no answer',
      short(s?.identity.hash ?? r.hash),
      s ? `${s.peers.known}/${s.peers.connected}` : (r.error ?? '-'),
      s ? `${s.sessions.inbound}/${s.sessions.outbound}` : '',
      s ? tunnelCounts(s) : '',
      samAddress(s),
    ]);
  }
  const up = rep.routers.filter((r) => r.status).length;
  return [`Testnet in ${rep.dir}: netId ${rep.netId}, ${up} of ${rep.routers.length} routers answering`, ...table(rows).map((l) => `  ${l}`)];
}

export function formatTestnetDown(rep: TestnetDownReport): string[] {
  const lines = rep.routers.map((r) => `r${r.k} (pid ${r.pid}): ${r.outcome.replace('-', ' ')}${r.detail ? ` (${r.detail})` : ''}`);
  lines.push(rep.allGone ? `Testnet in ${rep.dir} is down.` : `Some routers of ${rep.dir} are still running; testnet.json kept so that down can try again.`);
  return lines;
}
