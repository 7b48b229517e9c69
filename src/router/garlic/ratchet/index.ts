/** ECIES-X25519-AEAD-Ratchet for destinations (ecies.rst): KDFs, tag sets, handshake, engine. */
export * from './kdf.js';
export * from './tag-set.js';
export * from './ephemeral-pool.js';
export * from './handshake.js';
export * from './session.js';
export * from './engine.js';
