// Our SAM client backend (src/apps/garlic/sam-client.ts) against i2pd 2.45.1's SAM bridges on two
// routers of a private i2pd network (../shared/interop/i2pd-testnet.sh): a session on router N
// listens (STREAM FORWARD), a session on router N-1 connects to its b32 and data goes both ways
// (SHA-256 checked); repliable and raw datagrams over the bridges' UDP ports; the i2pd eepsite's
// /1k.bin fetched over a stream of ours. The client runs inside the namespace (the bridges listen
// on its 127.0.0.1), as a node script over dist/ (npx tsc -p tsconfig.build.json first).
//
// What i2pd 2.45.1 does not do, asserted as such: it speaks SAM 3.1 only, so there are no PRIMARY
// sessions (datagrams get destinations of their own) and no I2CP ports (the client refuses
// non-zero ports instead of dropping them; what arrives carries 0 → 0).
//
// NAMING LOOKUP, STREAM ACCEPT and STREAM CONNECT to a full base64 destination make i2pd 2.45.1
// touch its address-book storage, which is a null pointer when the address book is disabled (as
// the test network's script configures every router): i2pd crashes (read in SAM.cpp and
// AddressBook.cpp). So router N-1 is restarted here with its address book on, as i2pd ships it
// (no subscriptions, nothing persisted): there, session B listens with STREAM ACCEPT, connects to
// A's full destination and looks A's b32 up; on router N, session A listens with STREAM FORWARD
// and reaches B by its b32, which needs no address book.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { describeWithI2pd, I2pdTestnet, TESTNET_SCRIPT } from '../helpers/i2pd.js';
import { restartWithAddressBook } from '../helpers/i2pd-addressbook.js';

const ROUTERS = 5;
type Step = { step: string; at: number; [k: string]: unknown };

describeWithI2pd('our SAM client backend against i2pd SAM', () => {
  let net: I2pdTestnet;
  const steps = new Map<string, Step>();
  let stderr = '';

  beforeAll(async () => {
    net = new I2pdTestnet(ROUTERS);
    net.up(true);
    await restartWithAddressBook(net, ROUTERS - 1);
  }, 700_000);

  afterAll(() => {
    net?.down();
  });

  const samPort = (k: number) => net.basePort + 10 * k + 3;

  it('streams, datagrams and an eepsite fetch between two i2pd SAM bridges', async () => {
    const eepsite = readFileSync(join(net.dir, 'eepsite.b32'), 'utf8').trim();
    const sums = Object.fromEntries(
      readFileSync(join(net.dir, 'www', 'SHA256SUMS'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(/\s+/).reverse()),
    ) as Record<string, string>;
    const floodfills = Number(readFileSync(join(net.dir, 'floodfills'), 'utf8').trim());
    const consoles = Array.from({ length: floodfills }, (_, i) => net.basePort + 10 * (i + 1) + 1);
    const cfg = { samA: samPort(ROUTERS), samB: samPort(ROUTERS - 1), eepsite, consoles };
    const child = spawn('bash', [TESTNET_SCRIPT, 'exec', process.execPath, resolve(ROOT, 'test/helpers/garlic-sam-interop.mjs'), JSON.stringify(cfg)], {
      env: { ...process.env, I2PDNET_DIR: net.dir, I2PDNET_BASEPORT: String(net.basePort) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const killer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        /* gone */
      }
    }, 850_000);
    for await (const line of createInterface({ input: child.stdout! })) {
      const s = JSON.parse(line) as Step;
      console.log(`[sam-client] ${line.length > 400 ? line.slice(0, 400) + '…' : line}`);
      if (s.step !== 'retry') steps.set(s.step, s);
    }
    clearTimeout(killer);
    if (steps.has('error')) {
      // What i2pd said about it (SAM, datagrams, LeaseSets) helps more than our side alone.
      for (const k of [ROUTERS - 1, ROUTERS]) {
        const log = readFileSync(join(net.routerDir(k), 'i2pd.log'), 'utf8').split('\n');
        console.log(`i2pd r${k}:\n${log.filter((l) => /SAM|Datagram|LeaseSet|Streaming/.test(l)).slice(-30).join('\n')}`);
      }
    }
    expect(steps.get('error'), stderr).toBeUndefined();

    // i2pd 2.45.1 chooses 3.1 from MIN=3.1 MAX=3.3.
    expect(steps.get('hello')).toMatchObject({ versionA: '3.1', versionB: '3.1' });
    // No PRIMARY on 3.1: the stream, repliable and raw sides are three destinations.
    expect(steps.get('sessions')).toMatchObject({ aDatagram: true, aRaw: true, distinctKinds: 3 });
    const sessions = steps.get('sessions')!;

    const st = steps.get('stream')!;
    expect(st.echoedSha).toBe(st.sentSha);
    expect(st.receivedBytes).toBe(96 * 1024);
    expect(st.receivedSha).toBe(st.expectedSha);
    const served = st.served as { bytes: number; remoteB32: string; remotePort: number; localPort: number }[];
    expect(served).toHaveLength(1);
    expect(served[0]).toMatchObject({ bytes: 256 * 1024, remoteB32: sessions.b, remotePort: 0, localPort: 0 });
    expect(st.remoteB32).toBe(sessions.a);

    const rep = steps.get('repliable')!;
    expect(rep.portsRefused).toBe('UNSUPPORTED');
    expect(rep.atA).toMatchObject({ from: rep.expectedFrom, fromPort: 0, toPort: 0 });
    expect(rep.back).toMatchObject({ kind: 'repliable', from: rep.expectedBackFrom, fromPort: 0, toPort: 0 });

    const raw = steps.get('raw')!;
    expect(raw).toMatchObject({ from: null, fromPort: 0, toPort: 0 });
    expect(raw.sha).toBe(raw.expectedSha);

    // A → B through B's pool of STREAM ACCEPTs (3.1: no ports on the accept line).
    const acc = steps.get('accept')!;
    expect(acc.reply).toBe(acc.expected);
    expect(acc.accepted).toEqual([{ remoteB32: acc.expectedFromB32, remoteDestination: acc.expectedFrom }]);

    const site = steps.get('eepsite')!;
    expect(site.status).toMatch(/^HTTP\/1\.[01] 200/);
    expect(site.bodyBytes).toBe(1024);
    expect(site.sha).toBe(sums['1k.bin']);

    // NAMING LOOKUP of a b32 (through router N-1, address book on); an unknown one is NOT_FOUND.
    const lookup = steps.get('lookup')!;
    expect(lookup.found).toBe(lookup.expected);
    expect(lookup.missing).toBe('NOT_FOUND');

    expect(steps.get('done')).toMatchObject({ closed: true });
    console.log(
      `SAM client vs i2pd: connect ${st.connectMs} ms, 256 KiB + 96 KiB exchange ${st.totalMs} ms; accepted stream ${acc.ms} ms; repliable round trip ${rep.ms} ms; raw ${raw.ms} ms; eepsite /1k.bin ${site.ms} ms; lookup ${lookup.ms} ms`,
    );
  }, 900_000);
});
