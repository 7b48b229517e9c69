/**
 * The ECIES-X25519-AEAD-Ratchet engine of one local destination (ecies.rst): it turns payload
 * blocks into garlic bodies for a remote static key and garlic bodies back into blocks, choosing
 * New Session, New Session Reply or Existing Session, and keeps every session, tag set and
 * replay filter in memory. Pure: time and randomness come from the injected clock and random
 * source, nothing is sent — the caller sends what `encrypt` returns and asks `pendingReplies`
 * which peers are owed a ratchet-layer answer when it has no traffic of its own.
 *
 * Sessions are keyed by the remote's static X25519 key, the only identity the protocol knows
 * (Bob learns it from the NS static key section). One session per remote is *bound*: the one
 * `encrypt` uses. Others (superseded handshakes, a crossing NS) only receive until they expire.
 * Binding rules, in spec terms ("Binding Sessions and Destinations", "Parameters"):
 * - no bound session (or a stale one) → `encrypt` starts a new one with an NS (we are Alice);
 * - a valid NS from the remote → a new inbound session (we are Bob); it is bound unless the
 *   bound session is established and younger than `replaceAfterMs` (3 min: "Replace session if
 *   NS received after"), in which case the NS is a late duplicate and its session is dropped;
 * - Alice's first NSR → bound if nothing established is bound; when our own NS and the remote's
 *   NS crossed (each side bound the other's inbound session), the side with the smaller static
 *   key keeps its outbound handshake, so both ends converge on one session pair;
 * - Bob's first ES on a session → bound unless a newer established session is bound.
 *
 * Handshake details: Alice keeps the state of each NS she sent (up to maxHandshakesPerRemote)
 * and fixes the ES tag sets from the first NSR she opens; later NSRs only deliver their payload.
 * Bob answers the newest NS; each NSR has a fresh Elligator2 ephemeral key (ecies.rst "Notes"),
 * hence its own split, and Bob keeps every such pair of ES tag sets until Alice's first ES shows
 * which one she took. Messages that need no reply can go one-time (`needsReply: false`).
 *
 * Every failure of `decrypt` is a GarlicError and leaves the engine as it was: tags, windows,
 * keys, sessions and replay filters change only once a message is authenticated and its payload
 * is well formed.
 *
 * Use: `encrypt(remote, blocks)` → body for an I2NP Garlic message; `decrypt(body)` → blocks and
 * what they were; `pendingReplies()` after handling input (send `encrypt(remote, [])` to those
 * still listed about a second later); `expire(now)` every minute or so; `stats()`.
 */
import type { SymmetricState } from '../../crypto/noise.js';
import type { Clock } from '../../runtime/clock.js';
import type { RandomSource } from '../../runtime/random.js';
import { GarlicError } from '../errors.js';
import {
  checkNewSessionBlocks,
  decodePayload,
  encodePayload,
  type PayloadBlock,
} from '../payload.js';
import { EphemeralReplayCache } from '../replay-cache.js';
import { DEFAULT_DATETIME_WINDOW, type DateTimeWindow } from '../router-garlic.js';
import { EphemeralKeyPool, type EphemeralKeyPoolOptions } from './ephemeral-pool.js';
import {
  decodeEphemeral,
  decryptExistingSession,
  decryptNewSession,
  decryptNewSessionReply,
  encryptExistingSession,
  encryptNewSession,
  encryptNewSessionReply,
  ES_OVERHEAD,
  initialNsState,
  MIN_NS_LENGTH,
} from './handshake.js';
import { SESSION_TAG_LENGTH } from '../tag-store.js';
import { KEY_LENGTH, nsrTagSetKeys, tagKey } from './kdf.js';
import { RatchetSession, type AckId, type RatchetSessionInfo, type ReplyReason, type SessionContext } from './session.js';
import { ReceiveTagSet, SendTagSet, TagRegistry, type TagWindow } from './tag-set.js';

