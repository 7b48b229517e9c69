import { i2pBase64Encode } from '../data/index.js';
import type { I2npMessage } from '../i2np/index.js';
import type { OwnTunnel } from '../tunnel/tunnel.js';
import { createDestinationKeys, destinationHash, type DestinationKeys } from './destination-keys.js';
import { DEFAULT_DESTINATION_OPTIONS, LocalDestination, type DestinationDeps, type DestinationOptions, type EndToEndGarlic } from './destination.js';

/** Most local destinations one router serves (each has its own tunnels). */
export const MAX_DESTINATIONS = 64;

/** End-to-end garlic settings of one destination. */
export interface GarlicOptions {
  /** Send a NextKey (DH ratchet) once this many messages went out on a tag set (default 4096). */
  ratchetThreshold?: number;
}

export class DestinationLimitError extends Error {
  override readonly name = 'DestinationLimitError';
}

/**
 * The destinations this router serves: created (persistent keys given, or transient), looked
 * up, and handed what arrives through their own tunnels.
 */
export class Destinations {
  private readonly byHash = new Map<string, LocalDestination>();
  private readonly byPool = new Map<string, LocalDestination>();

  constructor(private readonly deps: Omit<DestinationDeps, 'garlic'> & { makeGarlic: (keys: DestinationKeys, opts: GarlicOptions) => EndToEndGarlic }) {}

  /** A destination with these keys (or new transient ones); the same keys twice give the same one. */
  create(keys?: DestinationKeys, options: Partial<DestinationOptions> = {}, garlic: GarlicOptions = {}): LocalDestination {
    const k = keys ?? createDestinationKeys(this.deps.random);
    const key = i2pBase64Encode(destinationHash(k.privateKeys.destination));
    const held = this.byHash.get(key);
    if (held) return held;
    if (this.byHash.size >= MAX_DESTINATIONS) throw new DestinationLimitError(`at most ${MAX_DESTINATIONS} destinations per router`);
    const d = new LocalDestination(k, { ...this.deps, garlic: this.deps.makeGarlic(k, garlic) }, { ...DEFAULT_DESTINATION_OPTIONS, ...options });
    this.byHash.set(key, d);
    this.byPool.set(d.poolName, d);
    d.start();
    return d;
  }

  get(hash: Uint8Array): LocalDestination | undefined {
    return this.byHash.get(i2pBase64Encode(hash));
  }

  list(): LocalDestination[] {
    return [...this.byHash.values()];
  }

  remove(hash: Uint8Array): boolean {
    const key = i2pBase64Encode(hash);
    const d = this.byHash.get(key);
    if (!d) return false;
    d.stop();
    this.byHash.delete(key);
    this.byPool.delete(d.poolName);
    return true;
  }

  /** A message out of one of our inbound tunnels: true when the tunnel is a destination's. */
  route(msg: I2npMessage, via: OwnTunnel | undefined): boolean {
    if (!via) return false;
    const d = this.byPool.get(via.pool);
    if (!d) return false;
    d.onMessage(msg);
    return true;
  }

  stop(): void {
    for (const d of this.byHash.values()) d.stop();
    this.byHash.clear();
    this.byPool.clear();
  }
}
