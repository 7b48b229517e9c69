import { describe, expect, it } from 'vitest';
import { equalBytes, i2pBase64Encode } from '../../../src/router/data/index.js';
import { LookupError, type DirectLookupResult } from '../../../src/router/netdb/direct-lookup.js';
import { Explorer, type ExplorationOutcome, type ExplorerDeps, type ExplorerOptions } from '../../../src/router/netdb/explorer.js';
import { closest, routingKey } from '../../../src/router/netdb/routing-key.js';
import { ManualClock, seededRandom } from '../../../src/router/runtime/index.js';

const NOW = Date.UTC(2026, 10, 26, 1, 0, 0);
const id = (h: Uint8Array): string => i2pBase64Encode(h);
const ri = (h: Uint8Array): Uint8Array => new Uint8Array([0x52, 0x49, ...h]);
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

interface Node {
  hash: Uint8Array;
  floodfill: boolean;
  dead: boolean;
  knows: Set<string>;
}

/**
 * Floodfills that answer explorations with up to 3 non-floodfills they know closest to the
 * key, and RouterInfo lookups with the entry, 50 ms later (dead ones: a timeout on the clock).
 */
function world(seed: string, floodfills: number, plain: number, perFloodfill: number) {
  const clock = new ManualClock(NOW);
  const rnd = seededRandom(seed);
  const nodes = new Map<string, Node>();
  const mk = (floodfill: boolean): Node => {
    const n = { hash: rnd.bytes(32), floodfill, dead: false, knows: new Set<string>() };
    nodes.set(id(n.hash), n);
    return n;
  };
  const ffs = Array.from({ length: floodfills }, () => mk(true));
  const routers = Array.from({ length: plain }, () => mk(false));
  ffs.forEach((f, i) => {
    for (let j = 0; j < perFloodfill; j++) f.knows.add(id(routers[(i * perFloodfill + j) % Math.max(1, plain)]?.hash ?? f.hash));
  });
  const ourView = new Set(ffs.map((f) => id(f.hash)));
  const asks: { to: string; key: string; type: string; at: number }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;

  const ask = (ff: Uint8Array, key: Uint8Array, type: string, timeoutMs: number): Promise<DirectLookupResult> => {
    asks.push({ to: id(ff), key: id(key), type, at: clock.now() });
    const node = nodes.get(id(ff));
    if (!node || !ourView.has(id(ff))) return Promise.reject(new LookupError('NOT_SENT', 'unknown'));
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    return new Promise((resolve, reject) => {
      if (node.dead) {
        clock.setTimer(timeoutMs, () => {
          inFlight--;
          reject(new LookupError('TIMEOUT', 'dead'));
        });
        return;
      }
      clock.setTimer(50, () => {
        inFlight--;
        if (type !== 'exploration' && node.knows.has(id(key))) {
          resolve({ kind: 'store', storeType: 0, data: ri(key), rttMs: 50 });
          return;
        }
        const pool = [...node.knows].map((k) => nodes.get(k)!).filter((n) => n.floodfill === (type !== 'exploration') && n !== node);
        resolve({ kind: 'searchReply', peers: closest(routingKey(key, clock.now()), pool.map((n) => n.hash), 3), rttMs: 50 });
      });
    });
  };

  const deps: ExplorerDeps = {
    clock,
    random: rnd.fork('explorer'),
    ourHash: rnd.bytes(32),
    routerCount: () => ourView.size,
    floodfills: () => ffs.filter((f) => ourView.has(id(f.hash))).map((f) => f.hash),
    has: (h) => ourView.has(id(h)),
    ask,
    storeRouterInfo: (h, data) => {
      if (!equalBytes(data, ri(h))) return false;
      ourView.add(id(h));
      return true;
    },
  };
  return { clock, nodes, ffs, routers, ourView, asks, deps, maxInFlight: () => maxInFlight };
}

/** Advance the clock in `stepMs` steps, letting promise chains run between steps. */
async function run(clock: ManualClock, totalMs: number, stepMs = 50): Promise<void> {
  for (let t = 0; t < totalMs; t += stepMs) {
    clock.advance(stepMs);
    await flush();
  }
}

function explorer(deps: ExplorerDeps, options: ExplorerOptions = {}): { ex: Explorer; outcomes: (ExplorationOutcome & { at: number })[] } {
  const outcomes: (ExplorationOutcome & { at: number })[] = [];
  const ex = new Explorer(deps, { ...options, onExploration: (o) => outcomes.push({ ...o, at: deps.clock.now() }) });
  return { ex, outcomes };
}

