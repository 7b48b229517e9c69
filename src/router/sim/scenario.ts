import { ed25519PublicKey, x25519PublicKey } from '../crypto/index.js';
import { createDestination, encodeRouterInfo, i2pBase64Encode, isFloodfill } from '../data/index.js';
import type { DestinationKeys } from '../client/destination-keys.js';
import { StoreType } from '../i2np/index.js';
import { iterativeLookup } from '../netdb/iterative-lookup.js';
import { closestToTarget } from '../netdb/routing-key.js';
import { SeededRandom } from '../runtime/index.js';
import type { LocalDestination } from '../client/destination.js';
import type { InboundTunnel, OutboundTunnel } from '../tunnel/tunnel.js';
import { exposure, nestedAdversaries, type ExposureCount, type TunnelEnds } from './adversary.js';
import { ClientNetwork, type ClientRouter } from './client-network.js';
import { HeapClock } from './heap-clock.js';
import { seededPadding, T0, type NetRouter, type SimNetwork } from './network.js';

/**
 * One simulation run: many real routers on the in-memory wire (SimNetwork with each router's
 * own netDb and the Router's peer selection), then measurements:
 *
 * 1. bootstrap: every router starts from a reseed (`reseedFloodfills` floodfills and `reseed`
 *    other routers; floodfills know each other); each router's RouterInfo is on the
 *    `storeRedundancy` floodfills closest to its routing key (where publishing and flooding put
 *    it). Lookups find the rest by walking the keyspace: search replies name closer floodfills,
 *    whose RouterInfos the walk fetches as it goes;
 * 2. warm-up: exploratory tunnels everywhere, then `destinations` destinations (one per host
 *    router) build their client tunnels and publish their LeaseSet2s through them;
 * 3. lookups, through exploratory tunnels as the Router does them: RouterInfos the asking router
 *    does not hold, and LeaseSets of the published destinations from other routers;
 * 4. a steady run of `steadyMs` (tunnels expire after 10 minutes and are rebuilt 2 minutes
 *    ahead, so ten minutes or more see new hops chosen by then-current profiles);
 * 5. the adversary's view of every client tunnel the destinations had from the end of warm-up
 *    on (adversary.ts), sampled every 10 s of simulated time.
 *
 * With `offline` > 0, that fraction of the routers (never a destination's host) goes silent
 * once bootstrapped: still in every netDb, losing all it sends, as routers that left.
 */

export interface SimulationOptions {
  routers: number;
  /** Default 6% of the routers, at least 3. */
  floodfills?: number;
  /** Destinations publishing a LeaseSet2 (each on its own router). Default routers/20, 4..50. */
  destinations?: number;
  /** Default min(100, routers). */
  routerInfoLookups?: number;
  leaseSetLookups?: number;
  /** Fractions of the routers the adversary holds. Default 0, 0.05, 0.1, 0.2. */
  adversary?: readonly number[];
  /** RouterInfos of non-floodfills each router starts with. Default routers/3, 5..50. */
  reseed?: number;
  /** Floodfills each non-floodfill router starts with (floodfills know each other). Default 10 (or all when fewer). */
  reseedFloodfills?: number;
  /** Floodfills each RouterInfo is stored on. Default 4 (or every floodfill when fewer). */
  storeRedundancy?: number;
  /** Most simulated time for each warm-up stage. Default 180 s. */
  warmupMs?: number;
  /** Simulated time after the lookups, tunnels rotating. Default 10 minutes. */
  steadyMs?: number;
  /** Fraction of routers that are gone (dead) after bootstrap. Default 0. */
  offline?: number;
  seed?: string;
  latencyMs?: number;
  jitterMs?: number;
  /** Progress: each phase as it ends (for a CLI's stderr). */
  onPhase?: (phase: string, detail: Record<string, number | string>) => void;
}

export interface Rate {
  asked: number;
  ok: number;
  /** ok / asked (0 when nothing was asked). */
  rate: number;
}

