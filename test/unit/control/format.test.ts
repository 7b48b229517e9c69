import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatStatus } from '../../../src/router/api/control/format.js';
import { formatTestnetDown, formatTestnetStatus, table } from '../../../src/router/testnet/format.js';

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
    const f = formatStatus({
      pid: 1,
      home: '/h',
      uptimeMs: 1000,
      version: '0.9.65',
      identity: { hash: 'h', shortId: 'h' },
      netId: 2,
      testnet: false,
      floodfill: true,
      caps: 'XfR',
      ntcp2: { port: 9000, listening: false },
      peers: { known: 5, connected: 2 },
      sessions: { inbound: 1, outbound: 3 },
      bytes: { in: 2048, out: 0 },
    });
    expect(f.network).toBe('netId 2 (main network)');
    expect(f.caps).toBe('XfR (floodfill)');
    expect(f.ntcp2).toBe('(not published):9000, not listening');
    expect(f.traffic).toBe('2.0 KiB in, 0 B out');
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
    const down = formatTestnetDown({ dir: '/t', allGone: false, manifestRemoved: false, routers: [{ k: 1, pid: 10, home: '/t/r1', outcome: 'still-running', detail: 'x' }] });
    expect(down).toEqual(['r1 (pid 10): still running (x)', 'Some routers of /t are still running; testnet.json kept so that down can try again.']);
  });
});
