/**
 * One ratchet session: an inbound and an outbound session paired and bound to one far-end
 * static key (ecies.rst "Sessions"), in the role it was created in: Alice sent the New Session,
 * Bob received it. The engine owns the handshake crypto and the binding; this class holds the
 * tag sets, the two DH ratchets (one per direction) and the ratchet-layer replies (ACKs,
 * reverse keys) still owed to the peer.
 *
 * DH ratchet (ecies.rst "4a) DH Ratchet"): tag set n (n >= 1) of a direction comes from the
 * sender's key floor(n/2) and the receiver's key floor((n-1)/2); for odd n the receiver makes a
 * new key (the sender asked for one), for even n the sender does. The sender of the tags starts
 * (forward NextKey, repeated in every message until the reverse NextKey arrives), the receiver
 * creates its inbound tag set n at once and answers (reverse NextKey, repeated until a tag of
 * tag set n arrives). Key ids and flags are therefore a function of n alone, and a NextKey
 * block that is not the expected one for the next n is ignored: late copies of an older
 * exchange cannot derail the ratchet.
 */
import type { PayloadBlock } from '../payload.js';
import { GarlicError } from '../errors.js';
import type { EphemeralKeyPool, KeyPair } from './ephemeral-pool.js';
import { dh, type ReplyKeys } from './handshake.js';
import { dhInitialize, xdhTagSetKey } from './kdf.js';
import { ReceiveTagSet, SendTagSet, type TagRegistry, type TagWindow } from './tag-set.js';

export type SessionRole = 'alice' | 'bob';
/**
 * ns-sent: Alice, waiting for an NSR. ns-received: Bob, no NSR sent yet. nsr-sent: Bob, waiting
 * for Alice's first ES. established: ES both ways.
 */
export type SessionState = 'ns-sent' | 'ns-received' | 'nsr-sent' | 'established';

/** Why the peer is owed a message even if we have nothing to say (ecies.rst "Ratchet-layer Responses"). */
export type ReplyReason = 'nsr' | 'es' | 'ack' | 'next-key';

export interface AckId {
  tagSetId: number;
  n: number;
}

/** The NextKey flag bits (ecies.rst "Next DH Ratchet Public Key"). */
export const NEXT_KEY_PRESENT = 0x01;
export const NEXT_KEY_REVERSE = 0x02;
export const NEXT_KEY_REQUEST_REVERSE = 0x04;
const MAX_TAG_SET_ID = 65535;

export interface SessionLimits {
  ratchetThreshold: number;
  firstTagWindow: TagWindow;
  tagWindow: TagWindow;
  previousTagSetMs: number;
  maxReceiveTagSets: number;
  maxAckQueue: number;
}

export interface SessionContext {
  pool: EphemeralKeyPool;
  registry: TagRegistry<RatchetSession>;
  limits: SessionLimits;
}

/** An NS we sent and the state its NSR will need (Alice). */
export interface PendingNs {
  ephemeralPrivateKey: Uint8Array;
  chainKey: Uint8Array;
  hash: Uint8Array;
  tagSet: ReceiveTagSet<RatchetSession>;
}

/** The tag sets one of our NSRs implies (Bob): Alice picks one by answering to it. */
interface NsrCandidate {
  receive: ReceiveTagSet<RatchetSession>;
  send: SendTagSet;
}

/** Bob's memory of Alice's NS. */
export interface InboundHandshake {
  ephemeralKey: Uint8Array;
  chainKey: Uint8Array;
  hash: Uint8Array;
  replyTags: SendTagSet;
}

export interface RatchetSessionInfo {
  /** Unique within the engine. */
  serial: number;
  role: SessionRole;
  state: SessionState;
  remoteStaticKey: Uint8Array;
  /** What the caller called the remote (e.g. a destination hash), once it said. */
  remoteId: string | undefined;
  /** The session the engine sends on for this remote. */
  bound: boolean;
  createdAt: number;
  /** Ids of the current outbound / newest inbound ES tag sets (undefined before established). */
  sendTagSetId: number | undefined;
  receiveTagSetId: number | undefined;
  /** N of the next ES we send. */
  sendIndex: number | undefined;
}

