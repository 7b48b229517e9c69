/**
 * The garlic API over any SAM v3 bridge (samv3.html): our anon-router, i2pd or Java I2P.
 *
 * One session = one control socket with SESSION CREATE (STYLE=STREAM; on a 3.3 bridge that
 * wants datagrams too, STYLE=PRIMARY with STREAM, DATAGRAM and RAW subsessions, all on one
 * destination). On 3.1/3.2 bridges datagrams need their own DATAGRAM and RAW sessions, hence
 * their own destinations (`datagramDestination`). Streams: one socket per STREAM CONNECT;
 * incoming ones through STREAM FORWARD to a listener of ours on loopback, or a pool of pending
 * STREAM ACCEPTs when the bridge is on another host. Datagrams go over the bridge's UDP port and
 * come back forwarded to a UDP socket of ours. I2CP ports need 3.2: on 3.1 a non-zero port is
 * refused (UNSUPPORTED) rather than silently dropped.
 */
import { streamIterator } from './incoming.js';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { createServer, isIP, type Server, type Socket } from 'node:net';
import { decodePrivateKeys, encodeKeysAndCert, encodePrivateKeys, i2pBase64Decode, i2pBase64Encode } from '../../router/data/index.js';
import { decodeDestinationKeys } from '../../router/client/destination-keys.js';
import { b32OfDestination, parseGarlicAddress, type GarlicAddress } from './address.js';
import { GarlicError } from './errors.js';
import { encodeDatagramSend, parseAcceptLine, parseForwardedDatagram, type SamParams } from './sam-protocol.js';
import { SamSocket } from './sam-socket.js';
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

export interface SamBackendOptions {
  /** "HOST:PORT" with an IP literal (default 127.0.0.1:7656). */
  address?: string;
  /** The bridge's datagram port (default: its TCP port − 1, i.e. 7655 for 7656, as i2pd has it). */
  udpPort?: number;
  /** How incoming streams arrive: FORWARD to us (default when the bridge is on loopback) or ACCEPT. */
  listenMode?: 'forward' | 'accept';
  /** Pending STREAM ACCEPTs per session in accept mode. */
  acceptPool?: number;
  connectTimeoutMs?: number;
}

const HELLO_TIMEOUT_MS = 10_000;
const COMMAND_TIMEOUT_MS = 60_000;
const LOOKUP_TIMEOUT_MS = 60_000;
const ACCEPT_LINE_TIMEOUT_MS = 15_000;
const MAX_SESSIONS = 32;
const MAX_STREAMS_PER_SESSION = 1_024;
const LOOKUP_CACHE = 1_000;

export function parseSamAddress(address: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(address.trim());
  if (!m) throw new GarlicError('BAD_ADDRESS', `the SAM address must be HOST:PORT, got ${JSON.stringify(address)}`);
  const host = m[1];
  const port = Number(m[2]);
  if (isIP(host) === 0) throw new GarlicError('BAD_ADDRESS', `the SAM host must be an IP address (no DNS lookups), got ${JSON.stringify(host)}`);
  if (port < 1 || port > 65535) throw new GarlicError('BAD_ADDRESS', `bad SAM port ${port}`);
  return { host, port };
}

function isLoopback(host: string): boolean {
  return host.startsWith('127.') || host === '::1';
}

export class SamBackend implements GarlicBackend {
  readonly kind = 'sam' as const;
  private readonly open = new Set<SamSession>();
  private closed = false;

  private constructor(
    readonly host: string,
    readonly port: number,
    /** The version the bridge chose in the probe's HELLO. */
    readonly version: string,
    private readonly opts: SamBackendOptions,
  ) {}

  /** Connects and says HELLO once: a bridge that does not answer is BACKEND_DOWN. */
  static async connect(opts: SamBackendOptions = {}): Promise<SamBackend> {
    const { host, port } = parseSamAddress(opts.address ?? '127.0.0.1:7656');
    const s = await SamSocket.open(host, port, opts.connectTimeoutMs ?? HELLO_TIMEOUT_MS);
    try {
      const version = await s.hello(opts.connectTimeoutMs ?? HELLO_TIMEOUT_MS);
      return new SamBackend(host, port, version, opts);
    } finally {
      s.close();
    }
  }

