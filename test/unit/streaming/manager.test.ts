/**
 * The StreamManager's own rules, between two managers joined by a direct in-memory link (no
 * tunnels: the network tests cover those): SYN verification, the replay cache and the SYN's
 * NACK-field hash, refusals by port and by the stream limit, connect timeouts, pings, packets
 * that overtake their SYN, and close().
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createDestinationKeys, destinationHash, type DestinationKeys } from '../../../src/router/client/destination-keys.js';
import { decodeI2cpPayload, PROTO_STREAMING, type I2cpPayload } from '../../../src/router/client/i2cp-payload.js';
import { StreamManager, type StreamHost } from '../../../src/router/client/streaming/manager.js';
import type { StreamingOptions } from '../../../src/router/client/streaming/options.js';
import { decodePacket, encodePacket, FLAG_ECHO, FLAG_RESET, FLAG_SYNCHRONIZE, hashToNacks, signPacket } from '../../../src/router/client/streaming/packet.js';
import type { I2pStream } from '../../../src/router/client/streaming/stream.js';
import type { LeaseSet2 } from '../../../src/router/data/index.js';
import { ManualClock, SeededRandom } from '../../../src/router/runtime/index.js';

interface Node {
  keys: DestinationKeys;
  hash: Uint8Array;
  handler?: (p: I2cpPayload) => void;
  sent: { to: Uint8Array; payload: I2cpPayload; framedLength: number }[];
  manager: StreamManager;
}

class Link {
  readonly clock = new ManualClock(1_700_000_000_000);
  readonly random = new SeededRandom('manager link');
  readonly nodes: Node[] = [];
  /** Drops packets from these nodes (by index) while set. */
  readonly mute = new Set<number>();

  add(opts: Partial<StreamingOptions> = {}): Node {
    const keys = createDestinationKeys(this.random);
    const node = { keys, hash: destinationHash(keys.privateKeys.destination), sent: [] } as unknown as Node;
    const index = this.nodes.length;
    const host: StreamHost = {
      hash: node.hash,
      keys,
      onPayload: (_protocol, h) => {
        node.handler = h;
        return () => (node.handler = undefined);
      },
      send: async (to, framed) => {
        const payload = decodeI2cpPayload(framed);
        node.sent.push({ to, payload, framedLength: framed.length });
        if (this.mute.has(index)) return;
        const target = this.nodes.find((n) => Buffer.compare(n.hash, to) === 0);
        this.clock.setTimer(20, () => target?.handler?.(payload));
      },
      resolve: async (hash) => {
        const target = this.nodes.find((n) => Buffer.compare(n.hash, hash) === 0);
        if (!target) throw new Error('no LeaseSet');
        return { destination: target.keys.privateKeys.destination } as LeaseSet2;
      },
    };
    node.manager = new StreamManager(host, { clock: this.clock, random: this.random }, opts);
    this.nodes.push(node);
    return node;
  }

  async run(ms: number, step = 10): Promise<void> {
    for (let t = 0; t < ms; t += step) {
      this.clock.advance(step);
      await new Promise((r) => setImmediate(r));
    }
  }

  async drive<T>(p: Promise<T>, maxMs = 120_000): Promise<T> {
    let done = false;
    p.then(
      () => (done = true),
      () => (done = true),
    );
    for (let t = 0; t < maxMs && !done; t += 10) {
      this.clock.advance(10);
      await new Promise((r) => setImmediate(r));
    }
    return p;
  }

  deliver(to: Node, payload: I2cpPayload): void {
    to.handler!(payload);
  }
}

let link: Link;
afterEach(() => {
  for (const n of link?.nodes ?? []) n.manager.close();
});

function synFrom(n: Node, to: Node, over: { receiveStreamId?: number; nacks?: number[] } = {}): I2cpPayload {
  const payload = signPacket(
    { sendStreamId: 0, receiveStreamId: over.receiveStreamId ?? 4242, sequenceNum: 0, ackThrough: 0, nacks: over.nacks ?? hashToNacks(to.hash), resendDelay: 0, flags: FLAG_SYNCHRONIZE, from: n.keys.privateKeys.destination, maxPacketSize: 1812, payload: new Uint8Array(0) },
    7,
    n.keys.privateKeys.signingPrivateKey,
  );
  return { protocol: PROTO_STREAMING, sourcePort: 5, destPort: 6, payload };
}