export interface RatchetEngineOptions {
  /** Send a NextKey once N of the outbound tag set reaches this. Default 4096 (ecies.rst "Send next key at tag"). */
  ratchetThreshold?: number;
  /** NSR tag sets. Default 12/12. */
  nsrTagWindow?: TagWindow;
  /** ES tag set 0. Default tsmin 24, tsmax 160. */
  firstTagWindow?: TagWindow;
  /** ES tag sets 1 and up. Default 160/160. `behind` (all windows) defaults to `max`. */
  tagWindow?: TagWindow;
  /** A superseded inbound tag set (after a DH ratchet) is kept this long. Default 3 min. */
  previousTagSetMs?: number;
  /** An unanswered handshake (NS without NSR, NSR without ES) is dropped after this. Default 3 min. */
  handshakeTimeoutMs?: number;
  /** Start a new session instead of sending on one that received nothing for this long. Default 8 min. */
  outboundIdleMs?: number;
  /** A session idle both ways (this long inbound, outboundIdleMs outbound) is removed. Default 10 min. */
  inboundIdleMs?: number;
  /** An NS replaces an established session only if that session is older than this. Default 3 min. */
  replaceAfterMs?: number;
  /** Accepted DateTime of an NS around our clock. Default 5 min past, 2 min future. */
  dateTimeWindow?: DateTimeWindow;
  /** Most sessions held. Default 1024. */
  maxSessions?: number;
  /** Most handshakes in progress per remote (our NSs awaiting a reply, their NSs). Default 64: a remote answers the newest NS about a second later, and a steady sender must still hold it. */
  maxHandshakesPerRemote?: number;
  /** Most NSRs one session sends before Alice's first ES. Default 64. */
  maxNsrPerSession?: number;
  /** Most inbound ES tag sets per session (current and superseded). Default 4. */
  maxReceiveTagSets?: number;
  /** Most ACKs owed per session. Default 64. */
  maxAckQueue?: number;
  /** Most NS ephemeral keys remembered for replay detection. Default 65536. */
  replayCacheSize?: number;
  /** Most used tags remembered, to report replays as such. Default 16384. */
  usedTagCacheSize?: number;
  pool?: EphemeralKeyPoolOptions;
}

export interface RatchetEngineInit {
  staticPrivateKey: Uint8Array;
  staticPublicKey: Uint8Array;
  clock: Pick<Clock, 'now'>;
  random: RandomSource;
  opts?: RatchetEngineOptions;
}

export interface RemotePeer {
  staticPublicKey: Uint8Array;
  /** The caller's name for the remote (e.g. its destination hash, base 64). */
  id?: string;
}

export interface EncryptOptions {
  /**
   * false: a one-time message (ecies.rst 1d: zero flags section, no session, no reply
   * possible) when there is no session with the remote yet. Default true.
   */
  needsReply?: boolean;
  /** Ask for an in-band ACK (ES only; ignored in NS and NSR, whose reply is the ACK). */
  ackRequest?: boolean;
}

export type MessageKind = 'ns' | 'nsr' | 'es';

export interface Sealed {
  body: Uint8Array;
  kind: MessageKind | 'one-time';
  session: RatchetSessionInfo | undefined;
  /** With ackRequest on an ES: the id the remote's ACK will carry. */
  ackId: AckId | undefined;
}

export interface Opened {
  kind: MessageKind;
  /** Every block decoded, the ratchet ones (NextKey, ACK, ACK Request) included: already acted upon. */
  blocks: PayloadBlock[];
  /** The remote's static key: undefined only for a one-time / unbound NS. */
  remoteStaticKey: Uint8Array | undefined;
  session: RatchetSessionInfo | undefined;
  /** ACK blocks received (ids of our ES messages the remote confirms). */
  acks: AckId[];
  /** ES: the inbound tag set and N of this message. */
  tagSetId: number | undefined;
  n: number | undefined;
  /** NS: the DateTime block, seconds since the epoch. */
  timestamp: number | undefined;
  /** The remote is owed a ratchet-layer reply (see `pendingReplies`). */
  needsReply: boolean;
}

