/**
 * The endpoint side of tunnel-message.rst: checks cleartext 1024-byte tunnel blocks and turns
 * their fragments back into whole I2NP messages. Blocks come from the network, so nothing here
 * throws: a bad block is counted and dropped, and the memory held for partial messages is
 * bounded in count, bytes and time.
 */
import { sha256 } from '../crypto/index.js';
import { DecodeError } from '../data/errors.js';
import type { Clock } from '../runtime/clock.js';
import { decodeFragmentHeader, type FragmentHeader } from './delivery-instructions.js';
import { TUNNEL_CHECKSUM_LENGTH, TUNNEL_PADDING_OFFSET } from './fragmenter.js';
import { TUNNEL_DATA_BLOCK_LENGTH, TUNNEL_IV_LENGTH } from './layer-crypto.js';
import type { TunnelDelivery } from './types.js';

export type TunnelBlockCheck =
  | { ok: true; payloadOffset: number }
  | { ok: false; reason: 'length' | 'no-zero' | 'checksum' };

/**
 * Finds the zero byte after the padding and verifies the checksum over what follows it and the
 * IV. `payloadOffset` is where the first delivery instructions start (1024 for a block that is
 * padding only, which the spec allows as cover traffic).
 */
export function checkTunnelBlock(data: Uint8Array): TunnelBlockCheck {
  if (!(data instanceof Uint8Array) || data.length !== TUNNEL_DATA_BLOCK_LENGTH) return { ok: false, reason: 'length' };
  const zeroAt = data.indexOf(0, TUNNEL_PADDING_OFFSET);
  if (zeroAt < 0) return { ok: false, reason: 'no-zero' };
  const payloadOffset = zeroAt + 1;
  const digest = sha256(data.subarray(payloadOffset), data.subarray(0, TUNNEL_IV_LENGTH));
  for (let i = 0; i < TUNNEL_CHECKSUM_LENGTH; i++) {
    if (digest[i] !== data[TUNNEL_IV_LENGTH + i]) return { ok: false, reason: 'checksum' };
  }
  return { ok: true, payloadOffset };
}

export interface ReassembledMessage {
  delivery: TunnelDelivery;
  /** The I2NP message as the gateway queued it (standard 16-byte header); not decoded here. */
  message: Uint8Array;
}

export interface ReassemblerCounters {
  /** Blocks whose checksum did not match (corrupted, or not meant for these layer keys). */
  checksumFailed: number;
  /** Blocks of the wrong length, without the zero byte or with bad instructions, and fragment
   * sets that contradict themselves (two different last fragments, a fragment past the last). */
  malformed: number;
  /** Partial messages dropped after timeoutMs. */
  expired: number;
  /** Partial messages dropped to stay within maxPending / maxPendingBytes, oldest first. */
  evicted: number;
  /** Whole messages returned. */
  delivered: number;
}

export interface TunnelReassemblerOptions {
  clock: Clock;
  /** Partial messages kept at once (default 64). */
  maxPending?: number;
  /** Fragment bytes kept at once over all partial messages (default 256 KiB). */
  maxPendingBytes?: number;
  /** A partial message is dropped this long after its first-received fragment (default 10 s). */
  timeoutMs?: number;
}

/** How many finished message ids are remembered (a few tunnels' worth of in-flight messages). */
const FINISHED_IDS = 1024;

interface Pending {
  readonly createdAt: number;
  delivery?: TunnelDelivery;
  first?: Uint8Array;
  /** Follow-on fragments by number (1..63). */
  readonly parts: Map<number, Uint8Array>;
  lastNumber?: number;
  bytes: number;
}

export class TunnelReassembler {
  readonly #clock: Clock;
  readonly #maxPending: number;
  readonly #maxPendingBytes: number;
  readonly #timeoutMs: number;
  // Insertion order is arrival order of each message's first fragment: oldest first.
  readonly #pending = new Map<number, Pending>();
  #pendingBytes = 0;
  // Ids of messages recently completed or dropped. Their stray fragments (duplicates, or the
  // rest of an evicted message) would otherwise open new entries that never complete and, at
  // the count limit, push out messages that still could.
  readonly #finished = new Set<number>();
  readonly #counters: ReassemblerCounters = { checksumFailed: 0, malformed: 0, expired: 0, evicted: 0, delivered: 0 };

