import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../../src/cli/exit-codes.js';
import { callNames } from '../../../src/cli/names.js';
import { namesControlHandlers, NAMES_LIST_PAGE_MAX } from '../../../src/router/api/control/names-handlers.js';
import { startControlServer } from '../../../src/router/api/control/server.js';
import { AddressBook, AddressBookError } from '../../../src/router/client/addressbook.js';
import { createPrivateKeys, encodeDestination, i2pBase64Encode } from '../../../src/router/data/index.js';
import { openRouterState, routerPaths } from '../../../src/router/home.js';
import { ROUTER_SCHEMA_VERSION } from '../../../src/state/layout.js';
import { MemoryVolume, openMemoryStorage } from '../../../src/state/memory-storage.js';
import type { Storage } from '../../../src/state/store.js';

const A = i2pBase64Encode(encodeDestination(createPrivateKeys().destination));
const B = i2pBase64Encode(encodeDestination(createPrivateKeys().destination));

const tmp = mkdtempSync(join(tmpdir(), 'anon-names-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function failure(p: Promise<unknown>): Promise<Error & { code?: string; exitCode?: number }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code?: string; exitCode?: number };
  }
  throw new Error('expected a failure');
}

let storage: Storage;
let book: AddressBook;
let h: ReturnType<typeof namesControlHandlers>;

beforeEach(async () => {
  storage = await openMemoryStorage({ schema: ROUTER_SCHEMA_VERSION, volume: new MemoryVolume('names') });
  book = AddressBook.fromStorage(storage);
  h = namesControlHandlers(book);
});
afterEach(async () => {
  await storage.close();
});

describe('names control handlers', () => {
  it('serve add, list, remove and import', async () => {
    expect(Object.keys(h).sort()).toEqual(['names.add', 'names.import', 'names.list', 'names.remove']);
    expect(await h['names.add']({ name: 'Site.i2p', destination: A })).toMatchObject({ name: 'site.i2p', status: 'added' });
    expect(await h['names.import']({ text: `other.i2p=${B}\nbad`, firstLine: 10 })).toEqual({
      added: 1,
      unchanged: 0,
      skippedCount: 1,
      skipped: [{ line: 11, reason: "no '=' (expected name=destination)" }],
    });
    const list = (await h['names.list']({})) as { entries: { name: string; destination: string; added: string; b32: string }[]; next?: string };
    expect(list.next).toBeUndefined();
    expect(list.entries.map((e) => [e.name, e.destination])).toEqual([
      ['other.i2p', B],
      ['site.i2p', A],
    ]);
    expect(list.entries[0].added).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(list.entries[0].b32).toMatch(/^[a-z2-7]{52}\.b32\.i2p$/);
    expect(await h['names.remove']({ name: 'SITE.i2p' })).toEqual({ name: 'site.i2p', removed: true });
    expect((await failure(h['names.remove']({ name: 'site.i2p' }))).code).toBe('NOT_FOUND');
  });

  it('page the list with after/next', async () => {
    await book.importHostsTxt(['a', 'b', 'c', 'd', 'e'].map((n) => `${n}.i2p=${A}`).join('\n'));
    const names: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = (await h['names.list']({ limit: 2, ...(after && { after }) })) as { entries: { name: string }[]; next?: string };
      names.push(...page.entries.map((e) => e.name));
      after = page.next;
      pages++;
    } while (after);
    expect(names).toEqual(['a.i2p', 'b.i2p', 'c.i2p', 'd.i2p', 'e.i2p']);
    expect(pages).toBe(3);
  });

  it('check their params and pass the book errors through', async () => {
    for (const bad of [
      h['names.add']({ name: 'x.i2p' }),
      h['names.add']([]),
      h['names.add']({ name: 'x.i2p', destination: A, replace: 'yes' }),
      h['names.list']({ limit: NAMES_LIST_PAGE_MAX + 1 }),
      h['names.list']({ limit: 0 }),
      h['names.import']({ text: 'x', firstLine: 0 }),
      h['names.import']({}),
    ]) {
      const e = await failure(bad);
      expect(e).toBeInstanceOf(AddressBookError);
      expect(e.code).toBe('INVALID_PARAMS');
    }
    expect((await failure(h['names.add']({ name: 'no spaces.i2p', destination: A }))).code).toBe('INVALID_NAME');
    expect((await failure(h['names.add']({ name: 'ok.i2p', destination: 'AAAA' }))).code).toBe('INVALID_DESTINATION');
    await h['names.add']({ name: 'ok.i2p', destination: A });
    expect((await failure(h['names.add']({ name: 'ok.i2p', destination: B }))).code).toBe('NAME_TAKEN');
    expect(await h['names.add']({ name: 'ok.i2p', destination: B, replace: true })).toMatchObject({ status: 'replaced' });
  });
});

describe('callNames (what the names commands use)', () => {
  it('asks the running router over its control socket and maps its errors to exit codes', async () => {
    const home = join(tmp, 'running');
    mkdirSync(routerPaths(home).dir, { recursive: true, mode: 0o700 });
    const server = await startControlServer(routerPaths(home).controlSocket, namesControlHandlers(book));
    try {
      expect(await callNames(home, 'names.add', { name: 'via.i2p', destination: A })).toMatchObject({ name: 'via.i2p', status: 'added' });
      // The router's book (here in memory) changed; the home's LevelDB was never opened.
      expect((await book.get('via.i2p'))?.destination).toBe(A);
      expect(existsSync(join(routerPaths(home).dir, 'CURRENT'))).toBe(false);

      const usage = await failure(callNames(home, 'names.add', { name: 'bad name.i2p', destination: A }));
      expect(usage.exitCode).toBe(EXIT.USAGE);
      expect(usage.message).toMatch(/not a valid host name/);
      const taken = await failure(callNames(home, 'names.add', { name: 'via.i2p', destination: B }));
      expect(taken.exitCode).toBe(EXIT.FAILURE);
      expect(taken.code).toBe('NAME_TAKEN');
      const missing = await failure(callNames(home, 'names.remove', { name: 'nothere.i2p' }));
      expect(missing.exitCode).toBe(EXIT.FAILURE);
      expect(missing.code).toBe('NOT_FOUND');
    } finally {
      await server.close();
    }
  });

  it('says so when the running router does not serve the address book', async () => {
    const home = join(tmp, 'old-router');
    mkdirSync(routerPaths(home).dir, { recursive: true, mode: 0o700 });
    const server = await startControlServer(routerPaths(home).controlSocket, { status: async () => ({}) });
    try {
      const e = await failure(callNames(home, 'names.list', {}));
      expect(e.exitCode).toBe(EXIT.FAILURE);
      expect(e.message).toMatch(/does not serve its address book/);
    } finally {
      await server.close();
    }
  });

  it("opens the home's state itself when no router runs, and closes it again", async () => {
    const home = join(tmp, 'stopped');
    expect(await callNames(home, 'names.add', { name: 'direct.i2p', destination: B })).toMatchObject({ status: 'added' });
    expect(await callNames(home, 'names.import', { text: `second.i2p=${A}` })).toMatchObject({ added: 1 });
    const usage = await failure(callNames(home, 'names.add', { name: 'direct.i2p', destination: 'nope' }));
    expect(usage.exitCode).toBe(EXIT.USAGE);
    // Closed after each call: the state opens here, and holds what the calls wrote.
    const { storage: s } = await openRouterState(home);
    try {
      const names = (await AddressBook.fromStorage(s).list()).map((e) => e.name);
      expect(names).toEqual(['direct.i2p', 'second.i2p']);
    } finally {
      await s.close();
    }
  });
});
