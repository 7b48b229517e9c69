// i2pd looks up our RouterInfo (real i2pd 2.45 routers, ../shared/interop/i2pd-testnet.sh).
//
// The design, and why it is honest:
// - Our floodfill F joins a network of i2pd routers, and the one i2pd floodfill is stopped: F is
//   the only live floodfill, so an i2pd router that wants a RouterInfo it lacks must ask F
//   (possibly after first trying the dead floodfill, then through its tunnels).
// - Our second router R is reseeded with F's RouterInfo alone and publishes 127.0.0.5 as its
//   address. i2pd 2.45.1 drops every incoming connection from 127/8 before the handshake
//   (NTCP2Server::HandleAccept checks IsInReservedRange on the remote address; see the script's
//   header), so R can dial F but never an i2pd router: no i2pd router ever sees R's RouterInfo in
//   an NTCP2 handshake or in the DatabaseStore we send on connect. The test network's i2pd
//   routers do connect out to reserved ranges (reservedrange = false), so once one of them has
//   R's RouterInfo it can reach R.
// - An i2pd client router C gets a SAM session whose tunnels must go through R
//   (explicitPeers=<R>): i2pd's TunnelPool::SelectExplicitPeers does not find R in its netDb and
//   calls NetDb::RequestDestination, a DatabaseLookup for R's hash to the closest floodfill.
//   (An i2pd router that is a hop of R's own tunnels, built through F, needs R's RouterInfo to
//   forward to R and looks it up the same way; C may be one of them.)
// Proof from our side: F logs (debug, component floodfill) each lookup it answers with the key,
// the asker (the i2pd router itself for a direct lookup, or the gateway of its reply tunnel) and
// the answer; we find "R's key, answered with the RouterInfo" for i2pd, then see C build its
// tunnels through R (the SAM session comes up; R accepts transit builds) and write R's
// RouterInfo into its netDb folder: C got it from F, the only place it could get it.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decodeRouterInfo, i2pBase64Encode, keysAndCertHash } from '../../src/router/data/index.js';
import { describeWithI2pd, I2pdTestnet, TESTNET_SCRIPT } from '../helpers/i2pd.js';
import { NamespacedRouter } from '../helpers/ns-router.js';
import { waitFor } from '../helpers/wait.js';

const I2PD_ROUTERS = 4;
/** The i2pd client: router N-1 runs SAM (routers 1..F are floodfills without it). */
const CLIENT = I2PD_ROUTERS - 1;
const R_HOST = '127.0.0.5';

// One SAM session (STREAM, transient) with the given options; prints one JSON line when
// SESSION CREATE answers, which i2pd does once the session's tunnels exist.
const SAM_SESSION = `
import json, socket, sys, time
port, options = int(sys.argv[1]), sys.argv[2:]
t0 = time.monotonic()
s = socket.create_connection(("127.0.0.1", port), timeout=240)
f = s.makefile("rb")
s.sendall(b"HELLO VERSION MIN=3.1 MAX=3.3\\n")
r = f.readline().decode().strip()
if "RESULT=OK" not in r: raise SystemExit(json.dumps({"ok": False, "error": r}))
s.sendall(("SESSION CREATE STYLE=STREAM ID=anonri%d DESTINATION=TRANSIENT SIGNATURE_TYPE=7 %s\\n" % (int(time.time() * 1000), " ".join(options))).encode())
r = f.readline().decode().strip()
print(json.dumps({"ok": "RESULT=OK" in r, "reply": r[:80], "seconds": round(time.monotonic() - t0, 1)}))
`;

interface Answered {
  key: string;
  from: string;
  type: string;
  answer: string;
}

/** The floodfill's "lookup answered" debug lines (logfmt; I2P base64 values are quoted). */
function answeredLookups(log: string): Answered[] {
  const out: Answered[] = [];
  for (const line of log.split('\n')) {
    if (!line.includes('msg="lookup answered"')) continue;
    const field = (name: string) => /"([^"]*)"|(\S+)/.exec(line.split(` ${name}=`)[1] ?? '')?.slice(1).find((v) => v !== undefined) ?? '';
    out.push({ key: field('key'), from: field('from'), type: field('type'), answer: field('answer') });
  }
  return out;
}

