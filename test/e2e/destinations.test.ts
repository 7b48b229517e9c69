// Destinations between our own routers (a testnet of real processes on 127.0.1.x, two of them
// floodfills): each destination publishes its LeaseSet2 through its tunnels, finds the other's,
// and they exchange repliable and raw datagrams with their ports, end to end in ratchet garlic.
// A destination created again from its saved keys keeps its address.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { callControl } from '../../src/router/api/control/client.js';
import { createDestinationKeys, encodeDestinationKeys, destinationB32 } from '../../src/router/client/destination-keys.js';
import { cryptoRandom } from '../../src/router/runtime/index.js';
import { testnetDown } from '../../src/router/testnet/index.js';
import { runCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';

const tmp = mkdtempSync(join(tmpdir(), 'anon-e2e-dest-'));
const dir = join(tmp, 'tn');

afterAll(async () => {
  if (existsSync(join(dir, 'testnet.json'))) await testnetDown(dir, { gracefulMs: 3_000, termMs: 2_000 });
  rmSync(tmp, { recursive: true, force: true });
});

interface Dest {
  b32: string;
  destination: string;
  counters: { confirmed: number; received: number; undecryptable: number; lookups: number };
}
interface Got {
  seq: number;
  kind: string;
  fromB32?: string;
  fromPort: number;
  toPort: number;
  payload: string;
}

describe('destinations on a testnet of our routers', () => {
  it('publish, find each other, and exchange datagrams both ways with ports', async () => {
    const up = runCli('anon-router', ['testnet', 'up', '--routers', '6', '--floodfills', '2', '--dir', dir, '--json']);
    expect(up.status, up.stdout + up.stderr).toBe(0);
    const sock = (k: number) => join(dir, `r${k}`, 'router', 'control.sock');
    const call = <T>(k: number, m: string, p?: unknown) => callControl(sock(k), m, p, { timeoutMs: 60_000 }) as Promise<T>;
    await waitFor('exploratory tunnels on routers 3 and 5', async () => {
      for (const k of [3, 5]) {
        const t = ((await call<{ tunnels: { inbound: number; outbound: number } }>(k, 'status')).tunnels);
        if (t.inbound < 1 || t.outbound < 1) return false;
      }
      return true;
    }, 60_000);
    const keys = createDestinationKeys(cryptoRandom);
    const a = await call<Dest>(3, 'dest.create', { hops: 2, keys: Buffer.from(encodeDestinationKeys(keys)).toString('base64') });
    expect(a.b32).toBe(destinationB32(keys.privateKeys.destination));
    const b = await call<Dest>(5, 'dest.create', { hops: 2 });
    for (const [k, d] of [[3, a], [5, b]] as const) {
      await waitFor(`${d.b32} stored with a floodfill`, async () => (await call<Dest>(k, 'dest.status', { b32: d.b32 })).counters.confirmed >= 1, 60_000);
    }
    // A → B, repliable, ports 1234 → 5678: B learns A from the datagram itself.
    const t0 = Date.now();
    await call(3, 'dest.sendDatagram', { b32: a.b32, to: b.b32, payload: Buffer.from('hello b').toString('base64'), fromPort: 1234, toPort: 5678 });
    const atB = await waitFor('the datagram at B', async () => (await call<Got[]>(5, 'dest.datagrams', { b32: b.b32 }))[0], 30_000, 50);
    const oneWay = Date.now() - t0;
    expect(atB).toMatchObject({ kind: 'repliable', fromB32: a.b32, fromPort: 1234, toPort: 5678 });
    expect(Buffer.from(atB.payload, 'base64').toString()).toBe('hello b');
    // B → A, raw, ports 7 → 9: B already holds A's LeaseSet (A bundled it), no lookup needed.
    const lookupsBefore = (await call<Dest>(5, 'dest.status', { b32: b.b32 })).counters.lookups;
    await call(5, 'dest.sendDatagram', { b32: b.b32, to: atB.fromB32, payload: Buffer.from('hello a').toString('base64'), raw: true, fromPort: 7, toPort: 9 });
    const atA = await waitFor('the datagram at A', async () => (await call<Got[]>(3, 'dest.datagrams', { b32: a.b32 }))[0], 30_000, 50);
    expect(atA).toMatchObject({ kind: 'raw', fromPort: 7, toPort: 9 });
    expect(atA.fromB32).toBeUndefined();
    expect(Buffer.from(atA.payload, 'base64').toString()).toBe('hello a');
    expect((await call<Dest>(5, 'dest.status', { b32: b.b32 })).counters.lookups).toBe(lookupsBefore);
    console.log(`datagram between our destinations: first one-way ${oneWay} ms (LeaseSet lookup and New Session included)`);
    for (const [k, d] of [[3, a], [5, b]] as const) expect((await call<Dest>(k, 'dest.status', { b32: d.b32 })).counters.undecryptable).toBe(0);
    // The same keys again: the same destination (and address), not a second one.
    const again = await call<Dest>(3, 'dest.create', { keys: Buffer.from(encodeDestinationKeys(keys)).toString('base64') });
    expect(again.b32).toBe(a.b32);
    expect((await call<Dest[]>(3, 'dest.list')).length).toBe(1);
  }, 240_000);
});