  get description(): string {
    return `SAM ${this.version} bridge at ${this.host}:${this.port}`;
  }

  get udpPort(): number {
    return this.opts.udpPort ?? this.port - 1;
  }

  get listenMode(): 'forward' | 'accept' {
    return this.opts.listenMode ?? (isLoopback(this.host) ? 'forward' : 'accept');
  }

  get acceptPool(): number {
    return Math.max(1, Math.min(16, this.opts.acceptPool ?? 4));
  }

  /** A socket that has said HELLO. */
  async socket(timeoutMs = HELLO_TIMEOUT_MS): Promise<SamSocket> {
    if (this.closed) throw new GarlicError('CLOSED', 'the SAM backend is closed');
    const s = await SamSocket.open(this.host, this.port, timeoutMs);
    try {
      await s.hello(timeoutMs);
    } catch (e) {
      s.close();
      throw e;
    }
    return s;
  }

  async openSession(opts: OpenSessionOptions = {}): Promise<GarlicSession> {
    if (this.closed) throw new GarlicError('CLOSED', 'the SAM backend is closed');
    if (this.open.size >= MAX_SESSIONS) throw new GarlicError('LIMIT', `at most ${MAX_SESSIONS} sessions per backend`);
    const session = new SamSession(this, opts, () => this.open.delete(session));
    this.open.add(session);
    try {
      await session.start();
    } catch (e) {
      await session.close();
      throw e;
    }
    return session;
  }

  /** DEST GENERATE SIGNATURE_TYPE=7 (Ed25519): new private keys, base64. */
  async generateKeys(): Promise<string> {
    const s = await this.socket();
    try {
      const r = await s.command('DEST', 'GENERATE', [['SIGNATURE_TYPE', 7]], COMMAND_TIMEOUT_MS);
      const priv = r.params.get('PRIV');
      if (r.topic !== 'DEST' || r.verb !== 'REPLY' || !priv) throw new GarlicError('PROTOCOL', `DEST GENERATE answered ${r.topic} ${r.verb} ${r.params.get('RESULT') ?? ''}`.trim());
      publicOfPrivateKeys(priv);
      return priv;
    } finally {
      s.close();
    }
  }

  sessions(): GarlicSession[] {
    return [...this.open];
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.open].map((s) => s.close()));
  }
}

/** The public destination (base64) in a SAM private-keys string; BAD_KEYS if it is not one. */
export function publicOfPrivateKeys(priv: string): string {
  try {
    return i2pBase64Encode(encodeKeysAndCert(decodePrivateKeys(i2pBase64Decode(priv, 'keys')).destination));
  } catch (e) {
    throw new GarlicError('BAD_KEYS', `not SAM private keys: ${(e as Error).message}`);
  }
}

/** The keys an app passed, as SAM's DESTINATION= value (our key files carry 32 more bytes). */
function samPrivateKeys(keys: OpenSessionOptions['keys']): string {
  if (keys === undefined || keys === 'transient') return 'TRANSIENT';
  const bytes = typeof keys === 'string' ? decodeKeysText(keys) : keys;
  try {
    decodePrivateKeys(bytes);
    return i2pBase64Encode(bytes);
  } catch {
    try {
      return i2pBase64Encode(encodePrivateKeys(decodeDestinationKeys(bytes).privateKeys));
    } catch (e) {
      throw new GarlicError('BAD_KEYS', `the keys are neither SAM private keys nor an anon key file: ${(e as Error).message}`);
    }
  }
}

function decodeKeysText(s: string): Uint8Array {
  try {
    return i2pBase64Decode(s.trim(), 'keys');
  } catch (e) {
    throw new GarlicError('BAD_KEYS', `the keys are not I2P base64: ${(e as Error).message}`);
  }
}