describeWithI2pd('i2pd looks up our RouterInfo at our floodfill', () => {
  let net: I2pdTestnet;
  let ff: NamespacedRouter;
  let r: NamespacedRouter;
  let work: string;
  let ffHash = '';
  let rHash = '';
  let i2pdHashes: string[] = [];

  beforeAll(async () => {
    // One i2pd floodfill (router 1), one-hop client tunnels.
    net = new I2pdTestnet(I2PD_ROUTERS, undefined, { I2PDNET_FLOODFILLS: '1', I2PDNET_HOPS: '1' });
    net.up(false);
    i2pdHashes = Array.from({ length: I2PD_ROUTERS }, (_, i) => readFileSync(join(net.routerDir(i + 1), 'ident.b64'), 'utf8').trim());
    work = mkdtempSync(join(tmpdir(), 'anon-ri-lookup-'));
    ff = new NamespacedRouter(net, join(work, 'ff'));
    ffHash = (
      await ff.start([
        '--host', '198.18.1.2', '--port', String(net.basePort + 502), '--netid', '99', '--testnet', '--floodfill', '--log-level', 'debug',
        '--reseed', join(net.routerDir(I2PD_ROUTERS), 'netDb'),
      ])
    ).identity.hash;
    // C must know F (from F's handshake) before F is the only floodfill.
    await waitFor('F in session with the i2pd client', async () => (await ff.call<{ connected: string[] }>('peers')).connected.includes(i2pdHashes[CLIENT - 1]), 30_000);
    await net.stopRouter(1);
    const seeds = join(work, 'seeds');
    mkdirSync(seeds);
    copyFileSync(join(ff.home, 'router', 'router.info'), join(seeds, `routerInfo-${ffHash}.dat`));
    r = new NamespacedRouter(net, join(work, 'r'));
    rHash = (await r.start(['--host', R_HOST, '--port', String(net.basePort + 503), '--netid', '99', '--testnet', '--reseed', seeds])).identity.hash;
    await waitFor('F to hold R', async () => (await ff.call<{ known: string[] }>('peers')).known.includes(rHash), 30_000);
  }, 300_000);

  afterAll(async () => {
    await r?.stop();
    await ff?.stop();
    net?.down();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('an i2pd router that never met R asks our floodfill for R, gets it, and builds tunnels through R', async () => {
    const clientHash = i2pdHashes[CLIENT - 1];
    const riFile = join(net.routerDir(CLIENT), 'netDb', `r${rHash[0]}`, `routerInfo-${rHash}.dat`);
    // R's dials to i2pd routers are dropped before any handshake: its only session is with F
    // (an i2pd router could have dialed R meanwhile only after looking R up at F).
    const rPeers = await r.call<{ connected: string[] }>('peers');
    expect(rPeers.connected).toContain(ffHash);
    expect(existsSync(riFile)).toBe(false);
    const transitBefore = (await r.status()).tunnels.transitRequests.accepted;

    // Asynchronously: our routers' logs reach their files through this process's event loop.
    const { stdout: out } = await promisify(execFile)(
      'bash',
      [TESTNET_SCRIPT, 'exec', 'python3', '-c', SAM_SESSION, String(net.basePort + 10 * CLIENT + 3),
        `explicitPeers=${rHash}`, 'inbound.length=1', 'outbound.length=1', 'inbound.quantity=1', 'outbound.quantity=1'],
      { env: { ...process.env, I2PDNET_DIR: net.dir, I2PDNET_BASEPORT: String(net.basePort) }, encoding: 'utf8', timeout: 260_000 },
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const session = JSON.parse(out.trim().split('\n').pop()!) as { ok: boolean; reply: string; seconds: number };

    const lookups = answeredLookups(readFileSync(ff.log, 'utf8')).filter((l) => l.key === rHash);
    // R itself asks too (verifying its own publication): only i2pd's lookups count here.
    const served = lookups.filter((l) => l.answer === 'routerinfo' && i2pdHashes.includes(l.from));
    const transitAfter = (await r.status()).tunnels.transitRequests.accepted;
    console.log(
      `SAM session through R: ${session.reply} after ${session.seconds} s; F answered ${lookups.length} lookup(s) for R: ` +
        lookups.map((l) => `${l.type} from ${l.from === clientHash ? 'C' : l.from === rHash ? 'R itself' : l.from === ffHash ? 'F (a reply gateway)' : `i2pd router ${i2pdHashes.indexOf(l.from) + 1}`} -> ${l.answer}`).join(', ') +
        `; R accepted ${transitAfter - transitBefore} transit tunnel(s); R's sessions before: ${rPeers.connected.length}`,
    );
    // F served R's RouterInfo to i2pd: to C directly, or to the gateway of the reply tunnel C
    // (or another i2pd router that needed R: e.g. a hop of R's own tunnels) named.
    expect(served.length).toBeGreaterThanOrEqual(1);
    // C then built its session's tunnels through R alone.
    expect(session.ok).toBe(true);
    expect(transitAfter).toBeGreaterThan(transitBefore);

    // And C keeps R's RouterInfo: i2pd writes its netDb folder about once a minute.
    const ri = await waitFor('C to write R into its netDb', () => {
      try {
        return decodeRouterInfo(new Uint8Array(readFileSync(riFile)));
      } catch {
        return undefined;
      }
    }, 150_000, 2_000);
    expect(i2pBase64Encode(keysAndCertHash(ri.identity))).toBe(rHash);
    expect(ri.addresses.some((a) => a.options.get('host') === R_HOST)).toBe(true);
  }, 480_000);
});
