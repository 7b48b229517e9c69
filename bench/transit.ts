// Transit tunnels (src/router/tunnel/transit.ts, build-handler.ts): what carrying other people's
// tunnels costs, on one core. Relay rows run a hop's whole per-message path, from the bytes a
// transport hands over (a short-header I2NP message) to the bytes handed back to it; build rows
// run BuildHandler on ShortTunnelBuild messages; memory rows come from a child process started
// with --expose-gc, so that nothing measured before (or the bench's own inputs) is in the figures.
//
// Alone: `node dist/bench/transit.js` (after `npm run build`).
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { x25519Generate } from '../src/router/crypto/index.js';
import { decodeMessage, encodeMessage, I2npType, type I2npMessage } from '../src/router/i2np/index.js';
import { BandwidthMeter, cryptoRandom, systemClock, TokenBucket } from '../src/router/runtime/index.js';
import { BuildRecordDecryptor, createShortBuildRecords, fakeRecordFor } from '../src/router/tunnel/build-crypto.js';
import { BuildHandler } from '../src/router/tunnel/build-handler.js';
import { buildTunnelBlocks, type TunnelPayloadMessage } from '../src/router/tunnel/fragmenter.js';
import { HopLayer } from '../src/router/tunnel/layer-crypto.js';
import { TunnelReassembler } from '../src/router/tunnel/reassembler.js';
import { TransitPolicy } from '../src/router/tunnel/transit-policy.js';
import { TransitTunnels, type TransitTunnel } from '../src/router/tunnel/transit.js';
import { TunnelIds } from '../src/router/tunnel/tunnel-ids.js';
import type { HopRole, LayerKeys, TunnelDelivery } from '../src/router/tunnel/types.js';
import type { BenchRow } from './types.js';
import { measureOps } from './measure.js';

const measure = (op: () => void, budgetMs = BUDGET_MS) => measureOps(op, budgetMs);

const BUDGET_MS = 500;
/** The TunnelData payload (tunnel id + 1024 bytes): what the router's transit counters count. */
const TUNNEL_DATA_PAYLOAD = 1028;
const MIB = 1024 * 1024;

const clock = systemClock;
const random = cryptoRandom;
const bytes = (n: number) => random.bytes(n);
const newMsgId = () => 1 + random.int(0xfffffffe);
const tunnelId = () => 1 + random.int(0xfffffffe);
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));


/**
 * For inputs that can be used once only (a hop drops replayed IVs, a reassembler finished
 * message ids): `reset` (untimed) gives fresh state, `pass` (timed) returns how many operations it ran.
 */
function measurePasses(reset: () => void, pass: () => number, budgetMs = BUDGET_MS): number {
  reset();
  pass(); // warm-up
  let ops = 0;
  let elapsed = 0;
  while (elapsed < budgetMs) {
    reset();
    const start = performance.now();
    ops += pass();
    elapsed += performance.now() - start;
  }
  return (ops * 1000) / elapsed;
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`bench/transit: ${what}`);
}

/** What the transport was given. */
interface Sink {
  messages: number;
  bytes: number;
}

function sinkSend(sink: Sink): (to: Uint8Array, i2npShort: Uint8Array) => boolean {
  return (_to, m) => {
    sink.messages++;
    sink.bytes += m.length;
    return true;
  };
}

/** TransitTunnels wired as the Router wires it: a transit token bucket and the bandwidth meter. */
function transitTunnels(ourHash: Uint8Array, sink: Sink): TransitTunnels {
  const bucket = new TokenBucket({ clock, ratePerSecond: 1e12, burst: 1e12 });
  const meter = new BandwidthMeter({ clock });
  return new TransitTunnels({
    clock,
    ourHash,
    send: sinkSend(sink),
    newMsgId,
    fragment: (messages) => buildTunnelBlocks(messages, random),
    allowBytes: (n) => {
      if (!bucket.take(n)) return false;
      meter.record('transit', n);
      return true;
    },
    deliverLocal: () => {},
    gatewayLocal: () => {},
  });
}

function transitTunnel(role: HopRole, receiveTunnelId: number, keys: LayerKeys): TransitTunnel {
  const now = clock.now();
  return {
    receiveTunnelId,
    role,
    nextTunnelId: tunnelId(),
    nextIdent: bytes(32),
    layer: new HopLayer(keys),
    createdAt: now,
    expiresAt: now + 10 * 60_000,
    requester: 'bench',
    ...(role === 'obep' && { reassembler: new TunnelReassembler({ clock }) }),
    messages: 0,
    bytes: 0,
  };
}

