import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SiteError } from '../../../src/apps/site/errors.js';
import { decodeKeysFile, SiteKeyStore, withSiteKeys } from '../../../src/apps/site/keys.js';
import { decodeDestinationKeys, destinationB32 } from '../../../src/router/client/destination-keys.js';
import { encodePrivateKeys } from '../../../src/router/data/private-keys.js';

let base: string;
let home: string;
beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'anon-site-keys-'));
  home = join(base, 'home');
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as { code: string }).code;
  }
  return 'resolved';
}

describe('site keys', () => {
  it('the same address after a restart: keys persist in <home>/apps/site (0700)', async () => {
    const first = await withSiteKeys(home, (s) => s.getOrCreate('default'));
    expect(first.isNew).toBe(true);
    expect(first.b32).toMatch(/^[a-z2-7]{52}\.b32\.i2p$/);
    const again = await withSiteKeys(home, (s) => s.getOrCreate('default'));
    expect(again.isNew).toBe(false);
    expect(again.b32).toBe(first.b32);
    expect(again.keys.encryption.privateKey).toEqual(first.keys.encryption.privateKey);
    expect(statSync(join(home, 'apps', 'site')).mode & 0o777).toBe(0o700);
  });

  it('several sites side by side by name; new refuses a taken name; list shows them all', async () => {
    const blog = await withSiteKeys(home, (s) => s.create('blog'));
    const shop = await withSiteKeys(home, (s) => s.create('shop'));
    expect(new Set([blog.b32, shop.b32]).size).toBe(2);
    expect(await codeOf(withSiteKeys(home, (s) => s.create('blog')))).toBe('KEYS_EXIST');
    const list = await withSiteKeys(home, (s) => s.list());
    expect(list.map((l) => l.name)).toEqual(['blog', 'default', 'shop']);
    expect(list.find((l) => l.name === 'shop')?.b32).toBe(shop.b32);
  });

  it('refuses bad names', async () => {
    for (const name of ['', 'Upper', '../x', 'a/b', '-lead', 'x'.repeat(33)]) {
      expect(await codeOf(withSiteKeys(home, (s) => s.getOrCreate(name))), name).toBe('BAD_NAME');
    }
  });

  it('export writes a 0600 file in our keys format and never overwrites by accident', async () => {
    const file = join(base, 'blog.keys');
    const s = await withSiteKeys(home, (st) => st.exportTo('blog', file));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const decoded = decodeDestinationKeys(new Uint8Array(readFileSync(file)));
    expect(destinationB32(decoded.privateKeys.destination)).toBe(s.b32);
    expect(await codeOf(withSiteKeys(home, (st) => st.exportTo('blog', file)))).toBe('FILE_EXISTS');
    expect(await codeOf(withSiteKeys(home, (st) => st.exportTo('nope', join(base, 'x.keys'))))).toBe('KEYS_NOT_FOUND');
  });

  it('import: our format and plain i2pd private keys keep the address; taken names, loose modes and garbage are refused', async () => {
    const file = join(base, 'blog.keys');
    const blog = await withSiteKeys(home, (s) => s.get('blog'));
    const copy = await withSiteKeys(home, (s) => s.importFrom('blog-copy', file));
    expect(copy.b32).toBe(blog!.b32);
    expect(await codeOf(withSiteKeys(home, (s) => s.importFrom('blog', file)))).toBe('KEYS_EXIST');

    const plain = join(base, 'plain.dat');
    writeFileSync(plain, encodePrivateKeys(blog!.keys.privateKeys), { mode: 0o600 });
    const fromPlain = await withSiteKeys(home, (s) => s.importFrom('from-i2pd', plain));
    expect(fromPlain.b32).toBe(blog!.b32);

    const loose = join(base, 'loose.keys');
    writeFileSync(loose, readFileSync(file));
    chmodSync(loose, 0o644);
    expect(await codeOf(withSiteKeys(home, (s) => s.importFrom('loose', loose)))).toBe('INSECURE_PERMISSIONS');

    const junk = join(base, 'junk.keys');
    writeFileSync(junk, Buffer.alloc(500, 7), { mode: 0o600 });
    expect(await codeOf(withSiteKeys(home, (s) => s.importFrom('junk', junk)))).toBe('BAD_KEYS_FILE');
    expect(await codeOf(withSiteKeys(home, (s) => s.importFrom('none', join(base, 'missing.keys'))))).toBe('KEYS_NOT_FOUND');
  });

  it('decodeKeysFile throws SiteError on truncated input', () => {
    expect(() => decodeKeysFile(new Uint8Array(10))).toThrow(SiteError);
  });

  it('withSiteKeys waits for another holder, within a bound', async () => {
    const held = await SiteKeyStore.open(home);
    expect(await codeOf(withSiteKeys(home, (s) => s.list(), { attempts: 2, retryDelayMs: 1 }))).toBe('IN_USE');
    const waiting = withSiteKeys(home, (s) => s.list(), { attempts: 500, retryDelayMs: 10 });
    await held.close();
    expect((await waiting).length).toBeGreaterThanOrEqual(3);
  });
});