export interface AdversaryRow {
  fraction: number;
  routers: number;
  betweenDestinations: ExposureCount;
  sameDestination: ExposureCount;
  /** fraction²: the share if both hops were picked uniformly and independently among all routers. */
  uniformExpectation: number;
}

export interface SimulationReport {
  config: Required<Omit<SimulationOptions, 'onPhase' | 'adversary'>> & { adversary: number[] };
  netDb: {
    /** meanFloodfillsAsked: floodfills each lookup asked before it ended (the walk's length). */
    routerInfoLookups: Rate & { meanFloodfillsAsked: number };
    leaseSetLookups: Rate;
    /** Destinations whose LeaseSet2 a floodfill confirmed (reply token back) by the end of warm-up. */
    leaseSetsPublished: Rate;
  };
  tunnels: {
    /** Over settled builds (asked = built + every kind of failure); `pending` still awaited a reply at the end. */
    builds: Rate & { rejected: number; timedOut: number; badReply: number; notSent: number; pending: number };
    tests: Rate;
    /** Routers with a live exploratory outbound and inbound tunnel at the end. */
    exploratoryReady: Rate;
    /** Client tunnels the destinations had from warm-up's end on (adversary input). */
    clientTunnels: { outbound: number; inbound: number };
    /** Routers made offline (SimulationOptions.offline). */
    offline: number;
  };
  adversary: AdversaryRow[];
  resources: {
    wallMs: { setup: number; warmup: number; lookups: number; steady: number; total: number };
    simulatedMs: number;
    peakRssMB: number;
    heapUsedMB: number;
    cpuSeconds: number;
    messages: { sent: number; lost: number };
    timersPending: number;
  };
}

/**
 * Destination keys from the seeded source (createDestinationKeys takes its key pairs and padding
 * from node:crypto): the same seed gives the same destination hashes, so the same floodfills.
 */
function seededDestinationKeys(random: SeededRandom): DestinationKeys {
  const signingPrivateKey = random.bytes(32);
  const made = createDestination(ed25519PublicKey(signingPrivateKey));
  const filler = seededPadding(made.publicKey.length + made.padding.length, random);
  const destination = { ...made, publicKey: filler.slice(0, made.publicKey.length), padding: filler.slice(made.publicKey.length) };
  const x25519Private = random.bytes(32);
  return {
    privateKeys: { destination, encryptionPrivateKey: random.bytes(256), signingPrivateKey },
    encryption: { privateKey: x25519Private, publicKey: x25519PublicKey(x25519Private) },
  };
}

function rate(asked: number, ok: number): Rate {
  return { asked, ok, rate: asked === 0 ? 0 : ok / asked };
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, x));
}

function pick<T>(items: readonly T[], random: SeededRandom): T {
  return items[random.int(items.length)];
}