export class RatchetSession {
  state: SessionState;
  remoteId: string | undefined;
  lastReceivedAt: number;
  lastSentAt: number;
  /** Set once superseded or terminated: removed at that time. */
  expiresAt: number | undefined;
  bound = false;
  terminated = false;

  readonly pendingNs: PendingNs[] = [];
  inbound: InboundHandshake | undefined;
  private candidates: NsrCandidate[] = [];

  sendTagSet: SendTagSet | undefined;
  /** ES inbound tag sets, oldest first; the last is the current one. */
  readonly receiveTagSets: ReceiveTagSet<RatchetSession>[] = [];
  private firstEsSent = false;

  /** Our outbound direction: our current ratchet key and the receiver's last key. */
  private sendRatchet: { keyId: number; pair: KeyPair; remoteKey: Uint8Array | undefined } | undefined;
  private forward: { tagSetId: number; block: PayloadBlock } | undefined;
  /** Our inbound direction. */
  private recvRatchet: { keyId: number; pair: KeyPair; remoteKey: Uint8Array } | undefined;
  private reverse: { tagSetId: number; block: PayloadBlock; sentSinceAsked: boolean } | undefined;
  private acks: AckId[] = [];

  constructor(
    readonly serial: number,
    readonly role: SessionRole,
    readonly remoteStaticKey: Uint8Array,
    readonly remoteHex: string,
    private readonly ctx: SessionContext,
    readonly createdAt: number,
  ) {
    this.state = role === 'alice' ? 'ns-sent' : 'ns-received';
    this.lastReceivedAt = createdAt;
    this.lastSentAt = createdAt;
  }

  info(): RatchetSessionInfo {
    return {
      serial: this.serial,
      role: this.role,
      state: this.state,
      remoteStaticKey: this.remoteStaticKey.slice(),
      remoteId: this.remoteId,
      bound: this.bound,
      createdAt: this.createdAt,
      sendTagSetId: this.sendTagSet?.id,
      receiveTagSetId: this.receiveTagSets.at(-1)?.id,
      sendIndex: this.sendTagSet?.nextIndex,
    };
  }

  get nsrCandidates(): number {
    return this.candidates.length;
  }

  /** Every inbound tag set this session holds. */
  *tagSets(): Iterable<ReceiveTagSet<RatchetSession>> {
    for (const p of this.pendingNs) yield p.tagSet;
    for (const c of this.candidates) yield c.receive;
    yield* this.receiveTagSets;
  }

  dispose(): void {
    for (const t of this.tagSets()) t.dispose();
    this.pendingNs.length = 0;
    this.candidates = [];
    this.receiveTagSets.length = 0;
  }

  /** Drops tag sets past their expiry; returns how many. */
  expireTagSets(now: number): number {
    let n = 0;
    for (let i = this.pendingNs.length - 1; i >= 0; i--) {
      const t = this.pendingNs[i].tagSet;
      if (t.expiresAt !== undefined && t.expiresAt <= now) {
        t.dispose();
        this.pendingNs.splice(i, 1);
        n++;
      }
    }
    // Never the current inbound tag set: it lives as long as the session.
    for (let i = this.receiveTagSets.length - 2; i >= 0; i--) {
      const t = this.receiveTagSets[i];
      if (t.expiresAt !== undefined && t.expiresAt <= now) {
        t.dispose();
        this.receiveTagSets.splice(i, 1);
        n++;
      }
    }
    return n;
  }

  private windowFor(tagSetId: number): TagWindow {
    return tagSetId === 0 ? this.ctx.limits.firstTagWindow : this.ctx.limits.tagWindow;
  }

  /** Alice, first NSR: tagset_ab = DH_INITIALIZE(ck, k_ab) outbound, tagset_ba inbound. */
  establishAsAlice(reply: ReplyKeys, now: number): void {
    this.sendTagSet = new SendTagSet(0, dhInitialize(reply.chainKey, reply.kab));
    this.receiveTagSets.push(
      new ReceiveTagSet(0, 'es', dhInitialize(reply.chainKey, reply.kba), this.windowFor(0), this.ctx.registry, this, now),
    );
    this.state = 'established';
    this.lastReceivedAt = now;
  }

