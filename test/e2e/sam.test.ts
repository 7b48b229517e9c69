// The SAM v3 bridge of real anon-router processes (a testnet of six on 127.0.1.x, each with its
// own SAM ports), driven by SAM clients over TCP and UDP: ours (a line client), and two nobody
// here wrote — the npm package @diva.exchange/i2p-sam and Debian's txi2p (python3-txi2p-tahoe).
// Streams are checked by SHA-256; datagrams by content and ports. Each external client gets its
// own routers, so the commands it sent can be read from those routers' SAM counters.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatagram, createForward, createRaw, createStream, lookup, toB32 } from '@diva.exchange/i2p-sam';
import { callControl } from '../../src/router/api/control/client.js';
import type { RouterStatus } from '../../src/router/api/control/protocol.js';
import { b32FromHash, decodeDestination, decodePrivateKeys, encodeKeysAndCert, i2pBase64Decode, i2pBase64Encode, keysAndCertHash } from '../../src/router/data/index.js';
import { testnetDown } from '../../src/router/testnet/index.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';
import { fields, LineClient } from '../unit/sam/line-client.js';

const tmp = mkdtempSync(join(tmpdir(), 'anon-e2e-sam-'));
const dir = join(tmp, 'tn');
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const HOPS = 'inbound.length=2 outbound.length=2';
const STREAM_BYTES = 64 * 1024;
// More than the routers' transit buckets hold (128 KB/s shared by default, 80 % for transit,
// four seconds of burst): hops drop tunnel messages and the streams must recover.
const BIG_STREAM_BYTES = 1024 * 1024;

type Sam = NonNullable<RouterStatus['sam']>;
const sock = (k: number) => join(dir, `r${k}`, 'router', 'control.sock');
const status = (k: number) => callControl(sock(k), 'status', undefined, { timeoutMs: 30_000 }) as Promise<RouterStatus>;
const sam: Record<number, Sam> = {};
const b32Of = (pub: string) => b32FromHash(keysAndCertHash(decodeDestination(i2pBase64Decode(pub))));

afterAll(async () => {
  if (existsSync(join(dir, 'testnet.json'))) await testnetDown(dir, { gracefulMs: 3_000, termMs: 2_000 });
  rmSync(tmp, { recursive: true, force: true });
});

async function session(k: number, line: string): Promise<{ c: LineClient; priv: string; pub: string }> {
  const c = await LineClient.hello(sam[k].port, sam[k].host);
  c.send(line);
  const r = await c.line();
  expect(r, r).toMatch(/^SESSION STATUS RESULT=OK DESTINATION=/);
  const priv = fields(r).DESTINATION;
  return { c, priv, pub: i2pBase64Encode(encodeKeysAndCert(decodePrivateKeys(i2pBase64Decode(priv)).destination)) };
}

function udpInbox(): Promise<{ sock: UdpSocket; port: number; got: Buffer[] }> {
  const s = createSocket('udp4');
  const got: Buffer[] = [];
  s.on('message', (m) => got.push(m));
  return new Promise((r) => s.bind(0, '127.0.0.1', () => r({ sock: s, port: s.address().port, got })));
}

function sendUdp(s: UdpSocket, k: number, head: string, payload: Uint8Array): Promise<void> {
  return new Promise((r, j) => s.send(Buffer.concat([Buffer.from(head), payload]), sam[k].udpPort, sam[k].host, (e) => (e ? j(e) : r())));
}

