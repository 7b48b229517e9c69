/**
 * A network of tunnel managers in one process, for integration tests and the simulation: each
 * router has its own X25519/Ed25519 identity and signed RouterInfo, a real InboundDispatcher
 * (garlic opened with the router's Noise N key or a one-time tag, as the Router wires it), a
 * TransitPolicy and peer profiles. Messages cross the "wire" as short-header I2NP bytes,
 * delivered after `latencyMs` on a shared clock (ManualClock unless one is given): nothing is
 * delivered inside the sender's call. NTCP2 is left out: the wire carries I2NP as the
 * transport would hand it over.
 *
 * By default every router knows every RouterInfo and picks hops uniformly (what the tests want).
 * The simulation asks for `netDb: 'local'` (a router knows only what its own netDb holds, as a
 * real one) and `selection: 'profiles'` (the Router's PeerSelector on that netDb, by tiers).
 */
import { ed25519PublicKey, x25519PublicKey } from '../crypto/index.js';
import { createRouterIdentity, encodeRouterInfo, i2pBase64Encode, keysAndCertHash, signRouterInfo, type RouterInfo } from '../data/index.js';
import { EphemeralReplayCache, noiseNState, OneTimeTagStore, openGarlic } from '../garlic/index.js';
import { wrapForRouter } from '../garlic/wrap.js';
import { decodeMessage, gunzipRouterInfo, type I2npBody, type I2npMessage } from '../i2np/index.js';
import { InboundDispatcher } from '../inbound.js';
import { silentLogger } from '../log.js';
import { DirectLookups } from '../netdb/direct-lookup.js';
import { Floodfill } from '../netdb/floodfill.js';
import { LeaseSetStore } from '../netdb/lease-set-store.js';
import { RouterInfoStore } from '../netdb/router-info-store.js';
import { PeerProfiles } from '../peers/profiles.js';
import { PeerSelector } from '../peers/selection.js';
import { ManualClock, SeededRandom } from '../runtime/index.js';
import { buildTunnelBlocks } from '../tunnel/fragmenter.js';
import { TunnelManager, type PeerSelection } from '../tunnel/manager.js';
import type { PoolSide } from '../tunnel/pool.js';
import type { OwnTunnel } from '../tunnel/tunnel.js';
import { TransitPolicy, type TransitPolicyOptions } from '../tunnel/transit-policy.js';
import { openMemoryStorage } from '../../state/index.js';
import type { SimClock } from './heap-clock.js';

export const NET_ID = 99;
/** A fixed start so that runs are reproducible (minute-resolution request times included). */
export const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);

export interface NetRouter {
  readonly index: number;
  readonly hash: Uint8Array;
  readonly b64: string;
  readonly ri: RouterInfo;
  readonly encryptionPrivateKey: Uint8Array;
  readonly random: SeededRandom;
  readonly manager: TunnelManager;
  readonly dispatcher: InboundDispatcher;
  readonly policy: TransitPolicy;
  readonly profiles: PeerProfiles;
  readonly tagStore: OneTimeTagStore;
  /** What the manager handed to deliverLocal (then passed on to the dispatcher, as the Router does). */
  readonly delivered: I2npMessage[];
  /** The dispatcher's netDb (empty unless a test stores RouterInfos in it). */
  readonly netDb: RouterInfoStore;
  /** Present on the routers named in NetworkOptions.floodfills: answers lookups, keeps LeaseSet2s. */
  readonly floodfill?: Floodfill;
  /** Consulted first by deliverLocal (as the Router asks its Destinations): true when it took the message. */
  local?: (msg: I2npMessage, via: OwnTunnel | undefined) => boolean;
  /** The dispatcher's tunnelReply (answers to lookups sent through our tunnels). */
  tunnelReply?: (msg: I2npMessage) => boolean;
  /** Whether it carries others' tunnels (TunnelManagerDeps.transitEnabled). */
  transit: boolean;
  /** A dead router: everything it sends is lost. */
  dead: boolean;
  /** When set, the only hops its selection picks from. */
  peers?: Uint8Array[];
  /** Messages it sent, and those of them the wire lost (dead, or an unknown destination). */
  sent: number;
  lost: number;
}

