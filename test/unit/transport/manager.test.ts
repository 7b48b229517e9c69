import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ntcp2Address } from '../../../src/router/data/index.js';
import { buildRouterInfo } from '../../../src/router/identity/router-info-builder.js';
import { TerminationReason } from '../../../src/router/transport/ntcp2/index.js';
import { dataMessage, idsFrom, msgIdOf, NET_ID, settle, until, World, type TestNode } from './helpers.js';

/*
 * TransportManager on a MemoryNetwork: many routers in one process, a ManualClock for the
 * driver's timers (handshake, idle, probe), real event-loop turns for delivery and flushing.
 */

let world: World | undefined;

afterEach(async () => {
  if (!world) return;
  await world.stopAll();
  // Nothing of ours left behind: every connection closed at both ends, every timer cleared.
  expect(world.net.openConnections).toBe(0);
  expect(world.clock.pending).toBe(0);
  world = undefined;
});

const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);

async function pair(limitsA = {}, limitsB = {}): Promise<[World, TestNode, TestNode]> {
  const w = (world = new World());
  const a = await w.node('127.0.0.1', 9001, { limits: limitsA });
  const b = await w.node('127.0.0.2', 9002, { limits: limitsB });
  return [w, a, b];
}

describe('TransportManager: sessions and I2NP', () => {
  it('two managers connect and exchange I2NP both ways on one session', async () => {
    const [, a, b] = await pair();
    expect(a.manager.send(b.hash, dataMessage(1))).toBe(true);
    expect(await until(() => b.received.length === 1)).toBe(true);
    expect(idsFrom(b, a)).toEqual([1]);
    // B answers on the session A opened: no second dial.
    expect(b.manager.isConnected(a.hash)).toBe(true);
    expect(b.manager.send(a.hash, dataMessage(2))).toBe(true);
    expect(await until(() => a.received.length === 1)).toBe(true);
    expect(idsFrom(a, b)).toEqual([2]);
    expect(a.manager.stats().sessions).toEqual({ inbound: 0, outbound: 1 });
    expect(b.manager.stats().sessions).toEqual({ inbound: 1, outbound: 0 });
    expect(a.connected).toEqual([{ peer: b.key, direction: 'outbound' }]);
    expect(b.connected).toEqual([{ peer: a.key, direction: 'inbound' }]);
    // B learnt A's RouterInfo from message 3.
    expect(b.routerInfos).toEqual([{ from: a.key, flood: false }]);
    const [sa] = a.manager.sessionList();
    const [sb] = b.manager.sessionList();
    expect(sa).toMatchObject({ peer: b.key, direction: 'outbound', remote: '127.0.0.2:9002' });
    expect(sb).toMatchObject({ peer: a.key, direction: 'inbound' });
    expect(sb.remote.startsWith('127.0.0.1:')).toBe(true);
    await settle();
    // The same TCP connection seen from both ends.
    expect(a.manager.sessionList()[0].bytesOut).toBe(b.manager.sessionList()[0].bytesIn);
    expect(a.manager.sessionList()[0].bytesIn).toBe(b.manager.sessionList()[0].bytesOut);
    expect(a.manager.stats().failedHandshakes).toBe(0);
    expect(a.manager.stats().dropped).toBe(0);
  });

  it('messages queued before the session is up are delivered in order after it', async () => {
    const [, a, b] = await pair();
    for (const id of range(1, 101)) expect(a.manager.send(b.hash, dataMessage(id, 1 + (id % 7) * 300))).toBe(true);
    expect(a.manager.isConnected(b.hash)).toBe(false);
    expect(await until(() => b.received.length === 100)).toBe(true);
    expect(idsFrom(b, a)).toEqual(range(1, 101));
    // And messages sent once it is up follow them, still in order.
    for (const id of range(101, 151)) a.manager.send(b.hash, dataMessage(id));
    expect(await until(() => b.received.length === 150)).toBe(true);
    expect(idsFrom(b, a)).toEqual(range(1, 151));
    expect(a.manager.stats().dropped).toBe(0);
  });

  it('an unknown peer, or one without a dialable address, is a drop', async () => {
    const w = (world = new World());
    const a = await w.node('127.0.0.1', 9001);
    const unpublished = await w.node('127.0.0.3', 9003, {
      noListen: true,
      publish: (keys, ntcp2) => buildRouterInfo(keys, { netId: NET_ID, published: w.clock.now(), addresses: [ntcp2Address({ s: ntcp2.staticPublicKey })] }),
    });
    expect(a.manager.send(new Uint8Array(32).fill(9), dataMessage(1))).toBe(false);
    expect(a.manager.send(unpublished.hash, dataMessage(2))).toBe(false);
    expect(a.manager.connect(unpublished.hash)).toBe(false);
    expect(a.manager.stats().dropped).toBe(2);
  });

  it('a message for a peer without a RouterInfo goes to unknownPeer, not counted as a drop here; a known peer never does', async () => {
    const w = (world = new World());
    const handed: [number, number][] = [];
    const a = await w.node('127.0.0.1', 9001, { unknownPeer: (h, m) => (handed.push([h[0], msgIdOf(m)]), true) });
    const b = await w.node('127.0.0.2', 9002);
    expect(a.manager.send(new Uint8Array(32).fill(9), dataMessage(1))).toBe(true);
    expect(a.manager.send(b.hash, dataMessage(2))).toBe(true);
    expect(await until(() => b.received.length === 1)).toBe(true);
    expect(handed).toEqual([[9, 1]]);
    expect(a.manager.stats().dropped).toBe(0);
  });

  it('a peer that refuses the TCP connection: queued messages are counted as dropped', async () => {
    const w = (world = new World());
    const a = await w.node('127.0.0.1', 9001);
    const gone = await w.node('127.0.0.4', 9004, { noListen: true });
    for (const id of range(1, 4)) expect(a.manager.send(gone.hash, dataMessage(id))).toBe(true);
    expect(await until(() => a.manager.stats().dropped === 3)).toBe(true);
    // The peer is backed off: no dial, and tunnel hop selection skips it, until the back-off ends.
    expect(a.manager.isUnreachable(gone.hash)).toBe(true);
    expect(a.manager.connect(gone.hash)).toBe(false);
    w.clock.advance(15_001);
    expect(a.manager.isUnreachable(gone.hash)).toBe(false);
    expect(a.manager.connect(gone.hash)).toBe(true);
    expect(await until(() => a.manager.stats().dropped === 3 && a.log.filter((l) => l.includes('dial failed')).length === 2)).toBe(true);
    // The second failure doubles the back-off.
    w.clock.advance(15_001);
    expect(a.manager.isUnreachable(gone.hash)).toBe(true);
    w.clock.advance(15_000);
    expect(a.manager.isUnreachable(gone.hash)).toBe(false);
  });

  it('dialing ourselves is refused', async () => {
    const w = (world = new World());
    const a = await w.node('127.0.0.1', 9001);
    expect(a.manager.connect(a.hash)).toBe(false);
    expect(a.manager.send(a.hash, dataMessage(1))).toBe(false);
    expect(a.manager.stats().dropped).toBe(1);
    await settle(5);
    expect(w.net.openConnections).toBe(0);
  });

  it('a peer whose RouterInfo has an unusable static key is a drop, not a stuck dial', async () => {
    const w = (world = new World());
    const a = await w.node('127.0.0.1', 9001);
    // `s` with its top bit set: the initiator refuses it before message 1.
    const bad = await w.node('127.0.0.5', 9005, {
      publish: (keys, ntcp2) => {
        const s = ntcp2.staticPublicKey.slice();
        s[31] |= 0x80;
        return buildRouterInfo(keys, { netId: NET_ID, published: w.clock.now(), addresses: [ntcp2Address({ host: '127.0.0.5', port: 9005, s, i: ntcp2.iv })] });
      },
    });
    a.manager.send(bad.hash, dataMessage(1));
    await settle(10);
    expect(a.manager.stats().dropped).toBe(1);
    expect(a.manager.stats().handshaking).toBe(0);
    // Not stuck "dialing": the next send is tried again and dropped again.
    a.manager.send(bad.hash, dataMessage(2));
    await settle(10);
    expect(a.manager.stats().dropped).toBe(2);
    expect(w.net.openConnections).toBe(0);
  });
});

