import { writeKeyFile, type Storage } from '../state/index.js';
import { startControlServer } from './api/control/server.js';
import { routerControlHandlers } from './api/control/handlers.js';
import type { RouterStatus } from './api/control/protocol.js';
import { checkRouterConfig, loadRouterConfig, saveRouterConfig, type RouterConfig } from './config.js';
import { encodeRouterInfo, equalBytes, i2pBase64Encode, isFloodfill, routerInfoCaps, type RouterInfo } from './data/index.js';
import { openRouterState, type RouterPaths } from './home.js';
import { loadOrCreateLocalIdentity, signLocalRouterInfo, type LocalIdentity } from './identity/local-router.js';
import { ROUTER_VERSION } from './identity/version.js';
import { loadReseed, RouterInfoStore } from './netdb/index.js';
import { DirectLookups, type DirectLookupResult } from './netdb/direct-lookup.js';
import { encodeMessage, gunzipRouterInfo, gzipRouterInfo, I2npType, StoreType, type I2npBody, type I2npMessage } from './i2np/index.js';
import { Floodfill } from './netdb/floodfill.js';
import { FloodVerifier } from './netdb/flood-verifier.js';
import { LeaseSetStore } from './netdb/lease-set-store.js';
import { RouterInfoPublisher } from './netdb/publisher.js';
import { Explorer } from './netdb/explorer.js';
import type { IterativeLookupDeps } from './netdb/iterative-lookup.js';
import { EphemeralReplayCache, noiseNState, OneTimeTagStore, openGarlic } from './garlic/index.js';
import { wrapForRouter } from './garlic/wrap.js';
import { InboundDispatcher } from './inbound.js';
import { PeerConnector } from './peers/connector.js';
import { TransportManager } from './transport/manager.js';
import { UnknownPeerQueue } from './transport/unknown-peers.js';
import { shortId } from './info.js';
import { silentLogger, type Logger } from './log.js';
import { BandwidthMeter, cryptoRandom, nodeNetwork, systemClock, TokenBucket, type Clock, type Network, type RandomSource, type TimerHandle } from './runtime/index.js';
import { PeerProfiles } from './peers/profiles.js';
import { PeerSelector } from './peers/selection.js';
import { TransitPolicy } from './tunnel/transit-policy.js';
import { TunnelManager } from './tunnel/manager.js';
import { buildTunnelBlocks } from './tunnel/fragmenter.js';
import { TunnelLookups, type TunnelLookupResult } from './netdb/tunnel-lookup.js';
import type { InboundTunnel, OutboundTunnel } from './tunnel/tunnel.js';
import { Destinations } from './client/destinations.js';
import { DEFAULT_DESTINATION_OPTIONS, type LeaseSetLookup } from './client/destination.js';
import { RatchetEngine } from './garlic/ratchet/engine.js';
import { closestToTarget } from './netdb/routing-key.js';
import { describeLookupMiss, iterativeLookup } from './netdb/iterative-lookup.js';
import { encodeLeaseSet2 } from './data/index.js';
import { AddressBook } from './client/addressbook.js';
import { RouterHttpProxy } from './api/http-proxy/router-proxy.js';
import { RouterSam } from './api/sam/router-sam.js';

/** Profiles are a cache: written this often (and at stop), not synced. */
const PROFILE_FLUSH_MS = 60_000;
/** A lookup for a router a message is waiting on: a tunnel build times out after 15 s. */
const UNKNOWN_PEER_LOOKUP_MS = 10_000;

/** Re-sign our RouterInfo this often; peers refuse one older than 90 minutes (PITFALLS.md). */
const ROUTER_INFO_REFRESH_MS = 30 * 60_000;

export interface RouterOptions {
  home: string;
  /** Flags given on this start; they are saved and stay in force on later starts. */
  config?: Partial<Omit<RouterConfig, 'ntcp2' | 'httpProxy' | 'sam'>> & { ntcp2?: Partial<RouterConfig['ntcp2']>; httpProxy?: Partial<RouterConfig['httpProxy']>; sam?: Partial<RouterConfig['sam']> };
  /**
   * For this run only, never saved: an app that embeds the user's router keeps its local
   * services (SAM, HTTP proxy) off without changing what `anon-router start` does next time.
   */
  runOnly?: { sam?: Partial<RouterConfig['sam']>; httpProxy?: Partial<RouterConfig['httpProxy']> };
  /** A folder of routerInfo-*.dat files, a .zip or a .su3 to bootstrap from. */
  reseed?: string;
  clock?: Clock;
  random?: RandomSource;
  network?: Network;
  log?: Logger;
}