const layerKeys = (): LayerKeys => ({ layerKey: bytes(32), ivKey: bytes(32) });

/** A whole I2NP message of `size` bytes (standard header), as tunnels carry them: garlic. */
function garlicMessage(size: number): Uint8Array {
  const m = encodeMessage({ type: I2npType.Garlic, msgId: newMsgId(), expiration: clock.now() + 60_000, data: bytes(size - 20) }, 'standard');
  check(m.length === size, 'garlic message size');
  return m;
}

/** Client traffic sizes: acks and lookups, streaming packets up to about 1.9 KB, a few larger. */
const SIZES = [96, 300, 700, 1100, 1900, 2800, 160, 500];
const TUNNEL_DATA_WIRE = (id: number, data: Uint8Array) =>
  encodeMessage({ type: I2npType.TunnelData, msgId: newMsgId(), expiration: clock.now() + 60_000, tunnelId: id, data }, 'short');

// ---- relay ------------------------------------------------------------------------------------

function benchParticipant(ourHash: Uint8Array): BenchRow {
  const TUNNELS = 1000;
  const sink: Sink = { messages: 0, bytes: 0 };
  const transit = transitTunnels(ourHash, sink);
  const wires: Uint8Array[] = [];
  for (let i = 0; i < TUNNELS; i++) {
    const id = tunnelId();
    transit.add(transitTunnel('participant', id, layerKeys()));
    wires.push(TUNNEL_DATA_WIRE(id, bytes(1024)));
  }
  let n = 0;
  const { opsPerSec, ops } = measure(() => {
    const wire = wires[n % TUNNELS];
    // A new IV per message, as the previous hop's would be: a hop drops a repeated one.
    const iv = wire.length - 1024;
    wire[iv] = n >>> 24;
    wire[iv + 1] = n >>> 16;
    wire[iv + 2] = n >>> 8;
    wire[iv + 3] = n;
    n++;
    const m = decodeMessage(wire, 'short');
    if (m.type !== I2npType.TunnelData) throw new Error('not TunnelData');
    transit.onTunnelData(m.tunnelId, m.data);
  });
  check(sink.messages === ops && sink.bytes === ops * wires[0].length, `participant relayed ${sink.messages} of ${ops}`);
  return { name: 'transit participant: TunnelData in, layer, TunnelData out (1,000 tunnels)', impl: 'ours', opsPerSec, mbPerSec: (opsPerSec * TUNNEL_DATA_PAYLOAD) / 1e6 };
}

/** OBEP: the creator's blocks (fragmented, layered so that the OBEP's layer reveals them), then reassembly and delivery. */
function benchObep(ourHash: Uint8Array): BenchRow[] {
  const TUNNELS = 100;
  const tunnels = Array.from({ length: TUNNELS }, () => ({ id: tunnelId(), keys: layerKeys() }));
  const perTunnel: Uint8Array[][] = [];
  let messagesPerPass = 0;
  let messageBytesPerPass = 0;
  for (const t of tunnels) {
    // Outbound client traffic: mostly to a lease's inbound gateway, some to routers (netDb).
    const messages: TunnelPayloadMessage[] = SIZES.map((size, i) => {
      const delivery: TunnelDelivery = i % 4 === 3 ? { type: 'router', hash: bytes(32) } : { type: 'tunnel', tunnelId: tunnelId(), gateway: bytes(32) };
      return { delivery, message: garlicMessage(size) };
    });
    messagesPerPass += messages.length;
    messageBytesPerPass += messages.reduce((s, m) => s + m.message.length, 0);
    const creatorCopy = new HopLayer(t.keys);
    perTunnel.push(
      buildTunnelBlocks(messages, random).map((block) => {
        creatorCopy.decrypt(block);
        return TUNNEL_DATA_WIRE(t.id, block);
      }),
    );
  }
  // Tunnels interleaved, each tunnel's blocks in order: how they arrive from many peers.
  const wires: Uint8Array[] = [];
  for (let j = 0; perTunnel.some((b) => j < b.length); j++) for (const b of perTunnel) if (j < b.length) wires.push(b[j]);

  const sink: Sink = { messages: 0, bytes: 0 };
  let transit = transitTunnels(ourHash, sink);
  const reset = () => {
    sink.messages = 0;
    transit = transitTunnels(ourHash, sink);
    for (const t of tunnels) transit.add(transitTunnel('obep', t.id, t.keys));
  };
  const pass = () => {
    for (const wire of wires) {
      const m = decodeMessage(wire, 'short');
      if (m.type !== I2npType.TunnelData) throw new Error('not TunnelData');
      transit.onTunnelData(m.tunnelId, m.data);
    }
    check(sink.messages === messagesPerPass, `OBEP delivered ${sink.messages} of ${messagesPerPass}`);
    return wires.length;
  };
  const opsPerSec = measurePasses(reset, pass);
  const messagesPerSec = (opsPerSec * messagesPerPass) / wires.length;
  return [
    { name: 'transit OBEP: TunnelData in, layer, reassemble, deliver (100 tunnels)', impl: 'ours', opsPerSec, mbPerSec: (opsPerSec * TUNNEL_DATA_PAYLOAD) / 1e6 },
    {
      name: 'transit OBEP, as messages delivered (MB/s of those messages)',
      impl: 'ours',
      opsPerSec: messagesPerSec,
      mbPerSec: (messagesPerSec * (messageBytesPerPass / messagesPerPass)) / 1e6,
    },
  ];
}