function tunnelParams(t: OpenSessionOptions['tunnels']): SamParams {
  const out: [string, number][] = [];
  for (const dir of ['inbound', 'outbound'] as const) {
    const length = t?.[dir]?.length ?? t?.length;
    const quantity = t?.[dir]?.quantity ?? t?.quantity;
    if (length !== undefined) out.push([`${dir}.length`, checkRange(length, 0, 7, 'tunnel length')]);
    if (quantity !== undefined) out.push([`${dir}.quantity`, checkRange(quantity, 1, 16, 'tunnel quantity')]);
  }
  return out;
}

/**
 * What SESSION CREATE asks for a new destination: its tunnels, and an X25519 (ECIES) LeaseSet
 * key first, ElGamal second. Without it i2pd 2.45 gives a SAM destination the identity's crypto
 * type only, ElGamal: then routers that speak only ECIES-X25519 garlic, ours among them, cannot
 * answer it (Java I2P's default is this "4,0").
 */
function destinationParams(t: OpenSessionOptions['tunnels']): [string, string | number][] {
  return [['i2cp.leaseSetEncType', '4,0'], ...(tunnelParams(t) as [string, number][])];
}

function checkRange(n: number, lo: number, hi: number, what: string): number {
  if (!Number.isInteger(n) || n < lo || n > hi) throw new GarlicError('UNSUPPORTED', `${what} must be ${lo}..${hi}, got ${n}`);
  return n;
}

function checkPort(n: number | undefined, what: string): number {
  if (n === undefined) return 0;
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new GarlicError('BAD_ADDRESS', `${what} must be 0..65535, got ${n}`);
  return n;
}

/** A STREAM STATUS / SESSION STATUS result as a GarlicError. */
function resultError(result: string | undefined, message: string | undefined, what: string): GarlicError {
  const text = `${what}: ${result ?? 'no RESULT'}${message ? ` (${message})` : ''}`;
  switch (result) {
    case 'CANT_REACH_PEER':
      return new GarlicError('UNREACHABLE', text);
    case 'PEER_NOT_FOUND':
    case 'KEY_NOT_FOUND':
      return new GarlicError('NOT_FOUND', text);
    case 'TIMEOUT':
      return new GarlicError('TIMEOUT', text);
    case 'INVALID_KEY':
      return new GarlicError('BAD_ADDRESS', text);
    case 'INVALID_ID':
      return new GarlicError('CLOSED', text);
    case 'DUPLICATED_DEST':
    case 'DUPLICATED_ID':
      return new GarlicError('BAD_KEYS', text);
    case 'ALREADY_ACCEPTING':
      return new GarlicError('LIMIT', text);
    default:
      return new GarlicError('UNREACHABLE', text);
  }
}

type Listener = { port: number | undefined; handler: (s: GarlicStream) => void };

class SamSession implements GarlicSession {
  destination = '';
  b32 = '';
  privateKeys = '';
  datagramDestination = '';
  rawDestination = '';
  closed = false;
  private control: SamSocket | undefined;
  private readonly id: string;
  /** The id STREAM commands use: the session, or its STREAM subsession under PRIMARY. */
  private streamId = '';
  private primary = false;
  private readonly version: { minor: number; text: string };
  private readonly listeners = new Set<Listener>();
  private forward: { server: Server; socket: SamSocket } | undefined;
  private acceptors = new Set<SamSocket>();
  private incomingSetup: Promise<void> | undefined;
  private readonly streams = new Set<GarlicStream>();
  private readonly lookups = new Map<string, string>();
  private datagrams: Promise<DatagramSide> | undefined;
  private readonly datagramHandlers = new Set<(d: GarlicDatagram) => void>();

  constructor(
    private readonly backend: SamBackend,
    private readonly opts: OpenSessionOptions,
    private readonly onClose: () => void,
  ) {
    const label = (opts.name ?? 'anon').replace(/[^A-Za-z0-9_-]/g, '').slice(0, 16) || 'anon';
    this.id = `${label}-${randomBytes(6).toString('hex')}`;
    const [, minor] = backend.version.split('.').map(Number);
    this.version = { minor, text: backend.version };
  }

  get supportsPorts(): boolean {
    return this.version.minor >= 2;
  }

