import type { Dirent } from 'node:fs';
import { open, opendir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { decodeReseedSu3, SU3_MAGIC, Su3Error } from './su3.js';
import { listZipEntries, readZipEntry, ZipError } from './zip.js';

/**
 * Bootstrap input from disk: a folder of `routerInfo-<hash>.dat` files (also i2pd's `netDb/`
 * with its `r<c>/` subfolders, or a whole i2pd data directory), a `.zip` of such files, or a
 * `.su3` reseed bundle. Returns the raw RouterInfo bytes: deciding which to keep (signature,
 * netId, age) is the RouterInfoStore's job, so this module never decodes them.
 *
 * Everything is bounded: the input file's size, the number of files returned and examined, the
 * bytes read in total and per file, and the folder depth. Directory symlinks are not followed.
 */

export type ReseedFormat = 'directory' | 'zip' | 'su3' | 'file';

export interface ReseedOptions {
  /** Most RouterInfos returned; later ones are reported as skipped. */
  readonly maxFiles?: number;
  /** Most bytes read: bounds the input file (zip or su3), and separately the RouterInfos returned. */
  readonly maxBytes?: number;
  /** Most bytes one RouterInfo file may have (a real one is under 2 KiB). */
  readonly maxFileBytes?: number;
  /** How deep below the given folder to look (i2pd data dir → netDb → r<c> is 2). */
  readonly maxDepth?: number;
}

export const DEFAULT_RESEED_OPTIONS: Required<ReseedOptions> = {
  maxFiles: 2000,
  maxBytes: 32 * 1024 * 1024,
  maxFileBytes: 64 * 1024,
  maxDepth: 3,
};

export interface ReseedSkip {
  readonly name: string;
  readonly reason: string;
}

export interface ReseedResult {
  readonly format: ReseedFormat;
  readonly routerInfos: Uint8Array[];
  /** Candidates not returned, and why (bounded: see `skippedOmitted`). */
  readonly skipped: ReseedSkip[];
  /** Skips beyond the list's bound, only counted. */
  readonly skippedOmitted: number;
  /**
   * Always false: we ship no reseed signer certificates, so an SU3's signature is not checked.
   * The caller should log that the bundle is trusted only as much as its source.
   */
  readonly signatureChecked: false;
  /** For an SU3: who signed it and its version (seconds since the epoch for reseeds). */
  readonly su3?: { readonly signerId: string; readonly version: string; readonly sigType: number };
}

export class ReseedError extends Error {
  override readonly name = 'ReseedError';
  constructor(
    readonly path: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`reseed ${path}: ${reason}`, options);
  }
}

/** `routerInfo-<44 characters of I2P Base64>.dat`, as the spec and i2pd name them. */
export const ROUTER_INFO_FILE_NAME = /^routerInfo-[A-Za-z0-9~-]{43}=\.dat$/;

const MAX_SKIPPED_LISTED = 200;

function optionsOf(o: ReseedOptions): Required<ReseedOptions> {
  const r = { ...DEFAULT_RESEED_OPTIONS, ...o };
  for (const [k, v] of Object.entries(r)) {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`reseed option ${k} must be a non-negative integer, got ${v}`);
  }
  return r;
}

/** Collects results under the limits. */
class Collector {
  readonly routerInfos: Uint8Array[] = [];
  readonly skipped: ReseedSkip[] = [];
  skippedOmitted = 0;
  bytes = 0;

  constructor(readonly o: Required<ReseedOptions>) {}

  get full(): boolean {
    return this.routerInfos.length >= this.o.maxFiles;
  }

  skip(name: string, reason: string): void {
    if (this.skipped.length < MAX_SKIPPED_LISTED) this.skipped.push({ name, reason });
    else this.skippedOmitted++;
  }