/**
 * One router: the composition root. It owns the state (LevelDB, keys), signs its RouterInfo,
 * and wires the components; each component gets what it needs from here and nothing else.
 */
export class Router {
  readonly clock: Clock;
  private readonly random: RandomSource;
  readonly network: Network;
  private readonly log: Logger;
  private startedAt = 0;
  private refreshTimer: TimerHandle | undefined;
  private control: { close(): Promise<void> } | undefined;
  private current: { ri: RouterInfo; bytes: Uint8Array } | undefined;
  private stopping: Promise<void> | undefined;
  private readonly stopWaiters: (() => void)[] = [];
  readonly netDb: RouterInfoStore;
  readonly transport: TransportManager;
  /** Messages for routers we have no RouterInfo for, waiting on a netDb lookup. */
  readonly unknownPeers: UnknownPeerQueue;
  readonly lookups: DirectLookups;
  readonly inbound: InboundDispatcher;
  readonly floodfill: Floodfill | undefined;
  readonly publisher: RouterInfoPublisher;
  readonly explorer: Explorer;
  readonly lookupDeps: IterativeLookupDeps;
  /** One-time reply keys of our own ECIES lookups (their answers come back as tagged garlic). */
  readonly tagStore: OneTimeTagStore;
  private readonly connector: PeerConnector;
  private readonly reseedPath: string | undefined;
  readonly profiles: PeerProfiles;
  readonly bandwidth: BandwidthMeter;
  readonly transitPolicy: TransitPolicy;
  private readonly transitBucket: TokenBucket;
  readonly tunnels: TunnelManager;
  readonly tunnelLookups: TunnelLookups;
  /** Names ↔ destinations (hosts.txt style), kept in the router's LevelDB. */
  readonly addressBook: AddressBook;
  /** Our local destinations (each with its own tunnels and garlic). */
  readonly destinations: Destinations;
  /** The browsers' HTTP proxy (127.0.0.1:4444 by default), with its own client destination. */
  readonly httpProxy: RouterHttpProxy;
  /** The SAM v3 bridge for applications (127.0.0.1:7656, datagrams on UDP 7655, by default). */
  readonly sam: RouterSam;
  private meterTimer: TimerHandle | undefined;
  private profileTimer: TimerHandle | undefined;
  private lastBytes = { in: 0, out: 0 };

