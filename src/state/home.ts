import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { StateError, errnoCode } from './errors.js';

export interface HomeSources {
  /** The `--home` flag, if given. Relative values resolve against `cwd`. */
  readonly flag?: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
  readonly homedir?: string;
  readonly cwd?: string;
}

/**
 * The anon home: `--home` > `$ANON_HOME` > `$XDG_DATA_HOME/anon` > `~/.local/share/anon`.
 * Empty values count as unset. A relative `$XDG_DATA_HOME` is ignored, as the XDG Base
 * Directory spec requires; a relative `--home` or `$ANON_HOME` resolves against the cwd.
 */
export function resolveHome(sources: HomeSources = {}): string {
  const env = sources.env ?? process.env;
  const cwd = sources.cwd ?? process.cwd();
  if (sources.flag !== undefined && sources.flag !== '') return resolve(cwd, sources.flag);
  const anonHome = env['ANON_HOME'];
  if (anonHome !== undefined && anonHome !== '') return resolve(cwd, anonHome);
  const xdg = env['XDG_DATA_HOME'];
  if (xdg !== undefined && xdg !== '' && isAbsolute(xdg)) return join(xdg, 'anon');
  return join(sources.homedir ?? homedir(), '.local', 'share', 'anon');
}

/** `<home>/router`: the router's LevelDB, pid file and control socket. */
export function routerDir(home: string): string {
  return join(home, 'router');
}

const APP_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/** `<home>/apps/<app>`: one app's LevelDB. The name is checked so it cannot escape `apps/`. */
export function appDir(home: string, app: string): string {
  if (!APP_NAME.test(app)) {
    throw new StateError('INVALID_ARGUMENT', `app name ${JSON.stringify(app)} must match ${APP_NAME}`);
  }
  return join(home, 'apps', app);
}

/**
 * Create `path` (and missing parents) with mode 0700, or make an existing one private.
 *
 * Policy: a directory we own that is group/world accessible is tightened to 0700 (it holds
 * keys; a loose mode is almost always a umask accident, and refusing would only make the user
 * type the chmod we can do). A directory owned by another user is refused with NOT_OWNER:
 * its owner can read our keys whatever mode we set, and chmod would fail anyway. Only the
 * leaf is checked and tightened; parents we create get 0700, existing parents are left alone.
 * On platforms without uids (Windows) the mode checks are skipped.
 */
export function ensurePrivateDir(path: string): void {
  try {
    mkdirSync(path, { recursive: true, mode: 0o700 });
  } catch (err) {
    if (errnoCode(err) === 'EEXIST' || errnoCode(err) === 'ENOTDIR') {
      throw new StateError('NOT_A_DIRECTORY', `${path} exists and is not a directory`, { cause: err });
    }
    throw new StateError('IO', `cannot create ${path}: ${(err as Error).message}`, { cause: err });
  }
  const st = statSync(path);
  if (!st.isDirectory()) throw new StateError('NOT_A_DIRECTORY', `${path} exists and is not a directory`);
  const uid = process.getuid?.();
  if (uid === undefined) return;
  if (st.uid !== uid) {
    throw new StateError(
      'NOT_OWNER',
      `${path} belongs to uid ${st.uid}, not to this user (uid ${uid}); choose another --home`,
    );
  }
  if ((st.mode & 0o077) !== 0 || (st.mode & 0o700) !== 0o700) {
    try {
      chmodSync(path, 0o700);
    } catch (err) {
      throw new StateError('IO', `cannot make ${path} private (chmod 700): ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
}