describe('Explorer', () => {
  it('explores fast while the netDb is tiny, learning non-floodfill routers from the floodfills that named them', async () => {
    const w = world('grow', 3, 30, 10);
    const { ex, outcomes } = explorer(w.deps, { targetRouters: 200, lowWaterRouters: 20, fastIntervalMs: 5_000, intervalMs: 30_000 });
    ex.start();
    await run(w.clock, 1_000);
    expect(ex.counters.explorations).toBe(1);
    expect(ex.counters.learned).toBeGreaterThan(0);
    expect(w.ourView.size).toBe(3 + ex.counters.learned);
    expect(outcomes[0].nextInMs).toBe(5_000);
    // Every exploration asked floodfills with a 32-byte random key; every fetch went to a floodfill that knew the router.
    for (const a of w.asks) {
      const to = w.nodes.get(a.to)!;
      expect(to.floodfill).toBe(true);
      if (a.type === 'routerinfo') expect(to.knows.has(a.key)).toBe(true);
      else expect(a.type).toBe('exploration');
    }
    const keys = new Set(w.asks.filter((a) => a.type === 'exploration').map((a) => a.key));
    await run(w.clock, 5_000);
    expect(ex.counters.explorations).toBe(2);
    const keys2 = new Set(w.asks.filter((a) => a.type === 'exploration').map((a) => a.key));
    expect(keys2.size).toBeGreaterThan(keys.size); // a fresh random key each time
    ex.stop();
  });

  it('slows down above the low-water mark and stops exploring at the target, re-checking rarely', async () => {
    const w = world('target', 3, 30, 10);
    const { ex, outcomes } = explorer(w.deps, { targetRouters: 20, lowWaterRouters: 10, fastIntervalMs: 1_000, intervalMs: 4_000, maxIntervalMs: 60_000, routerInfoLookups: 4 });
    ex.start();
    await run(w.clock, 40_000, 100);
    expect(w.ourView.size).toBeGreaterThanOrEqual(20);
    expect(outcomes.length).toBeGreaterThan(1);
    for (const o of outcomes) {
      // The delay follows the size after the exploration (no backoff while routers keep coming).
      if (o.learned > 0) expect([1_000, 4_000, 60_000]).toContain(o.nextInMs);
    }
    expect(outcomes.some((o) => o.nextInMs === 4_000)).toBe(true);
    const asksAtTarget = w.asks.length;
    const explorationsAtTarget = ex.counters.explorations;
    await run(w.clock, 300_000, 1_000);
    expect(w.asks.length).toBe(asksAtTarget);
    expect(ex.counters.explorations).toBe(explorationsAtTarget);
    // Expiry shrinks the netDb: exploring resumes at the next re-check.
    for (const r of w.routers) w.ourView.delete(id(r.hash));
    await run(w.clock, 61_000, 1_000);
    expect(ex.counters.explorations).toBeGreaterThan(explorationsAtTarget);
    ex.stop();
    expect(w.clock.pending).toBe(0);
  });

  it('backs off, doubling the wait up to the cap, when explorations bring nothing new', async () => {
    const w = world('quiet', 3, 0, 0); // floodfills that know no other routers
    const { ex, outcomes } = explorer(w.deps, { fastIntervalMs: 1_000, maxIntervalMs: 8_000 });
    ex.start();
    await run(w.clock, 60_000, 50);
    expect(outcomes.map((o) => o.nextInMs).slice(0, 6)).toEqual([2_000, 4_000, 8_000, 8_000, 8_000, 8_000]);
    expect(ex.counters.learned).toBe(0);
    expect(ex.counters.failures).toBe(0); // floodfills answered: not a failure, just nothing new
    // The gaps between explorations really follow the schedule (the wait starts when one ends;
    // each takes the floodfills' 50 ms to answer).
    const gaps = outcomes.slice(1, 4).map((o, i) => o.at - outcomes[i].at);
    expect(gaps).toEqual([2_050, 4_050, 8_050]);
    ex.stop();
  });

  it('counts failures when every floodfill is dead, runs one exploration at a time, and backs off', async () => {
    const w = world('dead', 3, 10, 5);
    for (const f of w.ffs) f.dead = true;
    const { ex, outcomes } = explorer(w.deps, { fastIntervalMs: 1_000, floodfillsPerExploration: 2, perQueryTimeoutMs: 10_000 });
    ex.start();
    await run(w.clock, 60_000, 100);
    expect(ex.counters.failures).toBeGreaterThanOrEqual(2);
    expect(ex.counters.failures).toBe(ex.counters.explorations);
    expect(outcomes.every((o) => o.result.reason === 'no-answer')).toBe(true);
    expect(w.maxInFlight()).toBeLessThanOrEqual(2); // never two explorations at once
    expect(outcomes[1].nextInMs).toBeGreaterThan(outcomes[0].nextInMs);
    ex.stop();
  });

  it('stop() clears its timer and abandons the exploration in flight: nothing pending, nothing more asked', async () => {
    const w = world('stop', 3, 30, 10);
    const { ex, outcomes } = explorer(w.deps, { fastIntervalMs: 1_000 });
    ex.start();
    expect(w.clock.pending).toBe(1);
    ex.stop();
    expect(w.clock.pending).toBe(0);
    expect(ex.started).toBe(false);

    ex.start();
    w.clock.advance(0); // the first exploration starts: asks in flight
    await flush();
    expect(w.asks.length).toBeGreaterThan(0);
    ex.stop();
    const asked = w.asks.length;
    const counters = { ...ex.counters };
    await run(w.clock, 30_000, 50); // the in-flight answers arrive after the stop
    expect(w.asks.length).toBe(asked);
    expect(outcomes.length).toBe(0);
    expect(ex.counters.explorations).toBe(counters.explorations);
    expect(ex.counters.failures).toBe(counters.failures);
    expect(w.clock.pending).toBe(0);
  });

  it('exploreOnce runs a single exploration on demand, and the options are checked', async () => {
    const w = world('once', 2, 6, 3);
    const ex = new Explorer(w.deps);
    const p = ex.exploreOnce();
    await run(w.clock, 1_000);
    const { result, learned } = await p;
    expect(result.queried.length).toBe(2);
    expect(learned).toBe(result.fetched.length);
    expect(learned).toBeGreaterThan(0);
    expect(ex.counters).toEqual({ explorations: 1, learned, failures: 0 });
    expect(w.clock.pending).toBe(0);

    expect(() => new Explorer(w.deps, { targetRouters: 0 })).toThrow(RangeError);
    expect(() => new Explorer(w.deps, { fastIntervalMs: -5 })).toThrow(RangeError);
    expect(() => new Explorer(w.deps, { targetRouters: 10, lowWaterRouters: 20 })).toThrow(RangeError);
  });
});
