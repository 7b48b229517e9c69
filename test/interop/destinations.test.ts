// Destinations of ours with real i2pd 2.45 routers (../shared/interop/i2pd-testnet.sh): i2pd
// finds our destination's LeaseSet2 (published through our tunnels to its floodfills) and sends
// to it unprompted. (SAM's NAMING LOOKUP would show the same more directly, but i2pd 2.45.1
// crashes on NAMING LOOKUP in these test networks: seen with and without a session.) An
// i2pd SAM client exchanges repliable and raw datagrams with it, end to end in
// ECIES-X25519-AEAD-Ratchet garlic, for over a thousand messages each way and across a NextKey
// DH ratchet that our side starts.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decodePrivateKeys, encodeKeysAndCert, i2pBase64Decode, i2pBase64Encode } from '../../src/router/data/index.js';
import { ROOT } from '../helpers/cli.js';
import { describeWithI2pd, I2pdTestnet, TESTNET_SCRIPT } from '../helpers/i2pd.js';
import { NamespacedRouter } from '../helpers/ns-router.js';
import { waitFor } from '../helpers/wait.js';

const I2PD_ROUTERS = 5;
const MESSAGES = 1_100;
const RATCHET_THRESHOLD = 300;

interface DestStatus {
  b32: string;
  destination: string;
  counters: { published: number; confirmed: number; received: number; sent: number; undecryptable: number; lookups: number };
  datagrams: { sent: number; received: number; refused: number };
}
interface Received {
  seq: number;
  at: number;
  kind: string;
  from?: string;
  fromPort: number;
  toPort: number;
  payload: string;
}