export interface PendingReply {
  staticPublicKey: Uint8Array;
  remoteId: string | undefined;
  reasons: ReplyReason[];
}

export interface RatchetEngineStats {
  sessions: number;
  established: number;
  handshaking: number;
  bound: number;
  inboundTags: number;
  replayCache: number;
  ephemeralKeys: number;
  ephemeralKeysGenerated: number;
}

const ENGINE_BLOCKS = new Set(['nextKey', 'ack', 'ackRequest', 'messageNumber']);
const NOT_IN_NSR = new Set(['termination', 'messageNumber', 'nextKey', 'ack', 'ackRequest']);

function hexOf(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** Ratchet blocks the caller may not write, and the NS/NSR rules (ecies.rst "Block Ordering Rules"). */
function callerBlocks(blocks: readonly PayloadBlock[], kind: MessageKind | 'one-time'): PayloadBlock[] {
  if (!Array.isArray(blocks)) throw new GarlicError('ENCODE', 'blocks: expected an array');
  for (const b of blocks) {
    if (ENGINE_BLOCKS.has(b.type)) throw new GarlicError('ENCODE', `${b.type} blocks are written by the ratchet engine`);
    if (b.type === 'termination' && kind !== 'es') throw new GarlicError('ENCODE', 'termination is only allowed in an Existing Session message');
  }
  // The engine writes the NS DateTime itself; NSR allows none (ecies.rst).
  return kind === 'es' ? blocks.slice() : blocks.filter((b) => b.type !== 'dateTime');
}

/** Inserts `extra` before the trailing termination / padding blocks. */
function insertBeforeTail(blocks: PayloadBlock[], extra: PayloadBlock[]): PayloadBlock[] {
  let at = blocks.length;
  while (at > 0 && (blocks[at - 1].type === 'padding' || blocks[at - 1].type === 'termination')) at--;
  return [...blocks.slice(0, at), ...extra, ...blocks.slice(at)];
}

function positive(name: string, v: number): number {
  if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`RatchetEngine: ${name} must be > 0`);
  return v;
}

export class RatchetEngine {
  private readonly staticPrivateKey: Uint8Array;
  readonly staticPublicKey: Uint8Array;
  private readonly clock: Pick<Clock, 'now'>;
  private readonly random: RandomSource;
  readonly pool: EphemeralKeyPool;
  private readonly registry = new TagRegistry<RatchetSession>();
  private readonly sessions = new Set<RatchetSession>();
  private readonly byRemote = new Map<string, Set<RatchetSession>>();
  private readonly bound = new Map<string, RatchetSession>();
  private readonly replay: EphemeralReplayCache;
  private readonly usedTags: EphemeralReplayCache;
  private readonly nsInitial: SymmetricState;
  private readonly ctx: SessionContext;
  private nextSerial = 1;

  private readonly nsrTagWindow: TagWindow;
  private readonly handshakeTimeoutMs: number;
  private readonly outboundIdleMs: number;
  private readonly inboundIdleMs: number;
  private readonly replaceAfterMs: number;
  private readonly previousTagSetMs: number;
  private readonly dateTimeWindow: DateTimeWindow;
  private readonly maxSessions: number;
  private readonly maxHandshakesPerRemote: number;
  private readonly maxNsrPerSession: number;