  private constructor(
    readonly paths: RouterPaths,
    readonly storage: Storage,
    readonly config: RouterConfig,
    readonly identity: LocalIdentity,
    readonly home: string,
    opts: RouterOptions,
  ) {
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? cryptoRandom;
    this.network = opts.network ?? nodeNetwork;
    this.log = opts.log ?? silentLogger;
    this.reseedPath = opts.reseed;
    this.netDb = new RouterInfoStore({ storage, netId: config.netId, ownHash: identity.keys.hash });
    const now = () => this.clock.now();
    this.transport = new TransportManager(
      {
        routerHash: identity.keys.hash,
        staticPrivateKey: identity.ntcp2.staticPrivateKey,
        staticPublicKey: identity.ntcp2.staticPublicKey,
        iv: identity.ntcp2.iv,
        netId: config.netId,
        testnet: config.testnet,
        host: config.ntcp2.host,
        port: config.ntcp2.port,
      },
      {
        clock: this.clock,
        random: this.random,
        network: this.network,
        log: this.log.child('ntcp2'),
        routerInfo: () => this.routerInfo().bytes,
        lookup: (hash) => this.netDb.get(hash)?.routerInfo,
        // A router we know nothing of (a tunnel's next hop, typically): look it up first.
        unknownPeer: (hash, i2np) => this.unknownPeers.enqueue(hash, i2np),
        events: {
          message: (from, i2np) => this.inbound.onMessage(from, i2np),
          routerInfo: (from, bytes) => this.inbound.onRouterInfo(from, bytes),
          connected: (peer) => this.sendOurRouterInfo(peer),
        },
      },
    );
    this.tagStore = new OneTimeTagStore({ clock: this.clock });
    this.lookups = new DirectLookups({
      ourHash: identity.keys.hash,
      clock: this.clock,
      random: this.random,
      send: (p, m) => this.sendI2np(p, m),
      registerReplyKey: (tag, key) => this.tagStore.add(tag, key),
    });
    // Garlic to this router is under its identity's X25519 key (ecies-routers.rst), not NTCP2's.
    const garlicState = noiseNState(identity.keys.identity.publicKey);
    const garlicReplay = new EphemeralReplayCache({ clock: this.clock });
    const envelope = (body: I2npBody) => ({ ...body, msgId: 1 + this.random.int(0xfffffffe), expiration: this.clock.now() + 60_000 }) as I2npMessage;
    this.floodfill = config.floodfill
      ? new Floodfill({
          ourHash: identity.keys.hash,
          netDb: this.netDb,
          leaseSets: new LeaseSetStore(),
          ourRouterInfo: () => this.routerInfo().bytes,
          random: this.random,
          now,
          log: this.log.child('floodfill'),
          verifier: new FloodVerifier({ clock: this.clock, random: this.random, log: this.log.child('floodfill'), ask: (ff, key, type, ms) => this.askFloodfill(ff, key, type, ms) }),
        })
      : undefined;
    this.inbound = new InboundDispatcher({
      now,
      netDb: this.netDb,
      lookups: this.lookups,
      log: this.log.child('i2np'),
      floodfill: this.floodfill,
      send: (to, bytes) => this.sendI2np(to, bytes),
      envelope,
      onDeliveryStatus: (m) => this.publisher.onDeliveryStatus(m),
      tunnelReply: (m) => this.tunnelLookups.onMessage(m),
      tunnels: {
        onTunnelData: (id, data) => this.tunnels.onTunnelData(id, data),
        onTunnelGateway: (id, m) => this.tunnels.onTunnelGateway(id, m),
        onShortTunnelBuild: (from, msgId, records) => this.tunnels.onShortTunnelBuild(from, msgId, records),
        onVariableTunnelBuild: (from, records) => this.tunnels.onVariableTunnelBuild(from, records),
        onOutboundTunnelBuildReply: (msgId, records) => this.tunnels.onOutboundTunnelBuildReply(msgId, records),
        onDeliveryStatus: (id) => this.tunnels.onDeliveryStatus(id),
      },
      openGarlic: (body) =>
        openGarlic(body, {
          staticPrivateKey: identity.keys.encryptionPrivateKey,
          staticPublicKey: identity.keys.identity.publicKey,
          initialState: garlicState,
          clock: this.clock,
          replayCache: garlicReplay,
          tagStore: this.tagStore,
        }),
    });
    this.publisher = new RouterInfoPublisher({
      clock: this.clock,
      random: this.random,
      ourHash: identity.keys.hash,
      routerInfo: () => this.routerInfo().bytes,
      floodfills: () => this.floodfillHashes(),
      send: (to, bytes) => this.sendI2np(to, bytes),
      wrap: (to, message) => this.wrapFor(to, message),
      log: this.log.child('netdb'),
      verify: async (ff) => {
        const r = await this.askFloodfill(ff, identity.keys.hash, 'routerinfo', 10_000);
        return r.kind === 'store' && r.storeType === StoreType.RouterInfo ? 'found' : 'missing';
      },
    });
    const lookupDeps: IterativeLookupDeps = {
      now,
      ourHash: identity.keys.hash,
      floodfills: () => this.floodfillHashes(),
      has: (h) => this.netDb.has(h),
      ask: (ff, key, type, timeoutMs) => this.askFloodfill(ff, key, type, timeoutMs),
      storeRouterInfo: async (hash, data) => {
        let ri: Uint8Array;
        try {
          ri = gunzipRouterInfo(data);
        } catch {
          return false;
        }
        const r = await this.netDb.store(ri, { now: this.clock.now(), source: 'lookup', expectedHash: hash });
        // The dispatcher stores every answer as it arrives: a verified copy may already be here.
        return r.accepted || (r.reason === 'duplicate' && this.netDb.has(hash));
      },
      isFloodfill: (h) => {
        const e = this.netDb.get(h);
        return e !== undefined && isFloodfill(e.routerInfo);
      },
    };
    this.lookupDeps = lookupDeps;
    this.unknownPeers = new UnknownPeerQueue({
      now,
      resolve: async (h) => (await this.learnRouterInfos([h], UNKNOWN_PEER_LOOKUP_MS)).length === 0,
      send: (h, m) => this.transport.send(h, m),
    });
    this.explorer = new Explorer({ ...lookupDeps, clock: this.clock, random: this.random, routerCount: () => this.netDb.count });
    this.profiles = new PeerProfiles({ storage, clock: this.clock });
    this.addressBook = AddressBook.fromStorage(storage, { clock: this.clock });
    this.bandwidth = new BandwidthMeter({ clock: this.clock });
    const limitBps = config.sharedKBps * 1024;
    const transitBps = Math.floor((limitBps * config.sharePercent) / 100);
    // A burst of a few seconds' worth (at least 64 tunnel messages) so relaying is not choppy.
    this.transitBucket = new TokenBucket({ clock: this.clock, ratePerSecond: transitBps, burst: Math.max(64 * 1028, 4 * transitBps) });
    // Our own traffic gets the whole limit (transit is held to its share of it above).
    const ownBucket = new TokenBucket({ clock: this.clock, ratePerSecond: limitBps, burst: Math.max(256 * 1028, 4 * limitBps) });
    this.transitPolicy = new TransitPolicy({
      clock: this.clock,
      random: this.random,
      maxParticipating: config.maxParticipating,
      bandwidthLimitBps: limitBps,
      sharePercent: config.transit ? config.sharePercent : 0,
      transitRateBps: () => this.bandwidth.rate('transit'),
    });
    const selector = new PeerSelector({
      profiles: this.profiles,
      random: this.random,
      publicMode: !config.testnet,
      ownHash: identity.keys.hash,
      isConnected: (h) => this.transport.isConnected(h),
      now,
    });
    this.tunnels = new TunnelManager({
      clock: this.clock,
      random: this.random,
      log: this.log.child('tunnel'),
      ourHash: identity.keys.hash,
      staticPrivateKey: identity.keys.encryptionPrivateKey,
      staticPublicKey: identity.keys.identity.publicKey,
      send: (to, bytes) => this.sendI2np(to, bytes),
      routerInfo: (h) => this.netDb.get(h)?.routerInfo,
      // Hops we cannot reach now would only time out: leave them out until their back-off ends.
      selection: {
        // Client tunnels from the fast tier first; exploratory ones give unproven peers their chance.
        select: (count, _direction, exclude, pool) =>
          selector.selectHops(
            this.netDb.all().filter((e) => !this.transport.isUnreachable(e.hash)),
            count,
            { exclude, tier: pool.startsWith('client:') ? 'fast' : pool === 'exploratory' ? 'standard' : 'any' },
          ),
      },
      profiles: this.profiles,
      policy: this.transitPolicy,
      transitEnabled: () => this.config.transit,
      allowTransitBytes: (n) => {
        if (!this.transitBucket.take(n)) return false;
        this.bandwidth.record('transit', n);
        return true;
      },
      allowOwnBytes: (n) => ownBucket.take(n),
      deliverLocal: (msg, via) => {
        if (!this.destinations.route(msg, via)) this.inbound.onTunnelMessage(identity.keys.hash, msg);
      },
      registerReplyKey: (tag, key) => this.tagStore.add(tag, key),
      wrapForRouter: (to, message) => this.wrapFor(to, message),
      fragment: (messages) => buildTunnelBlocks(messages, this.random),
      exploratory: {
        name: 'exploratory',
        inbound: { length: config.tunnelLength, quantity: config.tunnelQuantity, variance: 0 },
        outbound: { length: config.tunnelLength, quantity: config.tunnelQuantity, variance: 0 },
      },
    });
    this.tunnelLookups = new TunnelLookups({
      clock: this.clock,
      random: this.random,
      send: (outbound, ff, message) => this.tunnels.sendToRouter(outbound, ff, message),
      registerReplyKey: (tag, key) => this.tagStore.add(tag, key),
    });
    this.destinations = new Destinations({
      clock: this.clock,
      random: this.random,
      log: this.log.child('client'),
      tunnels: this.tunnels,
      closestFloodfills: (key, n) => closestToTarget(key, this.floodfillHashes(), n, this.clock.now()),
      lookupLeaseSet: (hash) => this.findLeaseSet(hash),
      makeGarlic: (keys, opts) =>
        new RatchetEngine({
          staticPrivateKey: keys.encryption.privateKey,
          staticPublicKey: keys.encryption.publicKey,
          clock: this.clock,
          random: this.random,
          ...(opts.ratchetThreshold !== undefined && { opts: { ratchetThreshold: opts.ratchetThreshold } }),
        }),
    });
    this.httpProxy = new RouterHttpProxy(config.httpProxy, { destinations: this.destinations, addressBook: this.addressBook, random: this.random, clock: this.clock, storage, log: this.log.child('http-proxy') });
    this.sam = new RouterSam(config.sam, {
      clock: this.clock,
      random: this.random,
      log: this.log.child('sam'),
      destinations: this.destinations,
      addressBook: this.addressBook,
      lookupLeaseSet: (hash) => this.lookupLeaseSet(hash),
      defaultDestinationOptions: DEFAULT_DESTINATION_OPTIONS,
    });
    this.connector = new PeerConnector({
      clock: this.clock,
      random: this.random,
      known: () => this.netDb.all().map((e) => e.hash),
      connectedCount: () => this.transport.connectedPeers().length,
      isConnected: (h) => this.transport.isConnected(h),
      connect: (h) => this.transport.connect(h),
      target: 8,
      perTick: 4,
      intervalMs: 15_000,
      catchUpMs: 2_000,
    });
  }

