import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeRouterInfo, i2pBase64Encode, routerInfoHash } from '../../../src/router/data/index.js';
import { loadReseed, ReseedError } from '../../../src/router/netdb/reseed.js';
import { fixture, ROUTER_INFO_FILES } from '../data/fixtures.js';
import { buildSu3, buildZip, type TestZipEntry } from './helpers.js';

const fixtures = ROUTER_INFO_FILES.map((n) => fixture(n));
const fileName = (ri: Uint8Array): string => `routerInfo-${i2pBase64Encode(routerInfoHash(decodeRouterInfo(ri)))}.dat`;

const temps: string[] = [];
function temp(): string {
  const d = mkdtempSync(join(tmpdir(), 'anon-reseed-'));
  temps.push(d);
  return d;
}
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** i2pd's layout: netDb/r<first Base64 character of the hash>/routerInfo-<hash>.dat */
function writeI2pdNetDb(root: string): string {
  const netDb = join(root, 'netDb');
  for (const ri of fixtures) {
    const name = fileName(ri);
    const sub = join(netDb, `r${name.charAt('routerInfo-'.length)}`);
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, name), ri);
  }
  return netDb;
}

async function reseedError(p: Promise<unknown>): Promise<ReseedError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ReseedError);
  return err as ReseedError;
}

const sorted = (list: Uint8Array[]): string[] => list.map((b) => Buffer.from(b).toString('hex')).sort();

describe('loadReseed: folders', () => {
  it("reads i2pd's netDb/r<c>/ layout, from the netDb folder or the data folder above it", async () => {
    const root = temp();
    const netDb = writeI2pdNetDb(root);
    writeFileSync(join(root, 'router.keys'), 'not a candidate');
    for (const path of [netDb, root]) {
      const r = await loadReseed(path);
      expect(r.format).toBe('directory');
      expect(sorted(r.routerInfos)).toEqual(sorted(fixtures));
      expect(r.skipped).toEqual([]);
      expect(r.signatureChecked).toBe(false);
    }
  });

  it('does not look deeper than maxDepth', async () => {
    const root = temp();
    writeI2pdNetDb(join(root, 'a')); // files in root/a/netDb/r<c>/: three folders down
    expect((await loadReseed(root, { maxDepth: 3 })).routerInfos).toHaveLength(3);
    expect((await loadReseed(root, { maxDepth: 2 })).routerInfos).toHaveLength(0);
  });

  it('reads a flat folder, skipping empty and oversized files and stopping at maxFiles', async () => {
    const dir = temp();
    for (const ri of fixtures) writeFileSync(join(dir, fileName(ri)), ri);
    writeFileSync(join(dir, `routerInfo-${'A'.repeat(43)}=.dat`), '');
    writeFileSync(join(dir, `routerInfo-${'B'.repeat(43)}=.dat`), new Uint8Array(5000));
    const r = await loadReseed(dir, { maxFileBytes: 4096 });
    expect(r.routerInfos).toHaveLength(3);
    expect(r.skipped.map((s) => s.reason).sort()).toEqual(['5000 bytes, more than 4096', 'empty']);

    const two = await loadReseed(dir, { maxFiles: 2, maxFileBytes: 4096 });
    expect(two.routerInfos).toHaveLength(2);
    expect(two.skipped.at(-1)).toEqual({ name: dir, reason: 'limit of 2 RouterInfos reached; the rest not read' });
  });

  it('stops at maxBytes', async () => {
    const dir = temp();
    for (const ri of fixtures) writeFileSync(join(dir, fileName(ri)), ri);
    const r = await loadReseed(dir, { maxBytes: fixtures[0].length + fixtures[1].length });
    expect(r.routerInfos.length).toBeLessThan(3);
    expect(r.skipped.some((s) => s.reason.startsWith('limit of'))).toBe(true);
  });

  it('does not descend folder symlinks (no loops)', async () => {
    const root = temp();
    writeI2pdNetDb(root);
    symlinkSync(root, join(root, 'netDb', 'loop'));
    expect((await loadReseed(root, { maxDepth: 10 })).routerInfos).toHaveLength(3);
  });

  it('bounds how many folder entries it examines', async () => {
    const dir = temp();
    for (let i = 0; i < 1100; i++) writeFileSync(join(dir, `junk-${i}`), '');
    // maxFiles 1 allows 1 * 16 + 1024 = 1040 entries to be looked at.
    const r = await loadReseed(dir, { maxFiles: 1 });
    expect(r.routerInfos).toHaveLength(0);
    expect(r.skipped).toEqual([{ name: dir, reason: 'stopped after examining 1040 folder entries' }]);
  });

  it('accepts a single routerInfo-*.dat file', async () => {
    const dir = temp();
    const path = join(dir, fileName(fixtures[0]));
    writeFileSync(path, fixtures[0]);
    const r = await loadReseed(path);
    expect(r.format).toBe('file');
    expect(r.routerInfos).toEqual([fixtures[0]]);
  });
});

