/**
 * What the SAM server needs from a router, and its view of the streaming API (the StreamManager
 * of src/router/client/streaming satisfies SamStreams), so the server runs over a real Router or
 * over an in-memory test network alike.
 */
import type { Duplex } from 'node:stream';
import type { Resolved } from '../../client/addressbook.js';
import type { DestinationKeys } from '../../client/destination-keys.js';
import type { DestinationOptions, LocalDestination } from '../../client/destination.js';
import type { Destination } from '../../data/index.js';
import type { Logger } from '../../log.js';
import type { Clock, RandomSource } from '../../runtime/index.js';

export interface SamStream extends Duplex {
  readonly remoteDestination: Destination;
  readonly localPort: number;
  readonly remotePort: number;
}

export interface SamStreams {
  connect(to: Uint8Array, opts?: { toPort?: number; fromPort?: number; timeoutMs?: number }): Promise<SamStream>;
  listen(handler: (s: SamStream) => void, opts?: { port?: number }): () => void;
}

export interface SamBackend {
  clock: Clock;
  random: RandomSource;
  log: Logger;
  /** Tunnel settings a session gets unless its options say otherwise. */
  defaultDestinationOptions: DestinationOptions;
  createDestination(keys: DestinationKeys, options: DestinationOptions): LocalDestination;
  hasDestination(hash: Uint8Array): boolean;
  removeDestination(hash: Uint8Array): void;
  /** The streaming layer of one of our destinations. */
  streams(dest: LocalDestination): SamStreams;
  /** The address book: a name or a b32 address. */
  resolveName(name: string): Promise<Resolved | undefined>;
  /** A LeaseSet2 from the network (for NAMING LOOKUP of a b32 without a session). */
  lookupLeaseSet(hash: Uint8Array): Promise<Uint8Array | undefined>;
}
