/**
 * The behaviour every Storage must have, written once and run against both backends
 * (level-storage.test.ts, memory-storage.test.ts).
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateError, StateInUseError } from '../../../src/state/errors.js';
import { bytesCodec, bytesKeys, jsonCodec, utf8Codec } from '../../../src/state/codecs.js';
import { RouterSublevels } from '../../../src/state/layout.js';
import type { Migration, Storage, StorageOptions } from '../../../src/state/store.js';

export interface StorageFixture {
  /** A new Storage (closed) on this fixture's one location. */
  make(options: StorageOptions): Storage;
  cleanup(): Promise<void>;
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function expectStateError(p: Promise<unknown>, code: string): Promise<StateError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StateError);
  expect((err as StateError).code).toBe(code);
  return err as StateError;
}

export function storageSuite(backend: string, makeFixture: () => Promise<StorageFixture>): void {
  describe(`Storage behaviour: ${backend}`, () => {
    let fx: StorageFixture;
    const open: Storage[] = [];
    const openStore = async (options: StorageOptions = { schema: 1 }): Promise<Storage> => {
      const s = fx.make(options);
      open.push(s);
      await s.open();
      return s;
    };

    beforeEach(async () => {
      fx = await makeFixture();
    });
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
      await fx.cleanup();
    });

    it('puts, gets, checks and deletes typed records', async () => {
      const s = await openStore();
      const profiles = s.sublevel<{ accepted: number; peer: string }>(RouterSublevels.profiles, jsonCodec());
      expect(await profiles.get('a')).toBeUndefined();
      expect(await profiles.has('a')).toBe(false);
      await profiles.put('a', { accepted: 3, peer: 'x' });
      expect(await profiles.get('a')).toEqual({ accepted: 3, peer: 'x' });
      expect(await profiles.has('a')).toBe(true);
      await profiles.del('a');
      expect(await profiles.get('a')).toBeUndefined();
    });

    it('keeps sublevels apart even when keys are equal', async () => {
      const s = await openStore();
      const ri = s.sublevel(RouterSublevels.routerInfos, utf8Codec);
      const ls = s.sublevel(RouterSublevels.leaseSets, utf8Codec);
      await ri.put('k', 'router');
      await ls.put('k', 'lease');
      expect(await ri.get('k')).toBe('router');
      expect(await ls.get('k')).toBe('lease');
      expect(await collect(ri.keys())).toEqual(['k']);
    });

    it('hands out copies: mutating a value read or written does not change the store', async () => {
      const s = await openStore();
      const keys = s.sublevel(RouterSublevels.keys, bytesCodec, bytesKeys);
      const value = new Uint8Array([1, 2, 3]);
      await keys.putDurable(new Uint8Array([9]), value);
      value[0] = 99;
      const read = await keys.get(new Uint8Array([9]));
      expect(read).toEqual(new Uint8Array([1, 2, 3]));
      read![1] = 77;
      expect(await keys.get(new Uint8Array([9]))).toEqual(new Uint8Array([1, 2, 3]));
      expect(Object.getPrototypeOf(read)).toBe(Uint8Array.prototype);
    });

    it('iterates binary keys in byte order within gt/gte/lt/lte, limit and reverse', async () => {
      const s = await openStore();
      const sub = s.sublevel(RouterSublevels.banlist, jsonCodec<number>(), bytesKeys);
      for (const k of [5, 1, 200, 3, 4, 2]) await sub.put(new Uint8Array([k]), k);
      const keysOf = async (range: Parameters<typeof sub.iterate>[0]): Promise<number[]> =>
        (await collect(sub.iterate(range))).map(([k, v]) => {
          expect(v).toBe(k[0]);
          return k[0]!;
        });
      expect(await keysOf(undefined)).toEqual([1, 2, 3, 4, 5, 200]);
      expect(await keysOf({ gte: new Uint8Array([2]), lt: new Uint8Array([5]) })).toEqual([2, 3, 4]);
      expect(await keysOf({ gt: new Uint8Array([2]), lte: new Uint8Array([5]) })).toEqual([3, 4, 5]);
      expect(await keysOf({ reverse: true, limit: 2 })).toEqual([200, 5]);
      expect(await keysOf({ gte: new Uint8Array([3]), limit: 0 })).toEqual([]);
      expect(await keysOf({ gt: new Uint8Array([200]) })).toEqual([]);
    });

    it('stops cleanly when a for-await loop breaks early', async () => {
      const s = await openStore();
      const sub = s.sublevel(RouterSublevels.stats, jsonCodec<number>());
      for (let i = 0; i < 20; i++) await sub.put(`k${String(i).padStart(2, '0')}`, i);
      const seen: number[] = [];
      for await (const [, v] of sub.iterate()) {
        seen.push(v);
        if (seen.length === 3) break;
      }
      expect(seen).toEqual([0, 1, 2]);
      // The store still closes (an unclosed iterator would make close wait or fail).
      await s.close();
      expect(s.status).toBe('closed');
    });

    it('applies a batch across sublevels, and a sublevel batch', async () => {
      const s = await openStore();
      const ri = s.sublevel(RouterSublevels.routerInfos, utf8Codec);
      const ls = s.sublevel(RouterSublevels.leaseSets, utf8Codec);
      await ls.put('old', 'x');
      await s.batch([ri.putOp('a', '1'), ri.putOp('b', '2'), ls.delOp('old'), ls.putOp('new', 'y')], { sync: true });
      expect(await collect(ri.iterate())).toEqual([
        ['a', '1'],
        ['b', '2'],
      ]);
      expect(await collect(ls.iterate())).toEqual([['new', 'y']]);
      await ri.batch([{ type: 'del', key: 'a' }, { type: 'put', key: 'c', value: '3' }]);
      expect(await collect(ri.keys())).toEqual(['b', 'c']);
    });

    it('refuses a batch op made by another store before writing anything', async () => {
      const s = await openStore();
      const other = fx.make({ schema: 1 });
      const foreign = { owner: other, sublevel: 'config', type: 'put' as const, key: new Uint8Array([1]), value: new Uint8Array([1]) };
      const config = s.sublevel(RouterSublevels.config, utf8Codec);
      await expectStateError(s.batch([config.putOp('mine', 'v'), foreign]), 'INVALID_ARGUMENT');
      expect(await config.get('mine')).toBeUndefined();
    });

    it('clears a range, durably or not', async () => {
      const s = await openStore();
      const sub = s.sublevel(RouterSublevels.stats, utf8Codec);
      for (const k of ['a', 'b', 'c', 'd', 'e']) await sub.put(k, k);
      await sub.clear({ gte: 'b', lt: 'd' });
      expect(await collect(sub.keys())).toEqual(['a', 'd', 'e']);
      await sub.clear({ gt: 'd' }, { sync: true });
      expect(await collect(sub.keys())).toEqual(['a', 'd']);
      await sub.clear();
      expect(await collect(sub.keys())).toEqual([]);
    });

    it('keeps data across close and reopen, and handles survive the reopen', async () => {
      const s = await openStore();
      const cfg = s.sublevel(RouterSublevels.config, jsonCodec<{ port: number }>());
      await cfg.putDurable('ntcp2', { port: 12345 });
      await s.close();
      await expectStateError(cfg.get('ntcp2'), 'NOT_OPEN');
      await s.open();
      expect(await cfg.get('ntcp2')).toEqual({ port: 12345 });
      const again = await openStoreAfterClose(s);
      expect(await again.sublevel(RouterSublevels.config, jsonCodec<{ port: number }>()).get('ntcp2')).toEqual({ port: 12345 });
    });

    async function openStoreAfterClose(s: Storage): Promise<Storage> {
      await s.close();
      return openStore();
    }

    it('refuses a second open of the same location while the first is open', async () => {
      await openStore();
      const second = fx.make({ schema: 1 });
      const err = await expectStateError(second.open(), 'IN_USE');
      expect(err).toBeInstanceOf(StateInUseError);
      expect((err as StateInUseError).pid).toBe(process.pid);
      expect(err.message).toMatch(new RegExp(`is in use by another anon process \\(pid ${process.pid}\\); stop it or use its control socket$`));
      expect(second.status).toBe('closed');
    });

    it('open and close are idempotent', async () => {
      const s = await openStore();
      await s.open();
      expect(s.status).toBe('open');
      await s.close();
      await s.close();
      expect(s.status).toBe('closed');
    });

    it('stamps a fresh store with the current schema', async () => {
      const s = await openStore({ schema: 3 });
      expect(s.schemaVersion).toBe(3);
    });

    it('runs the migrations from the stored version, in order, once', async () => {
      const s1 = await openStore({ schema: 1 });
      await s1.sublevel(RouterSublevels.config, utf8Codec).put('v1', 'data');
      await s1.close();
      const log: number[] = [];
      const step = (version: number): Migration => ({
        version,
        description: `to ${version}`,
        async up(storage) {
          log.push(version);
          const cfg = storage.sublevel(RouterSublevels.config, utf8Codec);
          expect(await cfg.get('v1')).toBe('data');
          await cfg.put(`v${version}`, 'migrated');
        },
      });
      // Given out of order on purpose.
      const migrations = [step(4), step(2), step(3)];
      const s2 = await openStore({ schema: 4, migrations });
      expect(log).toEqual([2, 3, 4]);
      expect(s2.schemaVersion).toBe(4);
      expect(await collect(s2.sublevel(RouterSublevels.config, utf8Codec).keys())).toEqual(['v1', 'v2', 'v3', 'v4']);
      await s2.close();
      const s3 = await openStore({ schema: 4, migrations });
      expect(log).toEqual([2, 3, 4]);
      expect(s3.schemaVersion).toBe(4);
    });

    it('refuses a store made by a newer anon', async () => {
      await (await openStore({ schema: 5 })).close();
      const older = fx.make({ schema: 2 });
      const err = await expectStateError(older.open(), 'SCHEMA_TOO_NEW');
      expect(err.message).toContain('created by a newer anon');
      expect(err.message).toContain('upgrade');
      expect(older.status).toBe('closed');
      // The refusal released the location.
      expect((await openStore({ schema: 5 })).schemaVersion).toBe(5);
    });

    it('reports a missing migration before running any step', async () => {
      await (await openStore({ schema: 1 })).close();
      const log: number[] = [];
      const m3: Migration = { version: 3, description: 'three', up: async () => void log.push(3) };
      const s = fx.make({ schema: 3, migrations: [m3] });
      await expectStateError(s.open(), 'MIGRATION_MISSING');
      expect(log).toEqual([]);
    });

    it('a failed migration stops at the last completed version', async () => {
      await (await openStore({ schema: 1 })).close();
      const ok: Migration = { version: 2, description: 'ok', up: async () => undefined };
      const bad: Migration = {
        version: 3,
        description: 'bad',
        up: async () => {
          throw new Error('disk on fire');
        },
      };
      const s = fx.make({ schema: 3, migrations: [ok, bad] });
      const err = await expectStateError(s.open(), 'MIGRATION_FAILED');
      expect(err.message).toContain('disk on fire');
      const log: number[] = [];
      const fixed: Migration = { version: 3, description: 'fixed', up: async () => void log.push(3) };
      const s2 = await openStore({ schema: 3, migrations: [ok, fixed] });
      expect(log).toEqual([3]);
      expect(s2.schemaVersion).toBe(3);
    });

    it('rejects bad schema options up front', () => {
      expect(() => fx.make({ schema: 0 })).toThrow(StateError);
      expect(() => fx.make({ schema: 2, migrations: [{ version: 3, description: 'x', up: async () => undefined }] })).toThrow(
        /outside 2..2/,
      );
      const m = { version: 2, description: 'x', up: async () => undefined };
      expect(() => fx.make({ schema: 2, migrations: [m, m] })).toThrow(/two migrations/);
    });

    it('reports a record that does not decode as CORRUPT_RECORD', async () => {
      const s = await openStore();
      await s.sublevel(RouterSublevels.profiles, bytesCodec).put('peer', new Uint8Array([0xff, 0x00]));
      const asJson = s.sublevel(RouterSublevels.profiles, jsonCodec());
      const err = await expectStateError(asJson.get('peer'), 'CORRUPT_RECORD');
      expect(err.message).toContain('profiles');
      const validated = s.sublevel(
        RouterSublevels.config,
        jsonCodec<number>((x) => {
          if (typeof x !== 'number') throw new Error('want a number');
          return x;
        }),
      );
      await s.sublevel(RouterSublevels.config, utf8Codec).put('n', '"text"');
      await expectStateError(validated.get('n'), 'CORRUPT_RECORD');
    });

    it('reserves meta and checks sublevel names', async () => {
      const s = await openStore();
      expect(() => s.sublevel('meta', utf8Codec)).toThrow(/reserved/);
      for (const bad of ['', 'A', 'a//b', '/a', 'a!b', 'net db']) {
        expect(() => s.sublevel(bad, utf8Codec)).toThrow(StateError);
      }
    });

    it('behaves as a sorted map under random puts and deletes (model test)', async () => {
      const s = await openStore();
      let round = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.record({
              del: fc.boolean(),
              key: fc.uint8Array({ minLength: 0, maxLength: 3 }),
              value: fc.uint8Array({ maxLength: 8 }),
            }),
            { maxLength: 30 },
          ),
          async (ops) => {
            const sub = s.sublevel(`stats/r${round++}`, bytesCodec, bytesKeys);
            const model = new Map<string, Uint8Array>();
            for (const op of ops) {
              const hex = Buffer.from(op.key).toString('hex');
              if (op.del) {
                await sub.del(op.key);
                model.delete(hex);
              } else {
                await sub.put(op.key, op.value);
                model.set(hex, op.value);
              }
            }
            const got = (await collect(sub.iterate())).map(([k, v]) => [Buffer.from(k).toString('hex'), v] as const);
            const want = [...model.entries()].sort(([a], [b]) => Buffer.compare(Buffer.from(a, 'hex'), Buffer.from(b, 'hex')));
            expect(got).toEqual(want);
          },
        ),
        { numRuns: 25 },
      );
    });
  });
}