/** Every message on the wire, before delivery. Return bytes to replace it, null to drop it. */
export type Intercept = (from: NetRouter, to: Uint8Array, bytes: Uint8Array) => Uint8Array | null | undefined;

export interface NetworkOptions {
  routers: number;
  seed?: string;
  latencyMs?: number;
  /** Each message takes latencyMs plus up to this much more: messages overtake each other. */
  jitterMs?: number;
  inbound?: PoolSide;
  outbound?: PoolSide;
  policy?: Partial<Omit<TransitPolicyOptions, 'clock' | 'random'>>;
  /** Indices of the routers that are floodfills (caps f, a real Floodfill in their dispatcher). */
  floodfills?: readonly number[];
  /** The clock everything runs on (default a ManualClock at T0; the simulation uses a HeapClock). */
  clock?: SimClock;
  /**
   * Where a router finds RouterInfos (hops, garlic keys): 'global' (default) the whole network's,
   * 'local' only its own netDb, which the caller fills (reseed, lookups, stores).
   */
  netDb?: 'global' | 'local';
  /** 'uniform' (default): hops at random among all routers; 'profiles': the Router's PeerSelector on the router's netDb. */
  selection?: 'uniform' | 'profiles';
  /** Keep every message handed to deliverLocal in NetRouter.delivered (default true; off for big runs). */
  keepDelivered?: boolean;
}

/** What a simulated router publishes as its version when selection is by profiles (hops need >= 0.9.51). */
export const SIM_ROUTER_VERSION = '0.9.58';

