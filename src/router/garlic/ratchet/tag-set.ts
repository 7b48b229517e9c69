/**
 * Tag sets (ecies.rst "4) Ratchets", "4b) Session Tag Ratchet", "4c) Symmetric Key Ratchet").
 *
 * A sender walks both ratchets in step, one tag and one key per message, and stores nothing.
 * A receiver runs the tag ratchet ahead of what it has received (the look-ahead window) and
 * registers those tags in a registry shared by every tag set of the engine, so one map look-up
 * finds the tag set and index of an incoming tag. Its key ratchet lags: a key is computed when
 * its tag arrives, and keys skipped on the way (tags still waiting: lost or late messages) are
 * cached until they arrive or fall behind the window.
 *
 * Window sizes follow ecies.rst "Parameters": look ahead of tag N is min(tsmax, tsmin + N/4).
 * Behind the highest N received we keep unreceived tags up to `behind` (default tsmax), not the
 * spec's "min(tsmax, tsmin + N/4) / 2": that is 14 tags at N = 20, less than the reordering a
 * pair of tunnels produces in practice (i2pd keeps 800). Only tags still unreceived cost memory.
 */
import { GarlicError } from '../errors.js';
import { sessionTagInit, sessionTagStep, symmetricKeyStep, tagKey, type TagSetKeys } from './kdf.js';

/** The spec's largest message number N in a tag set. */
export const MAX_TAG_INDEX = 65535;
/**
 * The largest N we send. i2pd's tag generator refuses to produce index 65534 and above (it
 * stops once its next index would reach 65535), so an i2pd receiver never has those tags.
 */
export const MAX_SEND_INDEX = 65533;

/** tsmin / tsmax of ecies.rst "Parameters", and how far behind the newest tag we keep waiting. */
export interface TagWindow {
  min: number;
  max: number;
  /** Unreceived tags more than this far behind the highest received are dropped. Default `max`. */
  behind?: number;
}

export class TagRegistry<O> {
  private readonly map = new Map<bigint, { set: ReceiveTagSet<O>; index: number }>();

  get size(): number {
    return this.map.size;
  }

  lookup(tag: bigint): { set: ReceiveTagSet<O>; index: number } | undefined {
    return this.map.get(tag);
  }

  /** False when another tag set already holds this tag (2^-64 per pair): the first keeps it. */
  add(tag: bigint, set: ReceiveTagSet<O>, index: number): boolean {
    if (this.map.has(tag)) return false;
    this.map.set(tag, { set, index });
    return true;
  }

  delete(tag: bigint, set: ReceiveTagSet<O>): void {
    if (this.map.get(tag)?.set === set) this.map.delete(tag);
  }
}

export interface TagEntry {
  index: number;
  tag: Uint8Array;
  key: Uint8Array;
}

/** Our outbound tag set: the next tag and key, nothing stored. */
export class SendTagSet {
  readonly nextRootKey: Uint8Array;
  private tagCk: Uint8Array;
  private readonly constant: Uint8Array;
  private symmCk: Uint8Array;
  private index = 0;

  constructor(
    readonly id: number,
    keys: TagSetKeys,
  ) {
    this.nextRootKey = keys.nextRootKey;
    const init = sessionTagInit(keys.sessTagCk);
    this.tagCk = init.chainKey;
    this.constant = init.constant;
    this.symmCk = keys.symmKeyCk;
  }

  /** N of the next message. */
  get nextIndex(): number {
    return this.index;
  }

  get exhausted(): boolean {
    return this.index > MAX_SEND_INDEX;
  }

  /** The next tag only (NSR tag sets: "The Session Key from the DH Initialization is not used"). */
  nextTag(): { index: number; tag: Uint8Array } {
    if (this.exhausted) throw new GarlicError('ENCODE', `tag set ${this.id} is exhausted`);
    const t = sessionTagStep(this.tagCk, this.constant);
    this.tagCk = t.chainKey;
    return { index: this.index++, tag: t.tag };
  }

  next(): TagEntry {
    const { index, tag } = this.nextTag();
    const k = symmetricKeyStep(this.symmCk);
    this.symmCk = k.chainKey;
    return { index, tag, key: k.key };
  }
}

/** A key for an incoming tag, computed without touching the tag set until `commit`. */
export interface PendingKey {
  key: Uint8Array;
  commit(): void;
}

export type ReceiveTagSetKind = 'nsr' | 'es';

