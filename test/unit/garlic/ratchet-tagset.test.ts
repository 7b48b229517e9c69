import { describe, expect, it } from 'vitest';
import { elligator2Decode, x25519PublicKey } from '../../../src/router/crypto/index.js';
import { GarlicError } from '../../../src/router/garlic/index.js';
import {
  dhInitialize,
  EphemeralKeyPool,
  MAX_SEND_INDEX,
  MAX_TAG_INDEX,
  ReceiveTagSet,
  SendTagSet,
  TagRegistry,
  tagKey,
  type TagSetKeys,
} from '../../../src/router/garlic/ratchet/index.js';
import { SeededRandom } from '../../../src/router/runtime/index.js';

const keys = (seed: string): TagSetKeys => {
  const r = new SeededRandom(seed);
  return dhInitialize(r.bytes(32), r.bytes(32));
};

describe('tag sets', () => {
  it('sender and receiver derive the same tags and keys; keys of skipped tags are kept', () => {
    const reg = new TagRegistry<string>();
    const send = new SendTagSet(0, keys('a'));
    const recv = new ReceiveTagSet(0, 'es', keys('a'), { min: 8, max: 16 }, reg, 'owner', 0);
    expect(recv.liveTags).toBe(8);
    const sent = Array.from({ length: 6 }, () => send.next());
    // 4 first, then 1, then 3: the key ratchet catches up and caches 0..3's skipped keys.
    for (const i of [4, 1, 3, 0, 5, 2]) {
      const hit = reg.lookup(tagKey(sent[i].tag))!;
      expect(hit.set).toBe(recv);
      expect(hit.index).toBe(i);
      const k = recv.keyFor(i);
      expect(recv.keyFor(i).key).toEqual(k.key); // no commit: nothing moved
      expect(k.key).toEqual(sent[i].key);
      k.commit();
      recv.consume(i, 1);
      expect(reg.lookup(tagKey(sent[i].tag))).toBeUndefined();
      expect(() => recv.keyFor(i)).toThrow(GarlicError);
    }
    expect(recv.cachedKeys).toBe(0);
    expect(recv.highestReceived).toBe(5);
  });

  it('looks ahead min(max, min + N/4) and drops unreceived tags more than `behind` back', () => {
    const reg = new TagRegistry<null>();
    const recv = new ReceiveTagSet(0, 'es', keys('b'), { min: 4, max: 10, behind: 3 }, reg, null, 0);
    const send = new SendTagSet(0, keys('b'));
    const sent = Array.from({ length: 40 }, () => send.next());
    recv.consume(0, 0);
    expect(recv.liveTags).toBe(4); // 1..4
    recv.keyFor(3).commit(); // caches keys of 1, 2
    recv.consume(3, 0);
    expect(recv.cachedKeys).toBe(2);
    // N = 30 is beyond the window: unknown.
    expect(reg.lookup(tagKey(sent[30].tag))).toBeUndefined();
    for (let i = 4; i <= 20; i++) recv.consume(i, 0);
    // Ahead: 21 .. 20 + min(10, 4 + 5) = 29; behind: nothing below 17 survives.
    expect(recv.isLive(29)).toBe(true);
    expect(recv.isLive(30)).toBe(false);
    expect(recv.isLive(1)).toBe(false);
    expect(recv.cachedKeys).toBe(0);
    expect(reg.size).toBe(recv.liveTags);
    recv.dispose();
    expect(reg.size).toBe(0);
  });

  it('a receive tag set never goes past N = 65535; a send tag set stops at 65533 (i2pd)', () => {
    const reg = new TagRegistry<null>();
    const all = new ReceiveTagSet(0, 'es', keys('c'), { min: 70_000, max: 70_000 }, reg, null, 0);
    expect(all.liveTags).toBe(MAX_TAG_INDEX + 1);
    all.dispose();
    const send = new SendTagSet(3, keys('c'));
    for (let i = 0; i <= MAX_SEND_INDEX; i++) send.nextTag();
    expect(send.exhausted).toBe(true);
    expect(() => send.next()).toThrow(GarlicError);
  });

  it('rejects a nonsense window', () => {
    expect(() => new ReceiveTagSet(0, 'es', keys('d'), { min: 0, max: 4 }, new TagRegistry(), null, 0)).toThrow(RangeError);
  });
});

describe('EphemeralKeyPool', () => {
  it('hands out distinct Elligator2-encodable keys, refilling in batches', () => {
    const pool = new EphemeralKeyPool(new SeededRandom('pool'), { batchSize: 3, capacity: 6 });
    expect(pool.size).toBe(0);
    const seen = new Set<string>();
    for (let i = 0; i < 7; i++) {
      const k = pool.take();
      expect(x25519PublicKey(k.privateKey)).toEqual(k.publicKey);
      expect(elligator2Decode(k.representative)).toEqual(k.publicKey);
      seen.add(Buffer.from(k.publicKey).toString('hex'));
    }
    expect(seen.size).toBe(7);
    expect(pool.size).toBe(2); // third batch of 3, one taken
    pool.fill(100);
    expect(pool.size).toBe(6);
    // About half the keys were not encodable: some were kept for ratchet use.
    expect(pool.generated).toBeGreaterThan(12);
    expect(pool.spares).toBeGreaterThan(0);
    const plain = pool.takePlain();
    expect(x25519PublicKey(plain.privateKey)).toEqual(plain.publicKey);
  });

  it('is reproducible from a seed and randomizes the representative bits', () => {
    const a = new EphemeralKeyPool(new SeededRandom('same'));
    const b = new EphemeralKeyPool(new SeededRandom('same'));
    const high = new Set<number>();
    for (let i = 0; i < 24; i++) {
      const ka = a.take();
      expect(b.take()).toEqual(ka);
      high.add(ka.representative[31] & 0xc0);
    }
    expect(high.size).toBeGreaterThan(1);
    expect(() => new EphemeralKeyPool(new SeededRandom('x'), { batchSize: 0 })).toThrow(RangeError);
    expect(() => new EphemeralKeyPool(new SeededRandom('x'), { batchSize: 8, capacity: 4 })).toThrow(RangeError);
  });
});
