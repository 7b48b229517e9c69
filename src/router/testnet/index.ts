export * from './errors.js';
export * from './manifest.js';
export { testnetUp, validateTestnetOptions, MAX_TESTNET_ROUTERS, DEFAULT_HOST_PREFIX, type TestnetUpOptions } from './up.js';
export { testnetStatus, type TestnetRouterStatus, type TestnetStatusReport } from './status.js';
export { testnetDown, stopRouter, type RouterStopReport, type StopOutcome, type StopTimeouts, type TestnetDownReport } from './down.js';
export { isOurRouter, commandLineOf } from './processes.js';