  /** Bob, after each NSR: the tag sets Alice will use if this is the NSR she takes. */
  addCandidate(reply: ReplyKeys, now: number): void {
    this.candidates.push({
      receive: new ReceiveTagSet(0, 'es', dhInitialize(reply.chainKey, reply.kab), this.windowFor(0), this.ctx.registry, this, now),
      send: new SendTagSet(0, dhInitialize(reply.chainKey, reply.kba)),
    });
    this.state = 'nsr-sent';
  }

  /** Bob, Alice's first ES arrived on `set`: keep that NSR's tag sets, drop the others. */
  establishAsBob(set: ReceiveTagSet<RatchetSession>, now: number): void {
    const chosen = this.candidates.find((c) => c.receive === set);
    if (!chosen) throw new GarlicError('MALFORMED', 'ES on a tag set this session does not own');
    for (const c of this.candidates) if (c !== chosen) c.receive.dispose();
    this.candidates = [];
    this.receiveTagSets.push(chosen.receive);
    this.sendTagSet = chosen.send;
    this.inbound = undefined;
    this.state = 'established';
    this.lastReceivedAt = now;
  }

  /** Handles the ratchet-layer blocks of an authenticated ES; returns the ACKs it carried. */
  onExistingSession(set: ReceiveTagSet<RatchetSession>, index: number, blocks: readonly PayloadBlock[], now: number): AckId[] {
    this.lastReceivedAt = now;
    if (this.reverse && set.id === this.reverse.tagSetId) this.reverse = undefined; // the tag sender switched
    const acks: AckId[] = [];
    for (const b of blocks) {
      switch (b.type) {
        case 'nextKey':
          if (b.flags & NEXT_KEY_REVERSE) this.onReverseKey(b);
          else this.onForwardKey(b, set, now);
          break;
        case 'ack':
          acks.push(...b.acks);
          break;
        case 'ackRequest':
          if (this.acks.length >= this.ctx.limits.maxAckQueue) this.acks.shift();
          this.acks.push({ tagSetId: set.id, n: index });
          break;
        case 'termination':
          this.terminated = true;
          break;
        default:
          break;
      }
    }
    return acks;
  }

  /** The tag receiver's side: the sender announced its key for our inbound tag set n. */
  private onForwardKey(b: Extract<PayloadBlock, { type: 'nextKey' }>, arrivedOn: ReceiveTagSet<RatchetSession>, now: number): void {
    const latest = this.receiveTagSets.at(-1);
    if (!latest || arrivedOn !== latest) {
      // A copy sent before our reverse key reached the sender: it still waits for it.
      if (this.reverse) this.reverse.sentSinceAsked = false;
      return;
    }
    const n = latest.id + 1;
    if (n > MAX_TAG_SET_ID) return;
    const odd = n % 2 === 1;
    const request = (b.flags & NEXT_KEY_REQUEST_REVERSE) !== 0;
    if (request !== odd || b.keyId !== Math.floor(n / 2)) return;
    if (!odd && !b.publicKey) return; // the sender makes a new key for even n
    const remoteKey = b.publicKey ?? this.recvRatchet?.remoteKey;
    if (!remoteKey) return;
    let pair: KeyPair;
    let keyId: number;
    if (odd) {
      pair = this.ctx.pool.takePlain();
      keyId = (n - 1) / 2;
    } else {
      if (!this.recvRatchet) return;
      pair = this.recvRatchet.pair;
      keyId = this.recvRatchet.keyId;
    }
    let shared: Uint8Array;
    try {
      shared = dh(pair.privateKey, remoteKey);
    } catch {
      return; // an unusable key from an authenticated peer: ignore the block, keep the session
    }
    const next = new ReceiveTagSet(n, 'es', dhInitialize(latest.nextRootKey, xdhTagSetKey(shared)), this.windowFor(n), this.ctx.registry, this, now);
    latest.expiresAt = now + this.ctx.limits.previousTagSetMs;
    this.receiveTagSets.push(next);
    while (this.receiveTagSets.length > this.ctx.limits.maxReceiveTagSets) this.receiveTagSets.shift()!.dispose();
    this.recvRatchet = { keyId, pair, remoteKey };
    this.reverse = {
      tagSetId: n,
      block: odd
        ? { type: 'nextKey', flags: NEXT_KEY_REVERSE | NEXT_KEY_PRESENT, keyId, publicKey: pair.publicKey }
        : { type: 'nextKey', flags: NEXT_KEY_REVERSE, keyId },
      sentSinceAsked: false,
    };
  }

