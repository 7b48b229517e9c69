/**
 * The garlic API over a Router in this process: each session is a LocalDestination of the
 * router (its own tunnels and LeaseSet2), streams are its StreamManager, datagrams its
 * DatagramEndpoint, names come from the router's address book and b32s from the netDb.
 */
import { Router, type RouterOptions } from '../../router/router.js';
import { streamIterator } from './incoming.js';
import type { AddressBook } from '../../router/client/addressbook.js';
import { DatagramEndpoint, type ReceivedDatagram } from '../../router/client/datagrams.js';
import { createDestinationKeys, decodeDestinationKeys, encodeDestinationKeys, type DestinationKeys } from '../../router/client/destination-keys.js';
import { DestinationError, type LocalDestination } from '../../router/client/destination.js';
import { DestinationLimitError, type Destinations } from '../../router/client/destinations.js';
import { StreamError, type I2pStream } from '../../router/client/streaming/index.js';
import { x25519Generate } from '../../router/crypto/index.js';
import { decodePrivateKeys, encodeKeysAndCert, encodePrivateKeys, i2pBase64Decode, i2pBase64Encode } from '../../router/data/index.js';
import { cryptoRandom, type Clock, type RandomSource } from '../../router/runtime/index.js';
import { b32OfDestination, parseGarlicAddress } from './address.js';
import { GarlicError } from './errors.js';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_SESSION_TIMEOUT_MS,
  type ConnectOptions,
  type GarlicBackend,
  type GarlicDatagram,
  type GarlicSession,
  type GarlicStream,
  type ListenOptions,
  type OpenSessionOptions,
  type SendDatagramOptions,
  type StreamListener,
} from './session.js';

/** What the backend needs of a router: a Router has all of it; tests hand in a simulated one. */
export interface EmbeddedHost {
  destinations: Destinations;
  clock: Clock;
  addressBook?: Pick<AddressBook, 'resolve'>;
}

const READY_POLL_MS = 250;
const MAX_DATAGRAM = 31_744;

export class EmbeddedBackend implements GarlicBackend {
  readonly kind = 'embedded' as const;
  private readonly open = new Set<EmbeddedSession>();
  private closed = false;

  constructor(
    readonly host: EmbeddedHost,
    private readonly opts: { random?: RandomSource; description?: string; onClose?: () => Promise<void> } = {},
  ) {}

  get description(): string {
    return this.opts.description ?? 'embedded router in this process';
  }

  async openSession(opts: OpenSessionOptions = {}): Promise<GarlicSession> {
    if (this.closed) throw new GarlicError('CLOSED', 'the embedded backend is closed');
    const keys = destinationKeysOf(opts.keys, this.opts.random ?? cryptoRandom);
    const side = (dir: 'inbound' | 'outbound') => ({
      length: checkRange(opts.tunnels?.[dir]?.length ?? opts.tunnels?.length ?? 3, 0, 7, 'tunnel length'),
      quantity: checkRange(opts.tunnels?.[dir]?.quantity ?? opts.tunnels?.quantity ?? 2, 1, 16, 'tunnel quantity'),
      variance: 0,
    });
    const hashKey = i2pBase64Encode(encodeKeysAndCert(keys.privateKeys.destination));
    for (const s of this.open) if (s.destination === hashKey) throw new GarlicError('BAD_KEYS', 'a session with these keys is already open');
    let dest: LocalDestination;
    try {
      dest = this.host.destinations.create(keys, { inbound: side('inbound'), outbound: side('outbound'), publish: true });
    } catch (e) {
      if (e instanceof DestinationLimitError) throw new GarlicError('LIMIT', e.message);
      throw e;
    }
    const session = new EmbeddedSession(this.host, dest, () => this.open.delete(session));
    this.open.add(session);
    try {
      await session.ready(opts.timeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS);
    } catch (e) {
      await session.close();
      throw e;
    }
    return session;
  }

  async generateKeys(): Promise<string> {
    return i2pBase64Encode(encodeDestinationKeys(createDestinationKeys(this.opts.random ?? cryptoRandom)));
  }

  sessions(): GarlicSession[] {
    return [...this.open];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.open].map((s) => s.close()));
    await this.opts.onClose?.();
  }
}

/**
 * The keys an app gave: our key file (private keys + the LeaseSet's X25519 key) or SAM/i2pd
 * private keys, which get a new X25519 key (the address depends only on the destination).
 */
function destinationKeysOf(keys: OpenSessionOptions['keys'], random: RandomSource): DestinationKeys {
  if (keys === undefined || keys === 'transient') return createDestinationKeys(random);
  let bytes: Uint8Array;
  try {
    bytes = typeof keys === 'string' ? i2pBase64Decode(keys.trim(), 'keys') : keys;
  } catch (e) {
    throw new GarlicError('BAD_KEYS', `the keys are not I2P base64: ${(e as Error).message}`);
  }
  try {
    const privateKeys = decodePrivateKeys(bytes);
    if (encodePrivateKeys(privateKeys).length === bytes.length) return { privateKeys, encryption: x25519Generate() };
  } catch {
    /* not SAM private keys: try our key file below */
  }
  try {
    return decodeDestinationKeys(bytes);
  } catch (e) {
    throw new GarlicError('BAD_KEYS', `the keys are neither an anon key file nor SAM private keys: ${(e as Error).message}`);
  }
}

