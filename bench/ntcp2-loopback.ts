// NTCP2 over real TCP on 127.0.0.1: two TransportManagers in one process (nodeNetwork).
// Handshakes per second: a sequential loop, each a fresh dialer that connects, is seen by the
// listener, and closes (time-boxed ~3 s). Throughput: ~40 MB of 16 KiB I2NP Data messages one
// way, with a bounded window of messages in flight, until all are received.
import { pathToFileURL } from 'node:url';
import { encodeRouterInfo, ntcp2Address, type RouterInfo } from '../src/router/data/index.js';
import { encodeMessage, I2npType } from '../src/router/i2np/index.js';
import { createNtcp2Keys, type Ntcp2Keys } from '../src/router/identity/ntcp2-keys.js';
import { buildRouterInfo } from '../src/router/identity/router-info-builder.js';
import { createRouterKeys, type RouterKeys } from '../src/router/identity/router-keys.js';
import { silentLogger } from '../src/router/log.js';
import { cryptoRandom, nodeNetwork, systemClock } from '../src/router/runtime/index.js';
import { TransportManager, type TransportEvents } from '../src/router/transport/manager.js';
import type { BenchRow } from './types.js';

const NET_ID = 99;
const HOST = '127.0.0.1';
const HANDSHAKE_BUDGET_MS = 3_000;
const DATA_BYTES = 40 * 1024 * 1024;
const MESSAGE_DATA = 16 * 1024;
/** Messages in flight (sent, not yet received) and pushed per event-loop turn: the queue bound is 1 MiB. */
const WINDOW = 256;
const PER_TURN = 48;
const WAIT_MS = 30_000;

interface Identity {
  keys: RouterKeys;
  ntcp2: Ntcp2Keys;
  ri: (port: number) => RouterInfo;
}

function identity(): Identity {
  const keys = createRouterKeys();
  const ntcp2 = createNtcp2Keys((n) => cryptoRandom.bytes(n));
  return {
    keys,
    ntcp2,
    ri: (port) =>
      buildRouterInfo(keys, {
        netId: NET_ID,
        published: Date.now(),
        addresses: [ntcp2Address({ host: HOST, port, s: ntcp2.staticPublicKey, i: ntcp2.iv })],
      }),
  };
}

const noEvents: TransportEvents = { message: () => undefined, routerInfo: () => undefined, connected: () => undefined };

function manager(id: Identity, port: number | undefined, lookup: (h: Uint8Array) => RouterInfo | undefined, events: TransportEvents): TransportManager {
  return new TransportManager(
    {
      routerHash: id.keys.hash,
      staticPrivateKey: id.ntcp2.staticPrivateKey,
      staticPublicKey: id.ntcp2.staticPublicKey,
      iv: id.ntcp2.iv,
      netId: NET_ID,
      testnet: true,
      // No host: a dialer only (no listener), from the kernel's choice of source on loopback.
      ...(port !== undefined ? { host: HOST, port } : { port: 0 }),
    },
    {
      clock: systemClock,
      random: cryptoRandom,
      network: nodeNetwork,
      log: silentLogger,
      routerInfo: () => encodeRouterInfo(id.ri(port ?? 1)),
      lookup,
      events,
    },
    // Sequential dials from one address and a fast loop: no per-IP limit in the way.
    { maxPerIp: 64, maxInbound: 64 },
  );
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Turns the event loop until `cond` (bounded by `ms`). */
async function until(what: string, cond: () => boolean, ms = WAIT_MS): Promise<void> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await turn();
  }
}

/** Listens on a free port: a few random tries (the listener must publish its port before). */
async function listening(bob: Identity, events: TransportEvents): Promise<{ m: TransportManager; port: number }> {
  for (let i = 0; ; i++) {
    const port = 20_000 + cryptoRandom.int(40_000);
    const m = manager(bob, port, () => undefined, events);
    try {
      await m.start();
      return { m, port };
    } catch (e) {
      if (i >= 9) throw e;
    }
  }
}

export async function benchNtcp2Loopback(): Promise<BenchRow[]> {
  const alice = identity();
  const bob = identity();
  let bobConnected = 0;
  let received = 0;
  let receivedBytes = 0;
  const { m: listener, port } = await listening(bob, {
    message: (_from, i2np) => {
      received++;
      receivedBytes += i2np.length;
    },
    routerInfo: () => undefined,
    connected: () => void bobConnected++,
  });
  const bobRi = bob.ri(port);
  const lookup = (h: Uint8Array) => (Buffer.compare(Buffer.from(h), Buffer.from(bob.keys.hash)) === 0 ? bobRi : undefined);
  const cleanup: TransportManager[] = [listener];
  try {
    // Handshakes: connect, both ends up, close, the listener sees it gone; then the next.
    let handshakes = 0;
    const start = performance.now();
    while (performance.now() - start < HANDSHAKE_BUDGET_MS) {
      const dialer = manager(alice, undefined, lookup, noEvents);
      const before = bobConnected;
      if (!dialer.connect(bob.keys.hash)) throw new Error('bench: connect refused');
      await until('a handshake', () => bobConnected > before && dialer.isConnected(bob.keys.hash));
      handshakes++;
      await dialer.stop(false);
      await until('the listener to see the close', () => listener.connectedPeers().length === 0 && listener.stats().handshaking === 0);
    }
    const handshakeMs = performance.now() - start;

    // Throughput: one session, ~40 MB one way.
    const sender = manager(alice, undefined, lookup, noEvents);
    cleanup.push(sender);
    const message = encodeMessage({ type: I2npType.Data, msgId: 1, expiration: Date.now() + 600_000, data: cryptoRandom.bytes(MESSAGE_DATA) }, 'short');
    const total = Math.ceil(DATA_BYTES / message.length);
    sender.connect(bob.keys.hash);
    await until('the data session', () => sender.isConnected(bob.keys.hash) && listener.connectedPeers().length === 1);
    received = 0;
    receivedBytes = 0;
    let sent = 0;
    const t0 = performance.now();
    const deadline = t0 + WAIT_MS;
    while (received < total) {
      if (performance.now() > deadline) throw new Error(`bench: only ${received}/${total} messages arrived`);
      for (let n = 0; n < PER_TURN && sent < total && sent - received < WINDOW; n++) {
        if (!sender.send(bob.keys.hash, message)) break;
        sent++;
      }
      await turn();
    }
    const dataMs = performance.now() - t0;
    if (sender.stats().dropped !== 0) throw new Error(`bench: ${sender.stats().dropped} messages dropped`);
    return [
      { name: 'ntcp2 loopback handshake (2 managers, TCP)', impl: 'ours', opsPerSec: (handshakes * 1000) / handshakeMs },
      {
        name: 'ntcp2 loopback data (16 KiB I2NP, one way)',
        impl: 'ours',
        opsPerSec: (received * 1000) / dataMs,
        mbPerSec: receivedBytes / 1e6 / (dataMs / 1000),
      },
    ];
  } finally {
    for (const m of cleanup) await m.stop(false);
    // Let the closes land before returning (the sockets are destroyed; this is one turn or two).
    for (let i = 0; i < 10; i++) await turn();
  }
}

// `node dist/bench/ntcp2-loopback.js`: this bench alone.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  benchNtcp2Loopback().then(
    (rows) => {
      for (const r of rows) console.log(`${r.name}: ${r.opsPerSec.toFixed(1)} ops/s${r.mbPerSec !== undefined ? `, ${r.mbPerSec.toFixed(1)} MB/s` : ''}`);
    },
    (e: Error) => {
      console.error(e.message);
      process.exitCode = 1;
    },
  );
}