  constructor(init: RatchetEngineInit) {
    const o = init.opts ?? {};
    if (!(init.staticPrivateKey instanceof Uint8Array) || init.staticPrivateKey.length !== KEY_LENGTH) {
      throw new GarlicError('BAD_KEY', 'static private key: expected 32 bytes');
    }
    if (!(init.staticPublicKey instanceof Uint8Array) || init.staticPublicKey.length !== KEY_LENGTH) {
      throw new GarlicError('BAD_KEY', 'static public key: expected 32 bytes');
    }
    this.staticPrivateKey = init.staticPrivateKey.slice();
    this.staticPublicKey = init.staticPublicKey.slice();
    this.clock = init.clock;
    this.random = init.random;
    this.pool = new EphemeralKeyPool(init.random, o.pool);
    this.nsrTagWindow = o.nsrTagWindow ?? { min: 12, max: 12 };
    this.handshakeTimeoutMs = positive('handshakeTimeoutMs', o.handshakeTimeoutMs ?? 180_000);
    this.outboundIdleMs = positive('outboundIdleMs', o.outboundIdleMs ?? 480_000);
    this.inboundIdleMs = positive('inboundIdleMs', o.inboundIdleMs ?? 600_000);
    this.replaceAfterMs = o.replaceAfterMs ?? 180_000;
    this.previousTagSetMs = positive('previousTagSetMs', o.previousTagSetMs ?? 180_000);
    this.dateTimeWindow = o.dateTimeWindow ?? DEFAULT_DATETIME_WINDOW;
    this.maxSessions = positive('maxSessions', o.maxSessions ?? 1024);
    this.maxHandshakesPerRemote = positive('maxHandshakesPerRemote', o.maxHandshakesPerRemote ?? 64);
    this.maxNsrPerSession = positive('maxNsrPerSession', o.maxNsrPerSession ?? 64);
    const ratchetThreshold = o.ratchetThreshold ?? 4096;
    if (!Number.isInteger(ratchetThreshold) || ratchetThreshold < 1 || ratchetThreshold > 65533) {
      throw new RangeError('RatchetEngine: ratchetThreshold must be an integer in 1..65533');
    }
    this.ctx = {
      pool: this.pool,
      registry: this.registry,
      limits: {
        ratchetThreshold,
        firstTagWindow: o.firstTagWindow ?? { min: 24, max: 160 },
        tagWindow: o.tagWindow ?? { min: 160, max: 160 },
        previousTagSetMs: this.previousTagSetMs,
        maxReceiveTagSets: positive('maxReceiveTagSets', o.maxReceiveTagSets ?? 4),
        maxAckQueue: positive('maxAckQueue', o.maxAckQueue ?? 64),
      },
    };
    this.replay = new EphemeralReplayCache({
      clock: this.clock,
      ttlMs: this.dateTimeWindow.maxPastMs + this.dateTimeWindow.maxFutureMs,
      maxEntries: o.replayCacheSize ?? 65536,
    });
    this.usedTags = new EphemeralReplayCache({ clock: this.clock, ttlMs: this.inboundIdleMs, maxEntries: o.usedTagCacheSize ?? 16384 });
    this.nsInitial = initialNsState(this.staticPublicKey);
  }

  // ---------------------------------------------------------------- encrypt

  /** The garlic body (the I2NP Garlic message's data) carrying `blocks` to `remote`. */
  encrypt(remote: RemotePeer, blocks: readonly PayloadBlock[], options: EncryptOptions = {}): Uint8Array {
    return this.seal(remote, blocks, options).body;
  }

  /** `encrypt` with what was chosen: message kind, session, and the ACK id to wait for. */
  seal(remote: RemotePeer, blocks: readonly PayloadBlock[], options: EncryptOptions = {}): Sealed {
    const key = remote?.staticPublicKey;
    if (!(key instanceof Uint8Array) || key.length !== KEY_LENGTH) throw new GarlicError('BAD_KEY', 'remote static key: expected 32 bytes');
    const now = this.clock.now();
    const hex = hexOf(key);
    let s = this.bound.get(hex);
    if (s && this.isStale(s, now)) {
      this.supersede(s, now);
      s = undefined;
    }
    if (!s) {
      if (options.needsReply === false) {
        return { body: this.sealNs(key, undefined, blocks, now).body, kind: 'one-time', session: undefined, ackId: undefined };
      }
      s = this.newSession('alice', key.slice(), hex, now);
      this.bind(s);
    }
    if (remote.id !== undefined) s.remoteId = remote.id;
    switch (s.state) {
      case 'ns-sent':
        return { body: this.sealNs(key, s, blocks, now).body, kind: 'ns', session: s.info(), ackId: undefined };
      case 'ns-received':
      case 'nsr-sent':
        return { body: this.sealNsr(s, blocks, now), kind: 'nsr', session: s.info(), ackId: undefined };
      default:
        return this.sealEs(s, blocks, options, now);
    }
  }