/** IBGW: a TunnelGateway in, fragmented into TunnelData, each layered and sent. */
function benchIbgw(ourHash: Uint8Array): BenchRow[] {
  const TUNNELS = 100;
  const sink: Sink = { messages: 0, bytes: 0 };
  const transit = transitTunnels(ourHash, sink);
  const wires: Uint8Array[] = [];
  let carried = 0;
  for (let i = 0; i < TUNNELS; i++) {
    const id = tunnelId();
    transit.add(transitTunnel('ibgw', id, layerKeys()));
    for (const size of SIZES) {
      wires.push(encodeMessage({ type: I2npType.TunnelGateway, msgId: newMsgId(), expiration: clock.now() + 60_000, tunnelId: id, message: garlicMessage(size) } as I2npMessage, 'short'));
      carried += size;
    }
  }
  // Tunnel by tunnel would send one tunnel's 8 messages in a row: interleave them.
  const order = wires.map((_, i) => (i % TUNNELS) * SIZES.length + Math.floor(i / TUNNELS));
  const meanSize = carried / wires.length;
  let n = 0;
  const { opsPerSec, ops } = measure(() => {
    const m = decodeMessage(wires[order[n++ % wires.length]], 'short');
    if (m.type !== I2npType.TunnelGateway) throw new Error('not TunnelGateway');
    transit.onTunnelGateway(m.tunnelId, m.message);
  });
  check(transit.counters.relayed === ops && sink.messages >= ops, `IBGW sent ${transit.counters.relayed} of ${ops}`);
  const blocksPerMessage = sink.messages / ops;
  return [
    { name: 'transit IBGW: TunnelGateway in, fragment, layer, TunnelData out (MB/s of messages)', impl: 'ours', opsPerSec, mbPerSec: (opsPerSec * meanSize) / 1e6 },
    { name: 'transit IBGW, as TunnelData sent', impl: 'ours', opsPerSec: opsPerSec * blocksPerMessage, mbPerSec: (opsPerSec * blocksPerMessage * TUNNEL_DATA_PAYLOAD) / 1e6 },
  ];
}

// ---- builds -----------------------------------------------------------------------------------

/** Us as a hop: identity keys, and a BuildHandler whose policy accepts everything. */
interface Hop {
  hash: Uint8Array;
  publicKey: Uint8Array;
  handler: BuildHandler;
  transit: TransitTunnels;
  sink: Sink;
}