function shuffled<T>(items: readonly T[], random: SeededRandom): T[] {
  const a = items.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

function fraction(name: string, v: number): number {
  if (!Number.isFinite(v) || v < 0 || v >= 1) throw new RangeError(`${name} must be a fraction in [0, 1), got ${v}`);
  return v;
}

export function simulationDefaults(opts: SimulationOptions): SimulationReport['config'] {
  const n = opts.routers;
  if (!Number.isSafeInteger(n) || n < 8) throw new RangeError(`routers must be an integer >= 8, got ${n}`);
  const floodfills = opts.floodfills ?? Math.max(3, Math.round(n * 0.06));
  if (!Number.isSafeInteger(floodfills) || floodfills < 1 || floodfills >= n) throw new RangeError(`floodfills must be 1..${n - 1}, got ${floodfills}`);
  const destinations = opts.destinations ?? clamp(Math.round(n / 20), 4, 50);
  if (!Number.isSafeInteger(destinations) || destinations < 2 || destinations > n - floodfills) {
    throw new RangeError(`destinations must be 2..${n - floodfills} (one per non-floodfill router), got ${destinations}`);
  }
  const count = (name: string, v: number, lo: number, hi: number) => {
    if (!Number.isSafeInteger(v) || v < lo || v > hi) throw new RangeError(`${name} must be an integer in ${lo}..${hi}, got ${v}`);
    return v;
  };
  return {
    routers: n,
    floodfills,
    destinations,
    routerInfoLookups: count('routerInfoLookups', opts.routerInfoLookups ?? Math.min(100, n), 0, 100_000),
    leaseSetLookups: count('leaseSetLookups', opts.leaseSetLookups ?? Math.min(100, n), 0, 100_000),
    adversary: [...(opts.adversary ?? [0, 0.05, 0.1, 0.2])],
    reseed: count('reseed', opts.reseed ?? clamp(Math.floor(n / 3), 5, 50), 0, n - 1),
    reseedFloodfills: count('reseedFloodfills', opts.reseedFloodfills ?? Math.min(10, floodfills), 1, floodfills),
    storeRedundancy: count('storeRedundancy', opts.storeRedundancy ?? Math.min(4, floodfills), 1, floodfills),
    warmupMs: count('warmupMs', opts.warmupMs ?? 180_000, 1_000, 3_600_000),
    steadyMs: count('steadyMs', opts.steadyMs ?? 600_000, 0, 24 * 3_600_000),
    offline: fraction('offline', opts.offline ?? 0),
    seed: opts.seed ?? 'anon sim',
    latencyMs: count('latencyMs', opts.latencyMs ?? 20, 0, 10_000),
    jitterMs: count('jitterMs', opts.jitterMs ?? 30, 0, 10_000),
  };
}

/** Time, memory and CPU as the run goes (RSS sampled at every step of the clock). */
class Meter {
  private readonly cpu0 = process.cpuUsage();
  private readonly t0 = performance.now();
  peakRss = process.memoryUsage.rss();

  sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.peakRss) this.peakRss = rss;
  }

  wall(): number {
    return performance.now() - this.t0;
  }

  cpuSeconds(): number {
    const c = process.cpuUsage(this.cpu0);
    return (c.user + c.system) / 1e6;
  }
}

const STEP_MS = 100;

/** Runs the clock in steps until `done()` holds or `maxMs` passed; true when it held. */
async function runUntil(net: SimNetwork, meter: Meter, done: () => boolean, maxMs: number): Promise<boolean> {
  for (let t = 0; t < maxMs; t += STEP_MS) {
    await net.settle();
    if (done()) return true;
    net.clock.advance(STEP_MS);
    if ((t / STEP_MS) % 10 === 0) meter.sample();
  }
  await net.settle();
  return done();
}

function hasExploratoryPair(r: NetRouter): boolean {
  const out = r.manager.exploratory.pickOutbound();
  const inb = r.manager.exploratory.pickInbound();
  return out !== undefined && inb !== undefined && out.hops.length > 0 && inb.hops.length > 0;
}

/** Fills the netDbs as reseeding, publishing and flooding would have (see the module comment). */
async function bootstrap(net: SimNetwork, cfg: SimulationReport['config']): Promise<void> {
  const now = net.clock.now();
  const random = net.random.fork('reseed');
  const ffs = net.floodfills();
  const ffHashes = ffs.map((f) => f.hash);
  const bytes = net.routers.map((r) => encodeRouterInfo(r.ri));
  const others = net.routers.filter((r) => r.floodfill === undefined);
  const onFloodfill = new Map<NetRouter, Uint8Array[]>(ffs.map((f) => [f, ffs.filter((g) => g !== f).map((g) => bytes[g.index])]));
  for (const r of net.routers) {
    const closest = closestToTarget(r.hash, ffHashes, cfg.storeRedundancy + 1, now).filter((h) => net.router(h) !== r);
    for (const h of closest.slice(0, cfg.storeRedundancy)) onFloodfill.get(net.router(h)!)!.push(bytes[r.index]);
  }
  for (const r of net.routers) {
    const known = r.floodfill ? onFloodfill.get(r)! : shuffled(ffs, random).slice(0, cfg.reseedFloodfills).map((f) => bytes[f.index]);
    const sample = shuffled(others.filter((o) => o !== r), random).slice(0, cfg.reseed);
    const results = await r.netDb.storeMany([...known, ...sample.map((o) => bytes[o.index])], { now, source: 'reseed' });
    const refused = results.find((x) => !x.accepted && x.reason !== 'duplicate');
    if (refused) throw new Error(`router ${r.index} refused a RouterInfo at bootstrap: ${refused.reason}`);
  }
}