describe('the SAM bridge of a testnet of our routers', () => {
  beforeAll(async () => {
    const up = runCli('anon-router', ['testnet', 'up', '--routers', '6', '--floodfills', '2', '--dir', dir, '--json']);
    expect(up.status, up.stdout + up.stderr).toBe(0);
    for (let k = 1; k <= 6; k++) {
      const s = await status(k);
      expect(s.sam, `router ${k}: ${JSON.stringify(s.sam)}`).toMatchObject({ enabled: true, listening: true, host: `127.0.1.${k}` });
      sam[k] = s.sam!;
    }
    // Distinct ports: no two routers of the testnet collide, nor with a router on 7656.
    expect(new Set(Object.values(sam).map((s) => s.port)).size).toBe(6);
    const st = runCli('anon-router', ['testnet', 'status', '--dir', dir]);
    expect(st.stdout).toContain(`127.0.1.3:${sam[3].port}`);
    const rs = runCli('anon-router', ['status', '--home', join(dir, 'r3')]);
    expect(rs.stdout).toMatch(new RegExp(`sam\\s+127\\.0\\.1\\.3:${sam[3].port} \\(datagrams 127\\.0\\.1\\.3:${sam[3].udpPort}\\), listening, 0 sessions`));
    await waitFor('exploratory tunnels everywhere', async () => {
      for (let k = 1; k <= 6; k++) {
        const t = (await status(k)).tunnels;
        if (t.inbound < 1 || t.outbound < 1) return false;
      }
      return true;
    }, 90_000);
  }, 180_000);

  describe('with our own SAM client', () => {
    let a: Awaited<ReturnType<typeof session>>;
    let b: Awaited<ReturnType<typeof session>>;

    beforeAll(async () => {
      const gen = await LineClient.hello(sam[3].port, sam[3].host);
      gen.send('DEST GENERATE SIGNATURE_TYPE=EdDSA_SHA512_Ed25519');
      const keys = fields(await gen.line());
      gen.close();
      [a, b] = await Promise.all([session(3, `SESSION CREATE STYLE=STREAM ID=e2e-a DESTINATION=${keys.PRIV} ${HOPS}`), session(5, `SESSION CREATE STYLE=STREAM ID=e2e-b DESTINATION=TRANSIENT SIGNATURE_TYPE=7 ${HOPS}`)]);
      expect(a.pub).toBe(keys.PUB);
    }, 120_000);

    it('STREAM CONNECT and ACCEPT carry 1 MB each way at once, SHA-256 intact, through bandwidth-limited hops', async () => {
      const acc = await LineClient.hello(sam[3].port, sam[3].host);
      acc.send('STREAM ACCEPT ID=e2e-a');
      expect(await acc.line()).toBe('STREAM STATUS RESULT=OK');
      const con = await LineClient.hello(sam[5].port, sam[5].host);
      const t0 = Date.now();
      con.send(`STREAM CONNECT ID=e2e-b DESTINATION=${b32Of(a.pub)} FROM_PORT=4321 TO_PORT=80`);
      expect(await con.line()).toBe('STREAM STATUS RESULT=OK');
      const connectMs = Date.now() - t0;
      expect(await acc.line()).toBe(`${b.pub} FROM_PORT=4321 TO_PORT=80`);
      const up = randomBytes(BIG_STREAM_BYTES);
      const down = randomBytes(BIG_STREAM_BYTES);
      const t1 = Date.now();
      con.write(up);
      acc.write(down);
      const [gotUp, gotDown] = await Promise.all([acc.bytes(up.length), con.bytes(down.length)]);
      const transferMs = Date.now() - t1;
      expect(sha(gotUp)).toBe(sha(up));
      expect(sha(gotDown)).toBe(sha(down));
      con.socket.end();
      acc.socket.end();
      await Promise.all([acc.waitClosed(), con.waitClosed()]);
      // Drops by the bandwidth buckets are never silent: every router reports them.
      const dropped = { transit: 0, own: 0 };
      for (let k = 1; k <= 6; k++) {
        const d = (await status(k)).bandwidth.dropped;
        expect(d, `router ${k}`).toMatchObject({ transit: expect.any(Number), own: expect.any(Number) });
        dropped.transit += d!.transit;
        dropped.own += d!.own;
      }
      console.log(`SAM stream over 2-hop tunnels: connect ${connectMs} ms, ${BIG_STREAM_BYTES} bytes each way in ${transferMs} ms; tunnel messages dropped over the bandwidth limits: ${JSON.stringify(dropped)}`);
    }, 240_000);

    it('STREAM FORWARD hands incoming streams to a local server', async () => {
      const seen: Buffer[] = [];
      const server = createServer({ allowHalfOpen: true }, (s: Socket) => {
        const chunks: Buffer[] = [];
        s.on('data', (c) => chunks.push(c));
        s.on('end', () => {
          const all = Buffer.concat(chunks);
          seen.push(all);
          s.end(sha(all.subarray(all.indexOf(0x0a) + 1)));
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      const fwd = await LineClient.hello(sam[5].port, sam[5].host);
      fwd.send(`STREAM FORWARD ID=e2e-b PORT=${(server.address() as { port: number }).port} HOST=127.0.0.1`);
      expect(await fwd.line()).toBe('STREAM STATUS RESULT=OK');
      const con = await LineClient.hello(sam[3].port, sam[3].host);
      con.send(`STREAM CONNECT ID=e2e-a DESTINATION=${b.pub}`);
      expect(await con.line()).toBe('STREAM STATUS RESULT=OK');
      const body = randomBytes(STREAM_BYTES);
      const t0 = Date.now();
      con.write(body);
      con.socket.end();
      expect((await con.rest()).toString()).toBe(sha(body));
      console.log(`STREAM FORWARD: ${STREAM_BYTES} bytes, half-close, answer and close in ${Date.now() - t0} ms`);
      expect(seen[0].subarray(0, seen[0].indexOf(0x0a)).toString()).toBe(`${a.pub} FROM_PORT=0 TO_PORT=0`);
      fwd.close();
      server.close();
    }, 120_000);

    it('NAMING LOOKUP answers ME, b32 addresses (with and without a session) and address-book names', async () => {
      b.c.send('NAMING LOOKUP NAME=ME');
      expect(await b.c.line()).toBe(`NAMING REPLY RESULT=OK NAME=ME VALUE=${b.pub}`);
      b.c.send(`NAMING LOOKUP NAME=${b32Of(a.pub)}`);
      expect(await b.c.line()).toBe(`NAMING REPLY RESULT=OK NAME=${b32Of(a.pub)} VALUE=${a.pub}`);
      // No session on this connection: the router looks the LeaseSet up itself.
      const bare = await LineClient.hello(sam[5].port, sam[5].host);
      bare.send(`NAMING LOOKUP NAME=${b32Of(a.pub)}`);
      expect(await bare.line()).toBe(`NAMING REPLY RESULT=OK NAME=${b32Of(a.pub)} VALUE=${a.pub}`);
      await callControl(sock(5), 'names.add', { name: 'alice.i2p', destination: a.pub });
      bare.send('NAMING LOOKUP NAME=alice.i2p');
      expect(await bare.line()).toBe(`NAMING REPLY RESULT=OK NAME=alice.i2p VALUE=${a.pub}`);
      bare.send('NAMING LOOKUP NAME=nobody.i2p');
      expect(await bare.line()).toMatch(/^NAMING REPLY RESULT=KEY_NOT_FOUND NAME=nobody.i2p MESSAGE=/);
      bare.close();
    }, 120_000);

    it('DATAGRAM and RAW sessions over the UDP bridge, with ports, forwarded and on the control socket', async () => {
      const inbox = await udpInbox();
      try {
        const [dg, raw, dg2] = await Promise.all([
          session(3, `SESSION CREATE STYLE=DATAGRAM ID=e2e-dg DESTINATION=TRANSIENT PORT=${inbox.port} ${HOPS}`),
          session(5, `SESSION CREATE STYLE=RAW ID=e2e-raw DESTINATION=TRANSIENT PORT=${inbox.port} HEADER=true ${HOPS}`),
          session(5, `SESSION CREATE STYLE=DATAGRAM ID=e2e-dg2 DESTINATION=TRANSIENT ${HOPS}`),
        ]);
        // Repliable, 5 → 3, forwarded to our UDP inbox with the sender and the ports.
        const payload = randomBytes(10_000);
        await waitFor('a repliable datagram at the inbox', async () => {
          if (inbox.got.length === 0) await sendUdp(inbox.sock, 5, `3.3 e2e-dg2 ${dg.pub} FROM_PORT=7 TO_PORT=8\n`, payload);
          return inbox.got.length > 0;
        }, 60_000, 3_000);
        const m = inbox.got.shift()!;
        const nl = m.indexOf(0x0a);
        expect(m.subarray(0, nl).toString()).toBe(`${dg2.pub} FROM_PORT=7 TO_PORT=8`);
        expect(sha(m.subarray(nl + 1))).toBe(sha(payload));
        inbox.got.length = 0;
        // The reply to the sender's destination arrives on its control socket.
        await sendUdp(inbox.sock, 3, `3.0 e2e-dg ${dg2.pub}\n`, Buffer.from('pong'));
        expect(await dg2.c.line()).toBe(`DATAGRAM RECEIVED DESTINATION=${dg.pub} SIZE=4 FROM_PORT=0 TO_PORT=0`);
        expect((await dg2.c.bytes(4)).toString()).toBe('pong');
        // Raw, 3 → 5 by RAW SEND on a RAW session of router 3, forwarded with HEADER=true.
        const raw3 = await session(3, `SESSION CREATE STYLE=RAW ID=e2e-raw3 DESTINATION=TRANSIENT ${HOPS}`);
        await waitFor('a raw datagram at the inbox', async () => {
          if (inbox.got.length === 0) raw3.c.write(Buffer.concat([Buffer.from(`RAW SEND DESTINATION=${raw.pub} SIZE=9 FROM_PORT=11 TO_PORT=12\n`), Buffer.from('raw bytes')]));
          return inbox.got.length > 0;
        }, 60_000, 3_000);
        expect(inbox.got[0].toString()).toBe('FROM_PORT=11 TO_PORT=12 PROTOCOL=18\nraw bytes');
        for (const s of [dg, raw, dg2, raw3]) s.c.close();
      } finally {
        inbox.sock.close();
      }
    }, 180_000);

    it('PRIMARY sessions carry a stream and a datagram subsession on one destination', async () => {
      const p = await session(3, `SESSION CREATE STYLE=PRIMARY ID=e2e-p DESTINATION=TRANSIENT ${HOPS}`);
      p.c.send('SESSION ADD STYLE=STREAM ID=e2e-p-st FROM_PORT=80');
      expect(await p.c.line()).toMatch(/^SESSION STATUS RESULT=OK ID=e2e-p-st/);
      p.c.send('SESSION ADD STYLE=DATAGRAM ID=e2e-p-dg LISTEN_PORT=53');
      expect(await p.c.line()).toMatch(/^SESSION STATUS RESULT=OK ID=e2e-p-dg/);
      const acc = await LineClient.hello(sam[3].port, sam[3].host);
      acc.send('STREAM ACCEPT ID=e2e-p-st');
      expect(await acc.line()).toBe('STREAM STATUS RESULT=OK');
      const con = await LineClient.hello(sam[5].port, sam[5].host);
      con.send(`STREAM CONNECT ID=e2e-b DESTINATION=${p.pub} TO_PORT=80`);
      expect(await con.line()).toBe('STREAM STATUS RESULT=OK');
      expect(await acc.line()).toBe(`${b.pub} FROM_PORT=0 TO_PORT=80`);
      con.write('to the primary');
      expect((await acc.bytes(14)).toString()).toBe('to the primary');
      // A datagram to port 53 goes to the datagram subsession, on the primary's control socket.
      const sender = await session(5, `SESSION CREATE STYLE=DATAGRAM ID=e2e-p-sender DESTINATION=TRANSIENT ${HOPS}`);
      const inbox = await udpInbox();
      const line = p.c.line();
      await waitFor('the datagram at the subsession', async () => {
        await sendUdp(inbox.sock, 5, `3.3 e2e-p-sender ${p.pub} TO_PORT=53\n`, Buffer.from('dns?'));
        return Promise.race([line.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 3_000))]);
      }, 60_000, 0);
      expect(await line).toBe(`DATAGRAM RECEIVED DESTINATION=${sender.pub} SIZE=4 FROM_PORT=0 TO_PORT=53`);
      inbox.sock.close();
      for (const c of [p.c, sender.c, acc, con]) c.close();
    }, 180_000);

    it('garbage and a 1 MB line get an error reply, and the router still answers', async () => {
      const g = await LineClient.open(sam[3].port, sam[3].host);
      g.write(randomBytes(2048));
      expect(await g.line().catch(() => 'closed')).toMatch(/^HELLO REPLY RESULT=I2P_ERROR|^closed$/);
      const l = await LineClient.hello(sam[3].port, sam[3].host);
      l.write(Buffer.alloc(1 << 20, 0x41));
      expect(await l.line()).toBe('SESSION STATUS RESULT=I2P_ERROR MESSAGE="line longer than 16384 bytes"');
      await l.waitClosed();
      const s = await status(3);
      expect(s.sam?.listening).toBe(true);
      const ok = await LineClient.hello(sam[3].port, sam[3].host);
      ok.send('PING alive');
      expect(await ok.line()).toBe('PONG alive');
      ok.close();
      // The sessions of this describe still work after that.
      a.c.send('NAMING LOOKUP NAME=ME');
      expect(await a.c.line()).toBe(`NAMING REPLY RESULT=OK NAME=ME VALUE=${a.pub}`);
    }, 60_000);
  });

  describe('with SAM clients nobody here wrote', () => {
    /** SAM commands the routers ks counted, minus those counted before (`since`). */
    const commandsOf = async (ks: number[], since: Record<string, number> = {}) => {
      const out: Record<string, number> = {};
      for (const k of ks) for (const [c, n] of Object.entries((await status(k)).sam?.commands ?? {})) out[c] = (out[c] ?? 0) + n;
      for (const [c, n] of Object.entries(since)) out[c] -= n;
      return Object.fromEntries(Object.entries(out).filter(([, n]) => n > 0));
    };

    it('@diva.exchange/i2p-sam: streams (forward and connect), repliable and raw datagrams, lookup', async () => {
      const before = await commandsOf([4, 6]);
      const samAt = (k: number) => ({ host: sam[k].host, portTCP: sam[k].port, portUDP: sam[k].udpPort });
      // A forward on router 4 to a local echo server; a stream to it from router 6.
      const echo = createServer((s) => s.pipe(s));
      await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
      const fwd = await createForward({ sam: samAt(4), forward: { host: '127.0.0.1', port: (echo.address() as { port: number }).port, silent: true } });
      const stream = await createStream({ sam: samAt(6), stream: { destination: fwd.getPublicKey() } });
      const body = randomBytes(STREAM_BYTES);
      const got: Buffer[] = [];
      let n = 0;
      const done = new Promise<void>((r) =>
        stream.on('data', (d: Buffer) => {
          got.push(d);
          n += d.length;
          if (n >= body.length) r();
        }),
      );
      stream.stream(body);
      await done;
      expect(sha(Buffer.concat(got))).toBe(sha(body));
      // Its lookup: a b32 name through NAMING LOOKUP.
      const found = await lookup({ sam: samAt(6) }, `${toB32(fwd.getPublicKey())}.b32.i2p`);
      expect(found).toBe(fwd.getPublicKey().replace(/=+$/, ''));
      stream.close();
      fwd.close();
      echo.close();
      // Datagrams: B listens on a UDP port (the bridge forwards to it), A sends through its bridge.
      const inboxPort = 20000 + Math.floor(Math.random() * 10000);
      const peerB = await createDatagram({ sam: samAt(6), listen: { address: '127.0.0.1', port: inboxPort } });
      const received: { data: string; from: string }[] = [];
      peerB.on('data', (data: Buffer, from: string) => received.push({ data: data.toString(), from }));
      const peerA = await createDatagram({ sam: samAt(4) });
      await waitFor('a repliable datagram through diva', async () => {
        peerA.send(peerB.getPublicKey(), Buffer.from('hello from diva'));
        return received.length > 0;
      }, 60_000, 3_000);
      expect(received[0].data).toBe('hello from diva');
      // The sender's destination heads the forwarded datagram (then the 3.2 ports).
      expect(received[0].from.split(' ')[0].replace(/=+$/, '')).toBe(peerA.getPublicKey().replace(/=+$/, ''));
      const rawB = await createRaw({ sam: samAt(4), listen: { address: '127.0.0.1', port: inboxPort + 1 } });
      const rawGot: string[] = [];
      rawB.on('data', (d: Buffer) => rawGot.push(d.toString()));
      const rawA = await createRaw({ sam: samAt(6) });
      await waitFor('a raw datagram through diva', async () => {
        rawA.send(rawB.getPublicKey(), Buffer.from('raw from diva'));
        return rawGot.length > 0;
      }, 60_000, 3_000);
      expect(rawGot[0]).toBe('raw from diva');
      for (const x of [peerA, peerB, rawA, rawB]) x.close();
      const used = await commandsOf([4, 6], before);
      const udp = [(await status(4)).sam?.datagrams, (await status(6)).sam?.datagrams];
      console.log('SAM commands @diva.exchange/i2p-sam sent:', JSON.stringify(used), 'and over the UDP bridge (routers 4, 6):', JSON.stringify(udp));
      expect(udp.reduce((n, d) => n + (d?.in ?? 0), 0)).toBeGreaterThanOrEqual(2);
      expect(Object.keys(used).sort()).toEqual(['DEST GENERATE', 'HELLO VERSION', 'NAMING LOOKUP', 'SESSION CREATE', 'STREAM CONNECT', 'STREAM FORWARD']);
    }, 240_000);

    it("Debian's txi2p (python3-txi2p-tahoe): DEST GENERATE, sessions, lookup, an echo stream", async () => {
      const before = await commandsOf([1, 2]);
      const python = '/usr/bin/python3';
      const r = spawnSync(python, [resolve(ROOT, 'test/helpers/sam-txi2p.py'), sam[1].host, String(sam[1].port), sam[2].host, String(sam[2].port), join(tmp, 'txi2p.keys'), String(STREAM_BYTES)], { encoding: 'utf8', timeout: 250_000 });
      const out = r.stdout.trim().split('\n').pop() ?? '';
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      const res = JSON.parse(out) as { ok: boolean; echoed: number; generated: string; server: string };
      expect(res).toMatchObject({ ok: true, echoed: STREAM_BYTES });
      // The server ran on the keys DEST GENERATE gave.
      expect(res.server).toBe(res.generated);
      const used = await commandsOf([1, 2], before);
      console.log('SAM commands txi2p sent:', JSON.stringify(used));
      expect(Object.keys(used).sort()).toEqual(['DEST GENERATE', 'HELLO VERSION', 'NAMING LOOKUP', 'SESSION CREATE', 'STREAM ACCEPT', 'STREAM CONNECT']);
    }, 260_000);
  });
});