describe('TransportManager: simultaneous dial', () => {
  let dupSeen = 0;
  afterAll(() => {
    // The lags above are chosen so that some runs really race (both handshakes complete).
    expect(dupSeen).toBeGreaterThan(0);
  });
  // Both sides dial at once, B some event-loop turns after A, so every interleaving of the two
  // handshakes is tried: each side must end with one session, the same TCP connection, the one
  // initiated by the lower router hash, and every message delivered.
  for (const lag of [0, 1, 2, 3, 4, 6, 8]) {
    it(`ends with exactly one shared session and no message lost (B dials ${lag} turns later)`, async () => {
      const [w0, a, b] = await pair();
      for (const id of range(1, 21)) a.manager.send(b.hash, dataMessage(id));
      for (let i = 0; i < lag; i++) await new Promise((r) => setImmediate(r));
      for (const id of range(1001, 1021)) b.manager.send(a.hash, dataMessage(id));
      expect(b.manager.connect(a.hash)).toBe(true);
      expect(await until(() => a.received.length === 20 && b.received.length === 20)).toBe(true);
      await settle(100);
      expect(idsFrom(b, a).sort((x, y) => x - y)).toEqual(range(1, 21));
      expect(idsFrom(a, b).sort((x, y) => x - y)).toEqual(range(1001, 1021));
      const la = a.manager.sessionList();
      const lb = b.manager.sessionList();
      expect(la).toHaveLength(1);
      expect(lb).toHaveLength(1);
      expect(new Set([la[0].direction, lb[0].direction])).toEqual(new Set(['inbound', 'outbound']));
      // When both dials got through, both sides kept the one the lower router hash initiated.
      const duplicates = [...a.log, ...b.log].filter((l) => l.includes('reason="duplicate session"')).length;
      if (duplicates > 0) {
        const aLower = Buffer.compare(Buffer.from(a.hash), Buffer.from(b.hash)) < 0;
        expect(la[0].direction).toBe(aLower ? 'outbound' : 'inbound');
        dupSeen++;
      }
      const sa = a.manager.stats();
      const sb = b.manager.stats();
      expect(sa.sessions.inbound + sa.sessions.outbound).toBe(1);
      expect(sb.sessions.inbound + sb.sessions.outbound).toBe(1);
      expect(sa.handshaking + sb.handshaking).toBe(0);
      // One TCP connection: what one end wrote, the other read.
      expect(la[0].bytesOut).toBe(lb[0].bytesIn);
      expect(la[0].bytesIn).toBe(lb[0].bytesOut);
      // The duplicate, if one got up, is closed; the survivor carries new traffic both ways.
      expect(w0.net.openConnections).toBe(2);
      a.manager.send(b.hash, dataMessage(21));
      b.manager.send(a.hash, dataMessage(1021));
      expect(await until(() => a.received.length === 21 && b.received.length === 21)).toBe(true);
      expect(a.manager.stats().dropped + b.manager.stats().dropped).toBe(0);
    });
  }
});

