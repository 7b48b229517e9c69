import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { equalBytes, i2pBase64Encode } from '../../../src/router/data/index.js';
import { LookupError, type DirectLookupResult } from '../../../src/router/netdb/direct-lookup.js';
import { describeLookupMiss, iterativeLookup, type IterativeLookupDeps, type IterativeLookupOptions, type IterativeLookupResult } from '../../../src/router/netdb/iterative-lookup.js';
import { closest, routingKey } from '../../../src/router/netdb/routing-key.js';
import { ManualClock, seededRandom } from '../../../src/router/runtime/index.js';

const NOW = Date.UTC(2026, 10, 26, 1, 0, 0);
const id = (h: Uint8Array): string => i2pBase64Encode(h);

interface SimNode {
  hash: Uint8Array;
  floodfill: boolean;
  dead: boolean;
  /** The routers whose RouterInfo this node holds (its partial view), by id. */
  knows: Set<string>;
  /** Answers a lookup for this key with this data instead of the truth (a liar). */
  lie?: Uint8Array;
}

interface Ask {
  to: string;
  key: string;
  type: string;
  at: number;
  outcome: 'answered' | 'timeout' | 'not-sent';
}

/**
 * A network in memory: floodfills with partial views answering as floodfill.ts does (the
 * entry if held, else the 3 closest floodfills it knows, never the asker nor itself; an
 * exploration gets non-floodfills), 50 ms after the ask; dead ones never answer and the ask
 * times out on the ManualClock, as DirectLookups does. "RouterInfo bytes" are fakes: 'RI' ‖ hash.
 */
class SimNet {
  readonly clock = new ManualClock(NOW);
  readonly nodes = new Map<string, SimNode>();
  readonly us: Uint8Array;
  /** Our netDb: ids of routers whose RouterInfo we hold. */
  readonly ourView = new Set<string>();
  readonly asks: Ask[] = [];
  inFlight = 0;
  maxInFlight = 0;
  private readonly rnd;

  constructor(seed: string) {
    this.rnd = seededRandom(seed);
    this.us = this.rnd.bytes(32);
  }

  add(floodfill: boolean, dead = false): SimNode {
    const node: SimNode = { hash: this.rnd.bytes(32), floodfill, dead, knows: new Set() };
    this.nodes.set(id(node.hash), node);
    return node;
  }

  node(h: Uint8Array): SimNode {
    const n = this.nodes.get(id(h));
    if (!n) throw new Error('no such node');
    return n;
  }

  randomKey(): Uint8Array {
    return this.rnd.bytes(32);
  }

  static ri(hash: Uint8Array): Uint8Array {
    return new Uint8Array([0x52, 0x49, ...hash]);
  }

  readonly deps: IterativeLookupDeps = {
    now: () => this.clock.now(),
    ourHash: new Uint8Array(32),
    floodfills: () => [...this.ourView].map((k) => this.nodes.get(k)).filter((n): n is SimNode => !!n && n.floodfill).map((n) => n.hash),
    has: (h) => this.ourView.has(id(h)),
    ask: (ff, key, type, timeoutMs) => this.ask(ff, key, type, timeoutMs),
    storeRouterInfo: (hash, data) => {
      if (!equalBytes(data, SimNet.ri(hash))) return false;
      this.ourView.add(id(hash));
      return true;
    },
  };

  ask(ff: Uint8Array, key: Uint8Array, type: string, timeoutMs: number): Promise<DirectLookupResult> {
    const rec: Ask = { to: id(ff), key: id(key), type, at: this.clock.now(), outcome: 'answered' };
    this.asks.push(rec);
    const node = this.nodes.get(id(ff));
    // DirectLookups needs a session, and a session needs the RouterInfo.
    if (!node || !this.ourView.has(id(ff))) {
      rec.outcome = 'not-sent';
      return Promise.reject(new LookupError('NOT_SENT', 'no RouterInfo'));
    }
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return new Promise((resolve, reject) => {
      if (node.dead) {
        this.clock.setTimer(timeoutMs, () => {
          this.inFlight--;
          rec.outcome = 'timeout';
          reject(new LookupError('TIMEOUT', 'dead'));
        });
        return;
      }
      this.clock.setTimer(Math.min(50, timeoutMs), () => {
        this.inFlight--;
        resolve(this.answer(node, key, type));
      });
    });
  }