  async start(): Promise<void> {
    const timeout = this.opts.timeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
    const control = await this.backend.socket();
    this.control = control;
    control.socket.on('close', () => void this.close());
    this.primary = this.version.minor >= 3 && this.opts.datagrams === true;
    const dest = samPrivateKeys(this.opts.keys);
    const params: [string, string | number][] = [
      ['STYLE', this.primary ? 'PRIMARY' : 'STREAM'],
      ['ID', this.id],
      ['DESTINATION', dest],
    ];
    if (dest === 'TRANSIENT') params.push(['SIGNATURE_TYPE', 7]);
    params.push(...destinationParams(this.opts.tunnels));
    const r = await control.command('SESSION', 'CREATE', params, timeout);
    if (r.topic !== 'SESSION' || r.verb !== 'STATUS') throw new GarlicError('PROTOCOL', `SESSION CREATE answered ${r.topic} ${r.verb}`);
    if (r.params.get('RESULT') !== 'OK') throw resultError(r.params.get('RESULT'), r.params.get('MESSAGE'), 'SESSION CREATE');
    const priv = r.params.get('DESTINATION');
    if (!priv) throw new GarlicError('PROTOCOL', 'SESSION STATUS without DESTINATION');
    this.privateKeys = priv;
    this.destination = publicOfPrivateKeys(priv);
    this.b32 = b32OfDestination(this.destination);
    this.datagramDestination = this.destination;
    this.rawDestination = this.destination;
    this.streamId = this.id;
    if (this.primary) {
      this.streamId = `${this.id}-s`;
      await this.add([['STYLE', 'STREAM'], ['ID', this.streamId]]);
    }
    if (this.opts.datagrams) await this.ensureDatagrams();
  }

  /** SESSION ADD on the control socket (PRIMARY only). */
  private async add(params: SamParams): Promise<void> {
    const r = await this.control!.command('SESSION', 'ADD', params, COMMAND_TIMEOUT_MS);
    if (r.params.get('RESULT') !== 'OK') throw resultError(r.params.get('RESULT'), r.params.get('MESSAGE'), 'SESSION ADD');
  }

  private alive(): void {
    if (this.closed) throw new GarlicError('CLOSED', 'the session is closed');
  }

  /** What STREAM CONNECT and the UDP line take: b32 and names as they are, destinations in base64. */
  private target(a: GarlicAddress): string {
    switch (a.kind) {
      case 'destination':
        return a.base64;
      case 'b32':
      case 'hash':
        return a.b32;
      case 'name':
        return a.name;
    }
  }

  async connect(to: string | Uint8Array, opts: ConnectOptions = {}): Promise<GarlicStream> {
    this.alive();
    const a = parseGarlicAddress(to);
    const toPort = checkPort(opts.port, 'port');
    const fromPort = checkPort(opts.fromPort, 'fromPort');
    if ((toPort !== 0 || fromPort !== 0) && !this.supportsPorts) throw new GarlicError('UNSUPPORTED', `the SAM ${this.version.text} bridge cannot carry stream ports (3.2 needed)`);
    if (this.streams.size >= MAX_STREAMS_PER_SESSION) throw new GarlicError('LIMIT', `at most ${MAX_STREAMS_PER_SESSION} streams per session`);
    const timeout = opts.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const s = await this.backend.socket();
    try {
      s.streamAfterLines(1);
      const params: SamParams = [
        ['ID', this.streamId],
        ['DESTINATION', this.target(a)],
        ['SILENT', 'false'],
        ...(this.supportsPorts ? ([['FROM_PORT', fromPort], ['TO_PORT', toPort]] as const) : []),
      ];
      const r = await s.command('STREAM', 'CONNECT', params, timeout);
      if (r.topic !== 'STREAM' || r.verb !== 'STATUS') throw new GarlicError('PROTOCOL', `STREAM CONNECT answered ${r.topic} ${r.verb}`);
      if (r.params.get('RESULT') !== 'OK') throw resultError(r.params.get('RESULT'), r.params.get('MESSAGE'), `connect to ${a.kind === 'name' ? a.name : a.b32}`);
      const remoteB32 = a.kind === 'name' ? (await this.lookupCached(a.name).then((d) => b32OfDestination(d)).catch(() => a.name)) : a.b32;
      const stream = s.detach({ remoteB32, remoteDestinationBase64: a.kind === 'destination' ? a.base64 : this.lookups.get(remoteB32), localPort: fromPort, remotePort: toPort });
      return this.track(stream);
    } catch (e) {
      s.close();
      throw e;
    }
  }

