import { describe, expect, it } from 'vitest';
import {
  formatBandwidth,
  formatBuilds,
  formatBytes,
  formatDuration,
  formatPercent,
  formatRate,
  formatStatus,
  formatTransit,
} from '../../../src/router/api/control/format.js';
import type { RouterStatus } from '../../../src/router/api/control/protocol.js';
import { formatTestnetDown, formatTestnetStatus, table } from '../../../src/router/testnet/format.js';
import { sampleStatus } from './fixtures/router-status.js';

describe('status formatting', () => {
  it('formats durations and byte counts for people', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(59_999)).toBe('59s');
    expect(formatDuration(3_723_000)).toBe('1h 2m 3s');
    expect(formatDuration(90_000_000)).toBe('1d 1h 0m 0s');
    expect(formatDuration(-5)).toBe('0s');
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.0 GiB');
  });

  it('renders an unpublished address and a floodfill', () => {
    const f = formatStatus(
      sampleStatus({
        netId: 2,
        testnet: false,
        floodfill: true,
        caps: 'XfR',
        ntcp2: { port: 9000, listening: false },
        bytes: { in: 2048, out: 0 },
      }),
    );
    expect(f.network).toBe('netId 2 (main network)');
    expect(f.caps).toBe('XfR (floodfill)');
    expect(f.ntcp2).toBe('(not published):9000, not listening');
    expect(f.traffic).toBe('2.0 KiB in, 0 B out');
  });

  it('formats rates and ratios', () => {
    expect(formatRate(0)).toBe('0 B/s');
    expect(formatRate(511.6)).toBe('512 B/s');
    expect(formatRate(1024)).toBe('1.0 KiB/s');
    expect(formatRate(12 * 1024)).toBe('12.0 KiB/s');
    expect(formatRate(3.5 * 1024 ** 2)).toBe('3.5 MiB/s');
    expect(formatRate(-1)).toBe('0 B/s');
    expect(formatRate(Number.NaN)).toBe('0 B/s');
    expect(formatPercent(0.82)).toBe('82%');
    expect(formatPercent(2 / 3)).toBe('67%');
    expect(formatPercent(1.5)).toBe('100%');
    expect(formatPercent(Number.NaN)).toBe('0%');
  });

  it('renders tunnels, builds, transit, tests and bandwidth', () => {
    const s = sampleStatus();
    const f = formatStatus(s);
    expect(f.tunnels).toBe('3 inbound, 2 outbound, 12 participating');
    expect(f.builds).toBe('41 of 50 succeeded (82%), 6 rejected, 3 timed out');
    expect(f.transit).toBe('on, 120 accepted, 4 refused');
    expect(f['tunnel tests']).toBe('10 ok, 1 failed');
    expect(f.bandwidth).toBe('in 12.0 KiB/s, out 9.1 KiB/s, transit 4.0 KiB/s of 64.0 KiB/s, 3.2 MiB relayed');
    expect(formatTransit({ ...s.tunnels, transit: false })).toBe('off');
    expect(formatBuilds({ attempted: 0, succeeded: 0, rejected: 0, timedOut: 0, successRate: 0 })).toBe('0 of 0 succeeded (0%), 0 rejected, 0 timed out');
    // No limit: no "of".
    expect(formatBandwidth({ ...s.bandwidth, transitLimitBps: 0, transitBps: 0, transitBytes: 0 })).toBe('in 12.0 KiB/s, out 9.1 KiB/s, transit 0 B/s, 0 B relayed');
    // Drops by the bandwidth buckets show once there are any.
    expect(formatBandwidth({ ...s.bandwidth, dropped: { transit: 0, own: 0 } })).toBe(f.bandwidth);
    expect(formatBandwidth({ ...s.bandwidth, dropped: { transit: 1107, own: 3 } })).toBe(
      'in 12.0 KiB/s, out 9.1 KiB/s, transit 4.0 KiB/s of 64.0 KiB/s, 3.2 MiB relayed, dropped over limit: 1107 transit / 3 own',
    );
  });

  it('a status without the tunnel fields (an older router) renders instead of throwing', () => {
    const { tunnels: _t, bandwidth: _b, ...old } = sampleStatus();
    const f = formatStatus(old as RouterStatus);
    expect(f.tunnels).toBe('(not reported)');
    expect(f.bandwidth).toBe('(not reported)');
    expect(f.builds).toBeUndefined();
  });

  it('aligns testnet tables and says what down did', () => {
    expect(table([['a', 'bb', 'c'], ['ccc', 'd', '']])).toEqual(['a    bb  c', 'ccc  d']);
    const st = formatTestnetStatus({
      dir: '/t',
      netId: 9,
      createdAt: 'x',
      routers: [
        { k: 1, pid: 10, home: '/t/r1', host: '127.0.1.1', port: 1, hash: 'abcdefgh', alive: false, error: 'not running' },
      ],
    });
    expect(st[0]).toBe('Testnet in /t: netId 9, 0 of 1 routers answering');
    expect(st[2]).toMatch(/^ {2}r1\s+127\.0\.1\.1:1\s+10\s+down\s+abcdef\s+not running$/);
    const { tunnels: _t, ...old } = sampleStatus();
    const running = formatTestnetStatus({
      dir: '/t',
      netId: 99,
      createdAt: 'x',
      routers: [
        { k: 1, pid: 10, home: '/t/r1', host: '127.0.1.1', port: 1, hash: 'abcdefgh', alive: true, status: sampleStatus() },
        { k: 2, pid: 11, home: '/t/r2', host: '127.0.1.2', port: 2, hash: 'bcdefghi', alive: true, status: old as RouterStatus },
      ],
    });
    expect(running[0]).toBe('Testnet in /t: netId 99, 2 of 2 routers answering');
    expect(running[1]).toMatch(/sessions \(in\/out\)\s+tunnels \(in\/out\/participating\)\s+sam$/);
    expect(running[2]).toMatch(/^ {2}r1\s+127\.0\.1\.1:1\s+10\s+running\s+abcdef\s+12\/4\s+2\/5\s+3\/2\/12\s+-$/);
    expect(running[3]).toMatch(/^ {2}r2\s.*\s2\/5\s+-\s+-$/);
    // A router whose SAM listens shows where.
    const withSam = { ...sampleStatus(), sam: { enabled: true, listening: true, host: '127.0.1.3', port: 20103, udpPort: 20103 } } as RouterStatus;
    const samRow = formatTestnetStatus({ dir: '/t', netId: 99, createdAt: 'x', routers: [{ k: 3, pid: 12, home: '/t/r3', host: '127.0.1.3', port: 3, hash: 'cdefghij', alive: true, status: withSam }] });
    expect(samRow[2]).toMatch(/3\/2\/12\s+127\.0\.1\.3:20103$/);
    // The columns line up under their headers.
    expect(running[2]!.indexOf('3/2/12')).toBe(running[1]!.indexOf('tunnels'));
    const down = formatTestnetDown({ dir: '/t', allGone: false, manifestRemoved: false, routers: [{ k: 1, pid: 10, home: '/t/r1', outcome: 'still-running', detail: 'x' }] });
    expect(down).toEqual(['r1 (pid 10): still running (x)', 'Some routers of /t are still running; testnet.json kept so that down can try again.']);
  });
});
