// NTCP2 against real i2pd 2.45 routers in a private network (../shared/interop/i2pd-testnet.sh):
// our router (the real `anon-router start`, inside the network's namespace on 198.18.1.1)
// dials i2pd, is dialed by i2pd, carries 100 netDb round trips, and refuses / is refused by a
// router of another network id.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decodeRouterInfo, i2pBase64Encode, keysAndCertHash, parseB32Address } from '../../src/router/data/index.js';
import { ROOT } from '../helpers/cli.js';
import { describeWithI2pd, I2pdTestnet, TESTNET_SCRIPT } from '../helpers/i2pd.js';
import { NamespacedRouter } from '../helpers/ns-router.js';
import { waitFor } from '../helpers/wait.js';

const I2PD_ROUTERS = 4;

interface TransportInfo {
  failedHandshakes: number;
  sessionList: { peer: string; direction: 'inbound' | 'outbound'; remote: string }[];
}

describeWithI2pd('NTCP2 with i2pd', () => {
  let net: I2pdTestnet;
  let ours: NamespacedRouter;
  let work: string;
  let ourHash = '';
  const i2pdHash: string[] = [];

  beforeAll(async () => {
    net = new I2pdTestnet(I2PD_ROUTERS);
    net.up(false);
    for (let k = 1; k <= I2PD_ROUTERS; k++) {
      const ri = decodeRouterInfo(new Uint8Array(readFileSync(join(net.routerDir(k), 'router.info'))));
      i2pdHash[k] = i2pBase64Encode(keysAndCertHash(ri.identity));
    }
    work = mkdtempSync(join(tmpdir(), 'anon-ntcp2-interop-'));
    // Reseed with router 1 (a floodfill) alone: every other i2pd router we meet must have
    // learned about us from the network and dialed us itself.
    const reseed = join(work, 'reseed');
    mkdirSync(reseed);
    copyFileSync(join(net.routerDir(1), 'router.info'), join(reseed, `routerInfo-${i2pdHash[1]}.dat`));
    ours = new NamespacedRouter(net, join(work, 'home'));
    const status = await ours.start(['--host', '198.18.1.1', '--port', String(net.basePort + 501), '--netid', '99', '--testnet', '--reseed', reseed]);
    ourHash = status.identity.hash;
  });

  afterAll(async () => {
    await ours?.stop();
    net?.down();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('finds i2pd routers it was never told about (reseeded with one floodfill only)', async () => {
    for (let k = 2; k <= I2PD_ROUTERS; k++) {
      const r = await ours.call<{ found: boolean; source: string; router?: { hash: string; ntcp2: string[] } }>('netdb.find', { key: i2pdHash[k], timeoutMs: 20_000 }, 30_000);
      expect(r.found, `i2pd router ${k}`).toBe(true);
      expect(r.router!.hash).toBe(i2pdHash[k]);
      expect(r.router!.ntcp2[0]).toMatch(new RegExp(`^198\\.18\\.0\\.${k}:`));
    }
    const stats = await ours.call<{ routerInfos: number }>('netdb.stats');
    expect(stats.routerInfos).toBeGreaterThanOrEqual(I2PD_ROUTERS);
  });

  it('we dial i2pd: the handshake completes, we get its RouterInfo, and i2pd stores ours', async () => {
    await waitFor('a session with i2pd router 1', async () => (await ours.call<{ connected: string[] }>('peers')).connected.includes(i2pdHash[1]), 30_000);
    const status = await ours.status();
    expect(status.peers.known).toBeGreaterThanOrEqual(1);
    // i2pd writes its netDb to disk about once a minute.
    const file = join(net.routerDir(1), 'netDb', `r${ourHash[0]}`, `routerInfo-${ourHash}.dat`);
    await waitFor(`i2pd router 1 to store our RouterInfo (${file})`, () => existsSync(file), 100_000, 2_000);
    const stored = decodeRouterInfo(new Uint8Array(readFileSync(file)));
    expect(i2pBase64Encode(keysAndCertHash(stored.identity))).toBe(ourHash);
    // Nothing in i2pd's log complains about us at error level.
    const short = ourHash.slice(0, 10);
    for (let k = 1; k <= I2PD_ROUTERS; k++) {
      const errors = readFileSync(join(net.routerDir(k), 'i2pd.log'), 'utf8')
        .split('\n')
        .filter((l) => /\/error - /.test(l) && l.includes(short));
      expect(errors, `i2pd router ${k} log`).toEqual([]);
    }
  });

  it('the data phase carries 100 DatabaseLookup round trips to an i2pd floodfill without a session error', async () => {
    const before = await ours.call<TransportInfo>('transport');
    const known = (await ours.call<{ known: string[] }>('peers')).known;
    let stores = 0;
    let searchReplies = 0;
    for (let i = 0; i < 100; i++) {
      // Even: a router the floodfill knows (→ DatabaseStore); odd: a random key (→ DatabaseSearchReply).
      const key = i % 2 === 0 ? known[i % known.length] : i2pBase64Encode(new Uint8Array(32).map(() => Math.floor(Math.random() * 256)));
      const r = await ours.call<{ kind: string; floodfill: string }>('netdb.lookup', { key, floodfill: i2pdHash[1], timeoutMs: 10_000 }, 15_000);
      expect(r.floodfill).toBe(i2pdHash[1]);
      if (r.kind === 'store') stores++;
      else searchReplies++;
    }
    expect(stores + searchReplies).toBe(100);
    expect(stores).toBeGreaterThanOrEqual(50);
    expect(searchReplies).toBeGreaterThanOrEqual(1);
    const after = await ours.call<TransportInfo>('transport');
    expect(after.failedHandshakes).toBe(before.failedHandshakes);
    expect(after.sessionList.some((s) => s.peer === i2pdHash[1])).toBe(true);
  });

  it('publishes its RouterInfo to i2pd floodfills, each store confirmed by a DeliveryStatus', async () => {
    const r = await ours.call<{ confirmed: string[]; unconfirmed: string[] }>('netdb.publish', {}, 30_000);
    expect(r.confirmed.length).toBeGreaterThanOrEqual(1);
    const floodfills = new Set(i2pdHash.slice(1, 3)); // the script makes routers 1..2 floodfills for 4 routers
    for (const h of r.confirmed) expect(floodfills.has(h)).toBe(true);
    const stats = await ours.call<{ publishing: { confirmed: number; wrapped: number; published: number } }>('netdb.stats');
    expect(stats.publishing.confirmed).toBeGreaterThanOrEqual(r.confirmed.length);
    // Sent in garlic to each floodfill's router key: i2pd opened it and acknowledged the store.
    expect(stats.publishing.wrapped).toBe(stats.publishing.published);
  });

  it("looks up the eepsite's LeaseSet2 by its b32 address through i2pd floodfills: verified, with its leases", async () => {
    const b32 = net.script('b32').trim();
    const key = i2pBase64Encode(parseB32Address(b32));
    type Found = { found: boolean; leaseSet?: { destination: string; leases: { gateway: string; tunnelId: number }[] } };
    let r: Found | undefined;
    // The eepsite publishes once its tunnels are up; i2pd 2.45 may skip its first
    // publication (the script's "LeaseSet race"): restart the eepsite as the script does
    // when 60 s pass without it. Bounded: 300 s.
    const deadline = Date.now() + 300_000;
    let lastBounce = Date.now();
    while (Date.now() < deadline) {
      r = await ours.call<Found>('netdb.findLeaseSet', { key, timeoutMs: 10_000 }, 20_000);
      if (r.found) break;
      if (Date.now() - lastBounce > 60_000) {
        await net.bounceEepsite();
        lastBounce = Date.now();
      }
      await new Promise((w) => setTimeout(w, 3_000));
    }
    expect(r!.found).toBe(true);
    expect(r!.leaseSet!.destination).toBe(b32);
    expect(r!.leaseSet!.leases.length).toBeGreaterThanOrEqual(1);
    // Each gateway is one of the network's routers: an i2pd router, or ours (i2pd builds its
    // eepsite's inbound tunnels through our router too, now that it carries transit tunnels).
    for (const l of r!.leaseSet!.leases) {
      expect([...i2pdHash, ourHash]).toContain(l.gateway);
      expect(l.tunnelId).toBeGreaterThan(0);
    }
  }, 420_000);

  it('i2pd dials us: our router, restarted knowing no one, is dialed by i2pd routers that hold its RouterInfo', async () => {
    // Same identity, same address, empty netDb: it cannot dial anyone, so every session it
    // gets is one an i2pd router opened, from the RouterInfo it learned from the network.
    await ours.stop();
    const home = join(work, 'home-fresh');
    mkdirSync(join(home, 'router'), { recursive: true, mode: 0o700 });
    for (const f of ['router.keys', 'ntcp2.keys']) copyFileSync(join(ours.home, 'router', f), join(home, 'router', f));
    ours = new NamespacedRouter(net, home);
    const status = await ours.start(['--host', '198.18.1.1', '--port', String(net.basePort + 501), '--netid', '99', '--testnet']);
    expect(status.identity.hash).toBe(ourHash);
    expect(status.peers.known).toBe(0);
    const session = await waitFor(
      'an i2pd router to open a session to us',
      async () => (await ours.call<TransportInfo>('transport')).sessionList.find((x) => x.direction === 'inbound' && i2pdHash.includes(x.peer)),
      150_000,
      1_000,
    );
    expect(session.remote).toMatch(/^198\.18\.0\.\d+:\d+$/);
    // Its RouterInfo (from message 3) is now in our netDb.
    expect((await ours.call<{ known: string[] }>('peers')).known).toContain(session.peer);
  });

  it('a router of another network id: i2pd refuses ours, and ours refuses i2pd', async () => {
    const dial = (netId: number, host: string) =>
      JSON.parse(
        execFileSync('bash', [TESTNET_SCRIPT, 'exec', process.execPath, resolve(ROOT, 'test/interop/fixtures/ntcp2-dial.mjs'), join(net.routerDir(2), 'router.info'), String(netId), host], {
          env: { ...process.env, I2PDNET_DIR: net.dir, I2PDNET_BASEPORT: String(net.basePort) },
          encoding: 'utf8',
          timeout: 60_000,
        }).trim(),
      );
    // Control: the same dial with the right network id completes.
    expect(dial(99, '198.18.1.20')).toMatchObject({ result: 'established', peerHashMatches: true });
    const refused = dial(98, '198.18.1.21');
    expect(refused.result).toBe('closed');
    expect(refused.duringHandshake).toBe(true);

    // Our side: the same router restarted on network 98. i2pd still holds our RouterInfo
    // (network 99) and dials us; we refuse message 1.
    await ours.stop();
    await ours.start(['--netid', '98']);
    await waitFor(
      'our router to refuse an i2pd handshake for its network id',
      () => /ntcp2 handshake refused.*remote=198\.18\.0\.\d+ reason="handshake: network id 99, ours is 98"/.test(readFileSync(ours.log, 'utf8')),
      120_000,
      1_000,
    );
    const t = await ours.call<TransportInfo>('transport');
    expect(t.sessionList).toEqual([]);
  });
});

