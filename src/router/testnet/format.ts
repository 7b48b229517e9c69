import type { RouterStatus } from '../api/control/protocol.js';
import type { TestnetI2pdSection, TestnetRouterRecord } from './manifest.js';
import type { TestnetDownReport } from './down.js';
import type { TestnetStatusReport } from './status.js';
import type { I2pdRouterStatus } from './i2pd.js';

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

export function i2pdUpLines(sec: TestnetI2pdSection): string[] {
  return sec.routers.map((r) => `i${r.k} up (i2pd${r.floodfill ? ', floodfill' : ''}): ${r.host}:${r.port}, pid ${r.pid}, router ${short(r.hash)}, console 127.0.0.1:${r.consolePort} in the namespace, log ${r.dataDir}/i2pd.log`);
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
  const out = [`Testnet in ${rep.dir}: netId ${rep.netId}, ${up} of ${rep.routers.length} routers answering`, ...table(rows).map((l) => `  ${l}`)];
  if (rep.i2pd) out.push(...formatI2pdStatus(rep.i2pd));
  return out;
}

/** A mixed testnet's i2pd routers, from their web consoles. */
export function formatI2pdStatus(routers: I2pdRouterStatus[]): string[] {
  const rows = [['', 'address', 'pid', 'state', 'router', 'floodfill', 'network', 'routers known', 'tunnels (client/transit)', 'build success']];
  for (const r of routers) {
    const c = r.console;
    const n = (v: number | undefined) => (v === undefined ? '-' : String(v));
    rows.push([
      `i${r.k}`,
      `${r.host}:${r.port}`,
      String(r.pid),
      !r.alive ? 'down' : c ? 'running' : 'no answer',
      short(r.hash),
      r.floodfill ? 'yes' : 'no',
      c ? (c.networkStatus ?? '-') : (r.error ?? '-'),
      c ? n(c.routers) : '',
      c ? `${n(c.clientTunnels)}/${n(c.transitTunnels)}` : '',
      c?.buildSuccess !== undefined ? `${c.buildSuccess}%` : '',
    ]);
  }
  const up = routers.filter((r) => r.console).length;
  return [`i2pd routers (in the i2pd-testnet.sh namespace): ${up} of ${routers.length} answering`, ...table(rows).map((l) => `  ${l}`)];
}

export function formatTestnetDown(rep: TestnetDownReport): string[] {
  const lines = rep.routers.map((r) => `r${r.k} (pid ${r.pid}): ${r.outcome.replace('-', ' ')}${r.detail ? ` (${r.detail})` : ''}`);
  for (const r of rep.i2pd ?? []) lines.push(`i2pd i${r.k} (pid ${r.pid}): ${r.outcome.replace('-', ' ')}`);
  if (rep.i2pdDetail) lines.push(rep.i2pdDetail);
  lines.push(rep.allGone ? `Testnet in ${rep.dir} is down.` : `Some routers of ${rep.dir} are still running; testnet.json kept so that down can try again.`);
  return lines;
}
