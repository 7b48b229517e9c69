/**
 * The `router.version` we publish. Peers choose what to send us by it (ShortTunnelBuild needs
 * ≥ 0.9.51; current Java I2P builds only through ≥ 0.9.59), so it must name a current API level.
 * Raise it only with the features it promises.
 */
export const ROUTER_VERSION = '0.9.65';

/** The default I2P network id; private test networks use another one (never 2). */
export const MAIN_NET_ID = 2;