async function lookupRouterInfo(net: SimNetwork, c: ClientRouter, target: Uint8Array, queried: number[]): Promise<boolean> {
  const r = c.router;
  const result = await iterativeLookup(
    target,
    {
      now: () => net.clock.now(),
      ourHash: r.hash,
      floodfills: () => r.netDb.all().filter((e) => isFloodfill(e.routerInfo)).map((e) => e.hash),
      has: (h) => r.netDb.has(h),
      // As the Router asks once it has tunnels: out an exploratory tunnel, back through another.
      ask: (ff, key, type, timeoutMs) => {
        const outbound = r.manager.exploratory.pickOutbound();
        const inbound = r.manager.exploratory.pickInbound();
        if (!outbound || !inbound) return Promise.reject(new Error('no exploratory tunnels'));
        return c.tunnelLookups.lookup(ff, key, { outbound, inbound }, type, timeoutMs);
      },
      storeRouterInfo: (h, data) => net.storeLookedUp(r, h, data),
      isFloodfill: (h) => {
        const e = r.netDb.get(h);
        return e !== undefined && isFloodfill(e.routerInfo);
      },
    },
    { lookupType: 'routerinfo' },
  );
  queried.push(result.queried.length);
  return result.found && result.storeType === StoreType.RouterInfo && r.netDb.has(target);
}

/** Starts `count` lookups at random times within `spreadMs` of simulated time; a lookup that throws counts as failed. */
function spread(net: SimNetwork, count: number, spreadMs: number, random: SeededRandom, one: () => Promise<boolean>): { done: () => boolean; ok: () => number } {
  let settled = 0;
  let ok = 0;
  for (let i = 0; i < count; i++) {
    net.clock.setTimer(random.int(spreadMs + 1), () => {
      one().then(
        (found) => {
          settled++;
          if (found) ok++;
        },
        () => settled++,
      );
    });
  }
  return { done: () => settled === count, ok: () => ok };
}