  /**
   * An I2NP message (short header) to a router. To ourselves it goes straight to our own
   * inbound side: a floodfill answering through a reply tunnel whose gateway it is, or an
   * outbound endpoint we run delivering to a lease at our router, has no session to itself.
   */
  private sendI2np(to: Uint8Array, bytes: Uint8Array): boolean {
    if (!equalBytes(to, this.identity.keys.hash)) return this.transport.send(to, bytes);
    const self = this.identity.keys.hash;
    setImmediate(() => this.inbound.onMessage(self, bytes));
    return true;
  }

  /** A DatabaseStore of our RouterInfo to a peer that just connected: it learns our current one. */
  private sendOurRouterInfo(peer: Uint8Array): void {
    const now = this.clock.now();
    const message = encodeMessage(
      {
        type: I2npType.DatabaseStore,
        msgId: 1 + this.random.int(0xfffffffe),
        expiration: now + 60_000,
        key: this.identity.keys.hash,
        storeType: StoreType.RouterInfo,
        data: gzipRouterInfo(this.routerInfo().bytes),
      },
      'short',
    );
    this.transport.send(peer, message);
  }

  /**
   * Ask a floodfill directly (over a session with it) for `key`. Without `floodfill`, a
   * floodfill we know is chosen at random.
   */
  async lookupDirect(key: Uint8Array, floodfill?: Uint8Array, timeoutMs?: number): Promise<DirectLookupResult & { floodfill: string }> {
    const ff = floodfill ?? this.pickFloodfill();
    if (!ff) throw new Error('no floodfill known');
    const result = await this.lookups.lookup(ff, key, 'routerinfo', timeoutMs);
    return { ...result, floodfill: i2pBase64Encode(ff) };
  }

