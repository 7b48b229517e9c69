/**
 * The one crypto facade of the router. Keys cross it as Uint8Array; KeyObjects stay inside.
 * node:crypto does the bulk work; @noble/* serves only what Node lacks (Elligator2's field
 * arithmetic). SipHash is ours (32-bit limbs).
 */
export * from './errors.js';
export * from './hash.js';
export * from './ed25519.js';
export * from './x25519.js';
export * from './aes.js';
export * from './chacha.js';
export * from './elligator2.js';
export * from './siphash.js';
export * from './noise.js';
export * from './aes-layer.js';