function makeHop(): Hop {
  const { privateKey, publicKey } = x25519Generate();
  const hash = bytes(32);
  const sink: Sink = { messages: 0, bytes: 0 };
  const transit = transitTunnels(hash, sink);
  const policy = new TransitPolicy({
    clock,
    maxParticipating: 1_000_000,
    maxBuildsPerSecond: 1_000_000_000,
    maxBuildsPerRequesterPerMinute: 1_000_000_000,
    bandwidthLimitBps: 1e12,
    sharePercent: 100,
  });
  const handler = new BuildHandler({
    clock,
    random,
    ourHash: hash,
    decryptor: new BuildRecordDecryptor({ hash, staticPrivateKey: privateKey, staticPublicKey: publicKey }),
    policy,
    transit,
    ids: new TunnelIds(random),
    send: sinkSend(sink),
    newMsgId,
    makeReassembler: () => new TunnelReassembler({ clock }),
    gatewayLocal: () => {},
    transitEnabled: () => true,
  });
  return { hash, publicKey, handler, transit, sink };
}

/**
 * Roles as others' 3-hop tunnels give them: an inbound tunnel has an IBGW and two participants
 * (its endpoint is its creator), an outbound one two participants and an OBEP.
 */
const roleOf = (i: number): HopRole => (i % 6 === 0 ? 'ibgw' : i % 6 === 3 ? 'obep' : 'participant');

const shortBuildWire = (records: Uint8Array[]) =>
  encodeMessage({ type: I2npType.ShortTunnelBuild, msgId: newMsgId(), expiration: clock.now() + 60_000, records } as I2npMessage, 'short');

/** A 4-record ShortTunnelBuild: ours at `slot` (with its own fresh ephemeral key), three not for us. */
function buildRequestFor(hop: Hop, role: HopRole, slot: number): { wire: Uint8Array; receiveTunnelId: number; keys: LayerKeys } {
  const receiveTunnelId = tunnelId();
  const request = {
    receiveTunnelId,
    nextTunnelId: tunnelId(),
    nextIdent: bytes(32),
    role,
    layerEncryption: 0,
    requestTimeMinutes: Math.floor(clock.now() / 60_000),
    expirationSeconds: 600,
    nextMessageId: newMsgId(),
    options: {},
  };
  const { records, hopKeys } = createShortBuildRecords([{ hash: hop.hash, publicKey: hop.publicKey, request }], [slot], 4, random);
  return { wire: shortBuildWire(records), receiveTunnelId, keys: { layerKey: hopKeys[0].layerKey, ivKey: hopKeys[0].ivKey } };
}

function handle(hop: Hop, from: Uint8Array, wire: Uint8Array): void {
  const m = decodeMessage(wire, 'short');
  if (m.type !== I2npType.ShortTunnelBuild) throw new Error('not ShortTunnelBuild');
  hop.handler.onShortBuild(from, m.records);
}

function benchBuilds(): BenchRow[] {
  const COUNT = 2000;
  const WARM = 200;
  const hop = makeHop();
  const peers = Array.from({ length: 50 }, () => bytes(32));
  const make = (n: number) => Array.from({ length: n }, (_, i) => buildRequestFor(hop, roleOf(i), i % 4).wire);
  const timeAll = (wires: Uint8Array[]): number => {
    const start = performance.now();
    wires.forEach((w, i) => handle(hop, peers[i % peers.length], w));
    return (wires.length * 1000) / (performance.now() - start);
  };
  const c = hop.handler.counters;

  make(WARM).forEach((w, i) => handle(hop, peers[i % peers.length], w));
  const valid = make(COUNT);
  const accepted0 = c.accepted;
  const acceptedPerSec = timeAll(valid);
  check(c.accepted - accepted0 === COUNT && c.undecryptable === 0 && c.dropped === 0, `accepted ${c.accepted - accepted0} of ${COUNT}`);
  check(hop.sink.messages === COUNT + WARM, 'every accepted build was passed on');

  // Records for us that fail the AEAD: a real ephemeral key each (a repeated one would be a replay).
  const badMac = (n: number) =>
    Array.from({ length: n }, (_, i) => {
      const records = Array.from({ length: 4 }, () => bytes(218));
      records[i % 4] = fakeRecordFor(hop.hash, random);
      return shortBuildWire(records);
    });
  badMac(WARM).forEach((w, i) => handle(hop, peers[i % peers.length], w));
  const bad = badMac(COUNT);
  const undecryptable0 = c.undecryptable;
  const badMacPerSec = timeAll(bad);
  check(c.undecryptable - undecryptable0 === COUNT, `bad MAC refused ${c.undecryptable - undecryptable0} of ${COUNT}`);

  const notForUs = shortBuildWire(Array.from({ length: 4 }, () => bytes(218)));
  const notForUs0 = c.notForUs;
  const notForUsRun = measure(() => handle(hop, peers[0], notForUs));
  check(c.notForUs - notForUs0 === notForUsRun.ops, 'not for us');

  let n = 0;
  const replayed0 = c.replayed;
  const replayRun = measure(() => handle(hop, peers[0], valid[n++ % COUNT]));
  check(c.replayed - replayed0 === replayRun.ops, 'replays');
  check(hop.sink.messages === COUNT + WARM, 'nothing refused was answered');

  return [
    { name: 'build request accepted (4-record ShortTunnelBuild; 2/3 participant, 1/6 IBGW, 1/6 OBEP)', impl: 'ours', opsPerSec: acceptedPerSec },
    { name: 'build refused: record for us, bad MAC', impl: 'ours', opsPerSec: badMacPerSec },
    { name: 'build refused: no record for us', impl: 'ours', opsPerSec: notForUsRun.opsPerSec },
    { name: 'build refused: replayed record', impl: 'ours', opsPerSec: replayRun.opsPerSec },
  ];
}