  private track(stream: GarlicStream): GarlicStream {
    this.streams.add(stream);
    stream.once('close', () => this.streams.delete(stream));
    return stream;
  }

  async listen(opts: ListenOptions, handler: (s: GarlicStream) => void): Promise<() => void> {
    this.alive();
    const port = opts.port === undefined ? undefined : checkPort(opts.port, 'port');
    if (port !== undefined && port !== 0 && !this.supportsPorts) throw new GarlicError('UNSUPPORTED', `the SAM ${this.version.text} bridge cannot tell stream ports apart (3.2 needed)`);
    for (const l of this.listeners) if (l.port === port) throw new GarlicError('LIMIT', `something already listens on ${port === undefined ? 'every port' : `port ${port}`}`);
    const l: Listener = { port, handler };
    this.listeners.add(l);
    try {
      this.incomingSetup ??= this.backend.listenMode === 'forward' ? this.startForward() : this.startAccepting();
      await this.incomingSetup;
    } catch (e) {
      this.listeners.delete(l);
      this.incomingSetup = undefined;
      throw e;
    }
    return () => this.listeners.delete(l);
  }

  incoming(opts: ListenOptions = {}): Promise<StreamListener> {
    return streamIterator((h) => this.listen(opts, h), () => this.closed);
  }

  /** An incoming stream to whoever listens on its port (or on every port); else it is reset. */
  private dispatch(stream: GarlicStream): void {
    if (this.closed || this.streams.size >= MAX_STREAMS_PER_SESSION) {
      stream.destroy();
      return;
    }
    let target: Listener | undefined;
    for (const l of this.listeners) if (l.port !== undefined && l.port !== 0 && l.port === stream.localPort) target = l;
    if (!target) for (const l of this.listeners) if (l.port === undefined || l.port === 0) target = l;
    if (!target) {
      stream.destroy();
      return;
    }
    target.handler(this.track(stream));
  }