  /**
   * One question to one floodfill, as the spec wants it once we have tunnels (i2np.rst): out
   * through an exploratory outbound tunnel, the answer back through an inbound one, encrypted
   * to a one-time key. Before the first tunnels exist (bootstrap), directly over a session.
   */
  private askFloodfill(ff: Uint8Array, key: Uint8Array, type: 'routerinfo' | 'leaseset' | 'exploration' | 'any', timeoutMs?: number): Promise<DirectLookupResult> {
    const via = this.exploratoryPair();
    return via ? this.tunnelLookups.lookup(ff, key, via, type, timeoutMs) : this.lookups.lookup(ff, key, type, timeoutMs);
  }

  /** A live exploratory outbound and inbound tunnel, neither zero-hop, or undefined. */
  private exploratoryPair(): { outbound: OutboundTunnel; inbound: InboundTunnel } | undefined {
    const pool = this.tunnels.exploratory;
    const outbound = pool.pickOutbound();
    const inbound = pool.pickInbound();
    if (!outbound || !inbound || outbound.hops.length === 0 || inbound.hops.length === 0) return undefined;
    return { outbound, inbound };
  }

  /**
   * Ask a floodfill through our tunnels: out through an outbound tunnel of the exploratory pool,
   * the answer back through one of its inbound tunnels (neither may be zero-hop).
   */
  async lookupViaTunnels(key: Uint8Array, floodfill?: Uint8Array, timeoutMs?: number): Promise<TunnelLookupResult & { floodfill: string; outboundHops: string[]; inboundHops: string[] }> {
    const ff = floodfill ?? this.pickFloodfill();
    if (!ff) throw new Error('no floodfill known');
    const via = this.exploratoryPair();
    if (!via) throw new Error('no exploratory tunnels built yet');
    const { outbound, inbound } = via;
    const r = await this.tunnelLookups.lookup(ff, key, via, 'routerinfo', timeoutMs);
    const names = (t: { hops: readonly { hash: Uint8Array }[] }) => t.hops.map((h) => i2pBase64Encode(h.hash));
    return { ...r, floodfill: i2pBase64Encode(ff), outboundHops: names(outbound), inboundHops: names(inbound) };
  }

