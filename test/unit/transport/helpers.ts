import { encodeRouterInfo, i2pBase64Encode, ntcp2Address, type RouterInfo } from '../../../src/router/data/index.js';
import { encodeMessage, I2npType } from '../../../src/router/i2np/index.js';
import { createNtcp2Keys, type Ntcp2Keys } from '../../../src/router/identity/ntcp2-keys.js';
import { buildRouterInfo } from '../../../src/router/identity/router-info-builder.js';
import { createRouterKeys, type RouterKeys } from '../../../src/router/identity/router-keys.js';
import { createLogger } from '../../../src/router/log.js';
import {
  ManualClock,
  MemoryNetwork,
  seededRandom,
  type Connection,
  type ConnectionEvents,
  type MemoryNetworkOptions,
  type RandomSource,
} from '../../../src/router/runtime/index.js';
import { TransportManager, type TransportLimits } from '../../../src/router/transport/manager.js';

/* Many TransportManagers on one MemoryNetwork and one ManualClock, with a shared netDb map. */

export const NET_ID = 77;
export const T0 = 1_750_000_000_000;

export const b64 = (h: Uint8Array): string => i2pBase64Encode(h);

/** One turn of the event loop: MemoryNetwork delivers in microtasks, the driver flushes in setImmediate. */
export const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Turns the event loop until `cond` holds (bounded); returns whether it does. */
export async function until(cond: () => boolean, maxTurns = 2_000): Promise<boolean> {
  for (let i = 0; i < maxTurns && !cond(); i++) await turn();
  return cond();
}

/** Lets everything in flight settle: a fixed number of turns. */
export async function settle(turns = 50): Promise<void> {
  for (let i = 0; i < turns; i++) await turn();
}

/** An I2NP Data message (short header) whose msgId says which one it is. */
export function dataMessage(id: number, size = 64, expiration = T0 + 3_600_000): Uint8Array {
  return encodeMessage({ type: I2npType.Data, msgId: id, expiration, data: new Uint8Array(size).fill(id & 0xff) }, 'short');
}

/** msgId of a short-header message: bytes 1..4. */
export function msgIdOf(i2np: Uint8Array): number {
  return new DataView(i2np.buffer, i2np.byteOffset, i2np.length).getUint32(1);
}

export interface LogLine {
  level: string;
  line: string;
}

export interface TestNode {
  name: string;
  keys: RouterKeys;
  ntcp2: Ntcp2Keys;
  hash: Uint8Array;
  key: string;
  host: string;
  port: number;
  manager: TransportManager;
  received: { from: string; msg: Uint8Array }[];
  routerInfos: { from: string; flood: boolean }[];
  connected: { peer: string; direction: 'inbound' | 'outbound' }[];
  log: string[];
  /** The RouterInfo the netDb holds for this node. */
  routerInfo: RouterInfo;
}

export interface NodeOptions {
  limits?: Partial<TransportLimits>;
  /** Put this RouterInfo in the shared netDb instead of the node's own (e.g. a bad `s`). */
  publish?: (keys: RouterKeys, ntcp2: Ntcp2Keys) => RouterInfo;
  /** Do not listen (host still used as the source address). */
  noListen?: boolean;
  /** Reuse another node's keys (the same router, restarted). */
  identity?: TestNode;
  /** The transport's handler of messages for peers without a RouterInfo. */
  unknownPeer?: (hash: Uint8Array, i2np: Uint8Array) => boolean;
}

export class World {
  readonly clock: ManualClock;
  readonly net: MemoryNetwork;
  readonly random: RandomSource;
  readonly netDb = new Map<string, RouterInfo>();
  readonly nodes: TestNode[] = [];
  private n = 0;

  constructor(seed = 'world', net: MemoryNetworkOptions = {}) {
    this.clock = new ManualClock(T0);
    this.net = new MemoryNetwork({ clock: this.clock, ...net });
    this.random = seededRandom(seed);
  }

  signedRouterInfo(keys: RouterKeys, ntcp2: Ntcp2Keys, host: string, port: number): RouterInfo {
    return buildRouterInfo(keys, {
      netId: NET_ID,
      published: this.clock.now(),
      addresses: [ntcp2Address({ host, port, s: ntcp2.staticPublicKey, i: ntcp2.iv })],
    });
  }

