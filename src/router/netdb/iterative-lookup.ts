import { i2pBase64Encode } from '../data/index.js';
import type { DirectLookupResult } from './direct-lookup.js';
import { closest, compareDistance, routingKey, xorDistance } from './routing-key.js';

/**
 * Iterative (Kademlia) netDb lookups and explorations over direct lookups
 * (network-database.html, "Kademlia Closeness Metric", "Lookups", "Exploration").
 *
 * A lookup asks the floodfills closest to routingKey(key), `parallelism` at a time. A
 * DatabaseStore ends it; a DatabaseSearchReply names more floodfills, which join the
 * candidates. As the spec says, the walk does not stop when a reply brings nothing closer: it
 * goes on with the next-closest candidate (so one floodfill cannot black-hole a part of the
 * keyspace) until none is left, `maxQueried` floodfills were asked, or the total timeout.
 *
 * A floodfill can only be asked over a session, and a session needs its RouterInfo: for a
 * named candidate we do not know, we first ask the floodfill that named it for that
 * RouterInfo (a bounded number of times per lookup), then ask the candidate.
 *
 * An exploration asks floodfills for a random key with the exploration flag: they answer with
 * non-floodfill routers close to it, which are not followed but collected, and their
 * RouterInfos fetched from the floodfill that named them (bounded).
 *
 * No I/O and no timers here: `ask` does the sending and its own timeout; every ask's timeout
 * is clamped to the time left, so the whole lookup ends by `totalTimeoutMs`.
 */

export type IterativeLookupType = 'routerinfo' | 'leaseset' | 'exploration' | 'any';

export interface IterativeLookupDeps {
  now(): number;
  ourHash: Uint8Array;
  /** The floodfills we know (and could open a session with). */
  floodfills(): Uint8Array[];
  /** Whether we hold this router's RouterInfo (so we can reach it). */
  has(hash: Uint8Array): boolean;
  /** One direct lookup; rejects (LookupError TIMEOUT/NOT_SENT/...) when there is no answer. */
  ask(floodfill: Uint8Array, key: Uint8Array, lookupType: IterativeLookupType, timeoutMs: number): Promise<DirectLookupResult>;
  /**
   * Keep a RouterInfo from a DatabaseStore (`data` as received: gzipped). Returns whether it
   * was accepted (verified, and really the router `hash`). Without it, every RouterInfo store
   * is taken as good.
   */
  storeRouterInfo?(hash: Uint8Array, data: Uint8Array, from: Uint8Array): boolean | Promise<boolean>;
  /**
   * Whether a known router is a floodfill; a named router that is not is never asked. Without
   * it: the routers in `floodfills()` and those whose RouterInfo this lookup fetched.
   */
  isFloodfill?(hash: Uint8Array): boolean;
}

export interface IterativeLookupOptions {
  lookupType: IterativeLookupType;
  /** Asks in flight at once (Kademlia's alpha). Default 3. */
  parallelism?: number;
  /** Most floodfills asked for the key. Default 8. */
  maxQueried?: number;
  /** Default 10 s. */
  perQueryTimeoutMs?: number;
  /** Default 30 s. */
  totalTimeoutMs?: number;
  /** Most RouterInfo fetches (of candidates, or of explored routers). Default 8. */
  maxRouterInfoLookups?: number;
  signal?: AbortSignal;
}

export type IterativeLookupFailure = 'no-floodfills' | 'not-found' | 'timeout' | 'aborted' | 'no-answer';

export interface IterativeLookupResult {
  found: boolean;
  /** The DatabaseStore data (gzipped for a RouterInfo) when found. */
  data?: Uint8Array;
  storeType?: number;
  /** The floodfill that answered with the entry (I2P Base64). */
  foundAt?: string;
  /** The floodfills asked for the key, in order (I2P Base64). */
  queried: string[];
  /** Every router named in a search reply (not us), first mention first. */
  learned: Uint8Array[];
  /** The routers whose RouterInfo this lookup fetched and had accepted. */
  fetched: Uint8Array[];
  /** Floodfills that answered (store or search reply). */
  answered: number;
  reason?: IterativeLookupFailure;
}