function checkRange(n: number, lo: number, hi: number, what: string): number {
  if (!Number.isInteger(n) || n < lo || n > hi) throw new GarlicError('UNSUPPORTED', `${what} must be ${lo}..${hi}, got ${n}`);
  return n;
}

function streamError(e: unknown, what: string): GarlicError {
  if (e instanceof GarlicError) return e;
  if (e instanceof StreamError) {
    const code = ({ NO_ROUTE: 'NOT_FOUND', TIMEOUT: 'TIMEOUT', REFUSED: 'REFUSED', RESET: 'REFUSED', CLOSED: 'CLOSED', LIMIT: 'LIMIT' } as const)[e.code];
    return new GarlicError(code, `${what}: ${e.message}`, { cause: e });
  }
  if (e instanceof DestinationError) {
    const code = ({ NO_LEASESET: 'NOT_FOUND', NO_LEASES: 'UNREACHABLE', NO_KEY: 'UNREACHABLE', NO_TUNNELS: 'UNREACHABLE', STOPPED: 'CLOSED' } as const)[e.code];
    return new GarlicError(code, `${what}: ${e.message}`, { cause: e });
  }
  return new GarlicError('UNREACHABLE', `${what}: ${(e as Error).message}`, { cause: e });
}

/** An I2pStream seen through the garlic API (the same object, with the peer's base64 added). */
function asGarlicStream(s: I2pStream): GarlicStream {
  const base64 = i2pBase64Encode(encodeKeysAndCert(s.remoteDestination));
  Object.defineProperty(s, 'remoteDestinationBase64', { value: base64, enumerable: true });
  return s as unknown as GarlicStream;
}

class EmbeddedSession implements GarlicSession {
  readonly destination: string;
  readonly b32: string;
  readonly privateKeys: string;
  closed = false;
  private datagrams: DatagramEndpoint | undefined;
  private readonly listeners = new Map<number | 'any', () => void>();

  constructor(
    private readonly host: EmbeddedHost,
    readonly dest: LocalDestination,
    private readonly onClose: () => void,
  ) {
    this.destination = i2pBase64Encode(encodeKeysAndCert(dest.keys.privateKeys.destination));
    this.b32 = dest.b32;
    this.privateKeys = i2pBase64Encode(encodeDestinationKeys(dest.keys));
  }

  get datagramDestination(): string {
    return this.destination;
  }

  get rawDestination(): string {
    return this.destination;
  }