// ---- memory (child process) -------------------------------------------------------------------

interface Memory {
  rss: number;
  heapUsed: number;
  external: number;
}

interface MemoryReport {
  tunnels: number;
  roles: Record<HopRole, number>;
  messagesPerTunnel: number;
  baseline: Memory;
  accepted: Memory;
  traffic: Memory;
}

async function settle(): Promise<Memory> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('the memory child needs --expose-gc');
  for (let i = 0; i < 4; i++) {
    gc();
    await tick();
  }
  const { rss, heapUsed, external } = process.memoryUsage();
  return { rss, heapUsed, external };
}

/** What peers will send a hop: `count` build requests, then `perTunnel` messages into each tunnel. */
interface Inputs {
  roles: Record<HopRole, number>;
  builds: { from: Uint8Array; wire: Uint8Array }[];
  traffic: Uint8Array[];
}

/**
 * Made before the baseline, so that the creators' work (and its garbage) is not in the figures;
 * the inputs themselves stay referenced until the end, so they are in every measurement alike.
 */
function prepareInputs(hop: Hop, count: number, perTunnel: number): Inputs {
  const peers = Array.from({ length: 200 }, () => bytes(32));
  const sizes = [400, 1500, 200, 900, 2500].slice(0, perTunnel);
  const roles: Record<HopRole, number> = { participant: 0, ibgw: 0, obep: 0 };
  const builds: Inputs['builds'] = [];
  const traffic: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const role = roleOf(i);
    roles[role]++;
    const r = buildRequestFor(hop, role, i % 4);
    builds.push({ from: peers[i % peers.length], wire: r.wire });
    if (role === 'participant') {
      for (const _ of sizes) traffic.push(TUNNEL_DATA_WIRE(r.receiveTunnelId, bytes(1024)));
    } else if (role === 'ibgw') {
      for (const size of sizes) {
        traffic.push(encodeMessage({ type: I2npType.TunnelGateway, msgId: newMsgId(), expiration: clock.now() + 60_000, tunnelId: r.receiveTunnelId, message: garlicMessage(size) } as I2npMessage, 'short'));
      }
    } else {
      // What reaches the OBEP: the creator's blocks with the OBEP's layer undone (the earlier hops' cancel out).
      const creatorCopy = new HopLayer(r.keys);
      const messages = sizes.map((size) => ({ delivery: { type: 'tunnel', tunnelId: tunnelId(), gateway: bytes(32) } as TunnelDelivery, message: garlicMessage(size) }));
      for (const block of buildTunnelBlocks(messages, random)) {
        creatorCopy.decrypt(block);
        traffic.push(TUNNEL_DATA_WIRE(r.receiveTunnelId, block));
      }
    }
  }
  return { roles, builds, traffic };
}

function acceptAll(hop: Hop, inputs: Inputs): void {
  for (const b of inputs.builds) handle(hop, b.from, b.wire);
  const n = inputs.builds.length;
  check(hop.handler.counters.accepted === n && hop.transit.size === n, `accepted ${hop.handler.counters.accepted} of ${n}`);
}