/** Why a lookup found nothing, in words for an error message or a log line. */
export function describeLookupMiss(r: Pick<IterativeLookupResult, 'reason' | 'queried' | 'answered'>): string {
  const asked = `${r.queried.length} floodfill${r.queried.length === 1 ? '' : 's'} asked`;
  switch (r.reason) {
    case 'no-floodfills':
      return 'no floodfill known';
    case 'aborted':
      return `stopped (${asked})`;
    case 'timeout':
      return `out of time (${asked}, ${r.answered} answered)`;
    case 'no-answer':
      return `${asked}, none answered`;
    default:
      return `${asked}, none holds it`;
  }
}

export const DEFAULT_PARALLELISM = 3;
export const DEFAULT_MAX_QUERIED = 8;
export const DEFAULT_PER_QUERY_TIMEOUT_MS = 10_000;
export const DEFAULT_TOTAL_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_ROUTER_INFO_LOOKUPS = 8;
/** A DatabaseSearchReply may name up to 255 peers; floodfills send 3. Read no more than this. */
export const MAX_PEERS_PER_REPLY = 16;

const ROUTER_INFO_STORE = 0;

type CandidateState = 'new' | 'learning' | 'ready' | 'queried' | 'dropped';

interface Candidate {
  hash: Uint8Array;
  id: string;
  distance: Uint8Array;
  /** The floodfill that named it: where to fetch its RouterInfo. */
  namedBy?: Uint8Array;
  state: CandidateState;
}

interface FetchTask {
  hash: Uint8Array;
  from: Uint8Array;
}

function positiveInt(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  return v;
}

function checkHash(name: string, h: Uint8Array): void {
  if (!(h instanceof Uint8Array) || h.length !== 32) throw new RangeError(`${name} must be 32 bytes`);
}

export function iterativeLookup(key: Uint8Array, deps: IterativeLookupDeps, opts: IterativeLookupOptions): Promise<IterativeLookupResult> {
  checkHash('key', key);
  checkHash('ourHash', deps.ourHash);
  const run = new LookupRun(key, deps, {
    lookupType: opts.lookupType,
    parallelism: positiveInt('parallelism', opts.parallelism ?? DEFAULT_PARALLELISM),
    maxQueried: positiveInt('maxQueried', opts.maxQueried ?? DEFAULT_MAX_QUERIED),
    perQueryTimeoutMs: positiveInt('perQueryTimeoutMs', opts.perQueryTimeoutMs ?? DEFAULT_PER_QUERY_TIMEOUT_MS),
    totalTimeoutMs: positiveInt('totalTimeoutMs', opts.totalTimeoutMs ?? DEFAULT_TOTAL_TIMEOUT_MS),
    maxRouterInfoLookups: Math.max(0, Math.floor(opts.maxRouterInfoLookups ?? DEFAULT_MAX_ROUTER_INFO_LOOKUPS)),
    signal: opts.signal,
  });
  return run.start();
}

type Resolved = Required<Omit<IterativeLookupOptions, 'signal'>> & { signal?: AbortSignal };

class LookupRun {
  private readonly target: Uint8Array;
  private readonly deadline: number;
  private readonly exploring: boolean;
  private readonly candidates = new Map<string, Candidate>();
  private readonly fetchQueue: FetchTask[] = [];
  private readonly fetchedIds = new Set<string>();
  private readonly initialFloodfills = new Set<string>();
  private readonly learnedIds = new Set<string>();
  private readonly result: IterativeLookupResult = { found: false, queried: [], learned: [], fetched: [], answered: 0 };
  private readonly ourId: string;
  private readonly keyId: string;
  private inFlight = 0;
  private fetchesStarted = 0;
  private done = false;
  private resolve!: (r: IterativeLookupResult) => void;
  private readonly onAbort = (): void => this.finish('aborted');

