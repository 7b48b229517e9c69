/**
 * The SAM client backend against a scripted bridge on 127.0.0.1: what it sends (HELLO with
 * MIN/MAX, SESSION CREATE, STREAM CONNECT with the bytes after the status line handed to the
 * stream, STREAM FORWARD and the accept line, NAMING LOOKUP, datagrams on the UDP port) and how
 * each RESULT and each broken answer becomes a GarlicError. The real bridges (i2pd, ours) are in
 * test/interop/sam-client.test.ts and test/e2e/garlic-sam.test.ts.
 */
import { createSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSamAddress, SamBackend } from '../../../src/apps/garlic/sam-client.js';
import { GarlicError, type GarlicDatagram, type GarlicStream } from '../../../src/apps/garlic/session.js';
import { createDestinationKeys } from '../../../src/router/client/destination-keys.js';
import { encodeKeysAndCert, encodePrivateKeys, i2pBase64Encode } from '../../../src/router/data/index.js';
import { cryptoRandom } from '../../../src/router/runtime/index.js';
import { b32OfDestination } from '../../../src/apps/garlic/address.js';

function keys() {
  const k = createDestinationKeys(cryptoRandom);
  return { priv: i2pBase64Encode(encodePrivateKeys(k.privateKeys)), pub: i2pBase64Encode(encodeKeysAndCert(k.privateKeys.destination)) };
}
const SESSION = keys();
const PEER = keys();

type Handler = (line: string, sock: Socket, conn: { lines: string[] }) => void;

/** A bridge that answers each command line with what `script` writes. */
async function bridge(script: Handler): Promise<{ server: Server; port: number; commands: string[]; sockets: Socket[] }> {
  const commands: string[] = [];
  const sockets: Socket[] = [];
  const server = createServer((sock) => {
    sockets.push(sock);
    const conn = { lines: [] as string[] };
    let buf = '';
    sock.on('error', () => undefined);
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        commands.push(line);
        conn.lines.push(line);
        script(line, sock, conn);
      }
    });
  });
  await new Promise<void>((r) => server.listen({ host: '127.0.0.1', port: 0 }, () => r()));
  return { server, port: (server.address() as { port: number }).port, commands, sockets };
}

const helloOk = (version: string) => (line: string, sock: Socket) => {
  if (line.startsWith('HELLO VERSION')) sock.write(`HELLO REPLY RESULT=OK VERSION=${version}\n`);
};

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

async function garlicError(p: Promise<unknown>): Promise<GarlicError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(GarlicError);
    return e as GarlicError;
  }
  throw new Error('expected a GarlicError');
}

function readAll(s: GarlicStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    s.on('data', (d: Buffer) => (out += d.toString()));
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
}

describe('SAM client: bridge addresses and HELLO', () => {
  it('takes only IP literals (no DNS) and checks ports', () => {
    expect(parseSamAddress('127.0.0.1:7656')).toEqual({ host: '127.0.0.1', port: 7656 });
    expect(parseSamAddress('[::1]:7656')).toEqual({ host: '::1', port: 7656 });
    for (const bad of ['localhost:7656', 'example.com:7656', '127.0.0.1', '127.0.0.1:0', '127.0.0.1:70000', ':7656']) {
      expect(() => parseSamAddress(bad), bad).toThrow(GarlicError);
    }
  });

  it('says HELLO VERSION MIN=3.1 MAX=3.3 and keeps the version the bridge chose', async () => {
    const b = await bridge(helloOk('3.2'));
    open.push(b.server);
    const sam = await SamBackend.connect({ address: `127.0.0.1:${b.port}` });
    expect(b.commands[0]).toBe('HELLO VERSION MIN=3.1 MAX=3.3');
    expect(sam.version).toBe('3.2');
    expect(sam.description).toBe(`SAM 3.2 bridge at 127.0.0.1:${b.port}`);
    expect(sam.udpPort).toBe(b.port - 1);
  });

  it('maps a closed port, NOVERSION, garbage and an over-long line to typed errors', async () => {
    const closed = await bridge(() => undefined);
    const port = closed.port;
    await new Promise((r) => closed.server.close(r));
    expect((await garlicError(SamBackend.connect({ address: `127.0.0.1:${port}` }))).code).toBe('BACKEND_DOWN');
    const nover = await bridge((_l, s) => s.write('HELLO REPLY RESULT=NOVERSION\n'));
    open.push(nover.server);
    expect((await garlicError(SamBackend.connect({ address: `127.0.0.1:${nover.port}` }))).code).toBe('UNSUPPORTED');
    const garbage = await bridge((_l, s) => s.write('HELLO REPLY RESULT=OK VERSION="unterminated\n'));
    open.push(garbage.server);
    expect((await garlicError(SamBackend.connect({ address: `127.0.0.1:${garbage.port}` }))).code).toBe('PROTOCOL');
    const huge = await bridge((_l, s) => s.write('X'.repeat(40_000)));
    open.push(huge.server);
    expect((await garlicError(SamBackend.connect({ address: `127.0.0.1:${huge.port}` }))).code).toBe('PROTOCOL');
    const silent = await bridge(() => undefined);
    open.push(silent.server);
    expect((await garlicError(SamBackend.connect({ address: `127.0.0.1:${silent.port}`, connectTimeoutMs: 300 }))).code).toBe('TIMEOUT');
  });
});