describe('TransportManager: a peer that dials again', () => {
  it('a new inbound session from a peer we are still connected to replaces the old one', async () => {
    const [w0, a, b] = await pair();
    a.manager.send(b.hash, dataMessage(1));
    expect(await until(() => b.received.length === 1)).toBe(true);
    // A "restarts" with the same identity while its old connection still looks alive to B.
    const again = await w0.node('127.0.0.1', 9011, { identity: a });
    again.manager.send(b.hash, dataMessage(2));
    expect(await until(() => b.received.length === 2)).toBe(true);
    await settle();
    expect(again.manager.isConnected(b.hash)).toBe(true);
    expect(b.manager.sessionList()).toHaveLength(1);
    expect(b.manager.sessionList()[0].remote).toMatch(/^127\.0\.0\.1:/);
    // The old session was the one closed, with a Termination B sent.
    expect(a.manager.isConnected(b.hash)).toBe(false);
    expect(a.log.some((l) => l.includes(`reason="peer terminated (reason ${TerminationReason.NormalClose})"`))).toBe(true);
    // B answers on the new one.
    b.manager.send(a.hash, dataMessage(3));
    expect(await until(() => again.received.length === 1)).toBe(true);
    expect(idsFrom(again, b)).toEqual([3]);
  });
});

describe('TransportManager: limits', () => {
  it('the pending queue is bounded: send returns false and the drop is counted', async () => {
    const [, a, b] = await pair({ maxPendingBytes: 1_000 });
    const m = dataMessage(1, 84); // 100 bytes with the 9-byte short header and 4-byte length + 3
    const size = m.length;
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 30; i++) (a.manager.send(b.hash, dataMessage(i + 1, 84)) ? accepted++ : refused++);
    expect(accepted).toBe(Math.floor(1_000 / size));
    expect(refused).toBe(30 - accepted);
    expect(a.manager.stats().dropped).toBe(refused);
    expect(await until(() => b.received.length === accepted)).toBe(true);
    await settle();
    expect(idsFrom(b, a)).toEqual(range(1, accepted + 1));
    // Once connected, the session's own (larger) queue takes over.
    expect(a.manager.send(b.hash, dataMessage(99, 900))).toBe(true);
    expect(a.manager.send(b.hash, dataMessage(100, 900))).toBe(true);
  });

  it('maxOutbound bounds dials and sessions', async () => {
    const w0 = (world = new World());
    const a = await w0.node('127.0.0.1', 9001, { limits: { maxOutbound: 2 } });
    const peers = [await w0.node('127.0.0.2', 9002), await w0.node('127.0.0.3', 9003), await w0.node('127.0.0.4', 9004)];
    expect(a.manager.connect(peers[0].hash)).toBe(true);
    expect(a.manager.connect(peers[1].hash)).toBe(true);
    expect(a.manager.connect(peers[2].hash)).toBe(false);
    expect(a.manager.send(peers[2].hash, dataMessage(1))).toBe(false);
    expect(await until(() => a.manager.connectedPeers().length === 2)).toBe(true);
    expect(a.manager.connect(peers[2].hash)).toBe(false);
    expect(a.manager.stats().sessions.outbound).toBe(2);
    // An inbound session does not count against it.
    peers[2].manager.send(a.hash, dataMessage(7));
    expect(await until(() => a.received.length === 1)).toBe(true);
    expect(a.manager.stats().sessions).toEqual({ inbound: 1, outbound: 2 });
  });

  it('maxInbound refuses the connection past the limit', async () => {
    const w0 = (world = new World());
    const b = await w0.node('127.0.0.100', 9100, { limits: { maxInbound: 2 } });
    const dialers = [await w0.node('127.0.0.2', 9002), await w0.node('127.0.0.3', 9003), await w0.node('127.0.0.4', 9004)];
    for (const d of dialers) d.manager.send(b.hash, dataMessage(1));
    await settle(200);
    // (MemoryNetwork: a dial refused at accept resolves with a connection already closed, whose
    // 'close' came before anyone listened; the dialer's handshake timeout ends it.)
    w0.clock.advance(15_000);
    await settle();
    expect(b.manager.stats().sessions.inbound).toBe(2);
    expect(b.manager.stats().refused).toBe(1);
    expect(b.received).toHaveLength(2);
    // The refused dialer saw its connection close during the handshake and counted its drop.
    const failed = dialers.filter((d) => !d.manager.isConnected(b.hash));
    expect(failed).toHaveLength(1);
    expect(failed[0].manager.stats()).toMatchObject({ dropped: 1, failedHandshakes: 1 });
  });

  it('maxInbound counts inbound connections only, not our own dials still handshaking', async () => {
    const w0 = (world = new World());
    const b = await w0.node('127.0.0.100', 9100, { limits: { maxInbound: 1 } });
    // A peer that accepts TCP but never answers message 1: B's dial to it stays handshaking.
    const tarpit = await w0.node('127.0.0.9', 9009, { noListen: true });
    const listener = await w0.net.listen('127.0.0.9', 9009, () => undefined);
    expect(b.manager.connect(tarpit.hash)).toBe(true);
    await settle(10);
    expect(b.manager.stats().handshaking).toBe(1);
    const a = await w0.node('127.0.0.2', 9002);
    a.manager.send(b.hash, dataMessage(1));
    expect(await until(() => b.received.length === 1)).toBe(true);
    expect(b.manager.stats()).toMatchObject({ refused: 0, sessions: { inbound: 1, outbound: 0 } });
    await listener.close();
  });

  it('maxPerIp refuses a third connection from one address, not from another', async () => {
    const w0 = (world = new World());
    const b = await w0.node('127.0.0.100', 9100, { limits: { maxPerIp: 2 } });
    const sameIp = [await w0.node('127.0.0.7', 9001), await w0.node('127.0.0.7', 9002), await w0.node('127.0.0.7', 9003)];
    const other = await w0.node('127.0.0.8', 9001);
    for (const d of sameIp) d.manager.send(b.hash, dataMessage(1));
    await settle(200);
    w0.clock.advance(15_000); // see maxInbound
    await settle();
    expect(b.manager.stats().sessions.inbound).toBe(2);
    expect(b.manager.stats().refused).toBe(1);
    other.manager.send(b.hash, dataMessage(2));
    expect(await until(() => b.received.length === 3)).toBe(true);
    expect(b.manager.stats().refused).toBe(1);
    // A closed session frees its slot.
    const connected = sameIp.filter((d) => d.manager.isConnected(b.hash));
    await connected[0].manager.stop(true);
    await settle();
    const late = sameIp.find((d) => !d.manager.isConnected(b.hash) && d !== connected[0])!;
    late.manager.send(b.hash, dataMessage(3));
    expect(await until(() => b.received.length === 4)).toBe(true);
  });
});

