import { b32FromHash, decodeLeaseSet2, equalBytes, i2pBase64Decode, i2pBase64Encode, isFloodfill, leaseSet2Hash, verifyLeaseSet2, type LeaseSet2 } from '../../data/index.js';
import { StoreType } from '../../i2np/index.js';
import { routerInfoReport } from '../../info.js';
import { iterativeLookup } from '../../netdb/iterative-lookup.js';
import { routerInfoSummary } from '../../netdb/index.js';
import type { Router } from '../../router.js';
import { namesControlHandlers } from './names-handlers.js';
import { destinationControlHandlers } from './destination-handlers.js';
import { httpProxyControlHandlers } from '../http-proxy/control-handlers.js';

/**
 * What the running router answers on its control socket (`anon-router status`, `netdb …`,
 * `testnet …`, tests). Each method validates its params and calls into the router; nothing
 * here keeps state.
 */
/** Explicit trial peers at most: each unknown one costs a netDb lookup. */
const MAX_TRIAL_PEERS = 64;

export function routerControlHandlers(router: Router): Record<string, (params: unknown) => Promise<unknown>> {
  return {
    ...namesControlHandlers(router.addressBook),
    ...httpProxyControlHandlers(router.httpProxy),
    ...destinationControlHandlers(router.destinations, () => router.clock.now()),
    status: async () => router.status(),
    'netdb.lookup': async (params) => {
      const p = (params ?? {}) as { key?: unknown; floodfill?: unknown; timeoutMs?: unknown };
      if (typeof p.key !== 'string') throw new Error('params.key: a router hash in I2P base64');
      const key = i2pBase64Decode(p.key, 'key');
      const ff = typeof p.floodfill === 'string' ? i2pBase64Decode(p.floodfill, 'floodfill') : undefined;
      const timeout = typeof p.timeoutMs === 'number' ? p.timeoutMs : undefined;
      const r = await router.lookupDirect(key, ff, timeout);
      return r.kind === 'store'
        ? { kind: r.kind, floodfill: r.floodfill, rttMs: r.rttMs, storeType: r.storeType }
        : { kind: r.kind, floodfill: r.floodfill, rttMs: r.rttMs, peers: r.peers.map((h) => i2pBase64Encode(h)) };
    },
    peers: async () => ({
      connected: router.transport.connectedPeers().map((h) => i2pBase64Encode(h)),
      known: router.netDb.all().map((e) => e.key),
    }),
    info: async () => {
      const { ri, bytes } = router.routerInfo();
      return routerInfoReport(router.paths, { ...router.identity, created: false }, ri, bytes);
    },
    transport: async () => ({ ...router.transport.stats(), sessionList: router.transport.sessionList(), inbound: router.inbound.counters, unknownPeers: { ...router.unknownPeers.counters, pending: router.unknownPeers.pending } }),
    'netdb.stats': async () => ({
      routerInfos: router.netDb.count,
      floodfills: router.netDb.all().filter((e) => isFloodfill(e.routerInfo)).length,
      floodfill: router.floodfill ? { ...router.floodfill.counters } : null,
      exploration: { ...router.explorer.counters },
      publishing: { ...router.publisher.counters, lastConfirmed: router.publisher.lastConfirmedAt ? new Date(router.publisher.lastConfirmedAt).toISOString() : null },
      inbound: { ...router.inbound.counters },
      lookupsInFlight: router.lookups.pending,
    }),
    'netdb.findLeaseSet': async (params: unknown) => {
      const p = (params ?? {}) as { key?: unknown; timeoutMs?: unknown };
      if (typeof p.key !== 'string') throw new Error('params.key: a destination hash in I2P base64');
      const key = i2pBase64Decode(p.key, 'key');
      const now = router.clock.now();
      const held = router.floodfill?.leaseSetHeld(key, now);
      if (held) return { found: true, source: 'local floodfill store', leaseSet: leaseSetSummary(held) };
      const started = now;
      const r = await iterativeLookup(key, router.lookupDeps, { lookupType: 'any', ...(typeof p.timeoutMs === 'number' && { totalTimeoutMs: p.timeoutMs }) });
      const base = { source: 'floodfills (iterative)', queried: r.queried, ms: router.clock.now() - started, ...(r.foundAt && { floodfill: r.foundAt }) };
      if (!r.found || r.data === undefined || r.storeType !== StoreType.LeaseSet2) return { found: false, ...base, reason: r.reason ?? 'not a LeaseSet2' };
      // A floodfill's answer is only as good as its signature: check it is the destination's.
      let ls: LeaseSet2;
      try {
        ls = decodeLeaseSet2(r.data);
      } catch (e) {
        return { found: false, ...base, reason: `undecodable LeaseSet2: ${(e as Error).message}` };
      }
      if (!equalBytes(leaseSet2Hash(ls), key) || !verifyLeaseSet2(ls, { now: router.clock.now() })) return { found: false, ...base, reason: 'the LeaseSet2 did not verify' };
      return { found: true, ...base, leaseSet: leaseSetSummary(ls) };
    },
    // What our floodfill holds for others (none when we are not one): which destinations, and
    // through which gateways they are reached.
    'netdb.leaseSets': async () => (router.floodfill?.leaseSetsHeld(router.clock.now()) ?? []).map(leaseSetSummary),
    'netdb.find': async (params: unknown) => {
      const p = (params ?? {}) as { key?: unknown; floodfill?: unknown; timeoutMs?: unknown };
      if (typeof p.key !== 'string') throw new Error('params.key: a router hash in I2P base64');
      const key = i2pBase64Decode(p.key, 'key');
      const local = router.netDb.get(key);
      if (local) return { found: true, source: 'local netDb', router: routerInfoSummary(local.routerInfo) };
      if (typeof p.floodfill === 'string') {
        // One floodfill named by the user: ask it alone.
        const r = await router.lookupDirect(key, i2pBase64Decode(p.floodfill, 'floodfill'), typeof p.timeoutMs === 'number' ? p.timeoutMs : undefined);
        if (r.kind === 'searchReply') return { found: false, source: 'floodfill', floodfill: r.floodfill, rttMs: r.rttMs, closerPeers: r.peers.map((h) => i2pBase64Encode(h)) };
        const stored = await waitForEntry(() => router.netDb.get(key), 1_000);
        return stored
          ? { found: true, source: 'floodfill', floodfill: r.floodfill, rttMs: r.rttMs, router: routerInfoSummary(stored.routerInfo) }
          : { found: false, source: 'floodfill', floodfill: r.floodfill, rttMs: r.rttMs, refused: 'the RouterInfo it sent did not verify' };
      }
      const started = router.clock.now();
      const r = await iterativeLookup(key, router.lookupDeps, {
        lookupType: 'routerinfo',
        ...(typeof p.timeoutMs === 'number' && { totalTimeoutMs: p.timeoutMs }),
      });
      const stored = r.found ? await waitForEntry(() => router.netDb.get(key), 1_000) : undefined;
      return {
        found: stored !== undefined,
        source: 'floodfills (iterative)',
        ...(r.foundAt && { floodfill: r.foundAt }),
        queried: r.queried,
        ms: router.clock.now() - started,
        ...(stored ? { router: routerInfoSummary(stored.routerInfo) } : { reason: r.reason }),
      };
    },
    'netdb.lookupViaTunnels': async (params) => {
      const p = (params ?? {}) as { key?: unknown; floodfill?: unknown; timeoutMs?: unknown };
      if (typeof p.key !== 'string') throw new Error('params.key: a router hash in I2P base64');
      const key = i2pBase64Decode(p.key, 'key');
      const ff = typeof p.floodfill === 'string' ? i2pBase64Decode(p.floodfill, 'floodfill') : undefined;
      const r = await router.lookupViaTunnels(key, ff, typeof p.timeoutMs === 'number' ? p.timeoutMs : undefined);
      const via = { floodfill: r.floodfill, rttMs: r.rttMs, outboundHops: r.outboundHops, inboundHops: r.inboundHops };
      return r.kind === 'store' ? { kind: r.kind, ...via, storeType: r.storeType } : { kind: r.kind, ...via, peers: r.peers.map((h) => i2pBase64Encode(h)) };
    },
    'tunnels.list': async () => {
      const now = router.clock.now();
      const own = router.tunnels.ownTunnels().map((t) => ({
        direction: t.direction,
        pool: t.pool,
        hops: t.hops.map((h) => i2pBase64Encode(h.hash)),
        expiresInMs: t.expiresAt - now,
        messages: t.messages,
        bytes: t.bytes,
      }));
      return { own, participating: router.tunnels.transit.describe(), transit: { ...router.tunnels.transit.counters }, builds: { ...router.tunnels.builds.counters }, stats: router.tunnels.stats };
    },
    'tunnels.trial': async (params) => {
      const p = (params ?? {}) as { count?: unknown; hops?: unknown; concurrency?: unknown; peers?: unknown };
      const int = (v: unknown, min: number, max: number, what: string): number => {
        if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new Error(`params.${what}: an integer ${min}..${max}`);
        return v;
      };
      const peers = Array.isArray(p.peers) ? p.peers.map((h, i) => (typeof h === 'string' ? i2pBase64Decode(h, `peers[${i}]`) : (() => { throw new Error(`params.peers[${i}]: a router hash`); })())) : undefined;
      // Explicit peers we have never seen are looked up first: a build needs each hop's key.
      if (peers) {
        if (peers.length > MAX_TRIAL_PEERS) throw new Error(`params.peers: at most ${MAX_TRIAL_PEERS} routers`);
        const unknown = await router.learnRouterInfos(peers);
        if (unknown.length > 0) throw new Error(`params.peers: no RouterInfo found for ${unknown.map((h) => i2pBase64Encode(h).slice(0, 8)).join(', ')}`);
      }
      return router.tunnels.trial({
        count: int(p.count, 1, 1000, 'count'),
        hops: int(p.hops, 1, 7, 'hops'),
        concurrency: p.concurrency === undefined ? 4 : int(p.concurrency, 1, 32, 'concurrency'),
        ...(peers && { peers }),
      });
    },
    'netdb.publish': async () => router.publisher.publishNow(),
    'netdb.list': async () => router.netDb.all().map((e) => routerInfoSummary(e.routerInfo)),
    stop: async (params: unknown) => {
      const graceful = (params as { graceful?: boolean } | undefined)?.graceful !== false;
      // Answer first, then stop: the caller waits for the process to exit.
      setImmediate(() => void router.stop({ graceful }));
      return { stopping: true };
    },
  };
}

function leaseSetSummary(ls: LeaseSet2) {
  return {
    destination: b32FromHash(leaseSet2Hash(ls)),
    published: new Date(ls.published * 1000).toISOString(),
    expires: new Date((ls.published + ls.expires) * 1000).toISOString(),
    encryptionKeys: ls.encryptionKeys.map((k) => `type ${k.type} (${k.key.length} bytes)`),
    leases: ls.leases.map((l) => ({ gateway: i2pBase64Encode(l.gateway), tunnelId: l.tunnelId, end: new Date(l.endDate * 1000).toISOString() })),
  };
}

/** The netDb stores asynchronously; a just-arrived entry may take a moment to be indexed. */
async function waitForEntry<T>(get: () => T | undefined, ms: number): Promise<T | undefined> {
  for (let waited = 0; waited <= ms; waited += 50) {
    const v = get();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  return undefined;
}
