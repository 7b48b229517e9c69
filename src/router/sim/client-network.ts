/**
 * Local destinations on a SimNetwork: every router gets a Destinations wired as the Router
 * wires it (deliverLocal asks it first, by the pool of the inbound tunnel; ratchet garlic per
 * destination; closest floodfills by today's routing key), and LeaseSet lookups go the real
 * way: an iterative lookup whose questions leave through the exploratory pool's outbound
 * tunnels (TunnelLookups), answered by the real Floodfill of the floodfill routers, the answer
 * coming back through an exploratory inbound tunnel under a one-time tag.
 */
import { encodeLeaseSet2, encodeRouterInfo, isFloodfill } from '../data/index.js';
import { Destinations } from '../client/destinations.js';
import type { LeaseSetLookup } from '../client/destination.js';
import { RatchetEngine } from '../garlic/ratchet/engine.js';
import { StoreType } from '../i2np/index.js';
import { silentLogger } from '../log.js';
import { describeLookupMiss, iterativeLookup } from '../netdb/iterative-lookup.js';
import { closestToTarget } from '../netdb/routing-key.js';
import { TunnelLookups } from '../netdb/tunnel-lookup.js';
import { SimNetwork, type NetRouter, type NetworkOptions } from './network.js';

export interface ClientRouter {
  router: NetRouter;
  destinations: Destinations;
  tunnelLookups: TunnelLookups;
  /** LeaseSet lookups this router's destinations asked for, and how many found one. */
  lookups: { asked: number; found: number };
  /** The router's LeaseSet lookup (what its destinations' resolve calls): the LeaseSet2 bytes or undefined. */
  lookupLeaseSet: (hash: Uint8Array) => Promise<Uint8Array | undefined>;
}

export class ClientNetwork {
  readonly clients: ClientRouter[];

  private constructor(readonly net: SimNetwork) {
    this.clients = net.routers.map((r) => this.wire(r));
  }

  /**
   * `bootstrap` fills the netDbs before the routers are wired; by default every floodfill knows
   * every router (their search replies and floods need RouterInfos).
   */
  static async create(opts: NetworkOptions, bootstrap?: (net: SimNetwork) => Promise<void>): Promise<ClientNetwork> {
    const net = await SimNetwork.create(opts);
    if (bootstrap) {
      await bootstrap(net);
      return new ClientNetwork(net);
    }
    for (const ff of net.floodfills()) {
      for (const r of net.routers) {
        if (r === ff) continue;
        const stored = await ff.netDb.store(encodeRouterInfo(r.ri), { now: net.clock.now(), source: 'test' });
        if (!stored.accepted) throw new Error(`floodfill ${ff.index} refused router ${r.index}: ${stored.reason}`);
      }
    }
    return new ClientNetwork(net);
  }

  private wire(r: NetRouter): ClientRouter {
    const { clock } = this.net;
    // With local netDbs a router knows only the floodfills its own netDb holds, as a Router.
    const floodfillHashes = this.net.localNetDb
      ? () => r.netDb.all().filter((e) => isFloodfill(e.routerInfo)).map((e) => e.hash)
      : () => this.net.floodfills().map((f) => f.hash);
    const tunnelLookups = new TunnelLookups({
      clock,
      random: r.random,
      send: (outbound, ff, message) => r.manager.sendToRouter(outbound, ff, message),
      registerReplyKey: (tag, key) => r.tagStore.add(tag, key),
    });
    const lookups = { asked: 0, found: 0 };
    const findLeaseSet = async (hash: Uint8Array): Promise<LeaseSetLookup> => {
      lookups.asked++;
      const held = r.floodfill?.leaseSetHeld(hash, clock.now());
      if (held) {
        lookups.found++;
        return { data: encodeLeaseSet2(held) };
      }
      const result = await iterativeLookup(
        hash,
        {
          now: () => clock.now(),
          ourHash: r.hash,
          floodfills: floodfillHashes,
          has: (h) => this.net.knownTo(r, h) !== undefined,
          isFloodfill: this.net.localNetDb
            ? (h) => {
                const e = r.netDb.get(h);
                return e !== undefined && isFloodfill(e.routerInfo);
              }
            : (h) => this.net.router(h)?.floodfill !== undefined,
          ...(this.net.localNetDb && { storeRouterInfo: (h, data) => this.net.storeLookedUp(r, h, data) }),
          ask: (ff, key, type, timeoutMs) => {
            const outbound = r.manager.exploratory.pickOutbound();
            const inbound = r.manager.exploratory.pickInbound();
            if (!outbound || !inbound) return Promise.reject(new Error('no exploratory tunnels'));
            return tunnelLookups.lookup(ff, key, { outbound, inbound }, type, timeoutMs);
          },
        },
        { lookupType: 'leaseset' },
      );
      if (!result.found || result.storeType !== StoreType.LeaseSet2) return { miss: describeLookupMiss(result) };
      lookups.found++;
      return { data: result.data! };
    };
    const lookupLeaseSet = async (hash: Uint8Array): Promise<Uint8Array | undefined> => (await findLeaseSet(hash)).data;
    const destinations = new Destinations({
      clock,
      random: r.random,
      log: silentLogger,
      tunnels: r.manager,
      closestFloodfills: (key, n) => closestToTarget(key, floodfillHashes(), n, clock.now()),
      lookupLeaseSet: findLeaseSet,
      makeGarlic: (keys, opts) =>
        new RatchetEngine({
          staticPrivateKey: keys.encryption.privateKey,
          staticPublicKey: keys.encryption.publicKey,
          clock,
          random: r.random,
          ...(opts.ratchetThreshold !== undefined && { opts: { ratchetThreshold: opts.ratchetThreshold } }),
        }),
    });
    r.local = (msg, via) => destinations.route(msg, via);
    r.tunnelReply = (msg) => tunnelLookups.onMessage(msg);
    return { router: r, destinations, tunnelLookups, lookups, lookupLeaseSet };
  }

  client(index: number): ClientRouter {
    return this.clients[index];
  }

  stop(): void {
    for (const c of this.clients) {
      c.destinations.stop();
      c.tunnelLookups.stop();
    }
    this.net.stop();
  }
}
