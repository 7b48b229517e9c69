import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { AddressBook } from '../../client/addressbook.js';
import { silentLogger, type Logger } from '../../log.js';
import type { RandomSource } from '../../runtime/random.js';
import { PendingChoices } from './addresshelper.js';
import { HttpProxyError } from './errors.js';
import { Exchange, pageFor, type ExchangeCounters } from './exchange.js';

/**
 * The HTTP proxy a browser points at (127.0.0.1:4444 by default): one Exchange per browser
 * connection, a cap on how many run at once, and the counters `status` shows.
 */

export interface HttpProxyOptions {
  host: string;
  port: number;
  /** Browser connections at once; more get a 503 page. As many as a site or the SAM bridge holds. */
  maxConnections: number;
  connectTimeoutMs: number;
  headTimeoutMs: number;
  responseTimeoutMs: number;
}

export const DEFAULT_HTTP_PROXY_OPTIONS: HttpProxyOptions = {
  host: '127.0.0.1',
  port: 4444,
  maxConnections: 512,
  connectTimeoutMs: 60_000,
  headTimeoutMs: 30_000,
  responseTimeoutMs: 120_000,
};

export interface HttpProxyDeps {
  /** A stream to the site; `initialData` (the request head) must be its first bytes, sent with the SYN where the transport can. */
  connect(hash: Uint8Array, opts: { toPort: number; timeoutMs: number; initialData?: Uint8Array }): Promise<Duplex>;
  addressBook: Pick<AddressBook, 'resolve' | 'get' | 'add'>;
  random: RandomSource;
  now?: () => number;
  log?: Logger;
}

export interface HttpProxyCounters extends ExchangeCounters {
  accepted: number;
  refusedBusy: number;
  active: number;
}

export class HttpProxy {
  readonly options: HttpProxyOptions;
  readonly counters: HttpProxyCounters = { accepted: 0, refusedBusy: 0, active: 0, requests: 0, connects: 0, responses: 0, bytesToSites: 0, bytesFromSites: 0, errors: {} };
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly choices: PendingChoices;
  private readonly log: Logger;

  constructor(
    private readonly deps: HttpProxyDeps,
    options: Partial<HttpProxyOptions> = {},
  ) {
    this.options = { ...DEFAULT_HTTP_PROXY_OPTIONS, ...options };
    this.log = deps.log ?? silentLogger;
    this.choices = new PendingChoices(deps.random, deps.now ?? Date.now);
  }

  /** Listens; resolves with the address (port 0 picks a free one), rejects when it is taken. */
  listen(): Promise<{ host: string; port: number }> {
    // Half-open: a client may end its side once the request is sent and still read the answer.
    const server = createServer({ allowHalfOpen: true }, (socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      // An IP literal only (config checks it): nothing here resolves a name.
      server.listen({ host: this.options.host, port: this.options.port, exclusive: true }, () => {
        server.off('error', reject);
        server.on('error', (e) => this.log.warn('http proxy server error', { error: e.message }));
        const a = server.address();
        resolve({ host: this.options.host, port: typeof a === 'object' && a ? a.port : this.options.port });
      });
    });
  }

  get address(): { host: string; port: number } | undefined {
    const a = this.server?.address();
    return typeof a === 'object' && a ? { host: this.options.host, port: a.port } : undefined;
  }

  private accept(socket: Socket): void {
    this.counters.accepted++;
    if (this.sockets.size >= this.options.maxConnections) {
      this.counters.refusedBusy++;
      socket.on('error', () => undefined);
      socket.end(pageFor(new HttpProxyError('BUSY', `the proxy is serving ${this.options.maxConnections} connections: try again shortly`)));
      socket.resume();
      return;
    }
    this.sockets.add(socket);
    this.counters.active = this.sockets.size;
    socket.once('close', () => {
      this.sockets.delete(socket);
      this.counters.active = this.sockets.size;
    });
    new Exchange(socket, {
      connect: this.deps.connect,
      addressBook: this.deps.addressBook,
      choices: this.choices,
      log: this.log,
      connectTimeoutMs: this.options.connectTimeoutMs,
      headTimeoutMs: this.options.headTimeoutMs,
      responseTimeoutMs: this.options.responseTimeoutMs,
      counters: this.counters,
    }).run();
  }

  /** Stops listening and cuts every open connection (their streams are reset). */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }
}