  constructor(options: TunnelReassemblerOptions) {
    this.#clock = options.clock;
    this.#maxPending = options.maxPending ?? 64;
    this.#maxPendingBytes = options.maxPendingBytes ?? 256 * 1024;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  get counters(): Readonly<ReassemblerCounters> {
    return { ...this.#counters };
  }

  get pendingMessages(): number {
    return this.#pending.size;
  }

  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /**
   * Takes one cleartext block (after the endpoint's layer processing); returns the messages it
   * completes, in the order they complete. Never throws.
   */
  receive(data: Uint8Array): ReassembledMessage[] {
    this.expire();
    const out: ReassembledMessage[] = [];
    const check = checkTunnelBlock(data);
    if (!check.ok) {
      if (check.reason === 'checksum') this.#counters.checksumFailed++;
      else this.#counters.malformed++;
      return out;
    }
    let p = check.payloadOffset;
    while (p < data.length) {
      let header: FragmentHeader;
      let end: number;
      try {
        ({ header, end } = decodeFragmentHeader(data, p));
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
        // Messages completed earlier in this block stand: the checksum vouched for the block,
        // and the gateway's mistake is in what follows.
        this.#counters.malformed++;
        return out;
      }
      if (end + header.size > data.length) {
        this.#counters.malformed++;
        return out;
      }
      this.#fragment(header, data.subarray(end, end + header.size), out);
      p = end + header.size;
    }
    return out;
  }

  /** Drops partial messages older than timeoutMs; returns how many. Called by `receive` too. */
  expire(): number {
    const now = this.#clock.now();
    let dropped = 0;
    // Scan all rather than stop at the first young entry: a clock step back must not pin
    // older entries behind a younger-looking one.
    for (const [id, entry] of this.#pending) {
      if (now - entry.createdAt >= this.#timeoutMs) {
        this.#drop(id, entry);
        dropped++;
      }
    }
    this.#counters.expired += dropped;
    return dropped;
  }

  #fragment(h: FragmentHeader, fragment: Uint8Array, out: ReassembledMessage[]): void {
    if (h.kind === 'first' && h.messageId === undefined) {
      out.push({ delivery: h.delivery, message: fragment.slice() });
      this.#counters.delivered++;
      return;
    }
    const id = h.messageId!;
    let entry = this.#pending.get(id);
    if (!entry) {
      if (this.#finished.has(id)) return;
      entry = { createdAt: this.#clock.now(), parts: new Map(), bytes: 0 };
      this.#pending.set(id, entry);
    }

    if (h.kind === 'first') {
      if (entry.first) return; // duplicate
      entry.first = fragment.slice();
      entry.delivery = h.delivery;
    } else {
      const n = h.fragmentNumber;
      if (entry.parts.has(n)) return; // duplicate
      if (h.last) {
        let beyond = false;
        for (const k of entry.parts.keys()) if (k > n) beyond = true;
        if ((entry.lastNumber !== undefined && entry.lastNumber !== n) || beyond) {
          this.#counters.malformed++;
          this.#drop(id, entry);
          return;
        }
        entry.lastNumber = n;
      } else if (entry.lastNumber !== undefined && n > entry.lastNumber) {
        this.#counters.malformed++;
        this.#drop(id, entry);
        return;
      }
      entry.parts.set(n, fragment.slice());
    }
    entry.bytes += fragment.length;
    this.#pendingBytes += fragment.length;

    if (entry.first && entry.lastNumber !== undefined && entry.parts.size === entry.lastNumber) {
      // parts holds distinct numbers in 1..lastNumber, so size === lastNumber means all of them.
      const message = new Uint8Array(entry.bytes);
      message.set(entry.first, 0);
      let o = entry.first.length;
      for (let k = 1; k <= entry.lastNumber; k++) {
        const part = entry.parts.get(k)!;
        message.set(part, o);
        o += part.length;
      }
      this.#drop(id, entry);
      out.push({ delivery: entry.delivery!, message });
      this.#counters.delivered++;
      return;
    }
    this.#bound();
  }

  #bound(): void {
    while (this.#pending.size > this.#maxPending || this.#pendingBytes > this.#maxPendingBytes) {
      const oldest = this.#pending.entries().next().value;
      if (!oldest) return;
      this.#drop(oldest[0], oldest[1]);
      this.#counters.evicted++;
    }
  }

  #drop(id: number, entry: Pending): void {
    this.#pending.delete(id);
    this.#pendingBytes -= entry.bytes;
    this.#finished.add(id);
    if (this.#finished.size > FINISHED_IDS) {
      const oldest = this.#finished.values().next().value;
      if (oldest !== undefined) this.#finished.delete(oldest);
    }
  }
}
