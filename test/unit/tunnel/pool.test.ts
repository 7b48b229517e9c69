import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/router/runtime/clock.js';
import { seededRandom } from '../../../src/router/runtime/random.js';
import type { BuildOutcome } from '../../../src/router/tunnel/builder.js';
import { TunnelPool } from '../../../src/router/tunnel/pool.js';
import type { InboundTunnel } from '../../../src/router/tunnel/tunnel.js';

const LIFETIME = 10 * 60_000;

function inbound(id: number, now: number): InboundTunnel {
  return {
    direction: 'inbound',
    id,
    hops: [],
    gateway: new Uint8Array(32).fill(id),
    gatewayTunnelId: id,
    createdAt: now,
    expiresAt: now + LIFETIME,
    pool: 'p',
    testFailures: 0,
    messages: 0,
    bytes: 0,
  };
}

/** A pool of `n` inbound tunnels (the builds it starts resolve to them, in order). */
async function poolOf(n: number): Promise<{ pool: TunnelPool; tunnels: InboundTunnel[]; clock: ManualClock }> {
  const clock = new ManualClock(1_000_000);
  const tunnels = Array.from({ length: n }, (_, i) => inbound(i + 1, clock.now()));
  let next = 0;
  const pool = new TunnelPool(
    { name: 'p', inbound: { length: 0, quantity: n, variance: 0 }, outbound: { length: 0, quantity: 0, variance: 0 } },
    {
      clock,
      random: seededRandom('pool-pick'),
      build: (direction) => (direction === 'inbound' && next < n ? Promise.resolve({ ok: true, tunnel: tunnels[next++]!, ms: 1 } as BuildOutcome) : undefined),
    },
  );
  pool.tick();
  await Promise.resolve();
  await Promise.resolve();
  return { pool, tunnels, clock };
}

describe('TunnelPool.pick', () => {
  it('never picks a tunnel whose last test failed while another is in good standing', async () => {
    const { pool, tunnels } = await poolOf(3);
    expect(pool.inbound).toHaveLength(3);
    tunnels[0]!.testFailures = 1;
    tunnels[2]!.testFailures = 1;
    const picked = new Set<number>();
    for (let i = 0; i < 200; i++) picked.add(pool.pickInbound()!.id);
    expect([...picked]).toEqual([2]);
  });

  it('falls back to the failing ones when none is in good standing, and spreads over them', async () => {
    const { pool, tunnels } = await poolOf(3);
    for (const t of tunnels) t.testFailures = 1;
    const picked = new Set<number>();
    for (let i = 0; i < 200; i++) picked.add(pool.pickInbound()!.id);
    expect([...picked].sort()).toEqual([1, 2, 3]);
  });

  it('a tunnel about to expire is not picked, good standing or not', async () => {
    const { pool, tunnels, clock } = await poolOf(2);
    clock.advance(LIFETIME - 4_000);
    // Both within 5 s of their end: nothing to pick.
    expect(pool.pickInbound()).toBeUndefined();
    expect(tunnels[0]!.testFailures).toBe(0);
  });
});
