/**
 * The SAM bridge of a running Router: started with it when enabled, given the router's
 * destinations, address book and LeaseSet lookups. A taken port is a warning, not a failed
 * start: the router still routes, and status says why SAM is not listening.
 */
import type { AddressBook } from '../../client/addressbook.js';
import type { DestinationOptions } from '../../client/destination.js';
import type { Destinations } from '../../client/destinations.js';
import type { Logger } from '../../log.js';
import type { Clock, RandomSource } from '../../runtime/index.js';
import { SamServer, type SamStatus } from './server.js';

export interface SamConfig {
  enabled: boolean;
  /** An IP literal; loopback by default. */
  host: string;
  port: number;
  /** The datagram bridge (UDP). */
  udpPort: number;
}

export const SAM_DEFAULTS: SamConfig = { enabled: true, host: '127.0.0.1', port: 7656, udpPort: 7655 };

export interface RouterSamStatus extends Partial<SamStatus> {
  enabled: boolean;
  listening: boolean;
  host: string;
  port: number;
  udpPort: number;
  error?: string;
}

export interface RouterSamDeps {
  clock: Clock;
  random: RandomSource;
  log: Logger;
  destinations: Destinations;
  addressBook: AddressBook;
  lookupLeaseSet: (hash: Uint8Array) => Promise<Uint8Array | undefined>;
  defaultDestinationOptions: DestinationOptions;
}

export class RouterSam {
  private server: SamServer | undefined;
  private error: string | undefined;

  constructor(
    private readonly config: SamConfig,
    private readonly deps: RouterSamDeps,
  ) {}

  async start(): Promise<void> {
    if (!this.config.enabled) return;
    const d = this.deps;
    const server = new SamServer(
      {
        clock: d.clock,
        random: d.random,
        log: d.log,
        defaultDestinationOptions: d.defaultDestinationOptions,
        createDestination: (keys, options) => d.destinations.create(keys, options),
        hasDestination: (hash) => d.destinations.get(hash) !== undefined,
        removeDestination: (hash) => void d.destinations.remove(hash),
        streams: (dest) => dest.streams,
        resolveName: (name) => d.addressBook.resolve(name),
        lookupLeaseSet: d.lookupLeaseSet,
      },
      { host: this.config.host, port: this.config.port, udpPort: this.config.udpPort },
    );
    try {
      const a = await server.start();
      this.server = server;
      d.log.info('sam listening', { address: `${this.config.host}:${a.port}`, udp: `${this.config.host}:${a.udpPort}` });
    } catch (e) {
      this.error = (e as Error).message;
      d.log.warn('sam not started', { address: `${this.config.host}:${this.config.port}`, error: this.error, hint: 'use --sam-port N / --sam-udp-port N or --no-sam' });
    }
  }

  status(): RouterSamStatus {
    const c = this.config;
    return { enabled: c.enabled, listening: this.server !== undefined, host: c.host, port: c.port, udpPort: c.udpPort, ...this.server?.status(), ...(this.error !== undefined && { error: this.error }) };
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    await s?.stop();
  }
}
