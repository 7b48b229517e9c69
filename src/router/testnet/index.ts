export * from './errors.js';
export * from './manifest.js';
export { testnetUp, validateTestnetOptions, MAX_TESTNET_ROUTERS, DEFAULT_HOST_PREFIX, type TestnetUpOptions } from './up.js';
export { testnetStatus, type TestnetRouterStatus, type TestnetStatusReport } from './status.js';
export { testnetDown, stopRouter, type RouterStopReport, type StopOutcome, type StopTimeouts, type TestnetDownReport } from './down.js';
export { isOurRouter, commandLineOf } from './processes.js';
export {
  i2pdUnavailable,
  isOurI2pd,
  isNetnsHolder,
  defaultI2pdScript,
  mixedTopPort,
  httpProxyPortFor,
  I2PD_PORT_OFFSET,
  MIN_TESTNET_I2PD,
  MAX_TESTNET_I2PD,
  type I2pdHost,
  type I2pdRouterStatus,
  type I2pdStopReport,
} from './i2pd.js';
export { parseI2pdConsole, I2pdConsoleError, type I2pdConsoleSummary } from './i2pd-console.js';