describe('TransportManager: misbehaving peers', () => {
  it('a peer sending garbage is penalised, and after 5 strikes its address is refused', async () => {
    const w0 = (world = new World());
    const b = await w0.node('127.0.0.100', 9100, { limits: { connection: { probeTimeoutMs: 1_000 } } });
    const good = await w0.node('127.0.0.2', 9002);
    for (let i = 0; i < 5; i++) {
      const s = await w0.net.dial(b.host, b.port, { localAddress: '127.0.0.66' });
      // Random message 1 and more than the probe read (at most 286 bytes) behind it.
      s.write(w0.random.bytes(64 + 300));
      await settle(5);
      w0.clock.advance(1_000);
      await settle(5);
      s.destroy();
    }
    await settle();
    expect(b.manager.stats()).toMatchObject({ refused: 0, failedHandshakes: 5, handshaking: 0 });
    expect(b.log.filter((l) => l.includes('ntcp2 handshake refused'))).toHaveLength(5);
    // The sixth connection from that address is refused at once, before any byte is read.
    const s = await w0.net.dial(b.host, b.port, { localAddress: '127.0.0.66' });
    expect(await until(() => b.manager.stats().refused === 1)).toBe(true);
    expect(s.write(new Uint8Array(64))).toBe(false); // reset by the router
    // Other addresses are unaffected.
    good.manager.send(b.hash, dataMessage(1));
    expect(await until(() => b.received.length === 1)).toBe(true);
    expect(b.manager.stats().refused).toBe(1);
  });

  it('a peer that sends nothing is cut at the handshake timeout, without a penalty', async () => {
    const w0 = (world = new World());
    const b = await w0.node('127.0.0.100', 9100, { limits: { connection: { handshakeTimeoutMs: 2_000 } } });
    const sockets = [];
    for (let i = 0; i < 6; i++) sockets.push(await w0.net.dial(b.host, b.port, { localAddress: '127.0.0.67' }));
    await settle(5);
    expect(b.manager.stats().handshaking).toBe(6);
    w0.clock.advance(1_999);
    await settle(5);
    expect(b.manager.stats().handshaking).toBe(6);
    w0.clock.advance(1);
    await settle(5);
    expect(b.manager.stats()).toMatchObject({ handshaking: 0, failedHandshakes: 6, refused: 0 });
    expect(w0.net.openConnections).toBe(0);
    // Not penalised: the address may still connect.
    const s = await w0.net.dial(b.host, b.port, { localAddress: '127.0.0.67' });
    await settle(5);
    expect(b.manager.stats()).toMatchObject({ handshaking: 1, refused: 0 });
    s.destroy();
  });

  it('a responder answering garbage is penalised by the dialer, and after 5 strikes not dialed again', async () => {
    const w0 = (world = new World());
    const a = await w0.node('127.0.0.1', 9001);
    // A "router" whose published key is real but who answers message 1 with random bytes.
    const liar = await w0.node('127.0.0.9', 9009, { noListen: true });
    const listener = await w0.net.listen('127.0.0.9', 9009, (c) => {
      c.on('data', () => c.write(w0.random.bytes(64 + 16)));
    });
    for (let i = 0; i < 5; i++) {
      expect(a.manager.connect(liar.hash)).toBe(true);
      expect(await until(() => a.manager.stats().failedHandshakes === i + 1)).toBe(true);
    }
    await settle();
    expect(a.manager.connect(liar.hash)).toBe(false);
    expect(a.log.filter((l) => l.includes('ntcp2 handshake refused'))).toHaveLength(5);
    await listener.close();
  });
});