  /** A message for a router in garlic to its key (ecies-routers.rst); undefined when we lack its RouterInfo. */
  private wrapFor(to: Uint8Array, message: I2npMessage): Uint8Array | undefined {
    const ri = this.netDb.get(to)?.routerInfo;
    return ri ? wrapForRouter(ri, message, this.clock.now(), this.random) : undefined;
  }

  private floodfillHashes(): Uint8Array[] {
    return this.netDb.all().filter((e) => isFloodfill(e.routerInfo)).map((e) => e.hash);
  }

  /** A destination's LeaseSet2 bytes: ours if we hold it as a floodfill, else looked up (through tunnels once we have them). */
  async lookupLeaseSet(hash: Uint8Array): Promise<Uint8Array | undefined> {
    return (await this.findLeaseSet(hash)).data;
  }

  /** As lookupLeaseSet, and when nothing is found, why (logged, and told to the sender). */
  async findLeaseSet(hash: Uint8Array): Promise<LeaseSetLookup> {
    const held = this.floodfill?.leaseSetHeld(hash, this.clock.now());
    if (held) return { data: encodeLeaseSet2(held) };
    const started = this.clock.now();
    const r = await iterativeLookup(hash, this.lookupDeps, { lookupType: 'leaseset' });
    if (r.found && r.storeType === StoreType.LeaseSet2) return { data: r.data! };
    const miss = r.found ? `a floodfill answered with store type ${r.storeType}, not a LeaseSet2` : describeLookupMiss(r);
    this.log.info('leaseset lookup found nothing', { key: i2pBase64Encode(hash).slice(0, 8), miss, ms: this.clock.now() - started });
    return { miss };
  }

  /**
   * Looks up, through the netDb, each router of `hashes` whose RouterInfo we lack (at most 4 at
   * once). Returns the ones still unknown afterwards.
   */
  async learnRouterInfos(hashes: Uint8Array[], totalTimeoutMs?: number): Promise<Uint8Array[]> {
    const missing = hashes.filter((h) => !this.netDb.has(h));
    const opts = { lookupType: 'routerinfo' as const, ...(totalTimeoutMs !== undefined && { totalTimeoutMs }) };
    for (let i = 0; i < missing.length; i += 4) {
      await Promise.all(missing.slice(i, i + 4).map((h) => iterativeLookup(h, this.lookupDeps, opts).catch(() => undefined)));
    }
    return missing.filter((h) => !this.netDb.has(h));
  }

  private pickFloodfill(): Uint8Array | undefined {
    const ffs = this.netDb.all().filter((e) => isFloodfill(e.routerInfo));
    return ffs.length === 0 ? undefined : ffs[this.random.int(ffs.length)].hash;
  }

  /** Opens the state (taking the home's lock), applies and saves the given config, loads or creates the keys. */
  static async open(opts: RouterOptions): Promise<Router> {
    const random = opts.random ?? cryptoRandom;
    const { paths, storage } = await openRouterState(opts.home);
    try {
      const stored = await loadRouterConfig(storage, (n) => random.int(n));
      const given = opts.config ?? {};
      const config: RouterConfig = { ...stored, ...given, ntcp2: { ...stored.ntcp2, ...given.ntcp2 }, httpProxy: { ...stored.httpProxy, ...given.httpProxy }, sam: { ...stored.sam, ...given.sam } };
      // Checked before it is saved: a refused flag must not stick for later starts.
      checkRouterConfig(config);
      await saveRouterConfig(storage, config);
      const run = opts.runOnly ?? {};
      const effective: RouterConfig = { ...config, sam: { ...config.sam, ...run.sam }, httpProxy: { ...config.httpProxy, ...run.httpProxy } };
      const identity = await loadOrCreateLocalIdentity(paths, random);
      return new Router(paths, storage, effective, identity, opts.home, opts);
    } catch (e) {
      await storage.close();
      throw e;
    }
  }

