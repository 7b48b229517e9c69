import { i2pBase64Decode, i2pBase64Encode } from '../data/index.js';
import type { Clock } from '../runtime/index.js';
import { bytesCodec, RouterSublevels, type BatchOp, type Storage, type Sublevel } from '../../state/index.js';

/**
 * What we learned about each peer from building tunnels through it and testing them: the input
 * of hop selection. Kept in memory and persisted to the `profiles` sublevel (key: router hash
 * in I2P Base64, value: a JSON record). A profile is a cache: `flush` writes without sync, and
 * losing the last minute of it in a crash only costs a little selection quality.
 */

/** Counters decayed with a half-life, so recent behaviour outweighs old. */
export interface DecayedCounts {
  readonly accepted: number;
  readonly rejected: number;
  readonly timedOut: number;
  /** The time the counts were last decayed to. */
  readonly at: number;
}

export interface PeerProfile {
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly buildsAccepted: number;
  readonly buildsRejected: number;
  readonly buildsTimedOut: number;
  readonly tunnelTestsOk: number;
  readonly tunnelTestsFailed: number;
  /** EWMA of tunnel-test round trips through tunnels with this hop; absent until one is measured. */
  readonly latencyMs?: number;
  /** When a build through this peer last concluded (accepted, rejected or timed out). */
  readonly lastBuildAt?: number;
  readonly lastRejectAt?: number;
  readonly lastRejectCode?: number;
  readonly lastFailureAt?: number;
  /** Timeouts and failed tests since the last sign of life (an answer or a passed test). */
  readonly failureStreak: number;
  readonly recent: DecayedCounts;
}

export interface PeerProfileEntry {
  readonly hash: Uint8Array;
  /** The hash in I2P Base64: the store key. */
  readonly key: string;
  readonly profile: PeerProfile;
}

export interface PeerProfilesOptions {
  readonly storage: Storage;
  readonly clock: Clock;
  /** Most profiles held; beyond it the least recently seen is dropped. Default 5000. */
  readonly maxProfiles?: number;
  /** Half-life of the counts behind `capacity`. Default 1 h. */
  readonly halfLifeMs?: number;
  /** Consecutive failures that make a peer failing. Default 3. */
  readonly failingStreak?: number;
  /** A failing peer gets another chance after this long without a new failure. Default 30 min. */
  readonly failingForMs?: number;
  /** Weight of the newest latency sample in the EWMA. Default 0.25. */
  readonly latencyAlpha?: number;
}

export interface ProfilesLoadResult {
  readonly loaded: number;
  /** Records deleted: undecodable, or beyond the cap. */
  readonly dropped: number;
}

export const DEFAULT_MAX_PROFILES = 5000;
const RECORD_VERSION = 1;

// A rejection proves the peer alive and honest about its load, so it costs less than a timeout.
const REJECT_WEIGHT = 0.5;
const TIMEOUT_WEIGHT = 1;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type MutableProfile = Mutable<Omit<PeerProfile, 'recent'>> & { recent: Mutable<DecayedCounts> };

interface Held {
  readonly hash: Uint8Array;
  readonly p: MutableProfile;
}

export class PeerProfiles {
  /** Insertion order is lastSeen order: a peer seen again moves to the end, the first is evicted. */
  private readonly index = new Map<string, Held>();
  private readonly dirty = new Set<string>();
  private readonly storage: Storage;
  private readonly db: Sublevel<Uint8Array>;
  private readonly clock: Clock;
  private readonly max: number;
  private readonly halfLifeMs: number;
  private readonly failingStreak: number;
  private readonly failingForMs: number;
  private readonly alpha: number;
  private tail: Promise<void> = Promise.resolve();

  constructor(options: PeerProfilesOptions) {
    this.storage = options.storage;
    this.clock = options.clock;
    this.db = options.storage.sublevel(RouterSublevels.profiles, bytesCodec);
    this.max = positiveInt('maxProfiles', options.maxProfiles ?? DEFAULT_MAX_PROFILES);
    this.halfLifeMs = positiveInt('halfLifeMs', options.halfLifeMs ?? 60 * 60_000);
    this.failingStreak = positiveInt('failingStreak', options.failingStreak ?? 3);
    this.failingForMs = positiveInt('failingForMs', options.failingForMs ?? 30 * 60_000);
    this.alpha = options.latencyAlpha ?? 0.25;
    if (!(this.alpha > 0 && this.alpha <= 1)) throw new RangeError(`latencyAlpha must be in (0, 1], got ${this.alpha}`);
  }

  get count(): number {
    return this.index.size;
  }

  /** Profiles changed since the last flush. */
  get pending(): number {
    return this.dirty.size;
  }

