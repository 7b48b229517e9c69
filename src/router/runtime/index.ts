import type { Storage } from '../../state/store.js';
import { systemClock, type Clock } from './clock.js';
import { nodeNetwork, type Network } from './net.js';
import { cryptoRandom, type RandomSource } from './random.js';

export * from './errors.js';
export * from './clock.js';
export * from './random.js';
export * from './net.js';
export * from './memory-network.js';
export * from './token-bucket.js';

/**
 * Everything a router takes from outside. Production: `nodeRuntime(storage)`. Simulation: a
 * ManualClock, a SeededRandom (fork one per router), a MemoryNetwork shared by all routers, and
 * a memory storage each.
 */
export interface Runtime {
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly network: Network;
  readonly storage: Storage;
}

export function nodeRuntime(storage: Storage): Runtime {
  return { clock: systemClock, random: cryptoRandom, network: nodeNetwork, storage };
}