  private answer(node: SimNode, key: Uint8Array, type: string): DirectLookupResult {
    if (type !== 'exploration' && node.knows.has(id(key))) {
      return { kind: 'store', storeType: 0, data: node.lie ?? SimNet.ri(key), rttMs: 50 };
    }
    const wantFloodfills = type !== 'exploration';
    const pool = [...node.knows]
      .map((k) => this.nodes.get(k))
      .filter((n): n is SimNode => !!n && n.floodfill === wantFloodfills && n !== node)
      .map((n) => n.hash);
    return { kind: 'searchReply', peers: closest(routingKey(key, this.clock.now()), pool, 3), rttMs: 50 };
  }

  asksFor(key: Uint8Array): Ask[] {
    return this.asks.filter((a) => a.key === id(key));
  }

  lookup(key: Uint8Array, opts: IterativeLookupOptions): Promise<IterativeLookupResult> {
    return drive(this.clock, iterativeLookup(key, { ...this.deps, ourHash: this.us }, opts));
  }
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Run `p` to completion on the manual clock; fails if it stalls with no timer left to fire. */
async function drive<T>(clock: ManualClock, p: Promise<T>, maxSteps = 10_000): Promise<T> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < maxSteps; i++) {
    await flush();
    if (settled) return p;
    if (clock.pending === 0) throw new Error('lookup stalled: not settled and no timer pending');
    clock.step();
  }
  throw new Error('lookup did not settle');
}

/** Every floodfill knows every floodfill. */
function connectFloodfills(net: SimNet, ffs: SimNode[]): void {
  for (const a of ffs) for (const b of ffs) if (a !== b) a.knows.add(id(b.hash));
}

