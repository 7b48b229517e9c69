import { decodeLeaseSet2, equalBytes, i2pBase64Encode, leaseSet2Hash, verifyLeaseSet2, type LeaseSet2 } from '../data/index.js';

/**
 * LeaseSet2s a floodfill holds for others (network-database.html, "LeaseSet storage"). In
 * memory only: a LeaseSet lives about ten minutes, so nothing is worth keeping across a
 * restart. Each is checked before it is kept: it decodes, it is filed under its destination's
 * hash, its signature verifies, it has not expired, and it is newer than the one we hold.
 */
export type LeaseSetRejectReason = 'undecodable' | 'hash-mismatch' | 'bad-signature' | 'expired' | 'future' | 'duplicate' | 'older' | 'full';

export interface StoredLeaseSet {
  key: string;
  hash: Uint8Array;
  leaseSet: LeaseSet2;
  /** The bytes as received (without the type byte), to hand out unchanged. */
  bytes: Uint8Array;
  /** ms: when the LeaseSet stops being valid (published + expires). */
  expiresAt: number;
}

export interface LeaseSetStoreResult {
  accepted: boolean;
  reason?: LeaseSetRejectReason;
}

export class LeaseSetStore {
  private readonly entries = new Map<string, StoredLeaseSet>();

  constructor(
    private readonly o: {
      maxEntries?: number;
      /** How far ahead `published` may be (clock skew). */
      maxFutureMs?: number;
    } = {},
  ) {}

  get count(): number {
    return this.entries.size;
  }

  get(hash: Uint8Array, now: number): StoredLeaseSet | undefined {
    const e = this.entries.get(i2pBase64Encode(hash));
    if (!e) return undefined;
    if (e.expiresAt <= now) {
      this.entries.delete(e.key);
      return undefined;
    }
    return e;
  }

  /** `bytes` is the LeaseSet2 as a DatabaseStore carries it: the structure, without its type byte. */
  store(key: Uint8Array, bytes: Uint8Array, now: number): LeaseSetStoreResult {
    let ls: LeaseSet2;
    try {
      ls = decodeLeaseSet2(bytes);
    } catch {
      return { accepted: false, reason: 'undecodable' };
    }
    const hash = leaseSet2Hash(ls);
    if (!equalBytes(hash, key)) return { accepted: false, reason: 'hash-mismatch' };
    const publishedMs = ls.published * 1000;
    const expiresAt = (ls.published + ls.expires) * 1000;
    if (expiresAt <= now) return { accepted: false, reason: 'expired' };
    if (publishedMs > now + (this.o.maxFutureMs ?? 2 * 60_000)) return { accepted: false, reason: 'future' };
    const id = i2pBase64Encode(hash);
    const held = this.entries.get(id);
    if (held) {
      if (ls.published < held.leaseSet.published) return { accepted: false, reason: 'older' };
      if (ls.published === held.leaseSet.published && equalBytes(bytes, held.bytes)) return { accepted: false, reason: 'duplicate' };
    }
    // Last, the costly check.
    if (!verifyLeaseSet2(ls, { now })) return { accepted: false, reason: 'bad-signature' };
    if (!held && this.entries.size >= (this.o.maxEntries ?? 20_000)) {
      this.expire(now);
      if (this.entries.size >= (this.o.maxEntries ?? 20_000)) return { accepted: false, reason: 'full' };
    }
    this.entries.set(id, { key: id, hash, leaseSet: ls, bytes: bytes.slice(), expiresAt });
    return { accepted: true };
  }

  /** Every LeaseSet held and not expired at `now` (expired ones are dropped on the way). */
  all(now: number): StoredLeaseSet[] {
    this.expire(now);
    return [...this.entries.values()];
  }

  expire(now: number): number {
    let n = 0;
    for (const [k, e] of this.entries) {
      if (e.expiresAt <= now) {
        this.entries.delete(k);
        n++;
      }
    }
    return n;
  }
}
