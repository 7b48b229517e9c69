/**
 * The in-memory network of real tunnel managers the tunnel tests use. It lives in
 * src/router/sim/network.ts (the simulation runs on it too); tests keep importing it from here
 * under its test name.
 */
export { makeIdentity, NET_ID, SimNetwork as TestNetwork, T0 } from '../../../src/router/sim/network.js';
export type { Intercept, NetRouter, NetworkOptions } from '../../../src/router/sim/network.js';