  private isStale(s: RatchetSession, now: number): boolean {
    if (s.terminated) return true;
    if (s.state === 'established') return now - s.lastReceivedAt > this.outboundIdleMs || s.sendTagSet!.exhausted;
    return now - s.createdAt > this.handshakeTimeoutMs;
  }

  /** NS (bound, `s` given) or one-time NS. */
  private sealNs(remoteKey: Uint8Array, s: RatchetSession | undefined, blocks: readonly PayloadBlock[], now: number): { body: Uint8Array } {
    const list: PayloadBlock[] = [{ type: 'dateTime', timestamp: Math.floor(now / 1000) }, ...callerBlocks(blocks, s ? 'ns' : 'one-time')];
    checkNewSessionBlocks(list, 'ENCODE');
    const payload = encodePayload(list);
    const ephemeral = this.pool.take();
    const out = encryptNewSession({
      bobStaticPublicKey: remoteKey,
      alice: s ? { privateKey: this.staticPrivateKey, publicKey: this.staticPublicKey } : undefined,
      ephemeral,
      payload,
    });
    if (s) {
      while (s.pendingNs.length >= this.maxHandshakesPerRemote) s.pendingNs.shift()!.tagSet.dispose();
      const tagSet = new ReceiveTagSet(0, 'nsr', nsrTagSetKeys(out.chainKey), this.nsrTagWindow, this.registry, s, now);
      tagSet.expiresAt = now + this.handshakeTimeoutMs;
      s.pendingNs.push({ ephemeralPrivateKey: ephemeral.privateKey, chainKey: out.chainKey, hash: out.hash, tagSet });
      s.lastSentAt = now;
    }
    return { body: out.body };
  }

  private sealNsr(s: RatchetSession, blocks: readonly PayloadBlock[], now: number): Uint8Array {
    const hs = s.inbound!;
    if (s.nsrCandidates >= this.maxNsrPerSession) {
      throw new GarlicError('ENCODE', `${this.maxNsrPerSession} NSRs sent without an ES reply: not sending more`);
    }
    const list = callerBlocks(blocks, 'nsr');
    if (list.length === 0) list.push({ type: 'padding', length: this.random.int(16) });
    const payload = encodePayload(list);
    const { tag } = hs.replyTags.nextTag();
    const out = encryptNewSessionReply({
      chainKey: hs.chainKey,
      hash: hs.hash,
      tag,
      aliceEphemeralKey: hs.ephemeralKey,
      aliceStaticKey: s.remoteStaticKey,
      ephemeral: this.pool.take(),
      payload,
    });
    s.addCandidate(out, now);
    s.lastSentAt = now;
    return out.body;
  }

  private sealEs(s: RatchetSession, blocks: readonly PayloadBlock[], options: EncryptOptions, now: number): Sealed {
    const extra = s.esBlocks();
    if (options.ackRequest) extra.push({ type: 'ackRequest', flags: 0 });
    let list = insertBeforeTail(callerBlocks(blocks, 'es'), extra);
    // Java refuses an empty ES payload; an "empty" reply carries padding instead.
    if (list.length === 0) list = [{ type: 'padding', length: this.random.int(16) }];
    const payload = encodePayload(list);
    const tagSet = s.sendTagSet!;
    const entry = tagSet.next();
    const body = encryptExistingSession(entry.tag, entry.key, entry.index, payload);
    s.sentEs(now);
    if (list.some((b) => b.type === 'termination')) {
      s.terminated = true;
      this.supersede(s, now);
    }
    return {
      body,
      kind: 'es',
      session: s.info(),
      ackId: options.ackRequest ? { tagSetId: tagSet.id, n: entry.index } : undefined,
    };
  }

  // ---------------------------------------------------------------- decrypt