export async function runSimulation(opts: SimulationOptions): Promise<SimulationReport> {
  const cfg = simulationDefaults(opts);
  const phase = opts.onPhase ?? (() => undefined);
  const meter = new Meter();
  const n = cfg.routers;
  const random = new SeededRandom(cfg.seed);
  const ffIndices = shuffled(
    Array.from({ length: n }, (_, i) => i),
    random.fork('floodfills'),
  ).slice(0, cfg.floodfills);

  const clients = await ClientNetwork.create(
    {
      routers: n,
      seed: cfg.seed,
      floodfills: ffIndices,
      latencyMs: cfg.latencyMs,
      jitterMs: cfg.jitterMs,
      clock: new HeapClock(T0),
      netDb: 'local',
      selection: 'profiles',
      keepDelivered: false,
      // The Router's defaults (config.ts TUNNEL_DEFAULTS): two hops, two tunnels each way.
      inbound: { length: 2, quantity: 2, variance: 0 },
      outbound: { length: 2, quantity: 2, variance: 0 },
    },
    (net) => bootstrap(net, cfg),
  );
  const net = clients.net;
  const setupMs = meter.wall();
  meter.sample();
  phase('setup', { routers: n, floodfills: cfg.floodfills, wallS: (setupMs / 1000).toFixed(1), rssMB: Math.round(meter.peakRss / 2 ** 20) });

  const hosts = shuffled(
    clients.clients.filter((c) => c.router.floodfill === undefined),
    random.fork('destinations'),
  ).slice(0, cfg.destinations);
  const hostRouters = new Set(hosts.map((h) => h.router));
  const offline = shuffled(
    net.routers.filter((r) => !hostRouters.has(r)),
    random.fork('offline'),
  ).slice(0, Math.round(cfg.offline * n));
  for (const r of offline) r.dead = true;
  const online = net.routers.filter((r) => !r.dead);

  try {
    // Routers that left never start: their managers build nothing and test nothing.
    for (const r of online) r.manager.start();
    const readyCount = () => online.filter(hasExploratoryPair).length;
    await runUntil(net, meter, () => readyCount() >= 0.95 * online.length, cfg.warmupMs);
    phase('exploratory tunnels', { ready: readyCount(), simS: ((net.clock.now() - T0) / 1000).toFixed(0), wallS: (meter.wall() / 1000).toFixed(1) });

    const keyRandom = random.fork('destination keys');
    const dests: LocalDestination[] = hosts.map((c) => c.destinations.create(seededDestinationKeys(keyRandom), { publish: true }));
    const confirmed = () => dests.filter((d) => d.counters.confirmed > 0).length;
    await runUntil(net, meter, () => confirmed() === dests.length, cfg.warmupMs);
    const warmupEnd = meter.wall();
    phase('leasesets published', { confirmed: confirmed(), of: dests.length, simS: ((net.clock.now() - T0) / 1000).toFixed(0), wallS: (warmupEnd / 1000).toFixed(1) });

    // Every client tunnel seen in a pool from now on (tunnels are objects: a Set keeps each once).
    const seenOut = dests.map(() => new Set<OutboundTunnel>());
    const seenIn = dests.map(() => new Set<InboundTunnel>());
    const sampleTunnels = () =>
      dests.forEach((d, i) => {
        for (const t of d.pool.outbound) if (t.hops.length > 0) seenOut[i].add(t);
        for (const t of d.pool.inbound) if (t.hops.length > 0) seenIn[i].add(t);
      });
    sampleTunnels();
    let sampling = true;
    const sampleLoop = () => {
      if (!sampling) return;
      sampleTunnels();
      net.clock.setTimer(10_000, sampleLoop);
    };
    net.clock.setTimer(10_000, sampleLoop);

    // Lookups from routers that have exploratory tunnels (the others could not ask yet).
    const askers = clients.clients.filter((c) => !c.router.dead && c.router.floodfill === undefined && hasExploratoryPair(c.router));
    const lookRandom = random.fork('lookups');
    const riTargets = (c: ClientRouter): Uint8Array => {
      const unknown = net.routers.filter((r) => r !== c.router && !c.router.netDb.has(r.hash));
      // A router that knows everyone still asks the network (the walk does not look locally).
      return pick(unknown.length > 0 ? unknown : net.routers.filter((r) => r !== c.router), lookRandom).hash;
    };
    const riQueried: number[] = [];
    const ri = spread(net, askers.length > 0 ? cfg.routerInfoLookups : 0, 20_000, lookRandom, () => {
      const c = pick(askers, lookRandom);
      return lookupRouterInfo(net, c, riTargets(c), riQueried);
    });
    const hostSet = new Set(hosts);
    const lsAskers = askers.filter((c) => !hostSet.has(c));
    const ls = spread(net, lsAskers.length > 0 ? cfg.leaseSetLookups : 0, 20_000, lookRandom, async () => {
      const d = pick(dests, lookRandom);
      const c = pick(lsAskers, lookRandom);
      return (await c.lookupLeaseSet(d.hash)) !== undefined;
    });
    // Every lookup ends by its own total timeout (30 s) after it starts.
    await runUntil(net, meter, () => ri.done() && ls.done(), 20_000 + 60_000);
    const lookupsEnd = meter.wall();
    phase('lookups', { routerInfo: `${ri.ok()}/${cfg.routerInfoLookups}`, leaseSet: `${ls.ok()}/${cfg.leaseSetLookups}`, wallS: (lookupsEnd / 1000).toFixed(1) });

    await runUntil(net, meter, () => false, cfg.steadyMs);
    sampleTunnels();
    sampling = false;
    const steadyEnd = meter.wall();
    phase('steady', { simS: ((net.clock.now() - T0) / 1000).toFixed(0), wallS: (steadyEnd / 1000).toFixed(1), rssMB: Math.round(meter.peakRss / 2 ** 20) });

    const ends: TunnelEnds[] = dests.map((d, i) => ({
      owner: d.b32,
      outboundFirstHops: [...seenOut[i]].map((t) => i2pBase64Encode(t.hops[0].hash)),
      inboundLastHops: [...seenIn[i]].map((t) => i2pBase64Encode(t.hops[t.hops.length - 1].hash)),
    }));
    // The adversary holds routers that are up, other than the destinations' own (those see everything anyway).
    const eligible = shuffled(
      online.filter((r) => !hostRouters.has(r)).map((r) => r.b64),
      random.fork('adversary'),
    );
    const sets = nestedAdversaries(eligible, n, cfg.adversary);
    const adversary: AdversaryRow[] = cfg.adversary.map((fraction) => {
      const set = sets.get(fraction)!;
      const e = exposure(ends, set);
      return { fraction, routers: set.size, ...e, uniformExpectation: fraction * fraction };
    });

    const builds = { attempted: 0, succeeded: 0, rejected: 0, timedOut: 0, badReply: 0, notSent: 0 };
    const tests = { ok: 0, failed: 0 };
    let sent = 0;
    let lost = 0;
    for (const r of net.routers) {
      const b = r.manager.stats.builds;
      builds.attempted += b.attempted;
      builds.succeeded += b.succeeded;
      builds.rejected += b.rejected;
      builds.timedOut += b.timedOut;
      builds.badReply += b.badReply;
      builds.notSent += b.notSent;
      tests.ok += r.manager.stats.tests.ok;
      tests.failed += r.manager.stats.tests.failed;
      sent += r.sent;
      lost += r.lost;
    }
    // Builds still waiting for their reply at the end are neither success nor failure.
    const settledBuilds = builds.succeeded + builds.rejected + builds.timedOut + builds.badReply + builds.notSent;
    meter.sample();
    return {
      config: cfg,
      netDb: {
        routerInfoLookups: { ...rate(cfg.routerInfoLookups, ri.ok()), meanFloodfillsAsked: riQueried.length === 0 ? 0 : Math.round((riQueried.reduce((a, b) => a + b, 0) / riQueried.length) * 100) / 100 },
        leaseSetLookups: rate(cfg.leaseSetLookups, ls.ok()),
        leaseSetsPublished: rate(dests.length, confirmed()),
      },
      tunnels: {
        builds: {
          ...rate(settledBuilds, builds.succeeded),
          rejected: builds.rejected,
          timedOut: builds.timedOut,
          badReply: builds.badReply,
          notSent: builds.notSent,
          pending: builds.attempted - settledBuilds,
        },
        tests: rate(tests.ok + tests.failed, tests.ok),
        exploratoryReady: rate(online.length, readyCount()),
        clientTunnels: { outbound: ends.reduce((k, e) => k + e.outboundFirstHops.length, 0), inbound: ends.reduce((k, e) => k + e.inboundLastHops.length, 0) },
        offline: offline.length,
      },
      adversary,
      resources: {
        wallMs: { setup: Math.round(setupMs), warmup: Math.round(warmupEnd - setupMs), lookups: Math.round(lookupsEnd - warmupEnd), steady: Math.round(steadyEnd - lookupsEnd), total: Math.round(meter.wall()) },
        simulatedMs: net.clock.now() - T0,
        peakRssMB: Math.round(meter.peakRss / 2 ** 20),
        heapUsedMB: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
        cpuSeconds: Math.round(meter.cpuSeconds() * 10) / 10,
        messages: { sent, lost },
        timersPending: net.clock.pending,
      },
    };
  } finally {
    clients.stop();
  }
}