  /** STREAM FORWARD to a TCP listener of ours on the address the bridge sees us from. */
  private async startForward(): Promise<void> {
    const control = this.control!;
    const host = control.socket.localAddress ?? '127.0.0.1';
    const server = createServer({ allowHalfOpen: true }, (sock) => this.onForwarded(sock));
    server.maxConnections = MAX_STREAMS_PER_SESSION;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port: 0 }, () => resolve());
    });
    const port = (server.address() as { port: number }).port;
    let s: SamSocket;
    try {
      s = await this.backend.socket();
      const r = await s.command('STREAM', 'FORWARD', [['ID', this.streamId], ['PORT', port], ['HOST', host], ['SILENT', 'false']], COMMAND_TIMEOUT_MS);
      if (r.params.get('RESULT') !== 'OK') {
        s.close();
        throw resultError(r.params.get('RESULT'), r.params.get('MESSAGE'), 'STREAM FORWARD');
      }
    } catch (e) {
      server.close();
      throw e;
    }
    this.forward = { server, socket: s };
  }

  /** A connection the bridge made to our forward listener: the accept line, then the stream. */
  private onForwarded(sock: Socket): void {
    const host = this.backend.host;
    // Only the bridge may hand us streams.
    const from = sock.remoteAddress ?? '';
    if (!(from === host || (isLoopback(host) && isLoopback(from.replace(/^::ffff:/, ''))) || from.replace(/^::ffff:/, '') === host)) {
      sock.destroy();
      return;
    }
    void this.readAcceptLine(SamSocket.adopt(sock, `${host}:${this.backend.port}`), ACCEPT_LINE_TIMEOUT_MS);
  }

  private async readAcceptLine(s: SamSocket, timeoutMs: number): Promise<boolean> {
    try {
      const line = await s.readLine(timeoutMs, 'the accept line');
      const a = parseAcceptLine(line);
      if ('error' in a) {
        s.close();
        return false;
      }
      const remoteB32 = b32OfDestination(a.destination);
      this.dispatch(s.detach({ remoteB32, remoteDestinationBase64: a.destination, localPort: a.toPort, remotePort: a.fromPort }));
      return true;
    } catch {
      s.close();
      return false;
    }
  }

  /** A pool of pending STREAM ACCEPTs, each replaced when it got its stream or failed. */
  private async startAccepting(): Promise<void> {
    // The first one proves the bridge takes ACCEPTs; the rest fill in behind it.
    await this.acceptOne(true);
    for (let i = 1; i < this.backend.acceptPool; i++) void this.acceptOne(false).catch(() => undefined);
  }

  private async acceptOne(first: boolean, failures = 0): Promise<void> {
    if (this.closed || this.listeners.size === 0) return;
    const s = await this.backend.socket();
    this.acceptors.add(s);
    let gotStream = false;
    try {
      s.streamAfterLines(2);
      const r = await s.command('STREAM', 'ACCEPT', [['ID', this.streamId], ['SILENT', 'false']], COMMAND_TIMEOUT_MS);
      if (r.params.get('RESULT') !== 'OK') throw resultError(r.params.get('RESULT'), r.params.get('MESSAGE'), 'STREAM ACCEPT');
      if (first) {
        // Wait for the stream in the background: the caller only needed the OK.
        void this.awaitAccepted(s, failures);
        return;
      }
      gotStream = await this.readAcceptLine(s, 0);
    } catch (e) {
      this.acceptors.delete(s);
      s.close();
      if (first) throw e;
      gotStream = false;
    }
    this.acceptors.delete(s);
    this.replenish(gotStream ? 0 : failures + 1);
  }

  private async awaitAccepted(s: SamSocket, failures: number): Promise<void> {
    const ok = await this.readAcceptLine(s, 0);
    this.acceptors.delete(s);
    this.replenish(ok ? 0 : failures + 1);
  }

  /** Another pending ACCEPT, after a pause that grows while they keep failing (bounded). */
  private replenish(failures: number): void {
    if (this.closed || this.listeners.size === 0 || failures > 20) return;
    const delay = failures === 0 ? 0 : Math.min(30_000, 250 * 2 ** failures);
    setTimeout(() => void this.acceptOne(false, failures).catch(() => this.replenish(failures + 1)), delay).unref();
  }

  async lookup(to: string | Uint8Array): Promise<string> {
    this.alive();
    const a = parseGarlicAddress(to);
    if (a.kind === 'destination') return a.base64;
    return this.lookupCached(a.kind === 'name' ? a.name : a.b32);
  }

  private async lookupCached(name: string): Promise<string> {
    const held = this.lookups.get(name);
    if (held) return held;
    const r = await this.control!.command('NAMING', 'LOOKUP', [['NAME', name]], LOOKUP_TIMEOUT_MS);
    if (r.topic !== 'NAMING' || r.verb !== 'REPLY') throw new GarlicError('PROTOCOL', `NAMING LOOKUP answered ${r.topic} ${r.verb}`);
    const result = r.params.get('RESULT');
    const value = r.params.get('VALUE');
    if (result !== 'OK' || !value) {
      // i2pd answers INVALID_KEY for a LeaseSet it could not find, too.
      throw new GarlicError(result === 'OK' ? 'PROTOCOL' : 'NOT_FOUND', `${name}: ${result ?? 'no RESULT'}${r.params.get('MESSAGE') ? ` (${r.params.get('MESSAGE')})` : ''}`);
    }
    const dest = parseGarlicAddress(value);
    if (dest.kind !== 'destination') throw new GarlicError('PROTOCOL', 'NAMING REPLY VALUE is not a destination');
    if (name.endsWith('.b32.i2p') && dest.b32 !== name) throw new GarlicError('PROTOCOL', `NAMING REPLY for ${name} is another destination (${dest.b32})`);
    this.lookups.set(name, dest.base64);
    if (this.lookups.size > LOOKUP_CACHE) this.lookups.delete(this.lookups.keys().next().value!);
    return dest.base64;
  }

  /** The datagram side: subsessions of the PRIMARY, or two more sessions on 3.1/3.2. */
  private ensureDatagrams(): Promise<DatagramSide> {
    this.datagrams ??= DatagramSide.open(this, this.backend, this.primary ? this.control! : undefined, this.id, this.opts).catch((e) => {
      this.datagrams = undefined;
      throw e;
    });
    return this.datagrams.then((side) => {
      this.datagramDestination = side.destinations.repliable ?? this.destination;
      this.rawDestination = side.destinations.raw ?? this.destination;
      return side;
    });
  }

  deliverDatagram(d: GarlicDatagram): void {
    for (const h of this.datagramHandlers) h(d);
  }

  async sendDatagram(to: string | Uint8Array, payload: Uint8Array, opts: SendDatagramOptions = {}): Promise<void> {
    this.alive();
    const kind = opts.kind ?? 'repliable';
    const fromPort = checkPort(opts.fromPort, 'fromPort');
    const toPort = checkPort(opts.toPort, 'toPort');
    if ((fromPort !== 0 || toPort !== 0) && !this.supportsPorts) throw new GarlicError('UNSUPPORTED', `the SAM ${this.version.text} bridge cannot carry datagram ports (3.2 needed)`);
    if (payload.length < 1 || payload.length > 31_744) throw new GarlicError('LIMIT', `a datagram holds 1..31744 bytes, got ${payload.length}`);
    const side = await this.ensureDatagrams();
    // i2pd's datagram port takes only full destinations (samv3.html): resolve b32s first.
    const dest = await this.lookup(to);
    side.send(kind, dest, payload, this.supportsPorts ? { fromPort, toPort } : undefined);
  }

  onDatagram(handler: (d: GarlicDatagram) => void): () => void {
    this.datagramHandlers.add(handler);
    if (!this.closed) void this.ensureDatagrams().catch(() => undefined);
    return () => this.datagramHandlers.delete(handler);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
    this.listeners.clear();
    for (const s of this.streams) s.destroy();
    this.streams.clear();
    for (const a of this.acceptors) a.close();
    this.acceptors.clear();
    if (this.forward) {
      this.forward.socket.close();
      this.forward.server.close();
    }
    const side = await this.datagrams?.catch(() => undefined);
    side?.close();
    this.control?.close();
  }
}

