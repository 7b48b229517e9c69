/** The network database: bootstrap inputs (reseed) and the RouterInfo store. */
export * from './crc32.js';
export * from './zip.js';
export * from './su3.js';
export * from './reseed.js';
export * from './routing-key.js';
export * from './router-info-check.js';
export * from './router-info-store.js';
export * from './router-info-summary.js';
