/**
 * The SAM bridge over real TCP and UDP sockets on loopback, its destinations on a simulated
 * network of six routers (real tunnels, ratchet garlic, real streaming; the fake clock driven by
 * the test): HELLO, DEST GENERATE, SESSION CREATE of each style, STREAM CONNECT / ACCEPT /
 * FORWARD with SHA-256 checks, datagrams over the UDP bridge and on the control socket, PRIMARY
 * with subsessions routed by port, NAMING LOOKUP, and bad input. Two SamServers (one per
 * router) talk to each other through the network, as two anon-routers would.
 */
import { createHash } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SamServer } from '../../../src/router/api/sam/server.js';
import type { SamBackend } from '../../../src/router/api/sam/backend.js';
import { AddressBook } from '../../../src/router/client/addressbook.js';
import { decodeDestination, decodePrivateKeys, encodeKeysAndCert, i2pBase64Decode, i2pBase64Encode, keysAndCertHash, keyTypes, b32FromHash } from '../../../src/router/data/index.js';
import { silentLogger } from '../../../src/router/log.js';
import { SeededRandom } from '../../../src/router/runtime/index.js';
import { ROUTER_SCHEMA_VERSION } from '../../../src/state/layout.js';
import { MemoryVolume, openMemoryStorage } from '../../../src/state/memory-storage.js';
import { ClientNetwork, type ClientRouter } from '../client/client-network.js';
import { fields, LineClient } from './line-client.js';

const HOPS = { length: 1, quantity: 2, variance: 0 };
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

interface Side {
  server: SamServer;
  port: number;
  udpPort: number;
  client: ClientRouter;
  book: AddressBook;
}

