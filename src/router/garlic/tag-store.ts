/**
 * One-time session tags and their keys: a router that sends a DatabaseLookup with the ECIES
 * flag puts a 32-byte reply key and one 8-byte reply tag in it (i2np.rst DatabaseLookup); the
 * floodfill's answer comes back as a Garlic message starting with that tag. The tag is good for
 * one message (ecies.rst: ES tags are one-time-use) and for a limited time: i2pd keeps such a
 * tag 180 s (ECIESX25519_PREVIOUS_TAGSET_EXPIRATION_TIMEOUT), which is the default here.
 */
import type { Clock } from '../runtime/clock.js';
import { GarlicError } from './errors.js';

export const SESSION_TAG_LENGTH = 8;
export const SESSION_KEY_LENGTH = 32;

export interface OneTimeTagStoreOptions {
  clock: Pick<Clock, 'now'>;
  /** How long a tag stays usable, ms. Default 180 s. */
  ttlMs?: number;
  /** Maximum tags held; when full the oldest goes. Default 4096. */
  maxEntries?: number;
}

interface Entry {
  key: Uint8Array;
  expiresAt: number;
}

export class OneTimeTagStore {
  private readonly clock: Pick<Clock, 'now'>;
  readonly ttlMs: number;
  readonly maxEntries: number;
  /** Insertion order is expiry order (fixed TTL, re-adding moves a tag to the end). */
  private readonly entries = new Map<string, Entry>();

  constructor(opts: OneTimeTagStoreOptions) {
    this.clock = opts.clock;
    this.ttlMs = opts.ttlMs ?? 180_000;
    this.maxEntries = opts.maxEntries ?? 4096;
    if (!(this.ttlMs > 0) || !Number.isInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new RangeError('OneTimeTagStore: ttlMs must be > 0 and maxEntries an integer >= 1');
    }
  }

  get size(): number {
    this.expire(this.clock.now());
    return this.entries.size;
  }

  /** Registers the reply key and tag of a lookup we send. */
  add(tag: Uint8Array, key: Uint8Array): void {
    if (!(tag instanceof Uint8Array) || tag.length !== SESSION_TAG_LENGTH) {
      throw new GarlicError('ENCODE', `a session tag is ${SESSION_TAG_LENGTH} bytes`);
    }
    if (!(key instanceof Uint8Array) || key.length !== SESSION_KEY_LENGTH) {
      throw new GarlicError('ENCODE', `a session key is ${SESSION_KEY_LENGTH} bytes`);
    }
    const now = this.clock.now();
    this.expire(now);
    const id = tagId(tag);
    this.entries.delete(id);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    this.entries.set(id, { key: key.slice(), expiresAt: now + this.ttlMs });
  }

  /** The key for `tag` (a copy), without consuming it; undefined when unknown or expired. */
  peek(tag: Uint8Array): Uint8Array | undefined {
    if (tag.length !== SESSION_TAG_LENGTH) return undefined;
    this.expire(this.clock.now());
    return this.entries.get(tagId(tag))?.key.slice();
  }

  /** The key for `tag`, consumed: the tag will not match again. */
  take(tag: Uint8Array): Uint8Array | undefined {
    const key = this.peek(tag);
    if (key) this.entries.delete(tagId(tag));
    return key;
  }

  delete(tag: Uint8Array): boolean {
    return tag.length === SESSION_TAG_LENGTH && this.entries.delete(tagId(tag));
  }

  private expire(now: number): void {
    for (const [id, e] of this.entries) {
      if (e.expiresAt > now) break;
      this.entries.delete(id);
    }
  }
}

function tagId(tag: Uint8Array): string {
  return Buffer.from(tag.buffer, tag.byteOffset, tag.length).toString('hex');
}
