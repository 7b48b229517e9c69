import { describe, expect, it } from 'vitest';
import { MemoryVolume, createMemoryStorage, openMemoryStorage } from '../../../src/state/memory-storage.js';
import { RouterSublevels } from '../../../src/state/layout.js';
import { utf8Codec } from '../../../src/state/codecs.js';
import { storageSuite } from './storage-suite.js';

storageSuite('memory-level', async () => {
  const volume = new MemoryVolume('suite');
  return {
    make: (options) => createMemoryStorage({ ...options, volume }),
    cleanup: async () => undefined,
  };
});

describe('memory storage', () => {
  it('gives every store its own volume unless one is shared', async () => {
    const a = await openMemoryStorage({ schema: 1 });
    const b = await openMemoryStorage({ schema: 1 });
    await a.sublevel(RouterSublevels.config, utf8Codec).put('who', 'a');
    expect(await b.sublevel(RouterSublevels.config, utf8Codec).get('who')).toBeUndefined();
    expect(a.location).toBe('memory:anon');
    await a.close();
    await b.close();
  });

  it('holds hundreds of independent stores in one process', async () => {
    const stores = await Promise.all(Array.from({ length: 200 }, (_, i) => openMemoryStorage({ schema: 1, volume: new MemoryVolume(`r${i}`) })));
    await Promise.all(stores.map((s, i) => s.sublevel(RouterSublevels.config, utf8Codec).put('id', String(i))));
    const ids = await Promise.all(stores.map((s) => s.sublevel(RouterSublevels.config, utf8Codec).get('id')));
    expect(ids).toEqual(stores.map((_, i) => String(i)));
    await Promise.all(stores.map((s) => s.close()));
  });
});