  get hash(): string {
    return i2pBase64Encode(this.identity.keys.hash);
  }

  /** Our RouterInfo, re-signed when it is older than the refresh interval. */
  routerInfo(): { ri: RouterInfo; bytes: Uint8Array } {
    const now = this.clock.now();
    if (!this.current || now - this.current.ri.published >= ROUTER_INFO_REFRESH_MS) {
      const ri = signLocalRouterInfo(this.identity, this.config, now);
      this.current = { ri, bytes: encodeRouterInfo(ri) };
    }
    return this.current;
  }

  async start(): Promise<void> {
    this.startedAt = this.clock.now();
    const { bytes } = this.routerInfo();
    await writeKeyFile(this.paths.routerInfo, bytes);
    this.scheduleRefresh();
    await this.bootstrap();
    if (this.config.ntcp2.host === undefined) this.log.warn('no --host: not reachable (caps U), dialing out only');
    await this.transport.start();
    this.connector.start();
    this.publisher.start();
    this.explorer.start();
    await this.profiles.load();
    this.tunnels.start();
    this.scheduleMeter();
    this.scheduleProfileFlush();
    await this.httpProxy.start();
    await this.sam.start();
    this.control = await startControlServer(this.paths.controlSocket, routerControlHandlers(this));
    this.log.info('router started', { hash: this.hash, netId: this.config.netId, host: this.config.ntcp2.host, port: this.config.ntcp2.port });
  }

  /** Our own netDb first (kept from earlier runs), then the reseed the user gave, if any. */
  private async bootstrap(): Promise<void> {
    const now = this.clock.now();
    const loaded = await this.netDb.load(now);
    this.log.info('netdb loaded', { routers: loaded.loaded, dropped: Object.values(loaded.dropped).reduce((a, b) => a + (b ?? 0), 0) });
    if (this.reseedPath === undefined) return;
    const reseed = await loadReseed(this.reseedPath);
    const results = await this.netDb.storeMany(reseed.routerInfos, { now, source: 'reseed' });
    const accepted = results.filter((r) => r.accepted).length;
    const refused: Record<string, number> = {};
    for (const r of results) if (!r.accepted && r.reason !== 'duplicate' && r.reason !== 'own-router') refused[r.reason ?? 'unknown'] = (refused[r.reason ?? 'unknown'] ?? 0) + 1;
    this.log.info('reseeded', {
      path: this.reseedPath,
      format: reseed.format,
      found: reseed.routerInfos.length,
      accepted,
      refused: Object.entries(refused).map(([k, v]) => `${k}:${v}`).join(',') || undefined,
      skippedFiles: reseed.skipped.length + reseed.skippedOmitted || undefined,
      su3SignatureChecked: reseed.format === 'su3' ? reseed.signatureChecked : undefined,
    });
  }

  /** Transport totals into the bandwidth meter, once a second (transit is recorded as it is relayed). */
  private scheduleMeter(): void {
    this.meterTimer = this.clock.setTimer(1_000, () => {
      const b = this.transport.stats().bytes;
      this.bandwidth.record('in', Math.max(0, b.in - this.lastBytes.in));
      this.bandwidth.record('out', Math.max(0, b.out - this.lastBytes.out));
      this.lastBytes = { in: b.in, out: b.out };
      this.scheduleMeter();
    });
  }

  private scheduleProfileFlush(): void {
    this.profileTimer = this.clock.setTimer(PROFILE_FLUSH_MS, () => {
      this.profiles.flush().catch((e: Error) => this.log.warn('cannot write peer profiles', { error: e.message }));
      this.scheduleProfileFlush();
    });
  }