describe('the SAM bridge on a simulated network', () => {
  let cn: ClientNetwork;
  let A: Side;
  let B: Side;
  const rnd = new SeededRandom('sam payloads');
  const closers: (() => void)[] = [];

  async function side(index: number, limits = {}): Promise<Side> {
    const client = cn.client(index);
    const storage = await openMemoryStorage({ schema: ROUTER_SCHEMA_VERSION, volume: new MemoryVolume(`book${index}`) });
    const book = AddressBook.fromStorage(storage, { clock: cn.net.clock });
    const backend: SamBackend = {
      clock: cn.net.clock,
      random: client.router.random,
      log: silentLogger,
      defaultDestinationOptions: { inbound: HOPS, outbound: HOPS, publish: true },
      createDestination: (k, o) => client.destinations.create(k, o),
      hasDestination: (h) => client.destinations.get(h) !== undefined,
      removeDestination: (h) => void client.destinations.remove(h),
      streams: (d) => d.streams,
      resolveName: (n) => book.resolve(n),
      lookupLeaseSet: async () => undefined,
    };
    const server = new SamServer(backend, { host: '127.0.0.1', port: 0, udpPort: 0, limits });
    const a = await server.start();
    closers.push(() => void server.stop(), () => void storage.close());
    return { server, port: a.port, udpPort: a.udpPort!, client, book };
  }

  /** Waits (driving the simulated network) for a promise that needs traffic or timers. */
  const drive = <T>(p: Promise<T>, maxMs = 300_000) => cn.net.drive(p, maxMs);

  async function session(s: Side, line: string): Promise<{ c: LineClient; priv: string; pub: string }> {
    const c = await LineClient.hello(s.port);
    c.send(line);
    const r = await drive(c.line());
    expect(r, r).toMatch(/^SESSION STATUS RESULT=OK DESTINATION=/);
    const priv = fields(r).DESTINATION;
    const pk = decodePrivateKeys(i2pBase64Decode(priv));
    return { c, priv, pub: i2pBase64Encode(encodeKeysAndCert(pk.destination)) };
  }

  beforeAll(async () => {
    cn = await ClientNetwork.create({ routers: 6, seed: 'sam', floodfills: [0, 1], inbound: HOPS, outbound: HOPS });
    cn.net.start();
    A = await side(2);
    B = await side(4, { helloTimeoutMs: 5_000 });
  }, 60_000);

  afterAll(() => {
    for (const c of closers) c();
    cn?.stop();
  });

  describe('handshake and utilities', () => {
    it('answers HELLO with or without MIN/MAX, and NOVERSION outside 3.1..3.3', async () => {
      for (const [line, want] of [
        ['HELLO VERSION', 'HELLO REPLY RESULT=OK VERSION=3.3'],
        ['HELLO VERSION MIN=3.0 MAX=3.2', 'HELLO REPLY RESULT=OK VERSION=3.2'],
        ['hello version MIN=3 MAX=3', 'HELLO REPLY RESULT=OK VERSION=3.3'],
        ['HELLO VERSION MIN=3.0 MAX=3.0', 'HELLO REPLY RESULT=NOVERSION'],
      ] as const) {
        const c = await LineClient.open(A.port);
        c.send(line);
        expect(await c.line()).toBe(want);
        if (want.includes('NOVERSION')) await c.waitClosed();
        c.close();
      }
    });

    it('says I2P_ERROR to a client that sends anything but HELLO first, or nothing in time', async () => {
      const c = await LineClient.open(A.port);
      c.send('SESSION CREATE STYLE=STREAM ID=x DESTINATION=TRANSIENT');
      expect(await c.line()).toMatch(/^HELLO REPLY RESULT=I2P_ERROR MESSAGE="HELLO VERSION expected first"$/);
      await c.waitClosed();
      const slow = await LineClient.open(B.port);
      const reply = drive(slow.line());
      expect(await reply).toMatch(/^HELLO REPLY RESULT=I2P_ERROR MESSAGE=".*in time"$/);
      await slow.waitClosed();
    });

    it('answers PING with PONG and the same text; QUIT closes', async () => {
      const c = await LineClient.hello(A.port);
      c.send('PING 12345 keepalive');
      expect(await c.line()).toBe('PONG 12345 keepalive');
      c.send('PING');
      expect(await c.line()).toBe('PONG');
      c.send('QUIT');
      expect(await c.line()).toMatch(/^SESSION STATUS RESULT=OK/);
      await c.waitClosed();
    });

    it('generates Ed25519 destinations by number or name, with crypto type 0 or 4, and refuses what it cannot sign with', async () => {
      const c = await LineClient.hello(A.port);
      for (const [opts, crypto] of [['', 0], [' SIGNATURE_TYPE=7', 0], [' SIGNATURE_TYPE=eddsa_sha512_ed25519', 0], [' SIGNATURE_TYPE=7 CRYPTO_TYPE=4', 4]] as const) {
        c.send('DEST GENERATE' + opts);
        const f = fields(await c.line());
        const pk = decodePrivateKeys(i2pBase64Decode(f.PRIV));
        expect(i2pBase64Encode(encodeKeysAndCert(pk.destination))).toBe(f.PUB);
        expect(keyTypes(pk.destination)).toEqual({ sigType: 7, cryptoType: crypto });
      }
      c.send('DEST GENERATE SIGNATURE_TYPE=ECDSA_SHA256_P256');
      expect(await c.line()).toBe('DEST REPLY RESULT=I2P_ERROR MESSAGE="SIGNATURE_TYPE ECDSA_SHA256_P256 (1) is not supported: use 7 (EdDSA_SHA512_Ed25519)"');
      c.send('DEST GENERATE SIGNATURE_TYPE=NOPE');
      expect(await c.line()).toMatch(/^DEST REPLY RESULT=I2P_ERROR MESSAGE="unknown SIGNATURE_TYPE NOPE"/);
      c.close();
    });

    it('refuses bad SESSION CREATEs with the RESULT the spec names', async () => {
      const c = await LineClient.hello(A.port);
      const ask = async (line: string) => {
        c.send(line);
        return c.line();
      };
      expect(await ask('SESSION CREATE STYLE=STREAM ID=bad1 DESTINATION=AAAAbadkey')).toMatch(/^SESSION STATUS RESULT=INVALID_KEY MESSAGE=/);
      expect(await ask('SESSION CREATE STYLE=STREAM ID=bad2')).toMatch(/^SESSION STATUS RESULT=INVALID_KEY/);
      expect(await ask('SESSION CREATE STYLE=WEIRD ID=bad3 DESTINATION=TRANSIENT')).toMatch(/^SESSION STATUS RESULT=I2P_ERROR MESSAGE="STYLE must be/);
      expect(await ask('SESSION CREATE STYLE=STREAM ID=bad4 DESTINATION=TRANSIENT SIGNATURE_TYPE=1')).toMatch(/RESULT=I2P_ERROR MESSAGE="SIGNATURE_TYPE ECDSA_SHA256_P256 \(1\) is not supported/);
      expect(await ask('SESSION CREATE STYLE=STREAM ID=bad5 DESTINATION=TRANSIENT inbound.length=9')).toMatch(/RESULT=I2P_ERROR MESSAGE="inbound.length must be 0..7/);
      expect(await ask('SESSION CREATE STYLE=DATAGRAM ID=bad6 DESTINATION=TRANSIENT PORT=9999 HOST=10.1.2.3')).toMatch(/RESULT=I2P_ERROR MESSAGE="HOST 10.1.2.3 is not a loopback address/);
      expect(await ask('SESSION CREATE STYLE=DATAGRAM ID=bad7 DESTINATION=TRANSIENT PORT=9999 HOST=localhost')).toMatch(/RESULT=I2P_ERROR MESSAGE="HOST must be an IP address/);
      // The connection survives refused commands (a few), and no destination was left behind.
      expect(A.server.registry.size).toBe(0);
      c.close();
    });

    it('answers garbage and an overlong line with an error, and keeps serving', async () => {
      const g = await LineClient.hello(A.port);
      g.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x0a]));
      expect(await g.line()).toMatch(/^SESSION STATUS RESULT=I2P_ERROR MESSAGE="control character/);
      g.send('GET / HTTP/1.1');
      expect(await g.line()).toMatch(/^SESSION STATUS RESULT=I2P_ERROR MESSAGE="bad option key/);
      g.send('FOO BAR');
      expect(await g.line()).toBe('SESSION STATUS RESULT=I2P_ERROR MESSAGE="unknown command FOO BAR"');
      const long = await LineClient.hello(A.port);
      long.write(Buffer.alloc(1024 * 1024, 0x41));
      expect(await long.line()).toMatch(/^SESSION STATUS RESULT=I2P_ERROR MESSAGE="line longer than 16384 bytes"$/);
      await long.waitClosed();
      // Too many refused commands close the connection.
      for (let i = 0; i < 8; i++) g.send('X Y');
      await g.waitClosed();
      const ok = await LineClient.hello(A.port);
      ok.send('PING still here');
      expect(await ok.line()).toBe('PONG still here');
      ok.close();
      expect(A.server.status().commands).toMatchObject({ 'HELLO VERSION': expect.any(Number), PING: expect.any(Number) });
    });
  });

  describe('streams', () => {
    let a: Awaited<ReturnType<typeof session>>;
    let b: Awaited<ReturnType<typeof session>>;
    let bKeys: { pub: string; priv: string };

    beforeAll(async () => {
      const gen = await LineClient.hello(B.port);
      gen.send('DEST GENERATE SIGNATURE_TYPE=7');
      const f = fields(await gen.line());
      bKeys = { pub: f.PUB, priv: f.PRIV };
      gen.close();
      a = await session(A, 'SESSION CREATE STYLE=STREAM ID=sa DESTINATION=TRANSIENT SIGNATURE_TYPE=7 i2cp.leaseSetEncType=4,0 inbound.quantity=2');
      b = await session(B, `SESSION CREATE STYLE=STREAM ID=sb DESTINATION=${bKeys.priv} inbound.length=1`);
      // Both LeaseSets stored with a floodfill, so each side can find the other.
      const published = () => [...A.client.destinations.list(), ...B.client.destinations.list()].every((d) => d.counters.confirmed >= 1);
      expect(await cn.net.runUntil(published, 120_000)).toBe(true);
    }, 120_000);

    it('runs a session with the keys DEST GENERATE gave (same destination), and refuses them twice', async () => {
      expect(b.pub).toBe(bKeys.pub);
      const c = await LineClient.hello(B.port);
      c.send('NAMING LOOKUP NAME=ME');
      expect(await c.line()).toBe('NAMING REPLY RESULT=KEY_NOT_FOUND NAME=ME MESSAGE="no session on this connection"');
      c.send(`SESSION CREATE STYLE=STREAM ID=sb2 DESTINATION=${bKeys.priv}`);
      expect(await c.line()).toMatch(/^SESSION STATUS RESULT=DUPLICATED_DEST/);
      c.send('SESSION CREATE STYLE=STREAM ID=sb DESTINATION=TRANSIENT');
      expect(await c.line()).toMatch(/^SESSION STATUS RESULT=DUPLICATED_ID/);
      c.close();
      b.c.send('NAMING LOOKUP NAME=ME');
      expect(await b.c.line()).toBe(`NAMING REPLY RESULT=OK NAME=ME VALUE=${bKeys.pub}`);
    });

    it('STREAM CONNECT (by b32) and STREAM ACCEPT carry 1 MB each way, SHA-256 intact', async () => {
      const acc = await LineClient.hello(A.port);
      acc.send('STREAM ACCEPT ID=sa');
      expect(await acc.line()).toBe('STREAM STATUS RESULT=OK');
      const con = await LineClient.hello(B.port);
      const aB32 = b32FromHash(keysAndCertHash(decodeDestination(i2pBase64Decode(a.pub))));
      con.send(`STREAM CONNECT ID=sb DESTINATION=${aB32} FROM_PORT=1234 TO_PORT=80`);
      expect(await drive(con.line())).toBe('STREAM STATUS RESULT=OK');
      // The acceptor learns who called, and the ports (3.2+).
      expect(await drive(acc.line())).toBe(`${b.pub} FROM_PORT=1234 TO_PORT=80`);
      const up = rnd.bytes(1_048_576);
      const down = rnd.bytes(1_048_576);
      con.write(up);
      acc.write(down);
      expect(sha(await drive(acc.bytes(up.length)))).toBe(sha(up));
      expect(sha(await drive(con.bytes(down.length)))).toBe(sha(down));
      // Half-close travels: the caller ends, the acceptor sees the end and answers, then ends.
      con.socket.end();
      acc.write('bye');
      acc.socket.end();
      expect((await drive(con.rest())).toString()).toBe('bye');
      expect((await drive(acc.rest())).length).toBe(0);
    });

    it('STREAM CONNECT with a full base64 destination and SILENT=true says nothing, bytes flow at once', async () => {
      const acc = await LineClient.hello(B.port);
      acc.send('STREAM ACCEPT ID=sb SILENT=true');
      const con = await LineClient.hello(A.port);
      // Data sent right after the command line rides along when the stream opens (more than the
      // bridge holds while connecting: the client is paused, nothing is lost).
      const early = rnd.bytes(300_000);
      con.write(Buffer.concat([Buffer.from(`STREAM CONNECT ID=sa DESTINATION=${b.pub} SILENT=true\n`), early]));
      expect(sha(await drive(acc.bytes(early.length)))).toBe(sha(early));
      acc.write('silent reply');
      expect((await drive(con.bytes(12))).toString()).toBe('silent reply');
      con.close();
      await drive(acc.waitClosed());
    });

    it('STREAM FORWARD hands each incoming stream to a local server, destination line first', async () => {
      const got: Buffer[] = [];
      const server: Server = createServer({ allowHalfOpen: true }, (sock: Socket) => {
        const chunks: Buffer[] = [];
        sock.on('data', (c) => chunks.push(c));
        sock.on('end', () => {
          got.push(Buffer.concat(chunks));
          sock.end('forwarded ok');
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      const port = (server.address() as { port: number }).port;
      const fwd = await LineClient.hello(A.port);
      fwd.send(`STREAM FORWARD ID=sa PORT=${port}`);
      expect(await fwd.line()).toBe('STREAM STATUS RESULT=OK');
      // ACCEPT is refused while a FORWARD holds the session.
      const acc = await LineClient.hello(A.port);
      acc.send('STREAM ACCEPT ID=sa');
      expect(await acc.line()).toBe('STREAM STATUS RESULT=OK');
      expect(await acc.line()).toBe('STREAM STATUS RESULT=I2P_ERROR MESSAGE="the session is forwarding its streams (STREAM FORWARD)"');
      const payload = rnd.bytes(50_000);
      for (let i = 0; i < 2; i++) {
        const con = await LineClient.hello(B.port);
        con.send(`STREAM CONNECT ID=sb DESTINATION=${a.pub} TO_PORT=8${i}`);
        expect(await drive(con.line())).toBe('STREAM STATUS RESULT=OK');
        con.write(payload);
        con.socket.end();
        expect((await drive(con.rest())).toString()).toBe('forwarded ok');
      }
      expect(got).toHaveLength(2);
      for (const [i, g] of got.entries()) {
        const nl = g.indexOf(0x0a);
        expect(g.subarray(0, nl).toString()).toBe(`${b.pub} FROM_PORT=0 TO_PORT=8${i}`);
        expect(sha(g.subarray(nl + 1))).toBe(sha(payload));
      }
      // Closing the forwarding socket stops forwarding: an ACCEPT works again.
      fwd.close();
      await drive(new Promise((r) => setTimeout(r, 50)));
      const acc2 = await LineClient.hello(A.port);
      acc2.send('STREAM ACCEPT ID=sa');
      expect(await acc2.line()).toBe('STREAM STATUS RESULT=OK');
      acc2.close();
      server.close();
    });

    it('refuses STREAM commands naming no session, bad destinations, unknown names, and streams on a control socket', async () => {
      const c1 = await LineClient.hello(A.port);
      c1.send('STREAM CONNECT ID=nope DESTINATION=x.b32.i2p');
      expect(await c1.line()).toBe('STREAM STATUS RESULT=INVALID_ID MESSAGE="no session nope"');
      await c1.waitClosed();
      const c2 = await LineClient.hello(A.port);
      c2.send('STREAM CONNECT ID=sa DESTINATION=unknown.i2p');
      expect(await drive(c2.line())).toBe('STREAM STATUS RESULT=INVALID_KEY MESSAGE="unknown.i2p is not in the address book"');
      const c3 = await LineClient.hello(A.port);
      c3.send('STREAM CONNECT ID=sa DESTINATION=!!notbase64');
      expect(await drive(c3.line())).toMatch(/^STREAM STATUS RESULT=INVALID_KEY MESSAGE="not a destination, b32 address or .i2p name/);
      a.c.send(`STREAM CONNECT ID=sa DESTINATION=${b.pub}`);
      expect(await a.c.line()).toMatch(/^STREAM STATUS RESULT=I2P_ERROR MESSAGE="a session's control socket cannot carry streams/);
    });

    it('resolves address-book names and b32 addresses with NAMING LOOKUP', async () => {
      await A.book.add('bee.i2p', b.pub);
      a.c.send('NAMING LOOKUP NAME=bee.i2p');
      expect(await drive(a.c.line())).toBe(`NAMING REPLY RESULT=OK NAME=bee.i2p VALUE=${b.pub}`);
      const bB32 = b32FromHash(keysAndCertHash(decodeDestination(i2pBase64Decode(b.pub))));
      // A b32 gives the full destination, read from its LeaseSet.
      a.c.send(`NAMING LOOKUP NAME=${bB32}`);
      expect(await drive(a.c.line())).toBe(`NAMING REPLY RESULT=OK NAME=${bB32} VALUE=${b.pub}`);
      a.c.send('NAMING LOOKUP NAME=nobody.i2p');
      expect(await drive(a.c.line())).toBe('NAMING REPLY RESULT=KEY_NOT_FOUND NAME=nobody.i2p MESSAGE="nobody.i2p is not in the address book"');
      a.c.send('NAMING LOOKUP NAME=short.b32.i2p');
      expect(await drive(a.c.line())).toMatch(/^NAMING REPLY RESULT=INVALID_KEY NAME=short.b32.i2p MESSAGE=/);
      // A STREAM CONNECT by name works too.
      const acc = await LineClient.hello(B.port);
      acc.send('STREAM ACCEPT ID=sb SILENT=true');
      const con = await LineClient.hello(A.port);
      con.send('STREAM CONNECT ID=sa DESTINATION=bee.i2p');
      expect(await drive(con.line())).toBe('STREAM STATUS RESULT=OK');
      con.write('by name');
      expect((await drive(acc.bytes(7))).toString()).toBe('by name');
      con.close();
      acc.close();
    });

    it('a session ends with its control socket: its destination is removed and its streams refused', async () => {
      const s = await session(A, 'SESSION CREATE STYLE=STREAM ID=shortlived DESTINATION=TRANSIENT');
      const hash = keysAndCertHash(decodeDestination(i2pBase64Decode(s.pub)));
      expect(A.client.destinations.get(hash)).toBeDefined();
      const acc = await LineClient.hello(A.port);
      acc.send('STREAM ACCEPT ID=shortlived');
      expect(await acc.line()).toBe('STREAM STATUS RESULT=OK');
      s.c.close();
      await drive(acc.waitClosed());
      expect(A.client.destinations.get(hash)).toBeUndefined();
      expect(A.server.registry.has('shortlived')).toBe(false);
    });
  });

  describe('datagrams', () => {
    let udp: UdpSocket;
    const inbox: Buffer[] = [];
    let inboxPort: number;

    beforeAll(async () => {
      udp = createSocket('udp4');
      udp.on('message', (m) => inbox.push(m));
      await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
      inboxPort = udp.address().port;
      closers.push(() => udp.close());
    });

    const sendUdp = (to: number, head: string, payload: Uint8Array) =>
      new Promise<void>((r, j) => udp.send(Buffer.concat([Buffer.from(head), payload]), to, '127.0.0.1', (e) => (e ? j(e) : r())));

    it('repliable datagrams over the UDP bridge, forwarded with the sender and ports; raw ones on the control socket', async () => {
      const d = await session(A, `SESSION CREATE STYLE=DATAGRAM ID=dga DESTINATION=TRANSIENT PORT=${inboxPort} HOST=127.0.0.1 FROM_PORT=11`);
      const r = await session(B, 'SESSION CREATE STYLE=RAW ID=rwb DESTINATION=TRANSIENT PROTOCOL=18');
      const published = () => [...A.client.destinations.list(), ...B.client.destinations.list()].every((x) => x.counters.confirmed >= 1);
      expect(await cn.net.runUntil(published, 120_000)).toBe(true);
      const big = rnd.bytes(20_000);
      // A repliable datagram from B's DATAGRAM session (c) into B's bridge, to A's forward.
      const c = await session(B, 'SESSION CREATE STYLE=DATAGRAM ID=dgc DESTINATION=TRANSIENT');
      expect(await cn.net.runUntil(published, 120_000)).toBe(true);
      await sendUdp(B.udpPort, `3.3 dgc ${d.pub} FROM_PORT=5 TO_PORT=6\n`, big);
      expect(await cn.net.runUntil(() => inbox.length >= 1, 60_000)).toBe(true);
      const m = inbox.shift()!;
      const nl = m.indexOf(0x0a);
      expect(m.subarray(0, nl).toString()).toBe(`${c.pub} FROM_PORT=5 TO_PORT=6`);
      expect(sha(m.subarray(nl + 1))).toBe(sha(big));
      // The reply goes back by the sender's destination, received on B's control socket (no PORT).
      const reply = rnd.bytes(3000);
      await sendUdp(A.udpPort, `3.0 dga ${c.pub}\n`, reply);
      const line = await drive(c.c.line());
      expect(line).toBe(`DATAGRAM RECEIVED DESTINATION=${d.pub} SIZE=3000 FROM_PORT=11 TO_PORT=0`);
      expect(sha(await c.c.bytes(3000))).toBe(sha(reply));
      // DATAGRAM SEND on the control socket (the v1/v2 way) reaches A's forward too.
      c.c.write(Buffer.concat([Buffer.from(`DATAGRAM SEND DESTINATION=${d.pub} SIZE=5 TO_PORT=9\n`), Buffer.from('v1 ok')]));
      expect(await cn.net.runUntil(() => inbox.length >= 1, 60_000)).toBe(true);
      const v1 = inbox.shift()!;
      expect(v1.toString()).toBe(`${c.pub} FROM_PORT=0 TO_PORT=9\nv1 ok`);
      // Raw: from a RAW session on A (HEADER=true, forwarded to us) to B's RAW session (control socket).
      const ra = await session(A, `SESSION CREATE STYLE=RAW ID=rwa DESTINATION=TRANSIENT PORT=${inboxPort} HEADER=true`);
      expect(await cn.net.runUntil(published, 120_000)).toBe(true);
      await sendUdp(A.udpPort, `3.2 rwa ${r.pub} FROM_PORT=1 TO_PORT=2\n`, Buffer.from('raw to B'));
      expect(await drive(r.c.line())).toBe('RAW RECEIVED SIZE=8 FROM_PORT=1 TO_PORT=2 PROTOCOL=18');
      expect((await r.c.bytes(8)).toString()).toBe('raw to B');
      r.c.write(Buffer.concat([Buffer.from(`RAW SEND DESTINATION=${ra.pub} SIZE=8 FROM_PORT=3 TO_PORT=4\n`), Buffer.from('raw to A')]));
      expect(await cn.net.runUntil(() => inbox.length >= 1, 60_000)).toBe(true);
      expect(inbox.shift()!.toString()).toBe('FROM_PORT=3 TO_PORT=4 PROTOCOL=18\nraw to A');
      // What the bridge cannot use is counted and dropped.
      const refused = A.server.status().datagrams.refused;
      await sendUdp(A.udpPort, '3.0 nosuchsession dest\n', Buffer.from('x'));
      await sendUdp(A.udpPort, 'garbage', Buffer.from(''));
      await sendUdp(A.udpPort, `3.0 dga ${c.pub}\n`, Buffer.alloc(31745));
      expect(await cn.net.runUntil(() => A.server.status().datagrams.refused >= refused + 3, 5_000)).toBe(true);
      for (const s of [d, r, c, ra]) s.c.close();
    });

    it('PRIMARY sessions: subsessions of each style on one destination, routed by port', async () => {
      const p = await session(A, 'SESSION CREATE STYLE=PRIMARY ID=prim DESTINATION=TRANSIENT');
      const add = async (line: string) => {
        p.c.send(line);
        return p.c.line();
      };
      expect(await add(`SESSION ADD STYLE=DATAGRAM ID=p-dg53 PORT=${inboxPort} LISTEN_PORT=53 FROM_PORT=53`)).toBe('SESSION STATUS RESULT=OK ID=p-dg53 MESSAGE="ADD p-dg53"');
      expect(await add('SESSION ADD STYLE=DATAGRAM ID=p-dgany')).toBe('SESSION STATUS RESULT=OK ID=p-dgany MESSAGE="ADD p-dgany"');
      expect(await add('SESSION ADD STYLE=STREAM ID=p-st FROM_PORT=80')).toMatch(/^SESSION STATUS RESULT=OK ID=p-st/);
      expect(await add(`SESSION ADD STYLE=RAW ID=p-raw PORT=${inboxPort} PROTOCOL=200 HEADER=true`)).toMatch(/RESULT=OK ID=p-raw/);
      expect(await add('SESSION ADD STYLE=DATAGRAM ID=p-dup LISTEN_PORT=53')).toBe('SESSION STATUS RESULT=I2P_ERROR MESSAGE="another DATAGRAM subsession listens on port 53"');
      expect(await add('SESSION ADD STYLE=STREAM ID=p-dg53')).toMatch(/RESULT=DUPLICATED_ID/);
      expect(await add('SESSION ADD STYLE=STREAM ID=prim')).toMatch(/RESULT=DUPLICATED_ID/);
      const onPrimary = await LineClient.hello(A.port);
      onPrimary.send('STREAM ACCEPT ID=prim');
      expect(await onPrimary.line()).toBe('STREAM STATUS RESULT=INVALID_ID MESSAGE="prim is a PRIMARY session: use one of its subsessions"');
      expect(await add('SESSION ADD STYLE=STREAM ID=p-x DESTINATION=TRANSIENT')).toMatch(/RESULT=I2P_ERROR MESSAGE="a subsession uses the destination/);
      expect(await add('SESSION ADD STYLE=RAW ID=p-x PROTOCOL=6')).toMatch(/RESULT=I2P_ERROR MESSAGE="PROTOCOL=6 is not allowed/);
      const sender = await session(B, 'SESSION CREATE STYLE=DATAGRAM ID=psend DESTINATION=TRANSIENT');
      const rawSender = await session(B, 'SESSION CREATE STYLE=RAW ID=prawsend DESTINATION=TRANSIENT PROTOCOL=200');
      const published = () => [...A.client.destinations.list(), ...B.client.destinations.list()].every((x) => x.counters.confirmed >= 1);
      expect(await cn.net.runUntil(published, 120_000)).toBe(true);
      // To port 53: the p-dg53 subsession forwards it to us.
      await sendUdp(B.udpPort, `3.3 psend ${p.pub} TO_PORT=53\n`, Buffer.from('to 53'));
      expect(await cn.net.runUntil(() => inbox.length >= 1, 60_000)).toBe(true);
      expect(inbox.shift()!.toString()).toBe(`${sender.pub} FROM_PORT=0 TO_PORT=53\nto 53`);
      // Raw with protocol 200: the RAW subsession, with its header.
      await sendUdp(B.udpPort, `3.3 prawsend ${p.pub} TO_PORT=7\n`, Buffer.from('proto 200'));
      expect(await cn.net.runUntil(() => inbox.length >= 1, 60_000)).toBe(true);
      expect(inbox.shift()!.toString()).toBe('FROM_PORT=0 TO_PORT=7 PROTOCOL=200\nproto 200');
      // Streams on the stream subsession; sending from a subsession uses its FROM_PORT.
      const acc = await LineClient.hello(A.port);
      acc.send('STREAM ACCEPT ID=p-st');
      expect(await acc.line()).toBe('STREAM STATUS RESULT=OK');
      const st = await session(B, 'SESSION CREATE STYLE=STREAM ID=pstc DESTINATION=TRANSIENT');
      expect(await cn.net.runUntil(published, 120_000)).toBe(true);
      const con = await LineClient.hello(B.port);
      con.send(`STREAM CONNECT ID=pstc DESTINATION=${p.pub} TO_PORT=80`);
      expect(await drive(con.line())).toBe('STREAM STATUS RESULT=OK');
      expect(await drive(acc.line())).toBe(`${st.pub} FROM_PORT=0 TO_PORT=80`);
      // Datagrams out of a subsession: to the sender's session on B, from port 53.
      await sendUdp(A.udpPort, `3.3 p-dg53 ${sender.pub}\n`, Buffer.from('from prim'));
      expect(await drive(sender.c.line())).toBe(`DATAGRAM RECEIVED DESTINATION=${p.pub} SIZE=9 FROM_PORT=53 TO_PORT=0`);
      expect((await sender.c.bytes(9)).toString()).toBe('from prim');
      // SESSION REMOVE, then the ID is free and unknown.
      expect(await add('SESSION REMOVE ID=p-dg53')).toBe('SESSION STATUS RESULT=OK ID=p-dg53 MESSAGE="REMOVE p-dg53"');
      expect(await add('SESSION REMOVE ID=p-dg53')).toMatch(/^SESSION STATUS RESULT=INVALID_ID/);
      expect(A.server.registry.has('p-dg53')).toBe(false);
      // Closing the primary closes every subsession.
      p.c.close();
      await drive(acc.waitClosed());
      expect(A.server.registry.has('p-st')).toBe(false);
      for (const s of [sender, rawSender, st]) s.c.close();
      con.close();
    });
  });
});