/** An inbound tag set; `owner` is whatever the engine hangs on it (its session). */
export class ReceiveTagSet<O> {
  readonly nextRootKey: Uint8Array;
  readonly createdAt: number;
  lastUsedAt: number;
  /** Set when the tag set is superseded (a newer one exists) or is a handshake tag set. */
  expiresAt: number | undefined;
  private tagCk: Uint8Array;
  private readonly constant: Uint8Array;
  private nextTagIndex = 0;
  private symmCk: Uint8Array;
  private nextKeyIndex = 0;
  private readonly skipped = new Map<number, Uint8Array>();
  /** index → registered tag, for the tags still expected. */
  private readonly live = new Map<number, bigint>();
  private maxReceived = -1;
  private disposed = false;

  constructor(
    readonly id: number,
    readonly kind: ReceiveTagSetKind,
    keys: TagSetKeys,
    readonly window: TagWindow,
    private readonly registry: TagRegistry<O>,
    readonly owner: O,
    now: number,
  ) {
    if (!(window.min >= 1 && window.max >= window.min)) throw new RangeError('tag window: need 1 <= min <= max');
    this.nextRootKey = keys.nextRootKey;
    const init = sessionTagInit(keys.sessTagCk);
    this.tagCk = init.chainKey;
    this.constant = init.constant;
    this.symmCk = keys.symmKeyCk;
    this.createdAt = now;
    this.lastUsedAt = now;
    this.generateTo(window.min);
  }

  /** Tags registered and not yet received. */
  get liveTags(): number {
    return this.live.size;
  }

  get cachedKeys(): number {
    return this.skipped.size;
  }

  get highestReceived(): number {
    return this.maxReceived;
  }

  isLive(index: number): boolean {
    return this.live.has(index);
  }

  private lookAhead(n: number): number {
    return Math.min(this.window.max, this.window.min + Math.floor(n / 4));
  }

  private generateTo(limit: number): void {
    const end = Math.min(limit, MAX_TAG_INDEX + 1);
    while (this.nextTagIndex < end) {
      const t = sessionTagStep(this.tagCk, this.constant);
      this.tagCk = t.chainKey;
      const key = tagKey(t.tag);
      if (this.registry.add(key, this, this.nextTagIndex)) this.live.set(this.nextTagIndex, key);
      this.nextTagIndex++;
    }
  }

  /** The session key of a live index; the key ratchet moves only on commit. */
  keyFor(index: number): PendingKey {
    if (!this.live.has(index)) throw new GarlicError('MALFORMED', `tag set ${this.id}: index ${index} is not expected`);
    if (index < this.nextKeyIndex) {
      const key = this.skipped.get(index);
      if (!key) throw new GarlicError('MALFORMED', `tag set ${this.id}: no key kept for index ${index}`);
      return { key, commit: () => this.skipped.delete(index) };
    }
    let ck = this.symmCk;
    const passed: [number, Uint8Array][] = [];
    let key: Uint8Array | undefined;
    for (let i = this.nextKeyIndex; i <= index; i++) {
      const s = symmetricKeyStep(ck);
      ck = s.chainKey;
      if (i === index) key = s.key;
      else if (this.live.has(i)) passed.push([i, s.key]);
    }
    return {
      key: key!,
      commit: () => {
        this.symmCk = ck;
        this.nextKeyIndex = index + 1;
        for (const [i, k] of passed) this.skipped.set(i, k);
      },
    };
  }

  /** Marks `index` received: its tag goes, the window moves ahead and old tags are dropped. */
  consume(index: number, now: number): void {
    const key = this.live.get(index);
    if (key !== undefined) {
      this.live.delete(index);
      this.registry.delete(key, this);
    }
    this.skipped.delete(index);
    this.lastUsedAt = now;
    if (index <= this.maxReceived || this.disposed) return;
    this.maxReceived = index;
    const ahead = this.lookAhead(index);
    this.generateTo(index + 1 + ahead);
    const behind = index - (this.window.behind ?? this.window.max);
    for (const [i, tag] of this.live) {
      if (i >= behind) continue;
      this.live.delete(i);
      this.registry.delete(tag, this);
      this.skipped.delete(i);
    }
  }

  /** Unregisters every tag; the tag set is dead. */
  dispose(): void {
    this.disposed = true;
    for (const tag of this.live.values()) this.registry.delete(tag, this);
    this.live.clear();
    this.skipped.clear();
  }
}