  async node(host: string, port: number, opts: NodeOptions = {}): Promise<TestNode> {
    const name = `n${this.n++}`;
    const random = seededRandom(`${name}-${host}:${port}`);
    const keys = opts.identity?.keys ?? createRouterKeys();
    const ntcp2 = opts.identity?.ntcp2 ?? createNtcp2Keys((k) => random.bytes(k));
    let current = this.signedRouterInfo(keys, ntcp2, host, port);
    let currentBytes = encodeRouterInfo(current);
    const published = opts.publish ? opts.publish(keys, ntcp2) : current;
    this.netDb.set(b64(keys.hash), published);
    const log: string[] = [];
    const node = {
      name,
      keys,
      ntcp2,
      hash: keys.hash,
      key: b64(keys.hash),
      host,
      port,
      received: [],
      routerInfos: [],
      connected: [],
      log,
      routerInfo: published,
    } as unknown as TestNode;
    node.manager = new TransportManager(
      {
        routerHash: keys.hash,
        staticPrivateKey: ntcp2.staticPrivateKey,
        staticPublicKey: ntcp2.staticPublicKey,
        iv: ntcp2.iv,
        netId: NET_ID,
        testnet: true,
        host: opts.noListen ? undefined : host,
        port,
      },
      {
        clock: this.clock,
        random,
        network: this.net,
        log: createLogger((l) => log.push(l), { level: 'debug', now: () => this.clock.now() }),
        routerInfo: () => {
          // Re-sign when stale, as the Router does (peers refuse one older than 90 minutes).
          if (this.clock.now() - current.published > 30 * 60_000) {
            current = this.signedRouterInfo(keys, ntcp2, host, port);
            currentBytes = encodeRouterInfo(current);
          }
          return currentBytes;
        },
        lookup: (h) => this.netDb.get(b64(h)),
        ...(opts.unknownPeer && { unknownPeer: opts.unknownPeer }),
        events: {
          message: (from, msg) => node.received.push({ from: b64(from), msg }),
          routerInfo: (from, _bytes, flood) => node.routerInfos.push({ from: b64(from), flood }),
          connected: (peer, direction) => node.connected.push({ peer: b64(peer), direction }),
        },
      },
      opts.limits,
    );
    await node.manager.start();
    this.nodes.push(node);
    return node;
  }

  /** Stops every manager (prompt) and lets the closes propagate. */
  async stopAll(graceful = false): Promise<void> {
    for (const n of this.nodes) await n.manager.stop(graceful);
    await settle(20);
  }
}

/** msgIds received by `node` from `from`, in arrival order. */
export function idsFrom(node: TestNode, from: TestNode): number[] {
  return node.received.filter((r) => r.from === from.key).map((r) => msgIdOf(r.msg));
}

/**
 * A Connection the test drives by hand: `push` delivers bytes to the driver, `written` holds
 * what the driver wrote. `close()` half-closes as TCP does (no more writes, reading goes on,
 * 'close' only once the peer closes too: `peerClosed()`); `destroy()` ends it at once. 'close'
 * is emitted in a microtask, as a socket would.
 */
export class FakeSocket implements Connection {
  readonly localAddress = '127.0.0.1';
  readonly localPort = 12345;
  written: Uint8Array[] = [];
  state: 'open' | 'ended' | 'destroyed' = 'open';
  noDelay = false;
  private readonly listeners: { [E in keyof ConnectionEvents]: Array<(...a: ConnectionEvents[E]) => void> } = {
    data: [],
    drain: [],
    error: [],
    close: [],
  };
  private closeEmitted = false;

  constructor(
    readonly remoteAddress = '127.0.0.9',
    readonly remotePort = 40000,
  ) {}

  write(bytes: Uint8Array): boolean {
    if (this.state !== 'open') return false;
    this.written.push(bytes.slice());
    return true;
  }

  close(): void {
    if (this.state !== 'open') return;
    this.state = 'ended';
  }

  destroy(): void {
    if (this.state === 'destroyed') return;
    this.state = 'destroyed';
    this.emitClose();
  }

  setNoDelay(noDelay = true): void {
    this.noDelay = noDelay;
  }

  on<E extends keyof ConnectionEvents>(event: E, listener: (...args: ConnectionEvents[E]) => void): this {
    (this.listeners[event] as Array<typeof listener>).push(listener);
    return this;
  }

  off<E extends keyof ConnectionEvents>(event: E, listener: (...args: ConnectionEvents[E]) => void): this {
    const l = this.listeners[event] as Array<typeof listener>;
    const i = l.indexOf(listener);
    if (i >= 0) l.splice(i, 1);
    return this;
  }

  /** Bytes from the peer; ignored once destroyed, as a socket would. */
  push(bytes: Uint8Array): void {
    if (this.state === 'destroyed') return;
    for (const fn of [...this.listeners.data]) fn(bytes);
  }

  /** The peer closed or reset. */
  peerClosed(): void {
    if (this.state === 'destroyed') return;
    this.state = 'destroyed';
    this.emitClose();
  }

  get bytesWritten(): number {
    return this.written.reduce((a, b) => a + b.length, 0);
  }

  private emitClose(): void {
    if (this.closeEmitted) return;
    this.closeEmitted = true;
    queueMicrotask(() => {
      for (const fn of [...this.listeners.close]) fn(false);
    });
  }
}