  /** The tag sender's side: the receiver answered our forward key; switch to tag set n. */
  private onReverseKey(b: Extract<PayloadBlock, { type: 'nextKey' }>): void {
    if (!this.forward || !this.sendRatchet || !this.sendTagSet) return;
    const n = this.forward.tagSetId;
    const odd = n % 2 === 1;
    if (b.keyId !== (odd ? (n - 1) / 2 : n / 2 - 1)) return;
    // The receiver makes a new key for odd n only. Checking this is what tells a late copy of
    // the answer for n - 1 (same key id, key present) from the answer for even n.
    if (odd !== (b.publicKey !== undefined)) return;
    const remoteKey = b.publicKey ?? this.sendRatchet.remoteKey;
    if (!remoteKey) return;
    let shared: Uint8Array;
    try {
      shared = dh(this.sendRatchet.pair.privateKey, remoteKey);
    } catch {
      return;
    }
    this.sendRatchet.remoteKey = remoteKey;
    this.sendTagSet = new SendTagSet(n, dhInitialize(this.sendTagSet.nextRootKey, xdhTagSetKey(shared)));
    this.forward = undefined;
  }

  /** Starts the next DH ratchet of our outbound direction (ecies.rst "DH RATCHET MESSAGE FLOW"). */
  private startForward(): void {
    const n = this.sendTagSet!.id + 1;
    if (n > MAX_TAG_SET_ID) return; // tag set 65535 is the last: a new session follows
    const odd = n % 2 === 1;
    const keyId = Math.floor(n / 2);
    const newKey = !odd || n === 1;
    if (newKey) this.sendRatchet = { keyId, pair: this.ctx.pool.takePlain(), remoteKey: this.sendRatchet?.remoteKey };
    const flags = (newKey ? NEXT_KEY_PRESENT : 0) | (odd ? NEXT_KEY_REQUEST_REVERSE : 0);
    this.forward = {
      tagSetId: n,
      block: newKey ? { type: 'nextKey', flags, keyId, publicKey: this.sendRatchet!.pair.publicKey } : { type: 'nextKey', flags, keyId },
    };
  }

  /** True while a forward NextKey of ours waits for its answer. */
  get ratchetPending(): boolean {
    return this.forward !== undefined;
  }

  /**
   * The ratchet-layer blocks to put in our next ES (ACKs owed, reverse and forward NextKey),
   * starting our next DH ratchet once the threshold is reached. The caller commits with
   * `sentEs` after the message is built.
   */
  esBlocks(): PayloadBlock[] {
    const out: PayloadBlock[] = [];
    if (!this.forward && this.sendTagSet && this.sendTagSet.nextIndex >= this.ctx.limits.ratchetThreshold) this.startForward();
    if (this.acks.length > 0) out.push({ type: 'ack', acks: this.acks.slice() });
    if (this.reverse) out.push(this.reverse.block);
    if (this.forward) out.push(this.forward.block);
    return out;
  }

  /** Records that an ES carrying `esBlocks()` went out. */
  sentEs(now: number): void {
    this.acks = [];
    if (this.reverse) this.reverse.sentSinceAsked = true;
    this.firstEsSent = true;
    this.lastSentAt = now;
  }

  replyReasons(): ReplyReason[] {
    const r: ReplyReason[] = [];
    if (this.state === 'ns-received') r.push('nsr');
    if (this.state === 'established') {
      if (this.role === 'alice' && !this.firstEsSent) r.push('es');
      if (this.acks.length > 0) r.push('ack');
      if (this.reverse && !this.reverse.sentSinceAsked) r.push('next-key');
    }
    return r;
  }
}