  private scheduleRefresh(): void {
    this.refreshTimer = this.clock.setTimer(ROUTER_INFO_REFRESH_MS, () => {
      this.current = undefined;
      const { bytes } = this.routerInfo();
      writeKeyFile(this.paths.routerInfo, bytes).catch((e: Error) => this.log.warn('cannot write router.info', { error: e.message }));
      this.publisher.changed();
      this.scheduleRefresh();
    });
  }

  status(): RouterStatus {
    const ri = this.routerInfo().ri;
    const t = this.transport.stats();
    return {
      pid: process.pid,
      home: this.home,
      uptimeMs: this.clock.now() - this.startedAt,
      version: ROUTER_VERSION,
      identity: { hash: this.hash, shortId: shortId(this.hash) },
      netId: this.config.netId,
      testnet: this.config.testnet,
      floodfill: this.config.floodfill,
      caps: routerInfoCaps(ri) ?? '',
      ntcp2: { host: this.config.ntcp2.host, port: this.config.ntcp2.port, listening: this.transport.listening },
      httpProxy: this.httpProxy.status(),
      sam: this.sam.status(),
      peers: { known: this.netDb.count, connected: this.transport.connectedPeers().length },
      sessions: { ...t.sessions },
      bytes: { ...t.bytes },
      tunnels: this.tunnelStatus(),
      bandwidth: {
        inBps: Math.round(this.bandwidth.rate('in')),
        outBps: Math.round(this.bandwidth.rate('out')),
        transitBps: Math.round(this.bandwidth.rate('transit')),
        transitBytes: this.tunnels.transit.counters.bytes,
        transitLimitBps: this.config.transit ? Math.floor((this.config.sharedKBps * 1024 * this.config.sharePercent) / 100) : 0,
        dropped: { transit: this.tunnels.transit.counters.overLimit, own: this.tunnels.stats.ownOverLimit },
        history: { in: this.bandwidth.history('in', 60), out: this.bandwidth.history('out', 60), transit: this.bandwidth.history('transit', 60) },
      },
    };
  }

  private tunnelStatus(): RouterStatus['tunnels'] {
    const c = this.tunnels.counts();
    const b = this.tunnels.stats.builds;
    const finished = b.succeeded + b.rejected + b.timedOut + b.badReply;
    const h = this.tunnels.builds.counters;
    return {
      ...c,
      transit: this.config.transit,
      builds: { attempted: b.attempted, succeeded: b.succeeded, rejected: b.rejected + b.badReply, timedOut: b.timedOut, successRate: finished === 0 ? 0 : b.succeeded / finished },
      transitRequests: { accepted: h.accepted, refused: h.refused },
      tests: { ...this.tunnels.stats.tests },
    };
  }

  /** Resolves when the router has stopped (by `stop()`, a signal, or the control socket). */
  stopped(): Promise<void> {
    return new Promise((resolve) => (this.stopping ? this.stopping.then(resolve) : this.stopWaiters.push(resolve)));
  }

  /**
   * Graceful: tell peers and finish what is in flight (bounded); prompt: close at once. Both
   * leave the state consistent: LevelDB is closed cleanly and the keys were written durably.
   */
  stop(opts: { graceful: boolean } = { graceful: true }): Promise<void> {
    if (!this.stopping) {
      this.stopping = (async () => {
        this.log.info('router stopping', { graceful: opts.graceful });
        if (this.refreshTimer) this.clock.clearTimer(this.refreshTimer);
        this.connector.stop();
        this.publisher.stop();
        this.floodfill?.stop();
        this.explorer.stop();
        this.lookups.stop();
        this.unknownPeers.close();
        if (this.meterTimer) this.clock.clearTimer(this.meterTimer);
        if (this.profileTimer) this.clock.clearTimer(this.profileTimer);
        await this.httpProxy.stop();
        await this.sam.stop();
        this.destinations.stop();
        this.tunnels.stop();
        this.tunnelLookups.stop();
        await this.transport.stop(opts.graceful);
        // Graceful: let Termination frames leave before the process goes.
        if (opts.graceful) await new Promise((r) => setTimeout(r, 200));
        await this.control?.close();
        await this.netDb.flush();
        await this.profiles.flush().catch((e: Error) => this.log.warn('cannot write peer profiles', { error: e.message }));
        await this.storage.close();
        this.log.info('router stopped');
      })();
      void this.stopping.then(() => this.stopWaiters.splice(0).forEach((w) => w()));
    }
    return this.stopping;
  }
}