describe('SAM client: a 3.1 session (i2pd 2.45 speaks no higher)', () => {
  /** SESSION CREATE answered with our keys; CONNECT, FORWARD and NAMING as `rest` says. */
  async function bridge31(rest: Handler) {
    const b = await bridge((line, sock, conn) => {
      if (line.startsWith('HELLO')) return helloOk('3.1')(line, sock);
      if (line.startsWith('SESSION CREATE')) return void sock.write(`SESSION STATUS RESULT=OK DESTINATION=${SESSION.priv}\n`);
      rest(line, sock, conn);
    });
    open.push(b.server);
    const sam = await SamBackend.connect({ address: `127.0.0.1:${b.port}` });
    open.push(sam);
    const session = await sam.openSession({ name: 'test', tunnels: { inbound: { length: 2, quantity: 3 }, outbound: { length: 1 } } });
    return { b, sam, session };
  }

  it('creates a STREAM session with an Ed25519 transient key, an ECIES-first LeaseSet (i2pd would make it ElGamal only) and the tunnel options', async () => {
    const { b, session } = await bridge31(() => undefined);
    const create = b.commands.find((c) => c.startsWith('SESSION CREATE'))!;
    expect(create).toMatch(/^SESSION CREATE STYLE=STREAM ID=test-[0-9a-f]{12} DESTINATION=TRANSIENT SIGNATURE_TYPE=7 i2cp\.leaseSetEncType=4,0 inbound.length=2 inbound.quantity=3 outbound.length=1$/);
    expect(session.destination).toBe(SESSION.pub);
    expect(session.b32).toBe(b32OfDestination(SESSION.pub));
    expect(session.privateKeys).toBe(SESSION.priv);
  });

  it('connects by b32 (as i2pd and Java take it), hands over the bytes after the status line, and maps RESULTs', async () => {
    const peerB32 = b32OfDestination(PEER.pub);
    const { b, session } = await bridge31((line, sock) => {
      if (!line.startsWith('STREAM CONNECT')) return;
      if (line.includes('DESTINATION=unreachable')) return void sock.end('STREAM STATUS RESULT=CANT_REACH_PEER\n');
      if (line.includes(peerB32)) {
        // The status line and the first stream bytes in one segment: the bytes belong to the stream.
        sock.write('STREAM STATUS RESULT=OK\nfirst line of data\nand more');
        setTimeout(() => sock.end(' (end)'), 20);
      } else sock.end('STREAM STATUS RESULT=INVALID_KEY MESSAGE="bad key"\n');
    });
    const s = await session.connect(peerB32);
    expect(b.commands.some((c) => c.startsWith(`STREAM CONNECT ID=${/ID=(\S+)/.exec(b.commands.find((x) => x.startsWith('SESSION CREATE'))!)![1]} DESTINATION=${peerB32} SILENT=false`))).toBe(true);
    expect(await readAll(s)).toBe('first line of data\nand more (end)');
    expect([s.remoteB32, s.remotePort, s.localPort]).toEqual([peerB32, 0, 0]);
    // A full destination goes as it is, unquoted (its '=' padding included).
    expect((await garlicError(session.connect(SESSION.pub))).code).toBe('BAD_ADDRESS');
    expect(b.commands.some((c) => c.endsWith(`DESTINATION=${SESSION.pub} SILENT=false`))).toBe(true);
    expect((await garlicError(session.connect(b32OfDestination(SESSION.pub).replace(/^./, 'z')))).code).toBe('BAD_ADDRESS');
    expect((await garlicError(session.connect('unreachable'))).code).toBe('BAD_ADDRESS');
    // Ports need 3.2: refused rather than silently dropped.
    expect((await garlicError(session.connect(peerB32, { port: 80 }))).code).toBe('UNSUPPORTED');
    expect((await garlicError(session.sendDatagram(PEER.pub, Buffer.from('x'), { toPort: 5 }))).code).toBe('UNSUPPORTED');
  });

  it('listens with STREAM FORWARD: the bridge connects to us and writes the accept line first', async () => {
    let forward: { host: string; port: number } | undefined;
    const { session } = await bridge31((line, sock) => {
      const m = /^STREAM FORWARD ID=\S+ PORT=(\d+) HOST=(\S+) SILENT=false$/.exec(line);
      if (m) {
        forward = { port: Number(m[1]), host: m[2] };
        sock.write('STREAM STATUS RESULT=OK\n');
      }
    });
    const got: { s: GarlicStream; text: Promise<string> }[] = [];
    const stop = await session.listen({}, (s) => got.push({ s, text: readAll(s) }));
    expect(forward?.host).toBe('127.0.0.1');
    const c = connect({ host: forward!.host, port: forward!.port });
    c.on('error', () => undefined);
    c.end(`${PEER.pub}\nGET / HTTP/1.0\r\n\r\n`);
    for (let i = 0; i < 100 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(got).toHaveLength(1);
    expect(await got[0].text).toBe('GET / HTTP/1.0\r\n\r\n');
    expect([got[0].s.remoteDestinationBase64, got[0].s.remoteB32]).toEqual([PEER.pub, b32OfDestination(PEER.pub)]);
    // A connection that does not start with a destination is dropped, not handed to the app.
    const bad = connect({ host: forward!.host, port: forward!.port });
    bad.end('not a destination\nxx');
    await new Promise((r) => bad.once('close', r));
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toHaveLength(1);
    stop();
  });

  it('looks names up with NAMING LOOKUP on the session socket (cached) and maps KEY_NOT_FOUND', async () => {
    const { b, session } = await bridge31((line, sock) => {
      const m = /^NAMING LOOKUP NAME=(\S+)$/.exec(line);
      if (!m) return;
      if (m[1] === 'peer.i2p' || m[1] === b32OfDestination(PEER.pub)) sock.write(`NAMING REPLY RESULT=OK NAME=${m[1]} VALUE=${PEER.pub}\n`);
      else if (m[1] === b32OfDestination(SESSION.pub)) sock.write(`NAMING REPLY RESULT=OK NAME=${m[1]} VALUE=${PEER.pub}\n`);
      else sock.write(`NAMING REPLY RESULT=KEY_NOT_FOUND NAME=${m[1]}\n`);
    });
    expect(await session.lookup('peer.i2p')).toBe(PEER.pub);
    expect(await session.lookup('peer.i2p')).toBe(PEER.pub);
    expect(b.commands.filter((c) => c === 'NAMING LOOKUP NAME=peer.i2p')).toHaveLength(1);
    expect(await session.lookup(b32OfDestination(PEER.pub))).toBe(PEER.pub);
    expect((await garlicError(session.lookup('nobody.i2p'))).code).toBe('NOT_FOUND');
    // A bridge that answers a b32 with another destination is caught.
    expect((await garlicError(session.lookup(b32OfDestination(SESSION.pub)))).code).toBe('PROTOCOL');
    expect(await session.lookup(PEER.pub)).toBe(PEER.pub);
  });

  it('a closed control socket closes the session (BACKEND_DOWN for what follows is CLOSED)', async () => {
    const { b, session } = await bridge31(() => undefined);
    for (const s of b.sockets) s.destroy();
    await new Promise((r) => setTimeout(r, 50));
    expect(session.closed).toBe(true);
    expect((await garlicError(session.connect(b32OfDestination(PEER.pub)))).code).toBe('CLOSED');
  });
});

describe('SAM client: a 3.3 bridge with PRIMARY sessions', () => {
  it('adds STREAM, DATAGRAM and RAW subsessions; datagrams with ports go over UDP and come back forwarded', async () => {
    const udp = createSocket('udp4');
    const sent: Buffer[] = [];
    udp.on('message', (m) => sent.push(m));
    await new Promise<void>((r) => udp.bind({ address: '127.0.0.1', port: 0 }, () => r()));
    open.push({ close: () => udp.close() });
    const forwardTo: Record<string, number> = {};
    const b = await bridge((line, sock) => {
      if (line.startsWith('HELLO')) return helloOk('3.3')(line, sock);
      if (line.startsWith('SESSION CREATE')) return void sock.write(`SESSION STATUS RESULT=OK DESTINATION=${SESSION.priv}\n`);
      const m = /^SESSION ADD STYLE=(\w+) ID=(\S+)(?: PORT=(\d+) HOST=(\S+))?/.exec(line);
      if (m) {
        if (m[3]) forwardTo[m[1]] = Number(m[3]);
        sock.write(`SESSION STATUS RESULT=OK DESTINATION=${SESSION.priv}\n`);
      }
    });
    open.push(b.server);
    const sam = await SamBackend.connect({ address: `127.0.0.1:${b.port}`, udpPort: (udp.address() as { port: number }).port });
    open.push(sam);
    const session = await sam.openSession({ datagrams: true });
    const cmds = b.commands.filter((c) => c.startsWith('SESSION'));
    expect(cmds[0]).toMatch(/^SESSION CREATE STYLE=PRIMARY /);
    expect(cmds.slice(1).map((c) => c.split(' ').slice(0, 3).join(' ').replace(/ID=\S+/, 'ID'))).toEqual(['SESSION ADD STYLE=STREAM', 'SESSION ADD STYLE=DATAGRAM', 'SESSION ADD STYLE=RAW']);
    expect(b.commands.find((c) => c.startsWith('SESSION ADD STYLE=RAW'))).toMatch(/HEADER=true/);
    expect([session.datagramDestination, session.rawDestination]).toEqual([session.destination, session.destination]);

    await session.sendDatagram(PEER.pub, Buffer.from('hello'), { kind: 'repliable', fromPort: 6881, toPort: 6882 });
    await new Promise((r) => setTimeout(r, 50));
    const pkt = sent[0];
    const nl = pkt.indexOf(10);
    expect(pkt.subarray(0, nl).toString()).toMatch(new RegExp(`^3\\.2 \\S+-d ${PEER.pub.replace(/[~-]/g, '.')} FROM_PORT=6881 TO_PORT=6882$`));
    expect(pkt.subarray(nl + 1).toString()).toBe('hello');

    const got: GarlicDatagram[] = [];
    session.onDatagram((d) => got.push(d));
    const tx = createSocket('udp4');
    open.push({ close: () => tx.close() });
    tx.send(Buffer.concat([Buffer.from(`${PEER.pub} FROM_PORT=1 TO_PORT=2\n`), Buffer.from('rep')]), forwardTo.DATAGRAM, '127.0.0.1');
    tx.send(Buffer.concat([Buffer.from('FROM_PORT=3 TO_PORT=4 PROTOCOL=18\n'), Buffer.from('raw')]), forwardTo.RAW, '127.0.0.1');
    tx.send(Buffer.from('garbage without a header'), forwardTo.DATAGRAM, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 100));
    expect(got.map((d) => [d.kind, d.from ?? null, d.fromPort, d.toPort, Buffer.from(d.payload).toString()])).toEqual(
      expect.arrayContaining([
        ['repliable', PEER.pub, 1, 2, 'rep'],
        ['raw', null, 3, 4, 'raw'],
      ]),
    );
    expect(got).toHaveLength(2);
  });
});