describe('iterativeLookup', () => {
  it('finds a key after hops, learning each named floodfill from the one that named it', async () => {
    const net = new SimNet('hops');
    const [f0, f1, f2] = [net.add(true), net.add(true), net.add(true)];
    const key = net.randomKey();
    f0.knows.add(id(f1.hash));
    f1.knows.add(id(f2.hash));
    f2.knows.add(id(key));
    net.ourView.add(id(f0.hash));

    const r = await net.lookup(key, { lookupType: 'routerinfo' });
    expect(r.found).toBe(true);
    expect(r.data).toEqual(SimNet.ri(key));
    expect(r.storeType).toBe(0);
    expect(r.foundAt).toBe(id(f2.hash));
    expect(r.queried).toEqual([id(f0.hash), id(f1.hash), id(f2.hash)]);
    expect(r.learned.map(id)).toEqual([id(f1.hash), id(f2.hash)]);
    expect(r.fetched.map(id)).toEqual([id(f1.hash), id(f2.hash)]);
    expect(r.reason).toBeUndefined();
    // f1's RouterInfo came from f0, f2's from f1: each fetched from the floodfill that named it.
    const fetches = net.asks.filter((a) => a.type === 'routerinfo' && a.key !== id(key)).map((a) => [a.to, a.key]);
    expect(fetches).toEqual([
      [id(f0.hash), id(f1.hash)],
      [id(f1.hash), id(f2.hash)],
    ]);
    expect(net.asks.every((a) => a.outcome === 'answered')).toBe(true);
    expect(net.ourView.has(id(key))).toBe(true); // the found RouterInfo went through storeRouterInfo
  });

  it('does not find an absent key, and asks at most maxQueried floodfills, each once', async () => {
    const net = new SimNet('absent');
    const ffs = Array.from({ length: 20 }, () => net.add(true));
    connectFloodfills(net, ffs);
    for (const f of ffs.slice(0, 4)) net.ourView.add(id(f.hash));
    const key = net.randomKey();

    const r = await net.lookup(key, { lookupType: 'routerinfo', maxQueried: 8, maxRouterInfoLookups: 6 });
    expect(r.found).toBe(false);
    expect(r.reason).toBe('not-found');
    expect(r.queried.length).toBe(8);
    expect(new Set(r.queried).size).toBe(8);
    expect(describeLookupMiss(r)).toBe('8 floodfills asked, none holds it');
    const keyAsks = net.asksFor(key);
    expect(keyAsks.length).toBe(8);
    expect(keyAsks.every((a) => a.outcome === 'answered')).toBe(true); // never dialled a router we could not reach
    expect(net.asks.length - keyAsks.length).toBeLessThanOrEqual(6);
  });

  it('walks closest-first: the floodfill closest to the key is asked before farther ones', async () => {
    const net = new SimNet('order');
    const ffs = Array.from({ length: 10 }, () => net.add(true));
    for (const f of ffs) net.ourView.add(id(f.hash));
    const key = net.randomKey();
    const r = await net.lookup(key, { lookupType: 'routerinfo', parallelism: 1, maxQueried: 4 });
    const expected = closest(routingKey(key, NOW), ffs.map((f) => f.hash), 4).map(id);
    expect(r.queried).toEqual(expected);
  });

  it('gets past dead floodfills after one per-query timeout, without waiting for them when another answers', async () => {
    const net = new SimNet('dead');
    const key = new Uint8Array(32).fill(9);
    const ffs = Array.from({ length: 6 }, () => net.add(true));
    for (const f of ffs) net.ourView.add(id(f.hash));
    const order = closest(routingKey(key, NOW), ffs.map((f) => f.hash), 6).map((h) => net.node(h));
    // The three closest are dead and fill every slot; the fourth holds the key.
    for (const n of order.slice(0, 3)) n.dead = true;
    order[3].knows.add(id(key));
    const r = await net.lookup(key, { lookupType: 'routerinfo', perQueryTimeoutMs: 10_000 });
    expect(r.found).toBe(true);
    expect(r.foundAt).toBe(id(order[3].hash));
    expect(net.clock.now() - NOW).toBe(10_000 + 50);

    // With one slot still free, the live floodfill answers while the dead ones are pending.
    const net2 = new SimNet('dead');
    const ffs2 = Array.from({ length: 6 }, () => net2.add(true));
    for (const f of ffs2) net2.ourView.add(id(f.hash));
    const order2 = closest(routingKey(key, NOW), ffs2.map((f) => f.hash), 6).map((h) => net2.node(h));
    order2[0].dead = true;
    order2[1].dead = true;
    order2[2].knows.add(id(key));
    const r2 = await net2.lookup(key, { lookupType: 'routerinfo' });
    expect(r2.found).toBe(true);
    expect(net2.clock.now() - NOW).toBe(50);
  });

  it('ends at the total timeout when every floodfill is dead, with each ask clamped to the time left', async () => {
    const net = new SimNet('alldead');
    const ffs = Array.from({ length: 10 }, () => net.add(true, true));
    for (const f of ffs) net.ourView.add(id(f.hash));
    const key = net.randomKey();
    const r = await net.lookup(key, { lookupType: 'routerinfo', perQueryTimeoutMs: 10_000, totalTimeoutMs: 15_000 });
    expect(r.found).toBe(false);
    expect(r.reason).toBe('timeout');
    expect(net.clock.now() - NOW).toBe(15_000);
    expect(r.queried.length).toBe(6); // 3 at t=0 (10 s), 3 at t=10 s (clamped to 5 s)
    expect(describeLookupMiss(r)).toBe('out of time (6 floodfills asked, 0 answered)');
    expect(r.answered).toBe(0);
  });

  it('respects a small maxQueried even when the key is one more hop away', async () => {
    const net = new SimNet('maxq');
    const [f0, f1, f2] = [net.add(true), net.add(true), net.add(true)];
    const key = net.randomKey();
    f0.knows.add(id(f1.hash));
    f1.knows.add(id(f2.hash));
    f2.knows.add(id(key));
    net.ourView.add(id(f0.hash));
    const r = await net.lookup(key, { lookupType: 'routerinfo', maxQueried: 2 });
    expect(r.found).toBe(false);
    expect(r.queried).toEqual([id(f0.hash), id(f1.hash)]);
    expect(net.asksFor(key).length).toBe(2);
  });

  it('honours an abort signal, before the start and while asks are pending', async () => {
    const net = new SimNet('abort');
    const ffs = Array.from({ length: 8 }, () => net.add(true, true));
    for (const f of ffs) net.ourView.add(id(f.hash));
    const key = net.randomKey();

    const pre = new AbortController();
    pre.abort();
    const r0 = await iterativeLookup(key, { ...net.deps, ourHash: net.us }, { lookupType: 'routerinfo', signal: pre.signal });
    expect(r0).toMatchObject({ found: false, reason: 'aborted', queried: [] });
    expect(net.asks.length).toBe(0);

    const ac = new AbortController();
    const p = iterativeLookup(key, { ...net.deps, ourHash: net.us }, { lookupType: 'routerinfo', signal: ac.signal });
    await flush();
    net.clock.advance(1_000);
    ac.abort();
    const r = await p; // settles without the clock moving again
    expect(r.reason).toBe('aborted');
    expect(r.queried.length).toBe(3);
    expect(net.clock.now() - NOW).toBe(1_000);
    // The pending asks ending later does not start new ones.
    net.clock.advance(20_000);
    await flush();
    expect(net.asks.length).toBe(3);
  });

  it('explores: collects the non-floodfill routers floodfills name and fetches their RouterInfos from them', async () => {
    const net = new SimNet('explore');
    const ffs = Array.from({ length: 4 }, () => net.add(true));
    const plain = Array.from({ length: 12 }, () => net.add(false));
    connectFloodfills(net, ffs);
    ffs.forEach((f, i) => {
      for (const p of plain.slice(i * 3, i * 3 + 6)) f.knows.add(id(p.hash));
    });
    for (const f of ffs) net.ourView.add(id(f.hash));
    net.ourView.add(id(plain[0].hash)); // one we already know: named, but not fetched again
    const key = net.randomKey();

    const r = await net.lookup(key, { lookupType: 'exploration', maxQueried: 2, maxRouterInfoLookups: 5 });
    expect(r.found).toBe(false);
    expect(r.reason).toBeUndefined();
    expect(r.queried.length).toBe(2);
    expect(r.learned.length).toBeGreaterThan(0);
    const plainIds = new Set(plain.map((p) => id(p.hash)));
    expect(r.learned.every((h) => plainIds.has(id(h)))).toBe(true);
    expect(r.fetched.length).toBeGreaterThan(0);
    expect(r.fetched.length).toBeLessThanOrEqual(5);
    expect(r.fetched.some((h) => equalBytes(h, plain[0].hash))).toBe(false);
    for (const h of r.fetched) expect(net.ourView.has(id(h))).toBe(true);
    // Only floodfills were sent the exploration; every fetch went to the floodfill that named the router.
    for (const a of net.asks) {
      expect(net.nodes.get(a.to)!.floodfill).toBe(true);
      if (a.type === 'routerinfo') expect(net.nodes.get(a.to)!.knows.has(a.key)).toBe(true);
    }
  });

  it('ignores a store that does not verify and goes on to the next floodfill', async () => {
    const net = new SimNet('liar');
    const key = new Uint8Array(32).fill(3);
    const ffs = Array.from({ length: 4 }, () => net.add(true));
    for (const f of ffs) net.ourView.add(id(f.hash));
    const order = closest(routingKey(key, NOW), ffs.map((f) => f.hash), 4).map((h) => net.node(h));
    order[0].knows.add(id(key));
    order[0].lie = new Uint8Array([1, 2, 3]);
    order[1].knows.add(id(key));
    const r = await net.lookup(key, { lookupType: 'routerinfo', parallelism: 1 });
    expect(r.found).toBe(true);
    expect(r.foundAt).toBe(id(order[1].hash));
    expect(r.queried).toEqual([id(order[0].hash), id(order[1].hash)]);
  });

  it('never asks us, nor a named router known not to be a floodfill', async () => {
    const net = new SimNet('names');
    const f0 = net.add(true);
    const plain = net.add(false);
    net.ourView.add(id(f0.hash));
    net.ourView.add(id(plain.hash));
    const key = net.randomKey();
    const deps: IterativeLookupDeps = {
      ...net.deps,
      ourHash: net.us,
      ask: async (ff, k, type, ms) => {
        if (equalBytes(ff, f0.hash) && equalBytes(k, key)) return { kind: 'searchReply', peers: [net.us, plain.hash, new Uint8Array(5)], rttMs: 1 };
        return net.ask(ff, k, type, ms);
      },
    };
    const r = await drive(net.clock, iterativeLookup(key, deps, { lookupType: 'routerinfo' }));
    expect(r.queried).toEqual([id(f0.hash)]);
    expect(r.learned.map(id)).toEqual([id(plain.hash)]);
    expect(r.reason).toBe('not-found');
  });

  it('finds a floodfill by its own hash when a reply names it (the fetch is the answer)', async () => {
    const net = new SimNet('self');
    const [f0, f1] = [net.add(true), net.add(true)];
    f0.knows.add(id(f1.hash));
    net.ourView.add(id(f0.hash));
    const r = await net.lookup(f1.hash, { lookupType: 'routerinfo' });
    expect(r.found).toBe(true);
    expect(r.data).toEqual(SimNet.ri(f1.hash));
    expect(r.fetched).toEqual([]);
  });

  it('reports no-floodfills, survives a throwing ask, and checks its arguments', async () => {
    const net = new SimNet('edge');
    const key = net.randomKey();
    const none = await net.lookup(key, { lookupType: 'any' });
    expect(none).toMatchObject({ found: false, reason: 'no-floodfills', queried: [] });
    expect(describeLookupMiss(none)).toBe('no floodfill known');

    const f = net.add(true);
    net.ourView.add(id(f.hash));
    const throwing: IterativeLookupDeps = {
      ...net.deps,
      ourHash: net.us,
      ask: () => {
        throw new Error('boom');
      },
    };
    const silent = await iterativeLookup(key, throwing, { lookupType: 'routerinfo' });
    expect(silent).toMatchObject({ found: false, reason: 'no-answer', queried: [id(f.hash)] });
    expect(describeLookupMiss(silent)).toBe('1 floodfill asked, none answered');

    expect(() => iterativeLookup(new Uint8Array(31), net.deps, { lookupType: 'routerinfo' })).toThrow(RangeError);
    expect(() => iterativeLookup(key, net.deps, { lookupType: 'routerinfo', parallelism: 0 })).toThrow(RangeError);
    expect(() => iterativeLookup(key, net.deps, { lookupType: 'routerinfo', maxQueried: 1.5 })).toThrow(RangeError);
  });

  it('an "any" lookup takes a non-RouterInfo store as found; a "routerinfo" lookup does not', async () => {
    const net = new SimNet('any');
    const f = net.add(true);
    net.ourView.add(id(f.hash));
    const key = net.randomKey();
    const deps: IterativeLookupDeps = {
      ...net.deps,
      ourHash: net.us,
      ask: async () => ({ kind: 'store', storeType: 3, data: new Uint8Array([7]), rttMs: 1 }),
    };
    expect(await iterativeLookup(key, deps, { lookupType: 'any' })).toMatchObject({ found: true, storeType: 3 });
    expect(await iterativeLookup(key, deps, { lookupType: 'routerinfo' })).toMatchObject({ found: false, reason: 'not-found' });
  });
});

