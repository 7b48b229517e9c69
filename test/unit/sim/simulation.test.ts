import { describe, expect, it } from 'vitest';
import { formatReport } from '../../../src/router/sim/report.js';
import { runSimulation, simulationDefaults, type Rate, type SimulationReport } from '../../../src/router/sim/scenario.js';

function expectRate(r: Rate): void {
  expect(Number.isInteger(r.asked) && Number.isInteger(r.ok)).toBe(true);
  expect(r.ok).toBeGreaterThanOrEqual(0);
  expect(r.ok).toBeLessThanOrEqual(r.asked);
  expect(r.rate).toBeGreaterThanOrEqual(0);
  expect(r.rate).toBeLessThanOrEqual(1);
  expect(r.rate).toBeCloseTo(r.asked === 0 ? 0 : r.ok / r.asked, 12);
}

function expectInvariants(report: SimulationReport): void {
  for (const r of [report.netDb.routerInfoLookups, report.netDb.leaseSetLookups, report.netDb.leaseSetsPublished, report.tunnels.builds, report.tunnels.tests, report.tunnels.exploratoryReady]) expectRate(r);
  const b = report.tunnels.builds;
  // Every settled build is exactly one of: built, rejected, timed out, bad reply, not sent.
  expect(b.ok + b.rejected + b.timedOut + b.badReply + b.notSent).toBe(b.asked);
  for (const a of report.adversary) {
    for (const e of [a.betweenDestinations, a.sameDestination]) {
      expect(e.seen).toBeLessThanOrEqual(e.pairs);
      expect(e.share).toBeGreaterThanOrEqual(0);
      expect(e.share).toBeLessThanOrEqual(1);
    }
  }
  expect(report.resources.simulatedMs).toBeGreaterThanOrEqual(report.config.steadyMs);
  expect(report.resources.peakRssMB).toBeGreaterThan(0);
}

describe('simulation', () => {
  it('30 healthy routers: lookups and builds succeed, and the adversary sees more the more routers it holds', async () => {
    const fractions = [0, 0.2, 0.5, 0.9];
    const report = await runSimulation({ routers: 30, adversary: fractions, steadyMs: 4 * 60_000, routerInfoLookups: 40, leaseSetLookups: 40, seed: 'unit sim' });
    expectInvariants(report);
    expect(report.config).toMatchObject({ routers: 30, floodfills: 3, destinations: 4, offline: 0 });
    expect(report.netDb.routerInfoLookups.asked).toBe(40);
    expect(report.netDb.leaseSetLookups.asked).toBe(40);
    // A healthy network (nothing lost on the wire): lookups and builds all but always succeed.
    expect(report.netDb.routerInfoLookups.rate).toBeGreaterThanOrEqual(0.9);
    expect(report.netDb.leaseSetLookups.rate).toBeGreaterThanOrEqual(0.9);
    expect(report.netDb.leaseSetsPublished.rate).toBe(1);
    // Each lookup asked at least one floodfill, and the walk stayed within its bound (8).
    expect(report.netDb.routerInfoLookups.meanFloodfillsAsked).toBeGreaterThanOrEqual(1);
    expect(report.netDb.routerInfoLookups.meanFloodfillsAsked).toBeLessThanOrEqual(8);
    expect(report.tunnels.builds.rate).toBeGreaterThanOrEqual(0.9);
    expect(report.tunnels.builds.asked).toBeGreaterThan(30 * 4);
    expect(report.tunnels.exploratoryReady.rate).toBe(1);
    expect(report.resources.messages.lost).toBe(0);
    // Every destination had tunnels both ways: 4 destinations, 2 each way at least.
    expect(report.tunnels.clientTunnels.outbound).toBeGreaterThanOrEqual(8);
    expect(report.tunnels.clientTunnels.inbound).toBeGreaterThanOrEqual(8);

    const rows = report.adversary;
    expect(rows.map((r) => r.fraction)).toEqual(fractions);
    expect(rows[0].routers).toBe(0);
    expect(rows[0].betweenDestinations.seen).toBe(0);
    expect(rows[0].betweenDestinations.share).toBe(0);
    expect(rows[0].sameDestination.share).toBe(0);
    // Same tunnels for every row; the nested adversary sets make the share non-decreasing...
    for (let i = 1; i < rows.length; i++) {
      expect(rows[i].betweenDestinations.pairs).toBe(rows[0].betweenDestinations.pairs);
      expect(rows[i].routers).toBeGreaterThan(rows[i - 1].routers);
      expect(rows[i].betweenDestinations.share).toBeGreaterThanOrEqual(rows[i - 1].betweenDestinations.share);
    }
    // ...and holding most routers, it sees much more than with a fifth of them.
    expect(rows[3].betweenDestinations.share).toBeGreaterThan(rows[1].betweenDestinations.share);
    expect(rows[3].betweenDestinations.share).toBeGreaterThan(0.3);

    const text = formatReport(report);
    expect(text).toContain('30 routers (3 floodfills)');
    expect(text).toMatch(/RouterInfo lookups .*\(\d+\/40\)/);
    expect(text).toContain('| 0.90');
  }, 120_000);

  it('with a fifth of the routers gone, builds through them time out and the rates stay in [0, 1]', async () => {
    const report = await runSimulation({ routers: 30, offline: 0.2, steadyMs: 60_000, routerInfoLookups: 20, leaseSetLookups: 20, seed: 'unit sim offline' });
    expectInvariants(report);
    expect(report.tunnels.offline).toBe(6);
    expect(report.tunnels.builds.timedOut).toBeGreaterThan(0);
    expect(report.tunnels.builds.rate).toBeLessThan(1);
    expect(report.resources.messages.lost).toBeGreaterThan(0);
    // Routers that are up still build exploratory tunnels (profiles steer them round the dead).
    expect(report.tunnels.exploratoryReady.asked).toBe(24);
    expect(report.tunnels.exploratoryReady.rate).toBeGreaterThanOrEqual(0.9);
  }, 120_000);

  it('is reproducible: the same seed gives the same report (all but the time and memory it took)', async () => {
    const run = async (seed: string) => {
      const { resources, ...rest } = await runSimulation({ routers: 20, offline: 0.1, steadyMs: 30_000, routerInfoLookups: 10, leaseSetLookups: 10, seed });
      expect(resources.messages.sent).toBeGreaterThan(0);
      return { ...rest, messages: resources.messages, simulatedMs: resources.simulatedMs };
    };
    const a = await run('same seed');
    expect(await run('same seed')).toEqual(a);
    expect((await run('another seed')).messages).not.toEqual(a.messages);
  }, 120_000);

  it('refuses settings it cannot simulate', () => {
    expect(() => simulationDefaults({ routers: 3 })).toThrow(RangeError);
    expect(() => simulationDefaults({ routers: 30, floodfills: 30 })).toThrow(RangeError);
    expect(() => simulationDefaults({ routers: 30, destinations: 29 })).toThrow(RangeError);
    expect(() => simulationDefaults({ routers: 30, offline: 1 })).toThrow(RangeError);
    expect(() => simulationDefaults({ routers: 30, reseed: 30 })).toThrow(RangeError);
    expect(simulationDefaults({ routers: 1000 })).toMatchObject({ floodfills: 60, destinations: 50, reseed: 50, storeRedundancy: 4 });
  });
});