/**
 * Datagrams of one session: where they are sent from (the bridge's UDP port) and the UDP
 * sockets of ours the bridge forwards them to, one per kind.
 */
class DatagramSide {
  private sockets: { repliable: UdpSocket; raw: UdpSocket } | undefined;
  private controls: SamSocket[] = [];
  private ids = { repliable: '', raw: '' };
  /** Set only when a kind has a session (and a destination) of its own. */
  readonly destinations: { repliable?: string; raw?: string } = {};
  private rawHeader = false;

  private constructor(
    private readonly session: SamSession,
    private readonly backend: SamBackend,
  ) {}

  static async open(session: SamSession, backend: SamBackend, primary: SamSocket | undefined, id: string, opts: OpenSessionOptions): Promise<DatagramSide> {
    const side = new DatagramSide(session, backend);
    try {
      await side.setup(primary, id, opts);
    } catch (e) {
      side.close();
      throw e;
    }
    return side;
  }

  private async setup(primary: SamSocket | undefined, id: string, opts: OpenSessionOptions): Promise<void> {
    const localHost = primary?.socket.localAddress ?? (isLoopback(this.backend.host) ? '127.0.0.1' : '0.0.0.0');
    const bind = (kind: 'repliable' | 'raw') =>
      new Promise<UdpSocket>((resolve, reject) => {
        const u = createSocket(isIP(this.backend.host) === 6 ? 'udp6' : 'udp4');
        u.once('error', reject);
        u.bind({ address: localHost === '0.0.0.0' ? undefined : localHost, port: 0 }, () => {
          u.off('error', reject);
          u.on('error', () => undefined);
          u.on('message', (msg, rinfo) => this.onPacket(kind, msg, rinfo.address));
          resolve(u);
        });
      });
    this.sockets = { repliable: await bind('repliable'), raw: await bind('raw') };
    const hostFor = localHost === '0.0.0.0' ? '127.0.0.1' : localHost;
    this.rawHeader = this.session.supportsPorts;
    const common = (kind: 'repliable' | 'raw'): [string, string | number][] => [
      ['PORT', this.sockets![kind].address().port],
      ['HOST', hostFor],
      ...(kind === 'raw' && this.rawHeader ? ([['HEADER', 'true']] as [string, string][]) : []),
    ];
    if (primary) {
      this.ids = { repliable: `${id}-d`, raw: `${id}-r` };
      for (const kind of ['repliable', 'raw'] as const) {
        const r = await primary.command('SESSION', 'ADD', [['STYLE', kind === 'raw' ? 'RAW' : 'DATAGRAM'], ['ID', this.ids[kind]], ...common(kind)], COMMAND_TIMEOUT_MS);
        if (r.params.get('RESULT') !== 'OK') throw resultError(r.params.get('RESULT'), r.params.get('MESSAGE'), `SESSION ADD ${kind}`);
      }
      return;
    }
    // 3.1/3.2: a session per style, each with a transient destination of its own.
    this.ids = { repliable: `${id}-dg`, raw: `${id}-raw` };
    const timeout = opts.timeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
    await Promise.all(
      (['repliable', 'raw'] as const).map(async (kind) => {
        const c = await this.backend.socket();
        this.controls.push(c);
        c.socket.on('close', () => void this.session.close());
        const r = await c.command(
          'SESSION',
          'CREATE',
          [['STYLE', kind === 'raw' ? 'RAW' : 'DATAGRAM'], ['ID', this.ids[kind]], ['DESTINATION', 'TRANSIENT'], ['SIGNATURE_TYPE', 7], ...common(kind), ...destinationParams(opts.tunnels)],
          timeout,
        );
        if (r.params.get('RESULT') !== 'OK') throw resultError(r.params.get('RESULT'), r.params.get('MESSAGE'), `SESSION CREATE ${kind}`);
        this.destinations[kind] = publicOfPrivateKeys(r.params.get('DESTINATION') ?? '');
      }),
    );
  }