function sendTraffic(hop: Hop, inputs: Inputs, perTunnel: number): void {
  for (const wire of inputs.traffic) {
    const m = decodeMessage(wire, 'short');
    if (m.type === I2npType.TunnelData) hop.transit.onTunnelData(m.tunnelId, m.data);
    else if (m.type === I2npType.TunnelGateway) hop.transit.onTunnelGateway(m.tunnelId, m.message);
  }
  const expected = inputs.roles.obep * perTunnel;
  check(hop.transit.counters.delivered === expected, `OBEPs delivered ${hop.transit.counters.delivered} of ${expected}`);
  check(hop.transit.counters.relayed === inputs.traffic.length, 'every message was carried');
}

/**
 * A first round of the same size, thrown away: compiled code, OpenSSL state and the allocators'
 * free lists are then the baseline's, and the figures are what is held, not transient churn.
 * A function of its own: a suspended async function may keep its locals alive across an await.
 */
function warmUp(tunnels: number, perTunnel: number): void {
  const hop = makeHop();
  const inputs = prepareInputs(hop, tunnels, perTunnel);
  acceptAll(hop, inputs);
  sendTraffic(hop, inputs, perTunnel);
}

async function memoryChild(): Promise<void> {
  const TUNNELS = 1000;
  const PER_TUNNEL = 3;
  warmUp(TUNNELS, PER_TUNNEL);
  const hop = makeHop();
  const inputs = prepareInputs(hop, TUNNELS, PER_TUNNEL);
  const baseline = await settle();
  acceptAll(hop, inputs);
  const accepted = await settle();
  sendTraffic(hop, inputs, PER_TUNNEL);
  const traffic = await settle();
  const report: MemoryReport = { tunnels: TUNNELS, roles: inputs.roles, messagesPerTunnel: PER_TUNNEL, baseline, accepted, traffic };
  process.stdout.write(JSON.stringify(report) + '\n');
}

function benchMemory(): BenchRow[] {
  const self = fileURLToPath(import.meta.url);
  const child = spawnSync(process.execPath, ['--expose-gc', self, '--memory-child'], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (child.status !== 0) throw new Error(`memory child failed (${child.status}): ${child.stderr}`);
  const line = child.stdout.trim().split('\n').pop()!;
  const r = JSON.parse(line) as MemoryReport;
  const rowFor = (name: string, m: Memory): BenchRow => ({
    name,
    impl: 'ours',
    opsPerSec: 0,
    memory: {
      rssMB: (m.rss - r.baseline.rss) / MIB,
      heapMB: (m.heapUsed - r.baseline.heapUsed) / MIB,
      externalMB: (m.external - r.baseline.external) / MIB,
      items: r.tunnels,
      rssTotalMB: m.rss / MIB,
    },
  });
  const mix = `${r.roles.participant} participant, ${r.roles.ibgw} IBGW, ${r.roles.obep} OBEP`;
  return [
    rowFor(`memory: ${r.tunnels.toLocaleString('en-US')} transit tunnels accepted (${mix})`, r.accepted),
    rowFor(`memory: the same after ${r.messagesPerTunnel} messages through each`, r.traffic),
  ];
}

// ---- section ----------------------------------------------------------------------------------

export async function benchTransit(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const ourHash = bytes(32);
  rows.push(benchParticipant(ourHash));
  await tick();
  rows.push(...benchObep(ourHash));
  await tick();
  rows.push(...benchIbgw(ourHash));
  await tick();
  rows.push(...benchBuilds());
  await tick();
  rows.push(...benchMemory());
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv.includes('--memory-child')) {
    await memoryChild();
  } else {
    const fmt = (n: number | undefined, d = 1) => (n === undefined ? '' : n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(d));
    for (const r of await benchTransit()) {
      const m = r.memory;
      const figures = m
        ? `RSS +${fmt(m.rssMB)} MB (total ${fmt(m.rssTotalMB)} MB), heap +${fmt(m.heapMB)} MB, external +${fmt(m.externalMB)} MB; ` +
          `per tunnel: ${fmt((m.rssMB * 1024) / m.items)} KB RSS, ${fmt(((m.heapMB + m.externalMB) * 1024) / m.items)} KB heap+external`
        : `${fmt(r.opsPerSec)} ops/s${r.mbPerSec === undefined ? '' : `, ${fmt(r.mbPerSec)} MB/s`}`;
      console.log(`${r.name}: ${figures}`);
    }
  }
}
