import type { AddressBook } from '../../client/addressbook.js';
import type { Destinations } from '../../client/destinations.js';
import type { LocalDestination } from '../../client/destination.js';
import type { HttpProxyConfig } from '../../config.js';
import type { Logger } from '../../log.js';
import type { RandomSource } from '../../runtime/random.js';
import type { Clock } from '../../runtime/clock.js';
import type { Storage } from '../../../state/index.js';
import { HttpProxy, type HttpProxyCounters } from './server.js';
import { Subscriptions } from './subscriptions.js';

/**
 * The router's HTTP proxy: a client destination of its own (transient keys, unpublished: our
 * LeaseSet travels to each site inside the garlic), its tunnels `hops` long each way, and the
 * listener on host:port. A port already taken does not stop the router: the proxy stays off
 * and `status` says why (several routers on one machine, or i2pd on 4444).
 */

export interface HttpProxyStatus {
  enabled: boolean;
  listening: boolean;
  host: string;
  port: number;
  hops: number;
  /** The proxy's client destination and its live tunnels. */
  b32?: string;
  tunnels?: { inbound: number; outbound: number };
  error?: string;
  counters?: HttpProxyCounters;
  /** The streaming counters of the proxy's destination (opened, retransmitted, timeouts …). */
  streams?: Record<string, number>;
}

export interface RouterHttpProxyDeps {
  destinations: Destinations;
  addressBook: AddressBook;
  random: RandomSource;
  clock: Clock;
  storage: Storage;
  log: Logger;
}

export class RouterHttpProxy {
  private proxy: HttpProxy | undefined;
  private dest: LocalDestination | undefined;
  private error: string | undefined;
  /** Address-book subscriptions, fetched through this proxy's destination while it runs. */
  subscriptions: Subscriptions;

  constructor(
    private readonly config: HttpProxyConfig,
    private readonly deps: RouterHttpProxyDeps,
  ) {
    this.subscriptions = new Subscriptions({ storage: deps.storage, addressBook: deps.addressBook, clock: deps.clock, log: deps.log });
  }

  async start(): Promise<void> {
    if (!this.config.enabled) return;
    const side = { length: this.config.hops, quantity: 2, variance: 0 };
    const dest = this.deps.destinations.create(undefined, { inbound: side, outbound: side, publish: false });
    this.dest = dest;
    const proxy = new HttpProxy(
      {
        connect: (hash, o) => dest.streams.connect(hash, { toPort: o.toPort, timeoutMs: o.timeoutMs, ...(o.initialData && { initialData: o.initialData }) }),
        addressBook: this.deps.addressBook,
        random: this.deps.random,
        now: () => this.deps.clock.now(),
        log: this.deps.log,
      },
      { host: this.config.host, port: this.config.port },
    );
    try {
      const a = await proxy.listen();
      this.proxy = proxy;
      this.subscriptions = new Subscriptions({ storage: this.deps.storage, addressBook: this.deps.addressBook, clock: this.deps.clock, log: this.deps.log, connect: (hash, o) => dest.streams.connect(hash, o) });
      this.subscriptions.start();
      if (!/^127\./.test(a.host) && a.host !== '::1') this.deps.log.warn('the http proxy listens beyond loopback: anyone who reaches it browses as this router', { address: a.host });
      this.deps.log.info('http proxy listening', { address: `${a.host}:${a.port}`, hops: this.config.hops, b32: dest.b32 });
    } catch (e) {
      this.error = (e as Error).message;
      this.deps.destinations.remove(dest.hash);
      this.dest = undefined;
      this.deps.log.warn('http proxy not started', { address: `${this.config.host}:${this.config.port}`, error: this.error, hint: 'use --http-proxy-port N or --no-http-proxy' });
    }
  }

  status(): HttpProxyStatus {
    const c = this.config;
    const a = this.proxy?.address;
    return {
      enabled: c.enabled,
      listening: a !== undefined,
      host: c.host,
      port: a?.port ?? c.port,
      hops: c.hops,
      ...(this.dest && { b32: this.dest.b32, tunnels: this.dest.tunnelCounts() }),
      ...(this.error !== undefined && { error: this.error }),
      ...(this.proxy && { counters: { ...this.proxy.counters, errors: { ...this.proxy.counters.errors } } }),
      ...(this.proxy && this.dest && { streams: { ...this.dest.streams.counters } }),
    };
  }

  async stop(): Promise<void> {
    this.subscriptions.stop();
    await this.proxy?.close();
    this.proxy = undefined;
  }
}