  private onPacket(kind: 'repliable' | 'raw', msg: Buffer, from: string): void {
    // Only the bridge forwards datagrams to us.
    const f = from.replace(/^::ffff:/, '');
    if (f !== this.backend.host && !(isLoopback(f) && isLoopback(this.backend.host))) return;
    try {
      const d = parseForwardedDatagram(new Uint8Array(msg.buffer, msg.byteOffset, msg.length), kind, kind === 'raw' && this.rawHeader);
      this.session.deliverDatagram({
        kind,
        ...(d.from !== undefined && { from: d.from, fromB32: b32OfDestination(d.from) }),
        fromPort: d.fromPort,
        toPort: d.toPort,
        payload: d.payload.slice(),
      });
    } catch {
      /* a packet we cannot read is dropped */
    }
  }

  send(kind: 'repliable' | 'raw', destination: string, payload: Uint8Array, ports: { fromPort: number; toPort: number } | undefined): void {
    const sock = this.sockets?.[kind];
    if (!sock) throw new GarlicError('CLOSED', 'the datagram side is closed');
    const packet = encodeDatagramSend(this.session.supportsPorts ? '3.2' : '3.0', this.ids[kind], destination, payload, ports);
    sock.send(packet, this.backend.udpPort, this.backend.host);
  }

  close(): void {
    for (const c of this.controls) c.close();
    this.controls = [];
    if (this.sockets) {
      this.sockets.repliable.close();
      this.sockets.raw.close();
      this.sockets = undefined;
    }
  }
}