  /** Tunnels both ways and a LeaseSet2 signed: what a SAM bridge waits for before SESSION STATUS. */
  ready(timeoutMs: number): Promise<void> {
    const clock = this.host.clock;
    const deadline = clock.now() + timeoutMs;
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.closed) return reject(new GarlicError('CLOSED', 'the session was closed while its tunnels were built'));
        if (this.dest.leaseSet && this.dest.tunnelCounts().outbound > 0) return resolve();
        if (clock.now() >= deadline) return reject(new GarlicError('TIMEOUT', `no tunnels for the session within ${Math.round(timeoutMs / 1000)} s`));
        clock.setTimer(READY_POLL_MS, check);
      };
      check();
    });
  }

  private alive(): void {
    if (this.closed) throw new GarlicError('CLOSED', 'the session is closed');
  }

  /** A destination hash for any address: names through the address book. */
  private async hashOf(to: string | Uint8Array): Promise<Uint8Array> {
    const a = parseGarlicAddress(to);
    if (a.kind !== 'name') return a.hash;
    const r = await this.host.addressBook?.resolve(a.name).catch(() => undefined);
    if (!r) throw new GarlicError('NOT_FOUND', `${a.name} is not in the address book`);
    return r.hash;
  }

  async connect(to: string | Uint8Array, opts: ConnectOptions = {}): Promise<GarlicStream> {
    this.alive();
    const hash = await this.hashOf(to);
    try {
      const s = await this.dest.streams.connect(hash, { toPort: opts.port ?? 0, fromPort: opts.fromPort ?? 0, timeoutMs: opts.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS });
      return asGarlicStream(s);
    } catch (e) {
      throw streamError(e, `connect to ${typeof to === 'string' ? to.slice(0, 60) : 'hash'}`);
    }
  }

  async listen(opts: ListenOptions, handler: (s: GarlicStream) => void): Promise<() => void> {
    this.alive();
    const key = opts.port === undefined || opts.port === 0 ? 'any' : opts.port;
    if (typeof key === 'number' && (!Number.isInteger(key) || key < 0 || key > 65535)) throw new GarlicError('BAD_ADDRESS', `port must be 0..65535, got ${key}`);
    if (this.listeners.has(key)) throw new GarlicError('LIMIT', `something already listens on ${key === 'any' ? 'every port' : `port ${key}`}`);
    const off = this.dest.streams.listen((s) => handler(asGarlicStream(s)), key === 'any' ? {} : { port: key });
    this.listeners.set(key, off);
    return () => {
      if (this.listeners.get(key) === off) {
        off();
        this.listeners.delete(key);
      }
    };
  }

  incoming(opts: ListenOptions = {}): Promise<StreamListener> {
    return streamIterator((h) => this.listen(opts, h), () => this.closed);
  }

  private endpoint(): DatagramEndpoint {
    this.datagrams ??= new DatagramEndpoint(this.dest);
    return this.datagrams;
  }

  async sendDatagram(to: string | Uint8Array, payload: Uint8Array, opts: SendDatagramOptions = {}): Promise<void> {
    this.alive();
    if (payload.length < 1 || payload.length > MAX_DATAGRAM) throw new GarlicError('LIMIT', `a datagram holds 1..${MAX_DATAGRAM} bytes, got ${payload.length}`);
    for (const [k, v] of [['fromPort', opts.fromPort], ['toPort', opts.toPort]] as const) {
      if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 65535)) throw new GarlicError('BAD_ADDRESS', `${k} must be 0..65535, got ${v}`);
    }
    const hash = await this.hashOf(to);
    try {
      await this.endpoint().send(hash, payload, { kind: opts.kind ?? 'repliable', fromPort: opts.fromPort ?? 0, toPort: opts.toPort ?? 0 });
    } catch (e) {
      throw streamError(e, 'datagram');
    }
  }

  onDatagram(handler: (d: GarlicDatagram) => void): () => void {
    return this.endpoint().onDatagram((d: ReceivedDatagram) => {
      const from = d.from ? i2pBase64Encode(encodeKeysAndCert(d.from)) : undefined;
      handler({ kind: d.kind, ...(from !== undefined && { from, fromB32: b32OfDestination(from) }), fromPort: d.fromPort, toPort: d.toPort, payload: d.payload });
    });
  }

  async lookup(to: string | Uint8Array): Promise<string> {
    this.alive();
    const a = parseGarlicAddress(to);
    if (a.kind === 'destination') return a.base64;
    if (a.kind === 'name') {
      const r = await this.host.addressBook?.resolve(a.name).catch(() => undefined);
      if (r?.kind === 'name') return r.destinationBase64;
      throw new GarlicError('NOT_FOUND', `${a.name} is not in the address book`);
    }
    try {
      const ls = await this.dest.resolve(a.hash);
      return i2pBase64Encode(encodeKeysAndCert(ls.destination));
    } catch (e) {
      throw streamError(e, `lookup of ${a.b32}`);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
    this.datagrams?.close();
    for (const off of this.listeners.values()) off();
    this.listeners.clear();
    this.host.destinations.remove(this.dest.hash);
  }
}

export interface EmbeddedRouterOptions {
  /** The router's home (its LevelDB, keys, netDb); an app uses its own, e.g. $ANON_HOME/apps/<app>/router. */
  home: string;
  reseed?: string;
  /** Settings saved in the router's home (as `anon-router start` flags are). */
  config?: RouterOptions['config'];
  /**
   * Settings for this run only, not saved. Default: no SAM bridge and no HTTP proxy, since an
   * embedded router serves only its own process (and the home's own settings stay as they were).
   */
  runOnly?: RouterOptions['runOnly'];
  log?: RouterOptions['log'];
}

/**
 * A router started in this process, as `anon-router start` starts one (Router.open, start),
 * behind an EmbeddedBackend that stops it when closed.
 */
export async function startEmbeddedRouter(opts: EmbeddedRouterOptions): Promise<{ router: Router; backend: EmbeddedBackend }> {
  let router: Router;
  try {
    router = await Router.open({
      home: opts.home,
      ...(opts.reseed !== undefined && { reseed: opts.reseed }),
      ...(opts.config !== undefined && { config: opts.config }),
      runOnly: opts.runOnly ?? { sam: { enabled: false }, httpProxy: { enabled: false } },
      ...(opts.log !== undefined && { log: opts.log }),
    });
  } catch (e) {
    throw new GarlicError('BACKEND_DOWN', `cannot open an embedded router in ${opts.home}: ${(e as Error).message}`, { cause: e });
  }
  try {
    await router.start();
  } catch (e) {
    await router.stop({ graceful: false });
    throw new GarlicError('BACKEND_DOWN', `the embedded router did not start: ${(e as Error).message}`, { cause: e });
  }
  const backend = new EmbeddedBackend(router, { description: `embedded router in this process (home ${opts.home})`, onClose: () => router.stop({ graceful: true }) });
  return { router, backend };
}

/** A backend over a router someone else started (and will stop). */
export function embeddedBackend(router: Router): EmbeddedBackend {
  return new EmbeddedBackend(router);
}
