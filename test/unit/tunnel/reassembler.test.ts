import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/router/runtime/clock.js';
import { SeededRandom } from '../../../src/router/runtime/random.js';
import { encodeFragmentHeader, type FragmentHeader } from '../../../src/router/tunnel/delivery-instructions.js';
import { buildTunnelBlocks, sealTunnelBlock, type TunnelPayloadMessage } from '../../../src/router/tunnel/fragmenter.js';
import { TunnelReassembler, type ReassembledMessage } from '../../../src/router/tunnel/reassembler.js';
import type { TunnelDelivery } from '../../../src/router/tunnel/types.js';
import { delivery as anyDelivery } from './arbitraries.js';
import { shuffle } from './helpers.js';

const rnd = new SeededRandom('reassembler');
const local: TunnelDelivery = { type: 'local' };
const router: TunnelDelivery = { type: 'router', hash: new Uint8Array(32).fill(0x42) };

/** A block holding exactly these entries (header + fragment each). */
function blockOf(...entries: [FragmentHeader, Uint8Array][]): Uint8Array {
  const parts = entries.flatMap(([h, f]) => [...encodeFragmentHeader(h), ...f]);
  return sealTunnelBlock(new Uint8Array(parts), rnd);
}

const key = (m: { delivery: TunnelDelivery; message: Uint8Array }): string =>
  JSON.stringify(m.delivery, (_, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v)) +
  Buffer.from(m.message).toString('hex');

describe('fragmenter → reassembler round trip', () => {
  it('returns every message exactly once, whatever the sizes, deliveries and block order', () => {
    const entry = fc.record({
      delivery: anyDelivery,
      size: fc.oneof(fc.integer({ min: 16, max: 1100 }), fc.integer({ min: 16, max: 60 * 1024 })),
    });
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 8 }), fc.string(), fc.boolean(), (list, seed, shuffled) => {
        const r = new SeededRandom(seed);
        const messages: TunnelPayloadMessage[] = list.map(({ delivery, size }) => ({ delivery, message: r.bytes(size) }));
        const blocks = buildTunnelBlocks(messages, r);
        const order = shuffled ? shuffle(blocks, r) : blocks;
        const reassembler = new TunnelReassembler({ clock: new ManualClock(), maxPendingBytes: 1 << 22 });
        const got: ReassembledMessage[] = order.flatMap((b) => reassembler.receive(b));
        if (!shuffled) expect(got).toEqual(messages);
        expect(got.map(key).sort()).toEqual(messages.map(key).sort());
        expect(reassembler.pendingMessages).toBe(0);
        expect(reassembler.pendingBytes).toBe(0);
        const delivered = messages.length;
        expect(reassembler.counters).toEqual({ checksumFailed: 0, malformed: 0, expired: 0, evicted: 0, delivered });
      }),
      { numRuns: 60 },
    );
  });

  it('reassembles with follow-ons in reverse order and every block duplicated', () => {
    const message = rnd.bytes(5000);
    const blocks = buildTunnelBlocks([{ delivery: router, message }], rnd);
    const reassembler = new TunnelReassembler({ clock: new ManualClock() });
    const got: ReassembledMessage[] = [];
    for (const b of blocks.slice(1).reverse()) got.push(...reassembler.receive(b), ...reassembler.receive(b));
    expect(got).toEqual([]);
    expect(reassembler.pendingMessages).toBe(1);
    got.push(...reassembler.receive(blocks[0]));
    expect(got).toEqual([{ delivery: router, message }]);
    expect(reassembler.pendingBytes).toBe(0);
    // Duplicates arriving after completion neither deliver again nor open a new entry.
    for (const b of blocks) expect(reassembler.receive(b)).toEqual([]);
    expect(reassembler.pendingMessages).toBe(0);
  });
});

