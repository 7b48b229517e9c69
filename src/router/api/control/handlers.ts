import { i2pBase64Decode, i2pBase64Encode, isFloodfill } from '../../data/index.js';
import { routerInfoReport } from '../../info.js';
import { iterativeLookup } from '../../netdb/iterative-lookup.js';
import { routerInfoSummary } from '../../netdb/index.js';
import type { Router } from '../../router.js';

/**
 * What the running router answers on its control socket (`anon-router status`, `netdb …`,
 * `testnet …`, tests). Each method validates its params and calls into the router; nothing
 * here keeps state.
 */
export function routerControlHandlers(router: Router): Record<string, (params: unknown) => Promise<unknown>> {
  return {
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
    transport: async () => ({ ...router.transport.stats(), sessionList: router.transport.sessionList(), inbound: router.inbound.counters }),
    'netdb.stats': async () => ({
      routerInfos: router.netDb.count,
      floodfills: router.netDb.all().filter((e) => isFloodfill(e.routerInfo)).length,
      floodfill: router.floodfill ? { ...router.floodfill.counters } : null,
      exploration: { ...router.explorer.counters },
      publishing: { ...router.publisher.counters, lastConfirmed: router.publisher.lastConfirmedAt ? new Date(router.publisher.lastConfirmedAt).toISOString() : null },
      inbound: { ...router.inbound.counters },
      lookupsInFlight: router.lookups.pending,
    }),
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

/** The netDb stores asynchronously; a just-arrived entry may take a moment to be indexed. */
async function waitForEntry<T>(get: () => T | undefined, ms: number): Promise<T | undefined> {
  for (let waited = 0; waited <= ms; waited += 50) {
    const v = get();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  return undefined;
}