  /**
   * Opens a garlic body addressed to us: a known tag means NSR or ES (and only that, as in i2pd
   * and Java), otherwise it must be an NS to our static key. Throws GarlicError only, and then
   * changes nothing.
   */
  decrypt(body: Uint8Array): Opened {
    if (!(body instanceof Uint8Array)) throw new GarlicError('MALFORMED', 'garlic body: expected bytes');
    if (body.length >= ES_OVERHEAD) {
      const hit = this.registry.lookup(tagKey(body));
      if (hit) return hit.set.kind === 'nsr' ? this.openNsr(hit.set, hit.index, body) : this.openEs(hit.set, hit.index, body);
      if (this.usedTags.has(body.subarray(0, SESSION_TAG_LENGTH))) throw new GarlicError('REPLAY', 'session tag already used');
    }
    if (body.length < MIN_NS_LENGTH) throw new GarlicError('MALFORMED', `garlic body of ${body.length} bytes: unknown tag, too short for an NS`);
    return this.openNs(body);
  }

  private openEs(set: ReceiveTagSet<RatchetSession>, index: number, body: Uint8Array): Opened {
    const s = set.owner;
    const pending = set.keyFor(index);
    const blocks = decodePayload(decryptExistingSession(pending.key, index, body));
    // Authentic and well formed: from here on, state moves.
    const now = this.clock.now();
    pending.commit();
    set.consume(index, now);
    this.usedTags.add(body.subarray(0, SESSION_TAG_LENGTH));
    if (s.state === 'nsr-sent') {
      s.establishAsBob(set, now);
      this.bindOnFirstEs(s);
    }
    const acks = s.onExistingSession(set, index, blocks, now);
    if (s.terminated) this.supersede(s, now);
    return {
      kind: 'es',
      blocks,
      remoteStaticKey: s.remoteStaticKey.slice(),
      session: s.info(),
      acks,
      tagSetId: set.id,
      n: index,
      timestamp: undefined,
      needsReply: s.bound && s.replyReasons().length > 0,
    };
  }

  private openNsr(set: ReceiveTagSet<RatchetSession>, index: number, body: Uint8Array): Opened {
    const s = set.owner;
    const pend = s.pendingNs.find((p) => p.tagSet === set);
    if (!pend) throw new GarlicError('MALFORMED', 'NSR for a handshake no longer held');
    const reply = decryptNewSessionReply({
      chainKey: pend.chainKey,
      hash: pend.hash,
      aliceEphemeralPrivateKey: pend.ephemeralPrivateKey,
      aliceStaticPrivateKey: this.staticPrivateKey,
      body,
    });
    const blocks = decodePayload(reply.payload);
    for (const b of blocks) {
      // DateTime is tolerated: i2pd puts one in its NSRs.
      if (NOT_IN_NSR.has(b.type)) throw new GarlicError('MALFORMED', `a ${b.type} block is not allowed in a New Session Reply`);
    }
    const now = this.clock.now();
    set.consume(index, now);
    this.usedTags.add(body.subarray(0, SESSION_TAG_LENGTH));
    if (s.state === 'ns-sent') {
      // Only the first NSR sets up the ES tag sets; later ones (to this or another of our NSs)
      // just deliver their payload.
      s.establishAsAlice(reply, now);
      this.bindOnNsr(s);
    }
    s.lastReceivedAt = now;
    return {
      kind: 'nsr',
      blocks,
      remoteStaticKey: s.remoteStaticKey.slice(),
      session: s.info(),
      acks: [],
      tagSetId: undefined,
      n: undefined,
      timestamp: undefined,
      needsReply: s.bound && s.replyReasons().length > 0,
    };
  }