  /** The reason a file of `size` bytes cannot be taken, or undefined if it can. */
  refusal(size: number): string | undefined {
    if (this.full) return `limit of ${this.o.maxFiles} RouterInfos reached`;
    if (size === 0) return 'empty';
    if (size > this.o.maxFileBytes) return `${size} bytes, more than ${this.o.maxFileBytes}`;
    if (this.bytes + size > this.o.maxBytes) return `limit of ${this.o.maxBytes} bytes reached`;
    return undefined;
  }

  add(bytes: Uint8Array): void {
    this.routerInfos.push(bytes);
    this.bytes += bytes.length;
  }
}

export async function loadReseed(path: string, options: ReseedOptions = {}): Promise<ReseedResult> {
  const o = optionsOf(options);
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    throw new ReseedError(path, `cannot read: ${(err as Error).message}`, { cause: err });
  }
  const c = new Collector(o);
  if (info.isDirectory()) {
    await walk(path, 0, c, { examined: 0, maxExamined: Math.max(o.maxFiles, 1) * 16 + 1024, stopped: false });
    return finish('directory', c);
  }
  if (!info.isFile()) throw new ReseedError(path, 'neither a file nor a folder');
  if (info.size > o.maxBytes) throw new ReseedError(path, `${info.size} bytes, more than the ${o.maxBytes} allowed`);
  const bytes = await readWhole(path, info.size);
  if (startsWith(bytes, SU3_MAGIC)) return fromSu3(path, bytes, c);
  if (startsWith(bytes, 'PK\x03\x04') || startsWith(bytes, 'PK\x05\x06')) {
    fromZip(path, bytes, c);
    return finish('zip', c);
  }
  if (ROUTER_INFO_FILE_NAME.test(basename(path))) {
    const refused = c.refusal(bytes.length);
    if (refused) throw new ReseedError(path, refused);
    c.add(bytes);
    return finish('file', c);
  }
  throw new ReseedError(path, 'not a folder, a zip, an su3 reseed bundle or a routerInfo-*.dat file');
}

function finish(format: ReseedFormat, c: Collector, su3?: ReseedResult['su3']): ReseedResult {
  return {
    format,
    routerInfos: c.routerInfos,
    skipped: c.skipped,
    skippedOmitted: c.skippedOmitted,
    signatureChecked: false,
    ...(su3 ? { su3 } : {}),
  };
}

function startsWith(bytes: Uint8Array, ascii: string): boolean {
  if (bytes.length < ascii.length) return false;
  for (let i = 0; i < ascii.length; i++) if (bytes[i] !== ascii.charCodeAt(i)) return false;
  return true;
}

/** Reads a file of known size, refusing one that grew past it meanwhile. */
async function readWhole(path: string, size: number): Promise<Uint8Array> {
  let fh;
  try {
    fh = await open(path, 'r');
    const buf = new Uint8Array(size + 1);
    let got = 0;
    // Bounded: each read makes progress or ends the loop, and `got` cannot pass size + 1.
    while (got < buf.length) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    if (got > size) throw new ReseedError(path, 'file grew while being read');
    return buf.subarray(0, got);
  } catch (err) {
    if (err instanceof ReseedError) throw err;
    throw new ReseedError(path, `cannot read: ${(err as Error).message}`, { cause: err });
  } finally {
    await fh?.close();
  }
}

function fromSu3(path: string, bytes: Uint8Array, c: Collector): ReseedResult {
  let su3;
  try {
    su3 = decodeReseedSu3(bytes);
  } catch (err) {
    if (err instanceof Su3Error) throw new ReseedError(path, err.message, { cause: err });
    throw err;
  }
  // The SU3 itself counts against maxBytes (checked by the caller); its zip is inside it.
  fromZip(path, su3.content, c);
  return finish('su3', c, { signerId: su3.signerId, version: su3.version, sigType: su3.sigType });
}

/**
 * Takes the RouterInfo entries of a zip. A structurally bad archive is a ReseedError; a bad
 * entry (CRC, inflate) is only skipped, so one damaged file does not cost the whole bundle.
 */
