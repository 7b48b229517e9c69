import { randomBytes } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { StateError, errnoCode } from './errors.js';

/** Key files are small (a destination's private keys are < 1 KiB); anything huge is not ours. */
export const DEFAULT_MAX_KEY_FILE_BYTES = 64 * 1024;

/** Points in an atomic write where a test hook may throw to simulate a crash or a full disk. */
export type KeyFileWriteStep = 'created' | 'written' | 'synced' | 'renamed';

export interface WriteKeyFileOptions {
  /** Test seam: called after each step; a throw aborts the write as a failing syscall would. */
  readonly onStep?: (step: KeyFileWriteStep) => void | Promise<void>;
}

/**
 * Write `data` to `path` so that a reader sees either the old content or the new, never a torn
 * file, and the new content survives a power cut once this resolves: a temp file in the same
 * directory (0600, O_EXCL so a planted symlink or file is never followed), write, fsync,
 * rename over the target, fsync the directory so the rename itself is durable.
 */
export async function writeKeyFile(path: string, data: Uint8Array, options: WriteKeyFileOptions = {}): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: FileHandle | undefined;
  let renamed = false;
  try {
    handle = await open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | (fsc.O_NOFOLLOW ?? 0), 0o600);
    // The umask can only remove bits, but be explicit: the mode is the point of this file.
    await handle.chmod(0o600);
    await options.onStep?.('created');
    await writeAll(handle, data);
    await options.onStep?.('written');
    await handle.sync();
    await options.onStep?.('synced');
    await handle.close();
    handle = undefined;
    await rename(tmp, path);
    renamed = true;
    await options.onStep?.('renamed');
    await syncDir(dir);
  } catch (err) {
    if (handle !== undefined) await handle.close().catch(() => undefined);
    if (!renamed) await unlink(tmp).catch(() => undefined);
    if (err instanceof StateError) throw err;
    throw new StateError('IO', `cannot write ${path}: ${(err as Error).message}`, { cause: err });
  }
}

async function writeAll(handle: FileHandle, data: Uint8Array): Promise<void> {
  let offset = 0;
  // Each pass writes at least one byte or throws, so this ends after at most data.length passes.
  while (offset < data.length) {
    const { bytesWritten } = await handle.write(data, offset, data.length - offset, offset);
    if (bytesWritten <= 0) throw new StateError('IO', 'write made no progress');
    offset += bytesWritten;
  }
}

async function syncDir(dir: string): Promise<void> {
  const h = await open(dir, fsc.O_RDONLY);
  try {
    await h.sync();
  } catch (err) {
    // Some filesystems cannot fsync a directory; the rename is still atomic there.
    if (errnoCode(err) !== 'EINVAL' && errnoCode(err) !== 'EISDIR') throw err;
  } finally {
    await h.close();
  }
}

export interface ReadKeyFileOptions {
  readonly maxBytes?: number;
}

/**
 * Read a private key file, or undefined if it does not exist. Refuses, as ssh does, a file that
 * group or others can access or that another user owns, naming the fix; refuses symlinks and
 * anything larger than `maxBytes`.
 */
export async function readKeyFile(path: string, options: ReadKeyFileOptions = {}): Promise<Uint8Array | undefined> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_KEY_FILE_BYTES;
  let handle: FileHandle;
  try {
    handle = await open(path, fsc.O_RDONLY | (fsc.O_NOFOLLOW ?? 0));
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    if (errnoCode(err) === 'ELOOP') {
      throw new StateError('NOT_A_FILE', `${path} is a symbolic link; key files must be regular files`, { cause: err });
    }
    throw new StateError('IO', `cannot open ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    // fstat the open handle, not the path, so the checks apply to the bytes we read.
    const st = await handle.stat();
    if (!st.isFile()) throw new StateError('NOT_A_FILE', `${path} is not a regular file`);
    const uid = process.getuid?.();
    if (uid !== undefined) {
      if (st.uid !== uid) {
        throw new StateError('NOT_OWNER', `${path} belongs to uid ${st.uid}, not to this user (uid ${uid})`);
      }
      if ((st.mode & 0o077) !== 0) {
        const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
        throw new StateError(
          'INSECURE_PERMISSIONS',
          `permissions ${mode} for ${path} are too open: a private key file must not be accessible ` +
            `by others. Fix: chmod 600 '${path}'`,
        );
      }
    }
    if (st.size > maxBytes) {
      throw new StateError('TOO_LARGE', `${path} is ${st.size} bytes; a key file is at most ${maxBytes}`);
    }
    return await readExactly(handle, st.size, maxBytes, path);
  } catch (err) {
    if (err instanceof StateError) throw err;
    throw new StateError('IO', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Read to EOF, but never more than `maxBytes` even if the file grows while we read. */
async function readExactly(handle: FileHandle, expected: number, maxBytes: number, path: string): Promise<Uint8Array> {
  // One byte of headroom shows whether the file grew after the fstat.
  const buf = new Uint8Array(Math.min(expected, maxBytes) + 1);
  let offset = 0;
  // Each pass reads at least one byte or stops; the buffer bounds the number of passes.
  while (offset < buf.length) {
    const { bytesRead } = await handle.read(buf, offset, buf.length - offset, offset);
    if (bytesRead === 0) break;
    offset += bytesRead;
  }
  if (offset !== expected) {
    throw new StateError('IO', `${path} changed size while being read (${expected} then ${offset} bytes)`);
  }
  return buf.slice(0, offset);
}
