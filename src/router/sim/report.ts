import type { Rate, SimulationReport } from './scenario.js';

function pct(r: number): string {
  return `${(r * 100).toFixed(1)}%`;
}

function rateCell(r: Rate): string {
  return `${pct(r.rate)} (${r.ok}/${r.asked})`;
}

function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') + ' |';
  return [line(head), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.map(line)];
}

/** The report as text: what was measured, then the adversary table, then what it cost. */
export function formatReport(r: SimulationReport): string {
  const c = r.config;
  const res = r.resources;
  const out = [
    `## Simulation: ${c.routers} routers (${c.floodfills} floodfills${r.tunnels.offline > 0 ? `, ${r.tunnels.offline} offline` : ''}), ${c.destinations} destinations, seed "${c.seed}"`,
    '',
    ...table(
      ['measure', 'success'],
      [
        ['RouterInfo lookups (iterative, through exploratory tunnels)', rateCell(r.netDb.routerInfoLookups)],
        ['LeaseSet lookups (iterative, through exploratory tunnels)', rateCell(r.netDb.leaseSetLookups)],
        ['LeaseSets published and confirmed', rateCell(r.netDb.leaseSetsPublished)],
        ['tunnel builds (all pools)', rateCell(r.tunnels.builds)],
        ['tunnel tests', rateCell(r.tunnels.tests)],
        ['routers with exploratory tunnels both ways', rateCell(r.tunnels.exploratoryReady)],
      ],
    ),
    '',
    `RouterInfo lookups asked ${r.netDb.routerInfoLookups.meanFloodfillsAsked} floodfills each on average. Builds not built: ${r.tunnels.builds.rejected} rejected, ${r.tunnels.builds.timedOut} timed out, ${r.tunnels.builds.badReply} bad replies, ${r.tunnels.builds.notSent} not sent (${r.tunnels.builds.pending} still pending at the end).`,
    '',
    '### Adversary: share of client tunnel pairs whose both ends it sees',
    '',
    'A pair is (an outbound tunnel of destination A, an inbound tunnel of destination B): it sees both ends when it holds',
    "the outbound tunnel's first hop (next to A's router) and the inbound tunnel's last hop (next to B's router).",
    "'same destination': A's own outbound and inbound tunnels. The adversary's routers are online ones other than the hosts;",
    `the sets are nested (a smaller fraction's routers are part of a larger one's). Every client tunnel the destinations had`,
    `after warm-up counts: ${r.tunnels.clientTunnels.outbound} outbound and ${r.tunnels.clientTunnels.inbound} inbound.`,
    '',
    ...table(
      ['fraction', 'routers', 'pairs A→B seen', 'share', 'same destination', 'share', 'uniform f²'],
      r.adversary.map((a) => [
        a.fraction.toFixed(2),
        String(a.routers),
        `${a.betweenDestinations.seen}/${a.betweenDestinations.pairs}`,
        pct(a.betweenDestinations.share),
        `${a.sameDestination.seen}/${a.sameDestination.pairs}`,
        pct(a.sameDestination.share),
        pct(a.uniformExpectation),
      ]),
    ),
    '',
    '### Cost',
    '',
    `wall ${(res.wallMs.total / 1000).toFixed(1)} s (setup ${(res.wallMs.setup / 1000).toFixed(1)}, warm-up ${(res.wallMs.warmup / 1000).toFixed(1)}, lookups ${(res.wallMs.lookups / 1000).toFixed(1)}, steady ${(res.wallMs.steady / 1000).toFixed(1)}) for ${(res.simulatedMs / 1000).toFixed(0)} s simulated; ` +
      `CPU ${res.cpuSeconds} s; peak RSS ${res.peakRssMB} MB; ${res.messages.sent.toLocaleString('en-US')} messages (${res.messages.lost} lost).`,
    '',
  ];
  return out.join('\n');
}