describe('loadReseed: zip and su3', () => {
  const entries = (): TestZipEntry[] => fixtures.map((ri, i) => ({ name: fileName(ri), data: ri, method: i === 0 ? 0 : 8 }));

  it('reads a zip of stored and deflated RouterInfos, skipping other names and bad entries', async () => {
    const dir = temp();
    const path = join(dir, 'seeds.zip');
    writeFileSync(
      path,
      buildZip([
        ...entries(),
        { name: 'README.txt', data: new TextEncoder().encode('hi') },
        { name: `routerInfo-${'C'.repeat(43)}=.dat`, data: fixtures[0], crc: 1 },
      ]),
    );
    const r = await loadReseed(path);
    expect(r.format).toBe('zip');
    expect(sorted(r.routerInfos)).toEqual(sorted(fixtures));
    expect(r.skipped).toEqual([
      { name: 'README.txt', reason: 'not a routerInfo-<hash>.dat name' },
      { name: `routerInfo-${'C'.repeat(43)}=.dat`, reason: expect.stringContaining('CRC-32') },
    ]);
  });

  it('reads an su3 reseed bundle and says its signature was not checked', async () => {
    const dir = temp();
    const path = join(dir, 'i2pseeds.su3');
    writeFileSync(path, buildSu3(buildZip(entries()), { signerId: 'seeder@mail.i2p', version: '1764028800' }));
    const r = await loadReseed(path);
    expect(r.format).toBe('su3');
    expect(sorted(r.routerInfos)).toEqual(sorted(fixtures));
    expect(r.signatureChecked).toBe(false);
    expect(r.su3).toEqual({ signerId: 'seeder@mail.i2p', version: '1764028800', sigType: 6 });
  });

  it('refuses a bomb: more entries than could be taken, or a huge declared size', async () => {
    const dir = temp();
    const many = join(dir, 'many.zip');
    writeFileSync(many, buildZip(Array.from({ length: 21 }, (_, i) => ({ name: `f${i}`, data: new Uint8Array([i]), method: 0 as const }))));
    expect((await reseedError(loadReseed(many, { maxFiles: 10 }))).reason).toMatch(/21 entries/);

    const huge = join(dir, 'huge.zip');
    writeFileSync(huge, buildZip([{ name: fileName(fixtures[0]), data: fixtures[0], uncompressedSize: 0x7fffffff }]));
    expect((await reseedError(loadReseed(huge))).reason).toMatch(/declares/);
  });

  it('refuses an input file larger than maxBytes before reading it', async () => {
    const dir = temp();
    const path = join(dir, 'seeds.zip');
    writeFileSync(path, buildZip(entries()));
    expect((await reseedError(loadReseed(path, { maxBytes: 100 }))).reason).toMatch(/more than the 100 allowed/);
  });

  it('turns broken archives into ReseedError naming the path', async () => {
    const dir = temp();
    const zip = buildZip(entries());
    const cases: [string, Uint8Array, RegExp][] = [
      ['truncated.zip', zip.subarray(0, zip.length - 30), /zip: /],
      ['wrong-type.su3', buildSu3(zip, { contentType: 1 }), /contentType/],
      ['bad-zip.su3', buildSu3(new Uint8Array([0x50, 0x4b, 3, 4, 9, 9, 9])), /zip: /],
      ['random.bin', new Uint8Array(64).fill(7), /not a folder, a zip/],
    ];
    for (const [name, bytes, reason] of cases) {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      const err = await reseedError(loadReseed(path));
      expect(err.path).toBe(path);
      expect(err.reason).toMatch(reason);
    }
    const missing = await reseedError(loadReseed(join(dir, 'nope')));
    expect(missing.reason).toMatch(/cannot read/);
  });
});