describe('TransportManager: stop', () => {
  it('stop(graceful) sends Termination and the peer sees the session close', async () => {
    const [w0, a, b] = await pair();
    a.manager.send(b.hash, dataMessage(1));
    expect(await until(() => b.received.length === 1)).toBe(true);
    // Queued just before stopping: a graceful stop sends it before the Termination.
    a.manager.send(b.hash, dataMessage(2));
    await a.manager.stop(true);
    expect(await until(() => !b.manager.isConnected(a.hash) && w0.net.openConnections === 0)).toBe(true);
    expect(idsFrom(b, a)).toEqual([1, 2]);
    expect(b.manager.connectedPeers()).toEqual([]);
    expect(b.manager.stats().sessions).toEqual({ inbound: 0, outbound: 0 });
    expect(b.log.some((l) => l.includes(`reason="peer terminated (reason ${TerminationReason.RouterShutdown})"`))).toBe(true);
    // A stopped manager sends nothing and accepts nothing.
    expect(a.manager.send(b.hash, dataMessage(3))).toBe(false);
    expect(b.manager.send(a.hash, dataMessage(4))).toBe(true);
    expect(await until(() => b.manager.stats().dropped === 1)).toBe(true);
  });

  it('stop(prompt) drops every socket; the peer sees a close without Termination', async () => {
    const [w0, a, b] = await pair();
    a.manager.send(b.hash, dataMessage(1));
    expect(await until(() => b.received.length === 1)).toBe(true);
    await b.manager.stop(false);
    expect(await until(() => !a.manager.isConnected(b.hash) && w0.net.openConnections === 0)).toBe(true);
    expect(a.log.some((l) => l.includes('reason="socket closed"'))).toBe(true);
  });

  it('an idle session is closed with Termination after the idle timeout', async () => {
    const [w0, a, b] = await pair({ connection: { idleTimeoutMs: 60_000 } }, { connection: { idleTimeoutMs: 120_000 } });
    a.manager.send(b.hash, dataMessage(1));
    expect(await until(() => b.received.length === 1)).toBe(true);
    w0.clock.advance(59_999);
    await settle(5);
    expect(a.manager.isConnected(b.hash)).toBe(true);
    w0.clock.advance(1);
    expect(await until(() => !b.manager.isConnected(a.hash))).toBe(true);
    expect(b.log.some((l) => l.includes(`reason="peer terminated (reason ${TerminationReason.IdleTimeout})"`))).toBe(true);
  });
});
