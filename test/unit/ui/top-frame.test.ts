import { describe, expect, it } from 'vitest';
import type { RouterStatus } from '../../../src/router/api/control/protocol.js';
import { dashboardRows, frameLines, sparkWidthFor } from '../../../src/ui/top/frame.js';
import { printSnapshots } from '../../../src/ui/top/snapshots.js';
import { sampleStatus } from '../control/fixtures/router-status.js';

describe('a dashboard frame', () => {
  it('shows identity, peers, tunnels, builds, transit, tests and bandwidth with bars', () => {
    const lines = frameLines(dashboardRows(sampleStatus(), { sparkWidth: 6 }));
    expect(lines).toEqual([
      'router        abcdef, up 1h 2m 3s, caps NR, netId 99 (testnet)',
      'peers         12 known, 4 connected',
      'tunnels       3 inbound, 2 outbound, 12 participating',
      'builds        41 of 50 succeeded (82%), 6 rejected, 3 timed out',
      'transit       on, 120 accepted, 4 refused',
      'tunnel tests  10 ok, 1 failed',
      // Values padded to the widest rate (transit's), bars right-aligned in 6 columns.
      `bw in         ${'12.0 KiB/s'.padEnd(40)}    ▁▁▃█`,
      `bw out        ${'9.1 KiB/s'.padEnd(40)}      ██`,
      'bw transit    4.0 KiB/s of 64.0 KiB/s, 3.2 MiB relayed',
    ]);
  });

  it('says what a router without tunnel fields did not report, and survives a malformed history', () => {
    const { tunnels: _t, bandwidth: _b, ...old } = sampleStatus();
    expect(frameLines(dashboardRows(old as RouterStatus)).slice(2)).toEqual(['tunnels    (not reported)', 'bandwidth  (not reported)']);
    const odd = sampleStatus();
    (odd.bandwidth as unknown as { history: unknown }).history = { in: 'x', out: [1, 'a', 2] };
    const lines = frameLines(dashboardRows(odd, { sparkWidth: 3 }));
    expect(lines.find((l) => l.startsWith('bw out'))).toMatch(/ ▄█$/);
    expect(lines.find((l) => l.startsWith('bw in'))).toMatch(/KiB\/s$/);
  });

  it('fits the bars to the terminal', () => {
    const rows = dashboardRows(sampleStatus(), { sparkWidth: 0 });
    expect(sparkWidthFor(undefined, rows)).toBe(60);
    expect(sparkWidthFor(200, rows)).toBe(60);
    const w = sparkWidthFor(80, rows);
    const widest = Math.max(...frameLines(dashboardRows(sampleStatus(), { sparkWidth: w })).map((l) => [...l].length));
    expect(widest).toBeLessThan(80);
    expect(sparkWidthFor(10, rows)).toBe(0);
  });
});

describe('text snapshots', () => {
  it('prints `count` frames apart by a blank line, asking the router between them', async () => {
    const answers = [sampleStatus({ peers: { known: 13, connected: 5 } }), sampleStatus({ peers: { known: 14, connected: 6 } })];
    const out: string[] = [];
    const slept: number[] = [];
    await printSnapshots({
      first: sampleStatus(),
      fetch: async () => answers.shift()!,
      writeLine: (l) => out.push(l),
      count: 3,
      intervalMs: 250,
      sleep: async (ms) => void slept.push(ms),
    });
    expect(slept).toEqual([250, 250]);
    expect(answers).toHaveLength(0);
    expect(out.filter((l) => l === '')).toHaveLength(2);
    expect(out.filter((l) => l.startsWith('peers')).map((l) => l.replace(/^peers\s+/, ''))).toEqual(['12 known, 4 connected', '13 known, 5 connected', '14 known, 6 connected']);
    expect(out.filter((l) => /^tunnels\s+3 inbound, 2 outbound, 12 participating$/.test(l))).toHaveLength(3);
  });

  it('one frame asks nothing more; a failed poll ends the run with its error', async () => {
    const out: string[] = [];
    await printSnapshots({ first: sampleStatus(), fetch: () => Promise.reject(new Error('unused')), writeLine: (l) => out.push(l), count: 1, intervalMs: 200 });
    expect(out[0]).toMatch(/^router\s+abcdef/);
    const gone = new Error('no router is running in /h');
    const lines: string[] = [];
    await expect(
      printSnapshots({ first: sampleStatus(), fetch: () => Promise.reject(gone), writeLine: (l) => lines.push(l), count: 2, intervalMs: 200, sleep: async () => {} }),
    ).rejects.toBe(gone);
    expect(lines.filter((l) => l.startsWith('tunnels'))).toHaveLength(1);
  });
});