  constructor(
    private readonly key: Uint8Array,
    private readonly deps: IterativeLookupDeps,
    private readonly o: Resolved,
  ) {
    const now = deps.now();
    this.target = routingKey(key, now);
    this.deadline = now + o.totalTimeoutMs;
    this.exploring = o.lookupType === 'exploration';
    this.ourId = i2pBase64Encode(deps.ourHash);
    this.keyId = i2pBase64Encode(key);
  }

  start(): Promise<IterativeLookupResult> {
    const promise = new Promise<IterativeLookupResult>((resolve) => (this.resolve = resolve));
    if (this.o.signal?.aborted) {
      this.finish('aborted');
      return promise;
    }
    this.o.signal?.addEventListener('abort', this.onAbort, { once: true });
    const known = this.deps.floodfills().filter((h) => h.length === 32);
    for (const h of known) this.initialFloodfills.add(i2pBase64Encode(h));
    // Only the closest maxQueried can ever be asked from our own list: keep the pool small.
    for (const h of closest(this.target, known, this.o.maxQueried)) this.addCandidate(h, undefined);
    if (this.candidates.size === 0) this.finish('no-floodfills');
    else this.pump();
    return promise;
  }

  private addCandidate(hash: Uint8Array, namedBy: Uint8Array | undefined): void {
    const id = i2pBase64Encode(hash);
    if (id === this.ourId || this.candidates.has(id)) return;
    this.candidates.set(id, { hash, id, distance: xorDistance(this.target, hash), namedBy, state: 'new' });
  }

  /** The closest candidate not yet asked, learning, or dropped. */
  private nextCandidate(): Candidate | undefined {
    let best: Candidate | undefined;
    for (const c of this.candidates.values()) {
      if (c.state !== 'new' && c.state !== 'ready') continue;
      if (!best || compareDistance(c.distance, best.distance) < 0) best = c;
    }
    return best;
  }

  private isFloodfill(c: Candidate): boolean {
    if (this.deps.isFloodfill) return this.deps.isFloodfill(c.hash);
    return this.initialFloodfills.has(c.id) || this.fetchedIds.has(c.id);
  }

  private timeLeft(): number {
    return this.deadline - this.deps.now();
  }

  /** Start as much work as the limits allow; finish when nothing is left to do. */
  private pump(): void {
    if (this.done) return;
    if (this.timeLeft() <= 0) return this.finish('timeout');
    // Each pass either starts an ask, starts a fetch, or retires a candidate/fetch task, and the
    // number of those is finite: the loop is bounded by the pool sizes.
    let guard = this.candidates.size + this.fetchQueue.length + 1;
    while (this.inFlight < this.o.parallelism && guard-- > 0) {
      if (this.exploring && this.fetchQueue.length > 0 && this.fetchesStarted < this.o.maxRouterInfoLookups) {
        const task = this.fetchQueue.shift()!;
        if (!this.deps.has(task.hash)) this.startFetch(task.hash, task.from, undefined);
        continue;
      }
      if (this.result.queried.length >= this.o.maxQueried) break;
      const c = this.nextCandidate();
      if (!c) break;
      if (c.state === 'ready' || this.deps.has(c.hash)) {
        if (c.namedBy && !this.isFloodfill(c)) c.state = 'dropped';
        else this.startAsk(c);
      } else if (c.namedBy && this.fetchesStarted < this.o.maxRouterInfoLookups) {
        c.state = 'learning';
        this.startFetch(c.hash, c.namedBy, c);
      } else {
        c.state = 'dropped';
      }
    }
    if (this.inFlight === 0) this.finish();
  }

  private startAsk(c: Candidate): void {
    c.state = 'queried';
    this.result.queried.push(c.id);
    this.inFlight++;
    const type = this.o.lookupType;
    this.call(c.hash, this.key, type)
      .then(
        (r) => this.onAnswer(c.hash, r),
        () => undefined, // timeout or not sent: that floodfill is simply not asked again
      )
      .catch(() => undefined)
      .then(() => {
        this.inFlight--;
        this.pump();
      });
  }

