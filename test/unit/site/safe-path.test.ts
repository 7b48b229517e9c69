import fc from 'fast-check';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRequestPath, isInside, resolveInside } from '../../../src/apps/site/safe-path.js';

describe('checkRequestPath', () => {
  it('decodes segments and drops empty and "." ones', () => {
    expect(checkRequestPath('/a/b%20c/./d.txt?x=../..#f')).toEqual({ ok: true, segments: ['a', 'b c', 'd.txt'], trailingSlash: false, rawPath: '/a/b%20c/./d.txt' });
    expect(checkRequestPath('/')).toMatchObject({ ok: true, segments: [], trailingSlash: true });
    expect(checkRequestPath('//a//')).toMatchObject({ ok: true, segments: ['a'], trailingSlash: true });
    expect(checkRequestPath('http://x.i2p/a')).toMatchObject({ ok: true, segments: ['a'] });
    expect(checkRequestPath('/.well-known/x')).toMatchObject({ ok: true, segments: ['.well-known', 'x'] });
    expect(checkRequestPath('/%C3%A9t%C3%A9')).toMatchObject({ ok: true, segments: ['été'] });
  });

  it('refuses traversal in every spelling', () => {
    for (const p of ['/..', '/a/../b', '/%2e%2e/x', '/%2E%2e/x', '/a%2f..%2fb', '/a\\b', '/%5c', '/a%00b', '/%2e%2e%2f']) {
      const v = checkRequestPath(p);
      expect(v.ok, p).toBe(false);
      if (!v.ok) expect(v.status, p).toBe(403);
    }
  });

  it('400 for a target that is not a path or has broken escapes; 404 for hidden files and absurd depth', () => {
    expect(checkRequestPath('*')).toMatchObject({ ok: false, status: 400 });
    expect(checkRequestPath('a/b')).toMatchObject({ ok: false, status: 400 });
    expect(checkRequestPath('/%')).toMatchObject({ ok: false, status: 400 });
    expect(checkRequestPath('/%e9')).toMatchObject({ ok: false, status: 400 });
    expect(checkRequestPath('/' + 'a'.repeat(5000))).toMatchObject({ ok: false, status: 400 });
    expect(checkRequestPath('/.git/config')).toMatchObject({ ok: false, status: 404 });
    expect(checkRequestPath('/a/.env')).toMatchObject({ ok: false, status: 404 });
    expect(checkRequestPath('/a'.repeat(100))).toMatchObject({ ok: false, status: 404 });
    expect(checkRequestPath('/' + 'é'.repeat(200))).toMatchObject({ ok: false, status: 404 });
  });

  it('fuzz: never throws; accepted segments never hold "..", a separator or NUL', () => {
    const piece = fc.constantFrom('..', '.', '%2e', '%2E', '%2f', '%5c', '%00', '/', '\\', 'a', '%', '%25', '?', '#', 'é', '.git');
    const pathArb = fc.oneof(fc.string({ maxLength: 200 }), fc.array(piece, { maxLength: 30 }).map((a) => '/' + a.join('')));
    fc.assert(
      fc.property(pathArb, (p) => {
        const v = checkRequestPath(p);
        if (v.ok) {
          for (const s of v.segments) {
            expect(s).not.toBe('..');
            expect(s).not.toBe('.');
            expect(s).not.toBe('');
            expect(s.includes('/') || s.includes('\\') || s.includes('\0')).toBe(false);
          }
        } else {
          expect([400, 403, 404]).toContain(v.status);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('resolveInside', () => {
  let base: string;
  let root: string;
  beforeAll(() => {
    base = realpathSync(mkdtempSync(join(tmpdir(), 'anon-safe-path-')));
    root = join(base, 'root');
    mkdirSync(join(root, 'd'), { recursive: true });
    writeFileSync(join(root, 'd', 'f'), 'f');
    writeFileSync(join(base, 'outside'), 'o');
    symlinkSync(join(base, 'outside'), join(root, 'out'));
    symlinkSync(join(root, 'd', 'f'), join(root, 'in'));
    symlinkSync('loop', join(root, 'loop'));
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('follows links that stay inside, refuses those that leave, 404 for missing and loops', async () => {
    expect(await resolveInside(root, ['in'])).toEqual({ ok: true, real: join(root, 'd', 'f') });
    expect(await resolveInside(root, ['d', 'f'])).toEqual({ ok: true, real: join(root, 'd', 'f') });
    expect(await resolveInside(root, ['out'])).toEqual({ ok: false, status: 404 });
    expect(await resolveInside(root, ['missing'])).toEqual({ ok: false, status: 404 });
    expect(await resolveInside(root, ['loop'])).toEqual({ ok: false, status: 404 });
    expect(await resolveInside(root, [])).toEqual({ ok: true, real: root });
  });

  it('isInside does not take a sibling with a common prefix for a child', () => {
    expect(isInside('/srv/site', '/srv/site/a')).toBe(true);
    expect(isInside('/srv/site', '/srv/site')).toBe(true);
    expect(isInside('/srv/site', '/srv/site-secrets/a')).toBe(false);
    expect(isInside('/srv/site', '/srv')).toBe(false);
  });
});