  private openNs(body: Uint8Array): Opened {
    const ephemeralKey = decodeEphemeral(body.subarray(0, KEY_LENGTH));
    if (this.replay.has(ephemeralKey)) throw new GarlicError('REPLAY', 'NS ephemeral key seen before');
    const ns = decryptNewSession({ privateKey: this.staticPrivateKey, publicKey: this.staticPublicKey }, body, {
      ephemeralKey,
      initialState: this.nsInitial,
    });
    const blocks = decodePayload(ns.payload);
    const timestamp = checkNewSessionBlocks(blocks);
    const now = this.clock.now();
    const sentMs = timestamp * 1000;
    if (sentMs < now - this.dateTimeWindow.maxPastMs) throw new GarlicError('CLOCK_SKEW', `NS DateTime ${timestamp} is too old`);
    if (sentMs > now + this.dateTimeWindow.maxFutureMs) throw new GarlicError('CLOCK_SKEW', `NS DateTime ${timestamp} is too far ahead`);
    this.replay.add(ephemeralKey);
    const base = { kind: 'ns' as const, blocks, acks: [], tagSetId: undefined, n: undefined, timestamp };
    if (!ns.aliceStaticKey) return { ...base, remoteStaticKey: undefined, session: undefined, needsReply: false };

    const hex = hexOf(ns.aliceStaticKey);
    const s = this.newSession('bob', ns.aliceStaticKey, hex, now);
    s.inbound = {
      ephemeralKey,
      chainKey: ns.chainKey,
      hash: ns.hash,
      replyTags: new SendTagSet(0, nsrTagSetKeys(ns.chainKey)),
    };
    this.bindOnNs(s, now);
    const info = s.info();
    if (!s.bound) this.removeSession(s); // a late copy while an established session is fresh
    return { ...base, remoteStaticKey: ns.aliceStaticKey.slice(), session: info, needsReply: s.bound };
  }

  // ---------------------------------------------------------------- binding

  private bind(s: RatchetSession): void {
    const cur = this.bound.get(s.remoteHex);
    if (cur === s) return;
    if (cur) this.supersede(cur, this.clock.now());
    this.bound.set(s.remoteHex, s);
    s.bound = true;
    s.expiresAt = undefined;
  }

  /** No longer sent on; kept to receive stragglers, then removed. */
  private supersede(s: RatchetSession, now: number): void {
    if (this.bound.get(s.remoteHex) === s) this.bound.delete(s.remoteHex);
    s.bound = false;
    s.expiresAt = now + (s.state === 'established' ? this.previousTagSetMs : this.handshakeTimeoutMs);
  }

  private bindOnNs(s: RatchetSession, now: number): void {
    const cur = this.bound.get(s.remoteHex);
    if (!cur || cur.state !== 'established' || now - cur.createdAt >= this.replaceAfterMs) this.bind(s);
  }

  private bindOnNsr(s: RatchetSession): void {
    const cur = this.bound.get(s.remoteHex);
    if (!cur || cur === s) return this.bind(s);
    if (cur.state === 'established') return; // something newer already works: keep it
    // Crossing NSs: the smaller static key keeps its own outbound handshake.
    if (cur.role === 'alice' || compareBytes(this.staticPublicKey, s.remoteStaticKey) < 0) this.bind(s);
  }

  private bindOnFirstEs(s: RatchetSession): void {
    const cur = this.bound.get(s.remoteHex);
    if (!cur || cur === s || cur.state !== 'established' || cur.createdAt < s.createdAt) this.bind(s);
  }

  // ---------------------------------------------------------------- bookkeeping

  private newSession(role: 'alice' | 'bob', key: Uint8Array, hex: string, now: number): RatchetSession {
    let mine = this.byRemote.get(hex);
    if (mine && role === 'bob') {
      // Bound the handshakes a single remote can keep open (each NS makes one).
      const open = [...mine].filter((x) => x.role === 'bob' && x.state !== 'established');
      for (let i = 0; i <= open.length - this.maxHandshakesPerRemote; i++) this.removeSession(open[i]);
    }
    if (this.sessions.size >= this.maxSessions) this.evictOne();
    const s = new RatchetSession(this.nextSerial++, role, key, hex, this.ctx, now);
    this.sessions.add(s);
    mine = this.byRemote.get(hex);
    if (!mine) this.byRemote.set(hex, (mine = new Set()));
    mine.add(s);
    return s;
  }