  private async onAnswer(from: Uint8Array, r: DirectLookupResult): Promise<void> {
    if (this.done) return;
    this.result.answered++;
    if (r.kind === 'store') {
      // An exploration is not after the (random) key; a store there is noise.
      if (this.exploring) return;
      if (this.o.lookupType === 'routerinfo' && r.storeType !== ROUTER_INFO_STORE) return;
      if (this.o.lookupType === 'leaseset' && r.storeType === ROUTER_INFO_STORE) return;
      if (r.storeType === ROUTER_INFO_STORE && !(await this.accept(this.key, r.data, from))) return;
      this.found(r, from);
      return;
    }
    const peers = r.peers.slice(0, MAX_PEERS_PER_REPLY).filter((p) => p instanceof Uint8Array && p.length === 32);
    for (const p of peers) {
      const id = i2pBase64Encode(p);
      if (id === this.ourId) continue;
      if (!this.learnedIds.has(id)) {
        this.learnedIds.add(id);
        this.result.learned.push(p);
        if (this.exploring && !this.deps.has(p)) this.fetchQueue.push({ hash: p, from });
      }
      if (!this.exploring) this.addCandidate(p, from);
    }
  }

  /**
   * Fetch `hash`'s RouterInfo from `from`. For a candidate, it becomes askable; if the
   * candidate is the key itself, that is the answer.
   */
  private startFetch(hash: Uint8Array, from: Uint8Array, c: Candidate | undefined): void {
    this.fetchesStarted++;
    this.inFlight++;
    this.call(from, hash, 'routerinfo')
      .then(
        async (r) => {
          if (this.done || r.kind !== 'store' || r.storeType !== ROUTER_INFO_STORE) return false;
          if (!(await this.accept(hash, r.data, from))) return false;
          if (c && c.id === this.keyId && !this.exploring) this.found(r, from);
          return true;
        },
        () => false,
      )
      .catch(() => false)
      .then((ok) => {
        if (c) c.state = ok ? 'ready' : 'dropped';
        this.inFlight--;
        this.pump();
      });
  }

  private async accept(hash: Uint8Array, data: Uint8Array, from: Uint8Array): Promise<boolean> {
    let ok = true;
    try {
      if (this.deps.storeRouterInfo) ok = await this.deps.storeRouterInfo(hash, data, from);
    } catch {
      ok = false;
    }
    if (ok) {
      const id = i2pBase64Encode(hash);
      if (!this.fetchedIds.has(id)) {
        this.fetchedIds.add(id);
        if (id !== this.keyId) this.result.fetched.push(hash);
      }
    }
    return ok && !this.done;
  }

  /** `ask`, with its timeout clamped to the time left; a synchronous throw becomes a rejection. */
  private call(to: Uint8Array, key: Uint8Array, type: IterativeLookupType): Promise<DirectLookupResult> {
    const left = this.timeLeft();
    if (left <= 0) return Promise.reject(new Error('out of time'));
    try {
      return this.deps.ask(to, key, type, Math.min(this.o.perQueryTimeoutMs, left));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private found(r: DirectLookupResult & { kind: 'store' }, from: Uint8Array): void {
    if (this.done) return;
    this.result.found = true;
    this.result.data = r.data;
    this.result.storeType = r.storeType;
    this.result.foundAt = i2pBase64Encode(from);
    this.finish();
  }

  private finish(reason?: IterativeLookupFailure): void {
    if (this.done) return;
    this.done = true;
    this.o.signal?.removeEventListener('abort', this.onAbort);
    if (!this.result.found) {
      if (reason) this.result.reason = reason;
      else if (this.result.answered === 0) this.result.reason = 'no-answer';
      else if (!this.exploring) this.result.reason = 'not-found';
    }
    this.resolve(this.result);
  }
}