function fromZip(path: string, zip: Uint8Array, c: Collector): void {
  let entries;
  try {
    entries = listZipEntries(zip, {
      // More entries than we could ever take is a bomb, not a reseed (a real one holds ~100).
      maxEntries: Math.max(c.o.maxFiles, 1) * 2,
      maxTotalBytes: c.o.maxBytes,
      maxEntryBytes: Math.max(c.o.maxBytes, 1),
    });
  } catch (err) {
    if (err instanceof ZipError) throw new ReseedError(path, `zip: ${err.message}`, { cause: err });
    throw err;
  }
  for (const e of entries) {
    if (e.isDirectory) continue;
    // The spec puts files at the top level, but tolerate a folder prefix from hand-made zips.
    const name = e.name.slice(e.name.lastIndexOf('/') + 1);
    if (!ROUTER_INFO_FILE_NAME.test(name)) {
      c.skip(e.name, 'not a routerInfo-<hash>.dat name');
      continue;
    }
    const refused = c.refusal(e.uncompressedSize);
    if (refused) {
      c.skip(e.name, refused);
      continue;
    }
    try {
      c.add(readZipEntry(zip, e));
    } catch (err) {
      if (!(err instanceof ZipError)) throw err;
      c.skip(e.name, err.reason);
    }
  }
}

interface WalkState {
  /** Folder entries looked at so far, across the walk: bounds a huge or hostile tree. */
  examined: number;
  readonly maxExamined: number;
  stopped: boolean;
}

async function walk(dir: string, depth: number, c: Collector, state: WalkState): Promise<void> {
  const dirents: Dirent[] = [];
  try {
    // opendir, not readdir: a folder with millions of entries is read only up to the bound.
    const handle = await opendir(dir);
    try {
      for await (const d of handle) {
        if (++state.examined > state.maxExamined) {
          state.stopped = true;
          c.skip(dir, `stopped after examining ${state.maxExamined} folder entries`);
          break;
        }
        dirents.push(d);
      }
    } finally {
      await handle.close().catch(() => {}); // already closed when the iteration ran to its end
    }
  } catch (err) {
    if (depth === 0) throw new ReseedError(dir, `cannot list: ${(err as Error).message}`, { cause: err });
    c.skip(dir, `cannot list: ${(err as Error).message}`);
    return;
  }
  // Sorted, so the same folder always yields the same RouterInfos under the limits.
  dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const d of dirents) {
    if (c.full) {
      if (!state.stopped) c.skip(dir, `limit of ${c.o.maxFiles} RouterInfos reached; the rest not read`);
      state.stopped = true;
      return;
    }
    const full = join(dir, d.name);
    if (d.isDirectory()) {
      // Not d.isSymbolicLink(): a link to a folder could loop, so links are never descended.
      if (depth < c.o.maxDepth && !state.stopped) await walk(full, depth + 1, c, state);
      continue;
    }
    if (!ROUTER_INFO_FILE_NAME.test(d.name)) continue; // other files in a data dir are not candidates
    await takeFile(full, d, c);
  }
}

async function takeFile(path: string, d: Dirent, c: Collector): Promise<void> {
  let size: number;
  try {
    const s = await stat(path); // follows a symlink to a file; a symlink to a folder is not a file
    if (!s.isFile()) {
      c.skip(path, d.isSymbolicLink() ? 'symlink to a non-file' : 'not a regular file');
      return;
    }
    size = s.size;
  } catch (err) {
    c.skip(path, `cannot read: ${(err as Error).message}`);
    return;
  }
  const refused = c.refusal(size);
  if (refused) {
    c.skip(path, refused);
    return;
  }
  try {
    const bytes = await readWhole(path, size);
    const again = c.refusal(bytes.length);
    if (again) c.skip(path, again);
    else c.add(bytes);
  } catch (err) {
    c.skip(path, err instanceof ReseedError ? err.reason : (err as Error).message);
  }
}