describe('StreamManager', () => {
  it('sends its SYN with our destination as FROM, signed, and the peer hash in 8 NACKs', async () => {
    link = new Link();
    const a = link.add();
    const b = link.add();
    b.manager.listen(() => undefined);
    await link.drive(a.manager.connect(b.hash, { toPort: 6, fromPort: 5 }));
    const syn = decodePacket(a.sent[0].payload.payload);
    expect(syn.flags & FLAG_SYNCHRONIZE).toBe(FLAG_SYNCHRONIZE);
    expect(syn.nacks).toEqual(hashToNacks(b.hash));
    expect(syn.from).toEqual(a.keys.privateKeys.destination);
    expect([a.sent[0].payload.sourcePort, a.sent[0].payload.destPort]).toEqual([5, 6]);
    // The reply SYN carries no NACKs.
    const reply = decodePacket(b.sent[0].payload.payload);
    expect(reply.flags & FLAG_SYNCHRONIZE).toBe(FLAG_SYNCHRONIZE);
    expect(reply.nacks).toEqual([]);
    expect(a.manager.counters.opened).toBe(1);
    expect(b.manager.counters.accepted).toBe(1);
  });

  it('sends initialData in the SYN (as much as one packet holds) and the rest after the reply SYN, in order', async () => {
    link = new Link();
    const a = link.add();
    const b = link.add();
    const got: Buffer[] = [];
    let ended = false;
    b.manager.listen((s) => {
      s.on('data', (c: Buffer) => got.push(c));
      s.on('end', () => (ended = true));
    });
    const small = new TextEncoder().encode('GET / HTTP/1.1\r\nHost: x.b32.i2p\r\n\r\n');
    const s1 = await link.drive(a.manager.connect(b.hash, { initialData: small }));
    const syn = decodePacket(a.sent[0].payload.payload);
    expect(syn.flags & FLAG_SYNCHRONIZE).toBe(FLAG_SYNCHRONIZE);
    expect(syn.payload).toEqual(small);
    await link.run(200);
    expect(Buffer.concat(got)).toEqual(Buffer.from(small));
    s1.end();
    await link.run(500);
    expect(ended).toBe(true);

    // Larger than a packet: the SYN carries the first MTU's worth, the rest comes after.
    got.length = 0;
    const big = new Uint8Array(5000).map((_, i) => i * 7);
    const before = a.sent.length;
    const s2 = await link.drive(a.manager.connect(b.hash, { initialData: big }));
    const syn2 = decodePacket(a.sent[before].payload.payload);
    expect(syn2.flags & FLAG_SYNCHRONIZE).toBe(FLAG_SYNCHRONIZE);
    expect(syn2.payload.length).toBeGreaterThan(1000);
    expect(syn2.payload.length).toBeLessThan(big.length);
    await link.run(1_000);
    expect(Buffer.concat(got)).toEqual(Buffer.from(big));
    s2.destroy();
  });

  it('drops a replayed SYN, a SYN meant for someone else, and a SYN with a bad signature', () => {
    link = new Link();
    const a = link.add();
    const b = link.add();
    const c = link.add();
    const accepted: I2pStream[] = [];
    b.manager.listen((s) => accepted.push(s));
    // Meant for c (its hash in the NACKs): b drops it.
    link.deliver(b, synFrom(a, c, { receiveStreamId: 1 }));
    expect(accepted).toHaveLength(0);
    expect(b.manager.counters.replays).toBe(1);
    // Tampered: the signature fails.
    const bad = synFrom(a, b, { receiveStreamId: 2 });
    bad.payload[bad.payload.length - 10] ^= 1;
    link.deliver(b, bad);
    expect(accepted).toHaveLength(0);
    expect(b.manager.counters.badSignatures).toBe(1);
    // No NACKs at all (i2pd 2.45.1): accepted.
    const good = synFrom(a, b, { receiveStreamId: 3, nacks: [] });
    link.deliver(b, good);
    expect(accepted).toHaveLength(1);
    // The same SYN again while its stream lives is a retransmission, not a new stream.
    link.deliver(b, good);
    expect(accepted).toHaveLength(1);
    // Once that stream is gone, the same bytes are a replay.
    accepted[0].destroy();
    link.deliver(b, good);
    expect(accepted).toHaveLength(1);
    expect(b.manager.counters.replays).toBe(2);
  });

  it('refuses a SYN on a port nobody listens on with a signed RESET; the connecting side gets REFUSED', async () => {
    link = new Link();
    const a = link.add();
    const b = link.add();
    b.manager.listen(() => undefined, { port: 80 });
    await expect(link.drive(a.manager.connect(b.hash, { toPort: 81 }))).rejects.toMatchObject({ code: 'REFUSED' });
    const reset = decodePacket(b.sent[0].payload.payload);
    expect(reset.flags & FLAG_RESET).toBe(FLAG_RESET);
    expect(reset.signature).toHaveLength(64);
    expect(b.manager.counters.refused).toBe(1);
    // The port-80 listener, and a catch-all, take their own ports.
    b.manager.listen(() => undefined);
    await expect(link.drive(a.manager.connect(b.hash, { toPort: 81 }))).resolves.toBeDefined();
  });

  it('limits concurrent streams: connect rejects with LIMIT, an incoming SYN over the limit is refused', async () => {
    link = new Link();
    const a = link.add({ maxStreams: 2 });
    const b = link.add({ maxStreams: 3 });
    b.manager.listen(() => undefined);
    await link.drive(a.manager.connect(b.hash));
    await link.drive(a.manager.connect(b.hash));
    await expect(a.manager.connect(b.hash)).rejects.toMatchObject({ code: 'LIMIT' });
    const c = link.add();
    await link.drive(c.manager.connect(b.hash));
    await expect(link.drive(c.manager.connect(b.hash))).rejects.toMatchObject({ code: 'REFUSED' });
    expect(b.manager.counters.refused).toBe(1);
    expect(b.manager.counters.active).toBe(3);
  });

  it('counts open streams against the limit, not closed ones lingering for late CLOSEs', async () => {
    link = new Link();
    const a = link.add({ maxStreams: 2 });
    const b = link.add({ maxStreams: 2 });
    // The site's side: answer and close once the visitor closed (an orderly close both ways).
    b.manager.listen((s) => {
      s.resume();
      s.on('end', () => s.end());
    });
    const closeBoth = async () => {
      const s = await link.drive(a.manager.connect(b.hash));
      s.resume();
      const closed = new Promise((r) => s.once('close', r));
      s.end();
      await link.drive(closed);
      await link.run(500);
    };
    await closeBoth();
    await closeBoth();
    // Both closed streams linger (lingerMs 10 s) and fill each side's table …
    expect(a.manager.counters.active).toBe(0);
    expect(a.manager.streamCount).toBe(2);
    expect(b.manager.streamCount).toBe(2);
    // … yet new streams still open, both ways, and the table stays within the limit.
    for (let i = 0; i < 4; i++) await closeBoth();
    expect(a.manager.counters.opened).toBe(6);
    expect(b.manager.counters.accepted).toBe(6);
    expect(b.manager.counters.refused).toBe(0);
    expect(a.manager.streamCount).toBeLessThanOrEqual(2);
    expect(b.manager.streamCount).toBeLessThanOrEqual(2);
    // Lingering ones are forgotten after lingerMs.
    await link.run(11_000);
    expect(a.manager.streamCount).toBe(0);
    expect(b.manager.streamCount).toBe(0);
    // Open streams still count: two open, the third is refused at once.
    await link.drive(a.manager.connect(b.hash));
    await link.drive(a.manager.connect(b.hash));
    await expect(a.manager.connect(b.hash)).rejects.toMatchObject({ code: 'LIMIT' });
  });

  it('connect times out when the peer never answers, and unknown destinations have NO_ROUTE', async () => {
    link = new Link();
    const a = link.add();
    const b = link.add();
    b.manager.listen(() => undefined);
    link.mute.add(1);
    await expect(link.drive(a.manager.connect(b.hash, { timeoutMs: 5_000 }))).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(a.manager.counters.active).toBe(0);
    await expect(link.drive(a.manager.connect(new Uint8Array(32).fill(7)))).rejects.toMatchObject({ code: 'NO_ROUTE' });
    await expect(a.manager.connect(new Uint8Array(31))).rejects.toMatchObject({ code: 'NO_ROUTE' });
  });

  it('deflates packets that compress (I2CP gzip) and sends the rest stored', async () => {
    link = new Link();
    const a = link.add();
    const b = link.add();
    const got: Buffer[] = [];
    b.manager.listen((s) => s.on('data', (c: Buffer) => got.push(c)));
    const s = await link.drive(a.manager.connect(b.hash));
    const text = Buffer.from('<p>hello streaming</p>\n'.repeat(400));
    const noise = new SeededRandom('noise').bytes(20_000);
    s.write(text);
    s.write(noise);
    await link.run(2_000);
    expect(Buffer.concat(got)).toEqual(Buffer.concat([text, noise]));
    const data = a.sent.filter((x) => x.payload.payload.length > 1000);
    // Text: a full packet deflates to a small fraction; noise stays about its size.
    expect(data[0].framedLength).toBeLessThan(200);
    expect(data.at(-2)!.framedLength).toBeGreaterThan(data.at(-2)!.payload.payload.length);
  });

  it('behaves like a socket where node expects one: setTimeout (idle) and setNoDelay', async () => {
    link = new Link();
    const a = link.add();
    const b = link.add();
    const got: Buffer[] = [];
    b.manager.listen((s) => s.on('data', (c: Buffer) => got.push(c)));
    const s = await link.drive(a.manager.connect(b.hash));
    let timeouts = 0;
    s.setTimeout(1_000, () => timeouts++);
    await link.run(600);
    s.write('x'); // activity restarts the idle timer
    await link.run(600);
    expect(timeouts).toBe(0);
    await link.run(600);
    expect(timeouts).toBe(1);
    expect(s.destroyed).toBe(false);
    s.setTimeout(0);
    // A short write waits a few ms for more (coalescing); with setNoDelay it leaves at once.
    const sentBefore = a.sent.length;
    s.write('y');
    expect(a.sent.length).toBe(sentBefore);
    await link.run(20);
    expect(a.sent.length).toBe(sentBefore + 1);
    s.setNoDelay(true);
    s.write('z');
    await new Promise((r) => setImmediate(r));
    expect(a.sent.length).toBe(sentBefore + 2);
    await link.run(100);
    expect(Buffer.concat(got).toString()).toBe('xyz');
    expect(timeouts).toBe(1);
  });

  it('answers a signed ping with a pong carrying its payload, and ignores an unsigned one', () => {
    link = new Link();
    const a = link.add();
    const b = link.add();
    const ping = signPacket({ sendStreamId: 77, receiveStreamId: 0, sequenceNum: 0, ackThrough: 0, nacks: [], resendDelay: 0, flags: FLAG_ECHO, from: a.keys.privateKeys.destination, payload: new Uint8Array([1, 2, 3]) }, 7, a.keys.privateKeys.signingPrivateKey);
    link.deliver(b, { protocol: PROTO_STREAMING, sourcePort: 1, destPort: 2, payload: ping });
    expect(b.sent).toHaveLength(1);
    const pong = decodePacket(b.sent[0].payload.payload);
    expect(pong.flags).toBe(FLAG_ECHO);
    expect(pong.receiveStreamId).toBe(77);
    expect(pong.payload).toEqual(new Uint8Array([1, 2, 3]));
    const unsigned = encodePacket({ sendStreamId: 77, receiveStreamId: 0, sequenceNum: 0, ackThrough: 0, nacks: [], resendDelay: 0, flags: FLAG_ECHO, payload: new Uint8Array(0) });
    link.deliver(b, { protocol: PROTO_STREAMING, sourcePort: 1, destPort: 2, payload: unsigned });
    expect(b.sent).toHaveLength(1);
    expect(b.manager.counters.pings).toBe(1);
  });

  it('keeps a follow-on packet that overtook its SYN and delivers it after the SYN', async () => {
    link = new Link();
    const a = link.add();
    const b = link.add();
    const got: Buffer[] = [];
    b.manager.listen((s) => s.on('data', (c: Buffer) => got.push(c)));
    const syn = synFrom(a, b, { receiveStreamId: 99 });
    const data = encodePacket({ sendStreamId: 0, receiveStreamId: 99, sequenceNum: 1, ackThrough: 0, nacks: [], resendDelay: 0, flags: 0, payload: new TextEncoder().encode('second') });
    link.deliver(b, { protocol: PROTO_STREAMING, sourcePort: 5, destPort: 6, payload: data });
    link.deliver(b, syn);
    await link.run(50);
    expect(Buffer.concat(got).toString()).toBe('second');
  });

  it('close() resets every stream, rejects new connects with CLOSED, and stops listening', async () => {
    link = new Link();
    const a = link.add();
    const b = link.add();
    const accepted: I2pStream[] = [];
    b.manager.listen((s) => accepted.push(s));
    const s = await link.drive(a.manager.connect(b.hash));
    let clientError: Error | undefined;
    s.on('error', (e) => (clientError = e));
    await link.run(100);
    let closed = false;
    accepted[0].on('close', () => (closed = true));
    b.manager.close();
    await link.run(100);
    expect(closed).toBe(true);
    expect((clientError as { code?: string } | undefined)?.code).toBe('RESET');
    await expect(b.manager.connect(a.hash)).rejects.toMatchObject({ code: 'CLOSED' });
    expect(b.manager.streamCount).toBe(0);
    // b no longer takes streaming payloads from its destination at all.
    expect(b.handler).toBeUndefined();
  });
});