describe('TunnelReassembler drops bad blocks without throwing', () => {
  it('counts a checksum failure and returns nothing', () => {
    const [block] = buildTunnelBlocks([{ delivery: local, message: rnd.bytes(50) }], rnd);
    for (const at of [0, 15, 16, 19, 1000, 1023]) {
      const r = new TunnelReassembler({ clock: new ManualClock() });
      const bad = block.slice();
      bad[at] ^= 0x01;
      expect(r.receive(bad)).toEqual([]);
      expect(r.counters.checksumFailed + r.counters.malformed).toBe(1);
    }
    const r = new TunnelReassembler({ clock: new ManualClock() });
    const bad = block.slice();
    bad[1023] ^= 0xff;
    r.receive(bad);
    expect(r.counters.checksumFailed).toBe(1);
  });

  it('counts as malformed a block without the zero byte or of the wrong length', () => {
    const r = new TunnelReassembler({ clock: new ManualClock() });
    expect(r.receive(new Uint8Array(1024).fill(1))).toEqual([]);
    expect(r.receive(new Uint8Array(1023))).toEqual([]);
    expect(r.receive(new Uint8Array(0))).toEqual([]);
    expect(r.counters.malformed).toBe(3);
  });

  it('accepts a padding-only block (cover traffic) and returns nothing', () => {
    const r = new TunnelReassembler({ clock: new ManualClock() });
    expect(r.receive(sealTunnelBlock(new Uint8Array(0), rnd))).toEqual([]);
    expect(r.counters).toEqual({ checksumFailed: 0, malformed: 0, expired: 0, evicted: 0, delivered: 0 });
  });

  it('keeps the messages before a bad entry, counts the block malformed', () => {
    const good = rnd.bytes(30);
    const r = new TunnelReassembler({ clock: new ManualClock() });
    // The second header announces more bytes than the block holds.
    const overrun = blockOf(
      [{ kind: 'first', delivery: local, size: 30 }, good],
      [{ kind: 'first', delivery: local, size: 900 }, rnd.bytes(10)],
    );
    expect(r.receive(overrun)).toEqual([{ delivery: local, message: good }]);
    // Then delivery type 3.
    const head = encodeFragmentHeader({ kind: 'first', delivery: local, size: 30 });
    const badType = sealTunnelBlock(new Uint8Array([...head, ...good, 0x60, 0, 1, 7]), rnd);
    expect(r.receive(badType)).toEqual([{ delivery: local, message: good }]);
    expect(r.counters).toMatchObject({ malformed: 2, delivered: 2 });
  });

  it('drops a message whose fragments contradict each other', () => {
    const r = new TunnelReassembler({ clock: new ManualClock() });
    const f = rnd.bytes(10);
    r.receive(blockOf([{ kind: 'follow-on', fragmentNumber: 3, last: true, messageId: 9, size: 10 }, f]));
    r.receive(blockOf([{ kind: 'follow-on', fragmentNumber: 2, last: true, messageId: 9, size: 10 }, f]));
    expect(r.counters.malformed).toBe(1);
    expect(r.pendingMessages).toBe(0);
    r.receive(blockOf([{ kind: 'follow-on', fragmentNumber: 2, last: true, messageId: 10, size: 10 }, f]));
    r.receive(blockOf([{ kind: 'follow-on', fragmentNumber: 4, last: false, messageId: 10, size: 10 }, f]));
    expect(r.counters.malformed).toBe(2);
    expect(r.pendingMessages).toBe(0);
  });
});

describe('TunnelReassembler bounds', () => {
  const threePart = () => buildTunnelBlocks([{ delivery: local, message: rnd.bytes(2500) }], rnd);

  it('expires a partial message timeoutMs after its first fragment arrived', () => {
    const clock = new ManualClock(1_000_000);
    const r = new TunnelReassembler({ clock, timeoutMs: 10_000 });
    const [a, b, c] = threePart();
    r.receive(a);
    clock.advance(5_000);
    r.receive(b);
    clock.advance(5_000);
    expect(r.receive(c)).toEqual([]);
    expect(r.counters.expired).toBe(1);
    // The expired message's late fragment opens no new entry.
    expect(r.pendingMessages).toBe(0);
    const [d] = threePart();
    r.receive(d);
    clock.advance(9_999);
    expect(r.expire()).toBe(0);
    clock.advance(1);
    expect(r.expire()).toBe(1);
    expect(r.pendingBytes).toBe(0);
  });

  it('completes a message just inside the timeout', () => {
    const clock = new ManualClock();
    const r = new TunnelReassembler({ clock });
    const [a, b, c] = threePart();
    r.receive(a);
    r.receive(b);
    clock.advance(9_999);
    expect(r.receive(c)).toHaveLength(1);
  });

  it('evicts the oldest partial message beyond maxPending', () => {
    const r = new TunnelReassembler({ clock: new ManualClock(), maxPending: 2 });
    const msgs = [threePart(), threePart(), threePart()];
    for (const m of msgs) r.receive(m[0]);
    expect(r.counters.evicted).toBe(1);
    expect(r.pendingMessages).toBe(2);
    const done = msgs.flatMap((m) => [...r.receive(m[1]), ...r.receive(m[2])]);
    // The first message lost its first fragment to eviction; the other two complete.
    expect(done).toHaveLength(2);
  });

  it('evicts the oldest partial messages beyond maxPendingBytes', () => {
    const r = new TunnelReassembler({ clock: new ManualClock(), maxPendingBytes: 2500 });
    const msgs = [threePart(), threePart(), threePart()];
    for (const m of msgs) r.receive(m[0]);
    expect(r.pendingBytes).toBeLessThanOrEqual(2500);
    expect(r.counters.evicted).toBe(1);
    // A single message bigger than the budget cannot be held at all.
    const tiny = new TunnelReassembler({ clock: new ManualClock(), maxPendingBytes: 500 });
    expect(threePart().flatMap((b) => tiny.receive(b))).toEqual([]);
    expect(tiny.pendingBytes).toBeLessThanOrEqual(500);
    expect(tiny.counters.evicted).toBeGreaterThan(0);
  });

  it('delivers a duplicate unfragmented message twice (replay filtering is not its job)', () => {
    const r = new TunnelReassembler({ clock: new ManualClock() });
    const [block] = buildTunnelBlocks([{ delivery: local, message: rnd.bytes(40) }], rnd);
    expect([...r.receive(block), ...r.receive(block)]).toHaveLength(2);
  });
});
