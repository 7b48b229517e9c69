import { systemClock, type Clock } from './clock.js';
import { RuntimeError } from './errors.js';
import type { Connection, ConnectionEvents, DialOptions, Listener, Network } from './net.js';

export interface MemoryNetworkOptions {
  /** Drives latency; systemClock if absent. Zero latency uses microtasks, never the clock. */
  readonly clock?: Clock;
  /** One-way delay in ms, fixed or per (from host, to host). Default 0. */
  readonly latencyMs?: number | ((fromHost: string, toHost: string) => number);
  /** Bytes sent but not yet read above which `write` returns false. Default 64 KiB. */
  readonly highWaterMark?: number;
  /** Bytes sent but not yet read above which the connection is destroyed (ENOBUFS). Default 4 MiB. */
  readonly maxBuffered?: number;
  /** Source address when a dial names none. Default 127.0.0.1. */
  readonly defaultLocalAddress?: string;
}

const EPHEMERAL_FIRST = 49152;
const EPHEMERAL_COUNT = 65536 - EPHEMERAL_FIRST;

type Sent = { kind: 'data'; bytes: Uint8Array } | { kind: 'fin' } | { kind: 'rst'; hadError: boolean };
type Item = Sent & { due: number };

/**
 * One direction of a connection: items leave in the order written, each no earlier than its
 * due time, so a changing latency can delay but never reorder a stream.
 */
class Pipe {
  #queue: Item[] = [];
  #scheduled = false;
  #lastDue = 0;

  constructor(
    private readonly clock: Clock,
    private readonly latency: number,
    private readonly deliver: (item: Item) => void,
  ) {}