describeWithI2pd('our destinations and i2pd', () => {
  let net: I2pdTestnet;
  let ours: NamespacedRouter;
  let work: string;
  let dest: DestStatus;
  let peer: ChildProcess | undefined;
  let peerLines: AsyncIterator<string>;
  let i2pdDatagram = '';
  let i2pdRaw = '';
  const samPort = () => net.basePort + 10 * (I2PD_ROUTERS - 1) + 3;
  const env = () => ({ ...process.env, I2PDNET_DIR: net.dir, I2PDNET_BASEPORT: String(net.basePort) });

  beforeAll(async () => {
    net = new I2pdTestnet(I2PD_ROUTERS);
    net.up(true);
    work = mkdtempSync(join(tmpdir(), 'anon-dest-interop-'));
    ours = new NamespacedRouter(net, join(work, 'a'));
    // 4 MB/s: the burst below is ~100 KB/s of our own traffic, and i2pd's echoes may cross our
    // router as a hop too (transit gets 80% of the bandwidth); the default 128 KB/s would drop some.
    await ours.start(['--host', '198.18.1.2', '--port', String(net.basePort + 502), '--netid', '99', '--testnet', '--bandwidth', '4096', '--reseed', join(net.routerDir(I2PD_ROUTERS), 'netDb')]);
    await waitFor('exploratory tunnels', async () => {
      const t = (await ours.status()).tunnels;
      return t.inbound >= 1 && t.outbound >= 1;
    }, 90_000);
    dest = await ours.call<DestStatus>('dest.create', { hops: 2, ratchetThreshold: RATCHET_THRESHOLD });
    // Published through our tunnels, and acknowledged by an i2pd floodfill (DeliveryStatus back in).
    await waitFor('our LeaseSet2 stored and confirmed', async () => (await status()).counters.confirmed >= 1, 90_000, 1_000);
  }, 700_000);

  afterAll(async () => {
    if (peer?.pid) {
      try {
        process.kill(-peer.pid, 'SIGTERM');
        // Its last line: what the i2pd side counted (to tell a loss on the way there from one back).
        const last = await Promise.race([peerLines.next(), new Promise<undefined>((r) => setTimeout(() => r(undefined), 5_000))]);
        if (last && !last.done) console.log(`i2pd SAM peer: ${last.value}`);
      } catch {
        /* gone */
      }
    }
    await ours?.stop();
    net?.down();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const status = () => ours.call<DestStatus>('dest.status', { b32: dest.b32 });
  const received = (after = 0) => ours.call<Received[]>('dest.datagrams', { b32: dest.b32, after });
  const send = (to: string, payload: string, opts: { raw?: boolean; fromPort?: number; toPort?: number } = {}) =>
    ours.call('dest.sendDatagram', { b32: dest.b32, to, payload: Buffer.from(payload).toString('base64'), ...opts }, 60_000);

  it('repliable and raw datagrams travel both ways between our destination and i2pd SAM sessions', async () => {
    peer = spawn('bash', [TESTNET_SCRIPT, 'exec', 'python3', resolve(ROOT, 'test/helpers/sam-datagram.py'), String(samPort()), dest.destination, 'inbound.length=2', 'outbound.length=2', 'inbound.quantity=2', 'outbound.quantity=2'], {
      env: env(),
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true,
    });
    peerLines = createInterface({ input: peer.stdout! })[Symbol.asyncIterator]();
    const first = JSON.parse((await peerLines.next()).value as string) as { ok: boolean; datagramSession: string; rawSession: string };
    expect(first.ok).toBe(true);
    const publicOf = (priv: string) => i2pBase64Encode(encodeKeysAndCert(decodePrivateKeys(i2pBase64Decode(priv, 'keys')).destination));
    i2pdDatagram = publicOf(first.datagramSession);
    i2pdRaw = publicOf(first.rawSession);

    // i2pd speaks first: both its sessions send to our destination before we ever sent it
    // anything, so they found our LeaseSet2 in the netDb (where our tunnels published it).
    const hello = await waitFor('a raw datagram from i2pd, unprompted', async () => (await received()).find((d) => d.kind === 'raw' && Buffer.from(d.payload, 'base64').toString() === 'hello-from-i2pd'), 60_000, 250);
    expect(hello.from).toBeUndefined();
    // The repliable hello names its sender, verified, and brings i2pd's LeaseSet along in the
    // garlic: our answers need no lookup. (i2pd 2.45 may leave a new SAM session's LeaseSet
    // unpublished for minutes: it drops a publication asked for before its outbound tunnels exist.
    // Our lookups of LeaseSets i2pd published are in the streaming and apps interop tests.)
    const greeting = await waitFor('a repliable datagram from i2pd, unprompted', async () => (await received()).find((d) => d.kind === 'repliable' && Buffer.from(d.payload, 'base64').toString() === 'hello-datagram-from-i2pd'), 60_000, 250);
    expect(greeting.from).toBe(i2pdDatagram);

    // Repliable: ours → i2pd (ports 1234 → 5678), echoed back by i2pd to the sender it verified.
    const lookups = (await status()).counters.lookups;
    const t0 = Date.now();
    await send(i2pdDatagram, 'ping-1', { fromPort: 1234, toPort: 5678 });
    const echo = await waitFor('the echo from i2pd', async () => (await received()).find((d) => d.kind === 'repliable' && Buffer.from(d.payload, 'base64').toString() === 'ping-1'), 60_000, 100);
    const rttMs = Date.now() - t0;
    expect(echo.from).toBe(i2pdDatagram);
    // i2pd's SAM (2.45) sends its datagrams from port 0 to port 0: they arrive as such.
    expect([echo.fromPort, echo.toPort]).toEqual([0, 0]);

    // Raw: ours → i2pd's raw session, which sends the payload to our destination.
    const before = (await received()).at(-1)?.seq ?? 0;
    await send(i2pdRaw, 'raw-1', { raw: true, fromPort: 7, toPort: 9 });
    const raw = await waitFor('a raw datagram back from i2pd', async () => (await received(before)).find((d) => d.kind === 'raw' && Buffer.from(d.payload, 'base64').toString() === 'raw-1'), 60_000, 100);
    expect(Buffer.from(raw.payload, 'base64').toString()).toBe('raw-1');
    expect(raw.from).toBeUndefined();
    // Warm round trip (the session and LeaseSets are in place now).
    const w0 = Date.now();
    const seq = (await received()).at(-1)?.seq ?? 0;
    await send(i2pdDatagram, 'ping-warm');
    await waitFor('the warm echo', async () => (await received(seq)).some((d) => Buffer.from(d.payload, 'base64').toString() === 'ping-warm'), 30_000, 20);
    console.log(`datagram round trip with i2pd: first ${rttMs} ms, warm ${Date.now() - w0} ms; our LeaseSet lookups for it: ${(await status()).counters.lookups - lookups}`);
    // Both i2pd LeaseSets came with their hellos.
    expect((await status()).counters.lookups).toBe(lookups);
    expect((await status()).counters.undecryptable).toBe(0);
  }, 300_000);

  it(`a ratchet session with i2pd carries ${MESSAGES} messages each way and survives our NextKey ratchet`, async () => {
    const start = (await received()).at(-1)?.seq ?? 0;
    const sentBefore = (await status()).counters.sent;
    for (let i = 0; i < MESSAGES; i++) {
      await send(i2pdDatagram, `m-${i}`);
      // About 100 a second: tunnels, not the test, set the pace.
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, 100));
    }
    const distinct = (r: Received[]) => new Set(r.map((d) => Buffer.from(d.payload, 'base64').toString()).filter((p) => p.startsWith('m-'))).size;
    // Every echo, or what came once arrivals stopped for 5 s (datagrams may be lost).
    let seen = { n: -1, at: Date.now() };
    const got = await waitFor('the echoes', async () => {
      const r = await received(start);
      const n = distinct(r);
      if (n !== seen.n) seen = { n, at: Date.now() };
      return n === MESSAGES || (n >= 1_000 && Date.now() - seen.at >= 5_000) ? r : undefined;
    }, 180_000, 500).catch(async () => received(start));
    const s = await status();
    const session = await ours.call<{ sendTagSetId?: number; receiveTagSetId?: number; state: string; sendIndex?: number } | null>('dest.session', { b32: dest.b32, with: i2pdDatagram });
    const t = await ours.call<{ transit: { overLimit: number }; stats: { ownOverLimit: number } }>('tunnels.list');
    console.log(`bandwidth drops at our router: own ${t.stats.ownOverLimit}, transit ${t.transit.overLimit}`);
    const echoed = new Set(got.map((d) => Buffer.from(d.payload, 'base64').toString()));
    const missing = Array.from({ length: MESSAGES }, (_, i) => i).filter((i) => !echoed.has(`m-${i}`));
    console.log(`not echoed (${missing.length}): ${missing.slice(0, 40).join(' ')}`);
    console.log(`ratchet with i2pd: sent ${s.counters.sent - sentBefore}, echoed back ${distinct(got)} distinct (${got.length} received: datagrams may repeat); our send tag set ${session?.sendTagSetId}, receive tag set ${session?.receiveTagSetId}, state ${session?.state}; undecryptable ${s.counters.undecryptable}`);
    expect(s.counters.sent - sentBefore).toBe(MESSAGES);
    expect(distinct(got)).toBeGreaterThanOrEqual(1_000);
    // Each NextKey we send starts a new outbound tag set; i2pd answered (its key) and kept decrypting.
    expect(session?.state).toBe('established');
    expect(session?.sendTagSetId ?? 0).toBeGreaterThanOrEqual(1);
    expect(s.counters.undecryptable).toBe(0);
  }, 400_000);
});
