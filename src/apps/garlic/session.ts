/**
 * The one interface every app (site, fetch, chat, share) uses to talk over garlic tunnels,
 * whatever router is behind it: a Router in this process (embedded.ts) or any SAM v3 router on
 * a socket (sam-client.ts). Addresses are b32 names, address-book names, base64 destinations
 * or 32-byte hashes (address.ts); failures are GarlicErrors with a code (errors.ts).
 */
import type { Duplex } from 'node:stream';

export { GarlicError, isGarlicError, type GarlicErrorCode } from './errors.js';
export { parseGarlicAddress, type GarlicAddress } from './address.js';

/**
 * A stream to or from another destination: a node Duplex; destroy() resets it. end() half-closes
 * on the embedded backend (a streaming CLOSE), but a SAM bridge cannot carry a half-close: i2pd
 * tears the whole stream down when its client ends its side. Portable protocols therefore never
 * end a stream they still read from (send a length or a terminator; the side that is done
 * reading closes).
 */
export interface GarlicStream extends Duplex {
  /** The other side's b32 address ("<52 chars>.b32.i2p"). */
  readonly remoteB32: string;
  /**
   * The other side's full destination (base64), when the backend knows it: always on incoming
   * streams; on outgoing ones when we connected to a full destination or looked it up.
   */
  readonly remoteDestinationBase64: string | undefined;
  /** I2CP ports (0 = any). A backend that cannot carry ports (SAM 3.1) reports 0. */
  readonly localPort: number;
  readonly remotePort: number;
}

export interface ConnectOptions {
  /** The remote's port (I2CP "to" port; 0 = its default service). */
  port?: number;
  fromPort?: number;
  /** Lookup and handshake together (default 60 s; lookups over fresh tunnels take a while). */
  timeoutMs?: number;
}

export interface ListenOptions {
  /** Only streams to this port; undefined = every port nothing else listens on. */
  port?: number;
}

export type DatagramKind = 'repliable' | 'raw';

export interface SendDatagramOptions {
  kind?: DatagramKind;
  fromPort?: number;
  toPort?: number;
}

export interface GarlicDatagram {
  kind: DatagramKind;
  /** The verified sender (base64 destination) of a repliable datagram; raw ones carry none. */
  from?: string;
  fromB32?: string;
  fromPort: number;
  toPort: number;
  payload: Uint8Array;
}

/** An async iterator of incoming streams that can be stopped. */
export interface StreamListener extends AsyncIterable<GarlicStream> {
  close(): void;
}

export interface GarlicSession {
  /** Our destination, base64 (what others connect to and what a b32 hashes). */
  readonly destination: string;
  readonly b32: string;
  /**
   * Where our datagrams come from when the backend cannot send them from `destination`
   * (SAM 3.1/3.2 without PRIMARY sessions: a DATAGRAM session has its own destination).
   */
  readonly datagramDestination: string;
  /** Where raw datagrams to us must be sent (on SAM < 3.3 a RAW session has its own destination). */
  readonly rawDestination: string;
  /** The private keys in SAM/i2pd private-keys format (base64): store them to keep the address. */
  readonly privateKeys: string;
  connect(to: string | Uint8Array, opts?: ConnectOptions): Promise<GarlicStream>;
  /** Calls `handler` for every incoming stream; returns the function that stops listening. */
  listen(opts: ListenOptions, handler: (s: GarlicStream) => void): Promise<() => void>;
  /** Incoming streams as an async iterator (bounded backlog; extra streams are reset). */
  incoming(opts?: ListenOptions): Promise<StreamListener>;
  sendDatagram(to: string | Uint8Array, payload: Uint8Array, opts?: SendDatagramOptions): Promise<void>;
  onDatagram(handler: (d: GarlicDatagram) => void): () => void;
  /** A b32, a name, or a 32-byte hash (base64 or bytes) to the full base64 destination. NOT_FOUND otherwise. */
  lookup(to: string | Uint8Array): Promise<string>;
  close(): Promise<void>;
  readonly closed: boolean;
}

export interface SessionTunnels {
  length?: number;
  quantity?: number;
}

export interface OpenSessionOptions {
  /**
   * Persisted private keys (bytes or base64: SAM's DEST GENERATE / i2pd private-keys format;
   * the embedded backend also takes its own key file format) or 'transient' (the default).
   */
  keys?: Uint8Array | string | 'transient';
  /** A label for logs and SAM session ids. */
  name?: string;
  tunnels?: { inbound?: SessionTunnels; outbound?: SessionTunnels } & SessionTunnels;
  /** Set up datagrams (repliable and raw) too; a stream-only session skips that cost on SAM. */
  datagrams?: boolean;
  /** Timeout for the session to come up (tunnels built): SAM routers take 20 s or more. */
  timeoutMs?: number;
}

export type BackendKind = 'embedded' | 'sam';

export interface GarlicBackend {
  readonly kind: BackendKind;
  /** For the app to print: "embedded router in this process" or "SAM 3.1 at 127.0.0.1:7656". */
  readonly description: string;
  openSession(opts?: OpenSessionOptions): Promise<GarlicSession>;
  /** New persistent private keys (base64, private-keys format) without opening a session. */
  generateKeys(): Promise<string>;
  sessions(): GarlicSession[];
  close(): Promise<void>;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 60_000;
export const DEFAULT_SESSION_TIMEOUT_MS = 180_000;
/** Streams waiting in an `incoming()` iterator before new ones are reset. */
export const INCOMING_BACKLOG = 64;