  push(item: Sent): void {
    const due = Math.max(this.clock.now() + this.latency, this.#lastDue);
    this.#lastDue = due;
    this.#queue.push({ ...item, due });
    this.#schedule();
  }

  /** Drop everything in flight; returns the data bytes dropped. */
  drop(): number {
    let bytes = 0;
    for (const item of this.#queue) if (item.kind === 'data') bytes += item.bytes.length;
    this.#queue = [];
    return bytes;
  }

  #schedule(): void {
    if (this.#scheduled || this.#queue.length === 0) return;
    this.#scheduled = true;
    const wait = this.#queue[0]!.due - this.clock.now();
    if (wait <= 0 && this.latency === 0) queueMicrotask(() => this.#pump());
    else this.clock.setTimer(Math.max(0, wait), () => this.#pump());
  }

  #pump(): void {
    this.#scheduled = false;
    const now = this.clock.now();
    // Bounded by the queue, which maxBuffered bounds.
    while (this.#queue.length > 0 && this.#queue[0]!.due <= now) this.deliver(this.#queue.shift()!);
    this.#schedule();
  }
}

type Listeners = { [E in keyof ConnectionEvents]: Array<(...args: ConnectionEvents[E]) => void> };

/**
 * One end. Close follows TCP without half-open: `close()` sends FIN after the queued data; the
 * peer, on FIN, closes its side too; each end emits `close(false)` once it has sent and
 * received FIN. `destroy(err)` drops what is in flight both ways; the peer sees
 * `error(ECONNRESET)` + `close(true)` if an error was given, else a plain `close(false)`.
 */
class MemoryConnection implements Connection {
  peer!: MemoryConnection;
  out!: Pipe;
  #listeners: Listeners = { data: [], drain: [], error: [], close: [] };
  #readQueue: Uint8Array[] = [];
  #finPending = false;
  #writable = true;
  #readable = true;
  #closed = false;
  #needDrain = false;
  /** Bytes this end wrote that the peer has not yet handed to a data listener. */
  unread = 0;
  noDelay = false;

  constructor(
    private readonly net: MemoryNetwork,
    readonly localAddress: string,
    readonly localPort: number,
    readonly remoteAddress: string,
    readonly remotePort: number,
  ) {}

  get closed(): boolean {
    return this.#closed;
  }

  write(bytes: Uint8Array): boolean {
    // Writing after close is a race with the peer's FIN more often than a bug: drop quietly.
    if (!this.#writable) return false;
    if (this.unread + bytes.length > this.net.maxBuffered) {
      this.destroy(new RuntimeError('ENOBUFS', `more than ${this.net.maxBuffered} bytes unread by the peer`));
      return false;
    }
    this.unread += bytes.length;
    this.out.push({ kind: 'data', bytes: new Uint8Array(bytes) });
    if (this.unread >= this.net.highWaterMark) {
      this.#needDrain = true;
      return false;
    }
    return true;
  }

  close(): void {
    if (!this.#writable) return;
    this.#writable = false;
    this.out.push({ kind: 'fin' });
    if (!this.#readable) this.#finish(false);
  }

  destroy(err?: Error): void {
    if (this.#closed) return;
    this.#writable = false;
    this.#readable = false;
    this.#readQueue = [];
    this.out.drop();
    this.unread = 0;
    this.out.push({ kind: 'rst', hadError: err !== undefined });
    this.#fail(err);
  }

  setNoDelay(noDelay = true): void {
    this.noDelay = noDelay;
  }

  on<E extends keyof ConnectionEvents>(event: E, listener: (...args: ConnectionEvents[E]) => void): this {
    (this.#listeners[event] as Array<typeof listener>).push(listener);
    // Data that arrived before anyone listened is handed over now, as a paused socket would.
    if (event === 'data' && (this.#readQueue.length > 0 || this.#finPending)) queueMicrotask(() => this.#flush());
    return this;
  }

  off<E extends keyof ConnectionEvents>(event: E, listener: (...args: ConnectionEvents[E]) => void): this {
    const list = this.#listeners[event] as Array<typeof listener>;
    const i = list.indexOf(listener);
    if (i >= 0) list.splice(i, 1);
    return this;
  }

  #emit<E extends keyof ConnectionEvents>(event: E, ...args: ConnectionEvents[E]): void {
    for (const fn of [...this.#listeners[event]] as Array<(...a: ConnectionEvents[E]) => void>) fn(...args);
  }

  /** Called by the peer's pipe. */
  receive(item: Item): void {
    if (this.#closed) {
      if (item.kind === 'data') this.peer.#consumed(item.bytes.length);
      return;
    }
    if (item.kind === 'data') {
      if (!this.#readable) {
        this.peer.#consumed(item.bytes.length);
        return;
      }
      this.#readQueue.push(item.bytes);
      this.#flush();
    } else if (item.kind === 'fin') {
      this.#finPending = true;
      this.#flush();
    } else {
      this.#writable = false;
      this.#readable = false;
      this.#readQueue = [];
      this.out.drop();
      this.unread = 0;
      this.#fail(item.hadError ? new RuntimeError('ECONNRESET', `connection reset by ${this.remoteAddress}:${this.remotePort}`) : undefined);
    }
  }

  #flush(): void {
    if (this.#closed) return;
    // Bounded by the queue; a listener that closes us stops the loop. Without a data listener
    // data waits (as in a paused socket), but a FIN behind no data still closes the end.
    while (this.#readQueue.length > 0 && !this.#closed && this.#listeners.data.length > 0) {
      const chunk = this.#readQueue.shift()!;
      this.peer.#consumed(chunk.length);
      this.#emit('data', chunk);
    }
    if (this.#finPending && !this.#closed && this.#readQueue.length === 0) {
      this.#finPending = false;
      this.#readable = false;
      if (this.#writable) this.close();
      else this.#finish(false);
    }
  }

  #consumed(n: number): void {
    this.unread = Math.max(0, this.unread - n);
    if (this.#needDrain && this.unread < this.net.highWaterMark && !this.#closed) {
      this.#needDrain = false;
      this.#emit('drain');
    }
  }

  #finish(hadError: boolean): void {
    if (this.#closed) return;
    this.#closed = true;
    this.net.release(this);
    queueMicrotask(() => this.#emit('close', hadError));
  }

  #fail(err: Error | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.net.release(this);
    queueMicrotask(() => {
      if (err !== undefined) this.#emit('error', err);
      this.#emit('close', err !== undefined);
    });
  }
}

interface MemoryListener {
  readonly host: string;
  readonly port: number;
  readonly onConnection: (conn: Connection) => void;
  open: boolean;
}

/**
 * Many routers in one process, reaching each other by (host, port) as over TCP: listen, dial,
 * refusal for an address nobody listens on, ordered delivery with optional latency on the
 * injected clock, close and reset propagation, and bounded buffers.
 */
export class MemoryNetwork implements Network {
  readonly clock: Clock;
  readonly highWaterMark: number;
  readonly maxBuffered: number;
  readonly #latency: (from: string, to: string) => number;
  readonly #defaultLocal: string;
  #listeners = new Map<string, MemoryListener>();
  /** Ports taken per host, by listeners and by the local end of dialled connections. */
  #ports = new Map<string, Set<number>>();
  #nextEphemeral = new Map<string, number>();
  #open = new Set<MemoryConnection>();

  constructor(options: MemoryNetworkOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.highWaterMark = options.highWaterMark ?? 64 * 1024;
    this.maxBuffered = options.maxBuffered ?? 4 * 1024 * 1024;
    if (!(this.highWaterMark > 0 && this.maxBuffered >= this.highWaterMark)) {
      throw new RuntimeError('EINVAL', 'need 0 < highWaterMark <= maxBuffered');
    }
    const lat = options.latencyMs ?? 0;
    this.#latency = typeof lat === 'number' ? () => lat : lat;
    this.#defaultLocal = options.defaultLocalAddress ?? '127.0.0.1';
  }

  /** Connections not yet closed at either end: for simulations and leak checks in tests. */
  get openConnections(): number {
    return this.#open.size;
  }

  #latencyOf(from: string, to: string): number {
    const ms = this.#latency(from, to);
    if (!Number.isFinite(ms) || ms < 0) throw new RuntimeError('EINVAL', `latency ${from} -> ${to} must be >= 0, got ${ms}`);
    return ms;
  }

  #take(host: string, port: number): boolean {
    let set = this.#ports.get(host);
    if (set === undefined) this.#ports.set(host, (set = new Set()));
    if (set.has(port)) return false;
    set.add(port);
    return true;
  }

  #free(host: string, port: number): void {
    this.#ports.get(host)?.delete(port);
  }

  #ephemeral(host: string): number {
    let next = this.#nextEphemeral.get(host) ?? EPHEMERAL_FIRST;
    for (let i = 0; i < EPHEMERAL_COUNT; i++) {
      const port = next;
      next = next + 1 >= 65536 ? EPHEMERAL_FIRST : next + 1;
      if (this.#take(host, port)) {
        this.#nextEphemeral.set(host, next);
        return port;
      }
    }
    throw new RuntimeError('EADDRINUSE', `no free ephemeral port on ${host}`);
  }

  listen(host: string, port: number, onConnection: (conn: Connection) => void): Promise<Listener> {
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      return Promise.reject(new RuntimeError('EINVAL', `port ${port} out of range`));
    }
    let bound = port;
    if (port === 0) {
      try {
        bound = this.#ephemeral(host);
      } catch (err) {
        return Promise.reject(err);
      }
    } else if (!this.#take(host, port)) {
      return Promise.reject(new RuntimeError('EADDRINUSE', `${host}:${port} is already in use`));
    }
    const key = `${host}:${bound}`;
    const entry: MemoryListener = { host, port: bound, onConnection, open: true };
    this.#listeners.set(key, entry);
    return Promise.resolve({
      host,
      port: bound,
      close: async () => {
        if (!entry.open) return;
        entry.open = false;
        this.#listeners.delete(key);
        this.#free(host, bound);
      },
    });
  }

  dial(host: string, port: number, options: DialOptions = {}): Promise<Connection> {
    const from = options.localAddress ?? this.#defaultLocal;
    const { signal } = options;
    return new Promise<Connection>((resolve, reject) => {
      if (signal?.aborted) {
        reject(new RuntimeError('EABORTED', `dial ${host}:${port} aborted`, { cause: signal.reason }));
        return;
      }
      let settled = false;
      const onAbort = (): void => {
        if (settled) return;
        settled = true;
        reject(new RuntimeError('EABORTED', `dial ${host}:${port} aborted`, { cause: signal?.reason }));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = (fn: () => void): void => {
        signal?.removeEventListener('abort', onAbort);
        if (settled) return;
        settled = true;
        fn();
      };
      const there = this.#latencyOf(from, host);
      const back = this.#latencyOf(host, from);
      this.#after(there, () => {
        if (settled) return; // aborted before the SYN arrived
        const listener = this.#listeners.get(`${host}:${port}`) ?? this.#listeners.get(`0.0.0.0:${port}`);
        if (listener === undefined || !listener.open) {
          this.#after(back, () => settle(() => reject(new RuntimeError('ECONNREFUSED', `connect ECONNREFUSED ${host}:${port}`))));
          return;
        }
        let localPort: number;
        try {
          localPort = this.#ephemeral(from);
        } catch (err) {
          settle(() => reject(err));
          return;
        }
        const client = new MemoryConnection(this, from, localPort, host, port);
        const server = new MemoryConnection(this, host, port, from, localPort);
        client.peer = server;
        server.peer = client;
        client.out = new Pipe(this.clock, there, (item) => server.receive(item));
        server.out = new Pipe(this.clock, back, (item) => client.receive(item));
        this.#open.add(client);
        this.#open.add(server);
        listener.onConnection(server);
        this.#after(back, () => {
          if (settled) {
            // Aborted while the handshake was in flight: reset the accepted end.
            client.destroy();
            return;
          }
          settle(() => resolve(client));
        });
      });
    });
  }

  #after(ms: number, fn: () => void): void {
    if (ms === 0) queueMicrotask(fn);
    else this.clock.setTimer(ms, fn);
  }

  /** @internal A connection end closed: free its port if it was the dialling end. */
  release(conn: MemoryConnection): void {
    this.#open.delete(conn);
    const listening = this.#listeners.get(`${conn.localAddress}:${conn.localPort}`);
    if (listening === undefined) this.#free(conn.localAddress, conn.localPort);
  }
}