  /** Memory pressure: unbound sessions go first, then handshakes, then the least recently used. */
  private evictOne(): void {
    let victim: RatchetSession | undefined;
    let best = Infinity;
    for (const s of this.sessions) {
      const rank = (s.bound ? (s.state === 'established' ? 2 : 1) : 0) * 1e15 + Math.max(s.lastReceivedAt, s.lastSentAt);
      if (rank < best) {
        best = rank;
        victim = s;
      }
    }
    if (victim) this.removeSession(victim);
  }

  private removeSession(s: RatchetSession): void {
    s.dispose();
    this.sessions.delete(s);
    const mine = this.byRemote.get(s.remoteHex);
    mine?.delete(s);
    if (mine && mine.size === 0) this.byRemote.delete(s.remoteHex);
    if (this.bound.get(s.remoteHex) === s) this.bound.delete(s.remoteHex);
    s.bound = false;
  }

  /**
   * Drops what timed out: superseded sessions, unanswered handshakes, sessions idle both ways,
   * previous tag sets and NSR tag sets. Call it periodically (e.g. every 30-60 s).
   */
  expire(now: number = this.clock.now()): { sessions: number; tagSets: number } {
    let sessions = 0;
    let tagSets = 0;
    for (const s of [...this.sessions]) {
      let dead = s.expiresAt !== undefined && s.expiresAt <= now;
      if (!dead && s.state !== 'established') dead = now - s.createdAt > this.handshakeTimeoutMs;
      if (!dead && s.state === 'established') {
        dead = now - s.lastReceivedAt > this.inboundIdleMs && now - s.lastSentAt > this.outboundIdleMs;
      }
      if (dead) {
        this.removeSession(s);
        sessions++;
      } else {
        tagSets += s.expireTagSets(now);
      }
    }
    return { sessions, tagSets };
  }

  /**
   * Remotes owed a ratchet-layer message (ecies.rst "Ratchet-layer Responses"): an NSR to their
   * NS, a first ES after their NSR, ACKs they asked for, our reverse NextKey. If no traffic
   * goes to them shortly (the spec suggests about a second), send `encrypt(remote, [])`.
   */
  pendingReplies(): PendingReply[] {
    const out: PendingReply[] = [];
    for (const s of this.bound.values()) {
      const reasons = s.replyReasons();
      if (reasons.length > 0) out.push({ staticPublicKey: s.remoteStaticKey.slice(), remoteId: s.remoteId, reasons });
    }
    return out;
  }

  /**
   * Stop sending on the established session with a remote: the next `encrypt` starts a new one
   * with an NS, which the remote can open whatever happened to its tags. For when our messages
   * go unanswered: messages lost in a row beyond the remote's tag look-ahead leave it unable to
   * decrypt anything more we send on that session (ecies.rst "Tagset look ahead"), and nothing
   * else would tell us. The old session still receives until it expires. A session still in
   * its handshake is left alone: its NSs are already readable. Returns whether one was dropped.
   */
  restart(staticPublicKey: Uint8Array): boolean {
    const s = this.bound.get(hexOf(staticPublicKey));
    if (!s || s.state !== 'established') return false;
    this.supersede(s, this.clock.now());
    return true;
  }

  /** The bound session for a remote static key, if any. */
  sessionFor(staticPublicKey: Uint8Array): RatchetSessionInfo | undefined {
    return this.bound.get(hexOf(staticPublicKey))?.info();
  }

  stats(): RatchetEngineStats {
    let established = 0;
    for (const s of this.sessions) if (s.state === 'established') established++;
    return {
      sessions: this.sessions.size,
      established,
      handshaking: this.sessions.size - established,
      bound: this.bound.size,
      inboundTags: this.registry.size,
      replayCache: this.replay.size,
      ephemeralKeys: this.pool.size,
      ephemeralKeysGenerated: this.pool.generated,
    };
  }
}