describe('iterativeLookup properties', () => {
  const shape = fc.record({
    seed: fc.integer({ min: 0, max: 1_000_000 }),
    floodfills: fc.integer({ min: 1, max: 20 }),
    edgeP: fc.double({ min: 0, max: 1, noNaN: true }),
    deadP: fc.double({ min: 0, max: 0.6, noNaN: true }),
    holdP: fc.double({ min: 0, max: 0.5, noNaN: true }),
    knownP: fc.double({ min: 0, max: 1, noNaN: true }),
    parallelism: fc.integer({ min: 1, max: 4 }),
    maxQueried: fc.integer({ min: 1, max: 10 }),
    maxRouterInfoLookups: fc.integer({ min: 0, max: 6 }),
  });

  it('terminates within maxQueried asks for the key, each floodfill once, on any network shape', async () => {
    await fc.assert(
      fc.asyncProperty(shape, async (s) => {
        const net = new SimNet(`shape${s.seed}`);
        const pick = seededRandom(`pick${s.seed}`);
        const p = (x: number): boolean => pick.int(1_000_000) < x * 1_000_000;
        const ffs = Array.from({ length: s.floodfills }, () => net.add(true));
        for (const f of ffs) f.dead = p(s.deadP);
        const key = net.randomKey();
        for (const a of ffs) {
          for (const b of ffs) if (a !== b && p(s.edgeP)) a.knows.add(id(b.hash));
          if (p(s.holdP)) a.knows.add(id(key));
        }
        for (const f of ffs) if (p(s.knownP)) net.ourView.add(id(f.hash));
        const r = await net.lookup(key, { lookupType: 'routerinfo', parallelism: s.parallelism, maxQueried: s.maxQueried, maxRouterInfoLookups: s.maxRouterInfoLookups });
        const keyAsks = net.asksFor(key);
        expect(keyAsks.length).toBeLessThanOrEqual(s.maxQueried);
        expect(new Set(keyAsks.map((a) => a.to)).size).toBe(keyAsks.length);
        expect(net.asks.length - keyAsks.length).toBeLessThanOrEqual(s.maxRouterInfoLookups);
        expect(net.asks.some((a) => a.outcome === 'not-sent')).toBe(false);
        expect(net.maxInFlight).toBeLessThanOrEqual(s.parallelism);
        expect(net.clock.now() - NOW).toBeLessThanOrEqual(30_000);
        if (r.found) {
          expect(r.data).toEqual(SimNet.ri(key));
          expect(net.nodes.get(r.foundAt!)!.knows.has(id(key))).toBe(true);
        } else {
          expect(r.reason).toBeDefined();
        }
      }),
      { numRuns: 150 },
    );
  });

  it('finds the key in a fully connected graph of floodfills that all know it, whenever a live one is among the closest we know', async () => {
    await fc.assert(
      fc.asyncProperty(shape, async (s) => {
        const net = new SimNet(`full${s.seed}`);
        const pick = seededRandom(`pick${s.seed}`);
        const p = (x: number): boolean => pick.int(1_000_000) < x * 1_000_000;
        const ffs = Array.from({ length: s.floodfills }, () => net.add(true));
        connectFloodfills(net, ffs);
        const key = net.randomKey();
        for (const f of ffs) {
          f.knows.add(id(key));
          f.dead = p(s.deadP);
          if (p(s.knownP)) net.ourView.add(id(f.hash));
        }
        const known = ffs.filter((f) => net.ourView.has(id(f.hash)));
        const firstWave = closest(routingKey(key, NOW), known.map((f) => f.hash), s.maxQueried).map((h) => net.node(h));
        // Time enough to wait out every dead floodfill one after another.
        const totalTimeoutMs = 10_000 * s.maxQueried + 1_000;
        const r = await net.lookup(key, { lookupType: 'routerinfo', parallelism: s.parallelism, maxQueried: s.maxQueried, totalTimeoutMs });
        expect(net.asksFor(key).length).toBeLessThanOrEqual(s.maxQueried);
        if (firstWave.some((f) => !f.dead)) expect(r.found).toBe(true);
        else expect(r.found).toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  it('finds the key held only by the floodfills closest to it, from any floodfill we know, in a fully connected graph', async () => {
    await fc.assert(
      fc.asyncProperty(shape, fc.integer({ min: 1, max: 3 }), async (s, holders) => {
        const net = new SimNet(`kad${s.seed}`);
        const ffs = Array.from({ length: s.floodfills }, () => net.add(true));
        connectFloodfills(net, ffs);
        const key = net.randomKey();
        for (const h of closest(routingKey(key, NOW), ffs.map((f) => f.hash), holders)) net.node(h).knows.add(id(key));
        net.ourView.add(id(ffs[s.seed % ffs.length].hash));
        const r = await net.lookup(key, { lookupType: 'routerinfo', parallelism: s.parallelism, maxQueried: Math.max(2, s.maxQueried), maxRouterInfoLookups: Math.max(1, s.maxRouterInfoLookups) });
        expect(r.found).toBe(true);
        // The floodfill we know, then the closest it names (and, in parallel, the next ones).
        expect(r.queried.length).toBeLessThanOrEqual(1 + s.parallelism);
        expect(net.nodes.get(r.foundAt!)!.knows.has(id(key))).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});
