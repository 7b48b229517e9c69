/** Router-to-router garlic (ecies-routers.rst): payload blocks, Noise N, one-time tags. */
export * from './errors.js';
export * from './clove.js';
export * from './payload.js';
export * from './replay-cache.js';
export * from './tag-store.js';
export * from './router-garlic.js';