function shuffled<T>(items: readonly T[], random: SeededRandom): T[] {
  const a = items.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/** A router identity from seeded keys: a real, signed RouterInfo with X25519 (4) and Ed25519 (7). */
/** Proposal 161's repeating padding, from a seeded source. */
export function seededPadding(length: number, random: SeededRandom): Uint8Array {
  const seed = random.bytes(32);
  return Uint8Array.from({ length }, (_, i) => seed[i % 32]);
}

export function makeIdentity(random: SeededRandom, now: number, caps = 'OR', extraOptions: readonly [string, string][] = []): { ri: RouterInfo; hash: Uint8Array; encryptionPrivateKey: Uint8Array } {
  const encryptionPrivateKey = random.bytes(32);
  const signingPrivateKey = random.bytes(32);
  // The padding from the seeded source too (createRouterIdentity draws it from node:crypto), so
  // that a seed gives the same router hashes, hence the same keyspace, run after run.
  const made = createRouterIdentity(x25519PublicKey(encryptionPrivateKey), ed25519PublicKey(signingPrivateKey));
  const identity = { ...made, padding: seededPadding(made.padding.length, random) };
  const options = new Map<string, string>([
    ['caps', caps],
    ['netId', String(NET_ID)],
    ...extraOptions,
  ]);
  const ri = signRouterInfo({ identity, published: now, addresses: [], options }, signingPrivateKey);
  return { ri, hash: keysAndCertHash(identity), encryptionPrivateKey };
}

export class SimNetwork {
  readonly clock: SimClock;
  readonly routers: NetRouter[] = [];
  readonly random: SeededRandom;
  /** Identities known to everyone (the netDb of this network): routers and any extra ones. */
  private readonly infos = new Map<string, RouterInfo>();
  private readonly byHash = new Map<string, NetRouter>();
  private readonly latencyMs: number;
  private readonly jitterMs: number;
  intercept: Intercept | undefined;
  /** Called for each message sent, after `intercept`, whether or not it can be delivered. */
  observe: ((from: NetRouter, to: Uint8Array, bytes: Uint8Array) => void) | undefined;
  /** Messages in flight (scheduled, not yet delivered). */
  inFlight = 0;

  /** Whether routers see only their own netDb (NetworkOptions.netDb 'local'). */
  readonly localNetDb: boolean;

  private constructor(opts: NetworkOptions) {
    this.clock = opts.clock ?? new ManualClock(T0);
    this.localNetDb = opts.netDb === 'local';
    this.random = new SeededRandom(opts.seed ?? 'tunnel network');
    this.latencyMs = opts.latencyMs ?? 20;
    this.jitterMs = opts.jitterMs ?? 0;
  }

  static async create(opts: NetworkOptions): Promise<SimNetwork> {
    const net = new SimNetwork(opts);
    const extra: [string, string][] = opts.selection === 'profiles' ? [['router.version', SIM_ROUTER_VERSION]] : [];
    const floodfills = new Set(opts.floodfills ?? []);
    const start = net.clock.now();
    const ids = Array.from({ length: opts.routers }, (_, i) => makeIdentity(net.random.fork(`identity ${i}`), start - 60_000, floodfills.has(i) ? 'OfR' : 'OR', extra));
    for (const id of ids) net.infos.set(i2pBase64Encode(id.hash), id.ri);
    for (let i = 0; i < ids.length; i++) net.routers.push(await net.makeRouter(i, ids[i], opts));
    for (const r of net.routers) net.byHash.set(r.b64, r);
    return net;
  }

  /** Makes `ri` known to every router (a peer outside the network: messages to it are lost). */
  addRouterInfo(hash: Uint8Array, ri: RouterInfo): void {
    this.infos.set(i2pBase64Encode(hash), ri);
  }

  routerInfo(hash: Uint8Array): RouterInfo | undefined {
    return this.infos.get(i2pBase64Encode(hash));
  }

  /** The RouterInfo of `hash` as router `r` sees it: its own netDb's with `netDb: 'local'`, else the network's. */
  knownTo(r: NetRouter, hash: Uint8Array): RouterInfo | undefined {
    return this.localNetDb ? r.netDb.get(hash)?.routerInfo : this.routerInfo(hash);
  }

  router(hash: Uint8Array): NetRouter | undefined {
    return this.byHash.get(i2pBase64Encode(hash));
  }

  /**
   * Keeps a RouterInfo that a lookup of router `r` brought back (gzipped, as in a
   * DatabaseStore), as the Router's lookup does: true when its netDb holds it afterwards.
   */
  async storeLookedUp(r: NetRouter, hash: Uint8Array, gzipped: Uint8Array): Promise<boolean> {
    let bytes: Uint8Array;
    try {
      bytes = gunzipRouterInfo(gzipped);
    } catch {
      return false;
    }
    const stored = await r.netDb.store(bytes, { now: this.clock.now(), source: 'lookup', expectedHash: hash });
    return stored.accepted || (stored.reason === 'duplicate' && r.netDb.has(hash));
  }

  /** The routers made floodfills (NetworkOptions.floodfills). */
  floodfills(): NetRouter[] {
    return this.routers.filter((r) => r.floodfill !== undefined);
  }

  private async makeRouter(index: number, id: ReturnType<typeof makeIdentity>, opts: NetworkOptions): Promise<NetRouter> {
    const { clock } = this;
    const random = this.random.fork(`router ${index}`);
    const storage = await openMemoryStorage({ schema: 1 });
    const hash = id.hash;
    const pub = id.ri.identity.publicKey;
    const tagStore = new OneTimeTagStore({ clock });
    const policy = new TransitPolicy({ clock, random, bandwidthLimitBps: 10 * 1024 * 1024, sharePercent: 80, ...opts.policy });
    const profiles = new PeerProfiles({ storage, clock });
    const delivered: I2npMessage[] = [];
    const now = () => clock.now();
    // The router object exists before its components: their callbacks close over it.
    const netDb = new RouterInfoStore({ storage, netId: NET_ID, ownHash: hash });
    const riBytes = encodeRouterInfo(id.ri);
    const floodfill = opts.floodfills?.includes(index) === true
      ? new Floodfill({ ourHash: hash, netDb, leaseSets: new LeaseSetStore(), ourRouterInfo: () => riBytes, random, now: () => clock.now() })
      : undefined;
    const r = { index, hash, b64: i2pBase64Encode(hash), ri: id.ri, encryptionPrivateKey: id.encryptionPrivateKey, random, policy, profiles, tagStore, delivered, netDb, floodfill, transit: true, dead: false, sent: 0, lost: 0 } as Partial<NetRouter> as NetRouter & {
      manager: TunnelManager;
      dispatcher: InboundDispatcher;
    };
    const send = (to: Uint8Array, bytes: Uint8Array): boolean => this.send(r, to, bytes);
    const garlicState = noiseNState(pub);
    const garlicReplay = new EphemeralReplayCache({ clock });
    r.dispatcher = new InboundDispatcher({
      now,
      netDb,
      lookups: new DirectLookups({ ourHash: hash, clock, random, send }),
      log: silentLogger,
      ...(floodfill && { floodfill }),
      tunnelReply: (m) => r.tunnelReply?.(m) ?? false,
      send,
      envelope: (body: I2npBody) => ({ ...body, msgId: 1 + random.int(0xfffffffe), expiration: clock.now() + 60_000 }) as I2npMessage,
      tunnels: {
        onTunnelData: (tid, data) => r.manager.onTunnelData(tid, data),
        onTunnelGateway: (tid, m) => r.manager.onTunnelGateway(tid, m),
        onShortTunnelBuild: (from, msgId, records) => r.manager.onShortTunnelBuild(from, msgId, records),
        onVariableTunnelBuild: (from, records) => r.manager.onVariableTunnelBuild(from, records),
        onOutboundTunnelBuildReply: (msgId, records) => r.manager.onOutboundTunnelBuildReply(msgId, records),
        onDeliveryStatus: (msgId) => r.manager.onDeliveryStatus(msgId),
      },
      openGarlic: (body) =>
        openGarlic(body, { staticPrivateKey: id.encryptionPrivateKey, staticPublicKey: pub, initialState: garlicState, clock, replayCache: garlicReplay, tagStore }),
    });
    const uniform: PeerSelection = {
      select: (count, _direction, exclude) => {
        const candidates = (r.peers ?? this.routers.map((x) => x.hash)).filter((h) => !exclude.has(i2pBase64Encode(h)));
        return shuffled(candidates, random).slice(0, count);
      },
    };
    // As the Router selects: client tunnels from the fast tier first, exploratory ones from the
    // standard tier (unproven peers get their chance), among the routers its netDb holds. There
    // are no addresses on the in-memory wire: every router counts as reachable.
    const selector = new PeerSelector({ profiles, random, publicMode: false, ownHash: hash, isConnected: () => true, now });
    const byProfiles: PeerSelection = {
      select: (count, _direction, exclude, pool) => {
        let candidates = this.localNetDb ? netDb.all() : this.routers.filter((x) => x !== r).map((x) => ({ hash: x.hash, routerInfo: x.ri }));
        if (r.peers) {
          const only = new Set(r.peers.map((h) => i2pBase64Encode(h)));
          candidates = candidates.filter((c) => only.has(i2pBase64Encode(c.hash)));
        }
        return selector.selectHops(candidates, count, { exclude, tier: pool.startsWith('client:') ? 'fast' : pool === 'exploratory' ? 'standard' : 'any' });
      },
    };
    const selection = opts.selection === 'profiles' ? byProfiles : uniform;
    const keepDelivered = opts.keepDelivered ?? true;
    r.manager = new TunnelManager({
      clock,
      random,
      log: silentLogger,
      ourHash: hash,
      staticPrivateKey: id.encryptionPrivateKey,
      staticPublicKey: pub,
      send,
      routerInfo: (h) => this.knownTo(r, h),
      selection,
      profiles,
      policy,
      transitEnabled: () => r.transit,
      allowTransitBytes: () => true,
      deliverLocal: (msg, via) => {
        if (keepDelivered) delivered.push(msg);
        if (r.local?.(msg, via)) return;
        r.dispatcher.onTunnelMessage(hash, msg);
      },
      registerReplyKey: (tag, key) => tagStore.add(tag, key),
      wrapForRouter: (to, message) => {
        const ri = this.knownTo(r, to);
        return ri ? wrapForRouter(ri, message, clock.now(), random) : undefined;
      },
      fragment: (messages) => buildTunnelBlocks(messages, random),
      exploratory: {
        name: 'exploratory',
        inbound: opts.inbound ?? { length: 2, quantity: 2, variance: 0 },
        outbound: opts.outbound ?? { length: 3, quantity: 2, variance: 0 },
      },
    });
    return r;
  }

  /**
   * The transport: true when the message was taken (a dead sender's are taken and lost, as a
   * session that dies under them); false for a router nobody can reach.
   */
  send(from: NetRouter, to: Uint8Array, bytes: Uint8Array): boolean {
    from.sent++;
    const replaced = this.intercept?.(from, to, bytes);
    if (replaced === null) {
      from.lost++;
      return true;
    }
    const wire = replaced ?? bytes;
    this.observe?.(from, to, wire);
    const target = this.router(to);
    if (!target) {
      from.lost++;
      return false;
    }
    if (from.dead) {
      from.lost++;
      return true;
    }
    // A copy: the sender may reuse its buffer, and the receiver must not see later changes.
    const copy = wire.slice();
    this.inFlight++;
    const delay = this.latencyMs + (this.jitterMs > 0 ? this.random.int(this.jitterMs + 1) : 0);
    this.clock.setTimer(delay, () => {
      this.inFlight--;
      target.dispatcher.onMessage(from.hash, copy);
    });
    return true;
  }

  /** Decodes a wire message (short header), for observers. */
  static decode(bytes: Uint8Array): I2npMessage {
    return decodeMessage(bytes, 'short');
  }

  start(): void {
    for (const r of this.routers) r.manager.start();
  }

  stop(): void {
    for (const r of this.routers) r.manager.stop();
  }

  /** Lets promise callbacks (pools taking built tunnels, trial workers) run. */
  async settle(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Moves the clock `ms` forward in steps, delivering what falls due and settling after each. */
  async run(ms: number, stepMs = 100): Promise<void> {
    await this.settle();
    for (let done = 0; done < ms; done += stepMs) {
      this.clock.advance(Math.min(stepMs, ms - done));
      await this.settle();
    }
  }

  /** Runs until `done()` holds (checked after each step), at most `maxMs`; true when it held. */
  async runUntil(done: () => boolean, maxMs: number, stepMs = 100): Promise<boolean> {
    await this.settle();
    for (let t = 0; t < maxMs; t += stepMs) {
      if (done()) return true;
      this.clock.advance(stepMs);
      await this.settle();
    }
    return done();
  }

  /** Resolves `p` while the clock runs (a promise that needs messages delivered to settle). */
  async drive<T>(p: Promise<T>, maxMs = 10 * 60_000, stepMs = 100): Promise<T> {
    let settled = false;
    let value: T | undefined;
    let error: unknown;
    let failed = false;
    p.then(
      (v) => {
        settled = true;
        value = v;
      },
      (e: unknown) => {
        settled = true;
        failed = true;
        error = e;
      },
    );
    if (!(await this.runUntil(() => settled, maxMs, stepMs))) throw new Error(`not settled after ${maxMs} ms of simulated time`);
    if (failed) throw error;
    return value as T;
  }
}
