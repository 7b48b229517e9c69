import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StateError } from '../../../src/state/errors.js';
import { appDir, ensurePrivateDir, resolveHome, routerDir } from '../../../src/state/home.js';

describe('resolveHome', () => {
  const base = { homedir: '/home/u', cwd: '/work' };

  it('prefers --home, then $ANON_HOME, then $XDG_DATA_HOME/anon, then ~/.local/share/anon', () => {
    const env = { ANON_HOME: '/a', XDG_DATA_HOME: '/x' };
    expect(resolveHome({ ...base, flag: '/f', env })).toBe('/f');
    expect(resolveHome({ ...base, env })).toBe('/a');
    expect(resolveHome({ ...base, env: { XDG_DATA_HOME: '/x' } })).toBe('/x/anon');
    expect(resolveHome({ ...base, env: {} })).toBe('/home/u/.local/share/anon');
  });

  it('treats empty values as unset', () => {
    expect(resolveHome({ ...base, flag: '', env: { ANON_HOME: '', XDG_DATA_HOME: '' } })).toBe('/home/u/.local/share/anon');
  });

  it('resolves relative --home and $ANON_HOME against the cwd, but ignores a relative $XDG_DATA_HOME', () => {
    expect(resolveHome({ ...base, flag: 'h', env: {} })).toBe('/work/h');
    expect(resolveHome({ ...base, env: { ANON_HOME: '../h' } })).toBe('/h');
    expect(resolveHome({ ...base, env: { XDG_DATA_HOME: 'rel' } })).toBe('/home/u/.local/share/anon');
  });

  it('lays out router and app directories, refusing app names that would escape apps/', () => {
    expect(routerDir('/h')).toBe('/h/router');
    expect(appDir('/h', 'chat')).toBe('/h/apps/chat');
    for (const bad of ['', '..', 'a/b', 'Chat', '../router']) {
      expect(() => appDir('/h', bad)).toThrow(StateError);
    }
  });
});

describe('ensurePrivateDir', () => {
  const bases: string[] = [];
  const temp = (): string => {
    const b = mkdtempSync(join(tmpdir(), 'anon-home-'));
    bases.push(b);
    return b;
  };
  afterEach(() => {
    for (const b of bases.splice(0)) rmSync(b, { recursive: true, force: true });
  });

  it('creates missing directories with mode 0700', () => {
    const path = join(temp(), 'a', 'b', 'home');
    ensurePrivateDir(path);
    expect(statSync(path).isDirectory()).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o700);
    expect(statSync(join(path, '..')).mode & 0o777).toBe(0o700);
  });

  it('tightens an existing group/world accessible directory we own', () => {
    const path = join(temp(), 'loose');
    mkdirSync(path, { mode: 0o777 });
    chmodSync(path, 0o775);
    ensurePrivateDir(path);
    expect(statSync(path).mode & 0o777).toBe(0o700);
  });

  it('leaves an already private directory alone', () => {
    const path = join(temp(), 'ok');
    mkdirSync(path, { mode: 0o700 });
    ensurePrivateDir(path);
    expect(statSync(path).mode & 0o777).toBe(0o700);
  });

  it('refuses a path that is a file', () => {
    const path = join(temp(), 'file');
    writeFileSync(path, 'x');
    expect(() => ensurePrivateDir(path)).toThrow(expect.objectContaining({ code: 'NOT_A_DIRECTORY' }));
  });

  it('refuses a directory owned by another user, without changing it', () => {
    let path: string;
    if (process.getuid!() === 0) {
      path = join(temp(), 'theirs');
      mkdirSync(path, { mode: 0o755 });
      chownSync(path, 65534, 65534);
    } else {
      path = '/';
    }
    const before = statSync(path).mode;
    expect(() => ensurePrivateDir(path)).toThrow(expect.objectContaining({ code: 'NOT_OWNER' }));
    expect(statSync(path).mode).toBe(before);
  });
});