  /**
   * Replaces what is held with what the sublevel holds, dropping records that do not decode and
   * the least recently seen beyond the cap. Call once at startup, before recording anything.
   */
  async load(): Promise<ProfilesLoadResult> {
    await this.tail;
    this.index.clear();
    this.dirty.clear();
    const found: Held[] = [];
    const bad: string[] = [];
    for await (const [key, bytes] of this.db.iterate()) {
      const held = decodeRecord(key, bytes);
      if (held) found.push(held);
      else bad.push(key);
    }
    found.sort((a, b) => a.p.lastSeen - b.p.lastSeen);
    const excess = Math.max(0, found.length - this.max);
    for (const h of found.slice(excess)) this.index.set(i2pBase64Encode(h.hash), h);
    const ops: BatchOp[] = [...bad, ...found.slice(0, excess).map((h) => i2pBase64Encode(h.hash))].map((k) => this.db.delOp(k));
    await this.write(ops);
    return { loaded: this.index.size, dropped: ops.length };
  }

  /** The peer is alive (connected, sent us something, its RouterInfo arrived). */
  seen(hash: Uint8Array): void {
    this.touch(hash, true);
  }

  buildAccepted(hash: Uint8Array): void {
    const { p, now } = this.event(hash, true);
    p.buildsAccepted++;
    p.recent.accepted++;
    p.lastBuildAt = now;
    p.failureStreak = 0;
  }

  buildRejected(hash: Uint8Array, code: number): void {
    const { p, now } = this.event(hash, true);
    p.buildsRejected++;
    p.recent.rejected++;
    p.lastBuildAt = now;
    p.lastRejectAt = now;
    p.lastRejectCode = code;
    p.failureStreak = 0; // it answered
  }

  /** No reply to a build request in time. Does not count as seen. */
  buildTimedOut(hash: Uint8Array): void {
    const { p, now } = this.event(hash, false);
    p.buildsTimedOut++;
    p.recent.timedOut++;
    p.lastBuildAt = now;
    this.failure(p, now);
  }

  /**
   * A test of a tunnel this peer is a hop of. A failure implicates every hop, so it only adds to
   * the streak; a success with a round trip feeds the latency average.
   */
  tunnelTest(hash: Uint8Array, ok: boolean, latencyMs?: number): void {
    const { p, now } = this.event(hash, ok);
    if (!ok) {
      p.tunnelTestsFailed++;
      this.failure(p, now);
      return;
    }
    p.tunnelTestsOk++;
    p.failureStreak = 0;
    if (latencyMs !== undefined && Number.isFinite(latencyMs) && latencyMs >= 0) {
      p.latencyMs = p.latencyMs === undefined ? latencyMs : p.latencyMs + this.alpha * (latencyMs - p.latencyMs);
    }
  }

  /** A snapshot (counts decayed to now), or undefined for a peer we know nothing of. */
  get(hash: Uint8Array): PeerProfile | undefined {
    const held = this.index.get(keyOf(hash));
    return held ? snapshot(held.p, this.decayed(held.p, this.clock.now())) : undefined;
  }

  /** Snapshots of every profile, least recently seen first. */
  all(): PeerProfileEntry[] {
    const now = this.clock.now();
    return [...this.index].map(([key, h]) => ({ hash: h.hash, key, profile: snapshot(h.p, this.decayed(h.p, now)) }));
  }

  /**
   * Recent build success: decayed accepts minus decayed rejections (half weight) and timeouts.
   * 0 for an unknown peer; negative for one that mostly refuses or fails.
   */
  capacity(hash: Uint8Array): number {
    const held = this.index.get(keyOf(hash));
    if (!held) return 0;
    const r = this.decayed(held.p, this.clock.now());
    return r.accepted - REJECT_WEIGHT * r.rejected - TIMEOUT_WEIGHT * r.timedOut;
  }

  /** Round trips per second from the latency average: higher is faster; 0 when never measured. */
  speed(hash: Uint8Array): number {
    const latency = this.index.get(keyOf(hash))?.p.latencyMs;
    return latency === undefined ? 0 : 1000 / Math.max(1, latency);
  }

  /**
   * Failing: several timeouts or failed tests in a row, the last one recent; or recent
   * timeouts far outnumbering recent accepts.
   */
  isFailing(hash: Uint8Array): boolean {
    const held = this.index.get(keyOf(hash));
    if (!held) return false;
    const { p } = held;
    const now = this.clock.now();
    if (p.failureStreak >= this.failingStreak && p.lastFailureAt !== undefined && now - p.lastFailureAt < this.failingForMs) return true;
    const r = this.decayed(p, now);
    return r.timedOut >= 2 * this.failingStreak && r.timedOut > 2 * r.accepted;
  }

  /** Writes every profile changed since the last flush (and deletes evicted ones) in one unsynced batch. */
  async flush(): Promise<void> {
    const keys = [...this.dirty];
    this.dirty.clear();
    const ops = keys.map((key) => {
      const held = this.index.get(key);
      return held ? this.db.putOp(key, encodeRecord(held.p)) : this.db.delOp(key);
    });
    try {
      await this.write(ops);
    } catch (err) {
      for (const k of keys) this.dirty.add(k); // retried by the next flush
      throw err;
    }
  }

