/**
 * Local destinations on the in-memory network (real tunnels, real garlic, LeaseSet lookups
 * through tunnels): it lives in src/router/sim/client-network.ts, which the simulation shares.
 */
export { ClientNetwork } from '../../../src/router/sim/client-network.js';
export type { ClientRouter } from '../../../src/router/sim/client-network.js';
