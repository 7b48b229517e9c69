/**
 * NTCP2 (ntcp2.rst) as pure code: handshake state machines, data-phase framing and blocks.
 * Bytes and time in, bytes and events out; a socket driver lives elsewhere.
 */
export * from './termination.js';
export * from './errors.js';
export * from './kdf.js';
export * from './handshake-options.js';
export * from './replay-cache.js';
export * from './blocks.js';
export * from './data-phase.js';
export * from './handshake.js';
export * from './initiator.js';
export * from './responder.js';