  private event(hash: Uint8Array, alive: boolean): { p: MutableProfile; now: number } {
    const { p, now } = this.touch(hash, alive);
    Object.assign(p.recent, this.decayed(p, now));
    return { p, now };
  }

  /** The profile of `hash`, created if new; `alive` moves lastSeen (and the eviction order). */
  private touch(hash: Uint8Array, alive: boolean): { p: MutableProfile; now: number } {
    const key = keyOf(hash);
    const now = this.clock.now();
    let held = this.index.get(key);
    if (!held) {
      held = { hash: Uint8Array.from(hash), p: fresh(now) };
      this.index.set(key, held);
      this.evict();
    } else if (alive) {
      held.p.lastSeen = Math.max(held.p.lastSeen, now);
      this.index.delete(key);
      this.index.set(key, held);
    }
    this.dirty.add(key);
    return { p: held.p, now };
  }

  private failure(p: MutableProfile, now: number): void {
    p.failureStreak++;
    p.lastFailureAt = now;
  }

  private evict(): void {
    while (this.index.size > this.max) {
      const oldest = this.index.keys().next().value as string;
      this.index.delete(oldest);
      this.dirty.add(oldest); // flush turns a dirty key that is no longer held into a delete
    }
  }

  private decayed(p: MutableProfile, now: number): DecayedCounts {
    const r = p.recent;
    if (now <= r.at) return { ...r };
    const f = Math.pow(0.5, (now - r.at) / this.halfLifeMs);
    return { accepted: r.accepted * f, rejected: r.rejected * f, timedOut: r.timedOut * f, at: now };
  }

  private write(ops: BatchOp[]): Promise<void> {
    if (ops.length === 0) return this.tail;
    const run = this.tail.then(() => this.storage.batch(ops, { sync: false }));
    this.tail = run.catch(() => {}); // reported to this caller; later writes still run
    return run;
  }
}

function keyOf(hash: Uint8Array): string {
  if (hash.length !== 32) throw new RangeError(`a router hash is 32 bytes, got ${hash.length}`);
  return i2pBase64Encode(hash);
}

function positiveInt(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  return v;
}

function fresh(now: number): MutableProfile {
  return {
    firstSeen: now,
    lastSeen: now,
    buildsAccepted: 0,
    buildsRejected: 0,
    buildsTimedOut: 0,
    tunnelTestsOk: 0,
    tunnelTestsFailed: 0,
    failureStreak: 0,
    recent: { accepted: 0, rejected: 0, timedOut: 0, at: now },
  };
}

function snapshot(p: MutableProfile, recent: DecayedCounts): PeerProfile {
  return { ...p, recent };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function encodeRecord(p: MutableProfile): Uint8Array {
  return encoder.encode(JSON.stringify({ v: RECORD_VERSION, ...p }));
}

const COUNTS = ['buildsAccepted', 'buildsRejected', 'buildsTimedOut', 'tunnelTestsOk', 'tunnelTestsFailed', 'failureStreak'] as const;
const TIMES = ['firstSeen', 'lastSeen'] as const;
const OPTIONAL = ['latencyMs', 'lastBuildAt', 'lastRejectAt', 'lastRejectCode', 'lastFailureAt'] as const;

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isAmount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** A stored record, checked field by field; undefined for anything damaged or foreign. */
function decodeRecord(key: string, bytes: Uint8Array): Held | undefined {
  let hash: Uint8Array;
  let o: Record<string, unknown>;
  try {
    hash = i2pBase64Decode(key, 'profiles.key');
    const parsed: unknown = JSON.parse(decoder.decode(bytes));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    o = parsed as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (hash.length !== 32 || o.v !== RECORD_VERSION) return undefined;
  if (!COUNTS.every((f) => isCount(o[f])) || !TIMES.every((f) => isAmount(o[f]))) return undefined;
  if (!OPTIONAL.every((f) => o[f] === undefined || isAmount(o[f]))) return undefined;
  const r = o.recent as Record<string, unknown> | null;
  if (typeof r !== 'object' || r === null || !['accepted', 'rejected', 'timedOut', 'at'].every((f) => isAmount(r[f]))) return undefined;
  const p: MutableProfile = {
    firstSeen: o.firstSeen as number,
    lastSeen: o.lastSeen as number,
    buildsAccepted: o.buildsAccepted as number,
    buildsRejected: o.buildsRejected as number,
    buildsTimedOut: o.buildsTimedOut as number,
    tunnelTestsOk: o.tunnelTestsOk as number,
    tunnelTestsFailed: o.tunnelTestsFailed as number,
    failureStreak: o.failureStreak as number,
    recent: { accepted: r.accepted as number, rejected: r.rejected as number, timedOut: r.timedOut as number, at: r.at as number },
  };
  for (const f of OPTIONAL) if (o[f] !== undefined) p[f] = o[f] as number;
  return { hash, p };
}
