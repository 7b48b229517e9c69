import { describe, expect, it } from 'vitest';
import { i2pBase64Encode } from '../../../src/router/data/index.js';
import { decodeMessage, gunzipRouterInfo, I2npType } from '../../../src/router/i2np/index.js';
import { silentLogger } from '../../../src/router/log.js';
import { RouterInfoPublisher } from '../../../src/router/netdb/publisher.js';
import { closest, routingKey } from '../../../src/router/netdb/routing-key.js';
import { ManualClock, seededRandom } from '../../../src/router/runtime/index.js';

const T0 = Date.UTC(2026, 10, 26, 2, 0, 0);

function setup(floodfillCount: number, verify?: (ff: Uint8Array) => Promise<'found' | 'missing'>) {
  const clock = new ManualClock(T0);
  const ourHash = new Uint8Array(32).fill(9);
  const floodfills = Array.from({ length: floodfillCount }, (_, i) => new Uint8Array(32).fill(i + 1));
  const sent: { to: Uint8Array; bytes: Uint8Array }[] = [];
  const ri = new Uint8Array(400).fill(0x42);
  const publisher = new RouterInfoPublisher({
    clock,
    random: seededRandom(new Uint8Array([7])),
    ourHash,
    routerInfo: () => ri,
    floodfills: () => floodfills,
    send: (to, bytes) => (sent.push({ to, bytes }), true),
    log: silentLogger,
    count: 2,
    confirmTimeoutMs: 10_000,
    ...(verify && { verify, verifyDelayMs: 5_000 }),
  });
  return { clock, ourHash, floodfills, sent, ri, publisher };
}

describe('RouterInfoPublisher', () => {
  it('stores to the 2 floodfills closest to our routing key, with a reply token, and counts the confirmations', async () => {
    const { clock, ourHash, floodfills, sent, ri, publisher } = setup(6);
    const run = publisher.publishNow();
    expect(sent.map((s) => i2pBase64Encode(s.to))).toEqual(closest(routingKey(ourHash, T0), floodfills, 2).map(i2pBase64Encode));
    const tokens = sent.map((s) => {
      const m = decodeMessage(s.bytes, 'short');
      if (m.type !== I2npType.DatabaseStore || !m.reply) throw new Error('expected a DatabaseStore with a reply token');
      expect(Buffer.from(m.key).equals(Buffer.from(ourHash))).toBe(true);
      expect(m.reply.tunnelId).toBe(0);
      expect(Buffer.from(m.reply.gateway).equals(Buffer.from(ourHash))).toBe(true);
      expect(Buffer.from(gunzipRouterInfo(m.data)).equals(Buffer.from(ri))).toBe(true);
      return m.reply.token;
    });
    // Only the first floodfill answers; a stranger's DeliveryStatus is not ours.
    expect(publisher.onDeliveryStatus({ type: I2npType.DeliveryStatus, deliveredMsgId: tokens[0], timestamp: T0 })).toBe(true);
    expect(publisher.onDeliveryStatus({ type: I2npType.DeliveryStatus, deliveredMsgId: 12345, timestamp: T0 })).toBe(false);
    clock.advance(10_000);
    const r = await run;
    expect(r.confirmed).toEqual([i2pBase64Encode(sent[0].to)]);
    expect(r.unconfirmed).toEqual([i2pBase64Encode(sent[1].to)]);
    expect(publisher.counters).toEqual({ published: 2, wrapped: 0, confirmed: 1, unconfirmed: 1, verified: 0, verifyMissing: 0, verifyFailed: 0 });
    // The run ends when the last store is confirmed or times out.
    expect(publisher.lastConfirmedAt).toBe(T0 + 10_000);
  });

  it('with no floodfill known it publishes nothing and retries on its schedule; stop leaves no timer', async () => {
    const { clock, sent, publisher } = setup(0);
    publisher.start(1_000);
    clock.advance(1_000);
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual([]);
    expect(clock.pending).toBeGreaterThan(0);
    publisher.stop();
    expect(clock.pending).toBe(0);
  });

  it('verifies a confirmed store at the next closest floodfill, and publishes again when it is missing', async () => {
    const asked: string[] = [];
    let answer: 'found' | 'missing' = 'found';
    const { clock, ourHash, floodfills, sent, publisher } = setup(5, async (ff) => (asked.push(i2pBase64Encode(ff)), answer));
    const confirmAll = async (run: Promise<unknown>, from: number) => {
      for (const s of sent.slice(from)) {
        const m = decodeMessage(s.bytes, 'short');
        if (m.type === I2npType.DatabaseStore && m.reply) publisher.onDeliveryStatus({ type: I2npType.DeliveryStatus, deliveredMsgId: m.reply.token, timestamp: T0 });
      }
      await run;
    };
    await confirmAll(publisher.publishNow(), 0);
    const order = closest(routingKey(ourHash, T0), floodfills, 3).map(i2pBase64Encode);
    clock.advance(5_000);
    await new Promise((r) => setImmediate(r));
    // The third closest: the two closest were stored with and flood to it.
    expect(asked).toEqual([order[2]]);
    expect(publisher.counters.verified).toBe(1);
    // Missing there: published again (soon), and that store is verified in turn.
    answer = 'missing';
    const before = sent.length;
    await confirmAll(publisher.publishNow(), before);
    clock.advance(5_000);
    await new Promise((r) => setImmediate(r));
    expect(publisher.counters.verifyMissing).toBe(1);
    clock.advance(1_000);
    await new Promise((r) => setImmediate(r));
    expect(sent.length).toBe(before + 4);
    publisher.stop();
    expect(clock.pending).toBe(0);
  });
});
