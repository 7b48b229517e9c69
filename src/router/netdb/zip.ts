import { inflateRawSync } from 'node:zlib';
import { crc32 } from './crc32.js';

/**
 * A small, bounded ZIP reader (PKWARE APPNOTE 6.3): enough for reseed bundles, which are flat
 * archives of small files, stored or deflated. It reads the central directory (the authoritative
 * sizes, so entries written with a data descriptor need no scanning), checks every offset and
 * length against the buffer, refuses ZIP64, multi-disk and encrypted archives, bounds the entry
 * count and the total declared size before inflating anything, inflates with maxOutputLength
 * and checks each CRC-32. Names are only reported, never used as paths.
 */

export type ZipErrorCode =
  | 'NO_EOCD' // no end-of-central-directory record: not a zip, or truncated
  | 'UNSUPPORTED' // ZIP64, multi-disk, encryption, an unknown compression method
  | 'TOO_MANY_ENTRIES'
  | 'TOO_LARGE' // declared sizes over the limits
  | 'CORRUPT' // a header, offset or length that does not fit
  | 'BAD_CRC'
  | 'INFLATE_FAILED';

export class ZipError extends Error {
  override readonly name = 'ZipError';
  constructor(
    readonly code: ZipErrorCode,
    readonly reason: string,
    /** The entry concerned, if any. */
    readonly entry?: string,
    options?: { cause?: unknown },
  ) {
    super(entry === undefined ? reason : `${entry}: ${reason}`, options);
  }
}

export interface ZipLimits {
  /** Most entries the central directory may declare. */
  readonly maxEntries?: number;
  /** Most bytes all entries may declare uncompressed, together. */
  readonly maxTotalBytes?: number;
  /** Most bytes one entry may declare uncompressed. */
  readonly maxEntryBytes?: number;
}

export const DEFAULT_ZIP_LIMITS: Required<ZipLimits> = {
  maxEntries: 10_000,
  maxTotalBytes: 64 * 1024 * 1024,
  maxEntryBytes: 16 * 1024 * 1024,
};

export const ZIP_STORED = 0;
export const ZIP_DEFLATED = 8;

export interface ZipEntry {
  /** The name as written (UTF-8 when flag bit 11 is set, otherwise read as Latin-1). */
  readonly name: string;
  readonly method: number;
  readonly flags: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  /** Where the entry's data starts in the archive (after its local header). */
  readonly dataOffset: number;
  /** A name ending in '/': a directory, no data. */
  readonly isDirectory: boolean;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const EOCD_SIZE = 22;
const CENTRAL_SIZE = 46;
const LOCAL_SIZE = 30;
const MAX_COMMENT = 0xffff;
const FLAG_ENCRYPTED = 0x0001;
const FLAG_STRONG_ENCRYPTION = 0x0040;
const FLAG_UTF8 = 0x0800;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function limitsOf(limits: ZipLimits | undefined): Required<ZipLimits> {
  const l = { ...DEFAULT_ZIP_LIMITS, ...limits };
  for (const [k, v] of Object.entries(l)) {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`zip limit ${k} must be a non-negative integer, got ${v}`);
  }
  return l;
}

/**
 * Finds the end-of-central-directory record. A candidate's comment must end exactly at the end
 * of the buffer, and of several candidates (the comment may contain the signature) the one whose
 * central directory ends right before it wins; failing that, the last one, to report on.
 */
function findEocd(zip: Uint8Array, dv: DataView): number {
  if (zip.length < EOCD_SIZE) throw new ZipError('NO_EOCD', `${zip.length} bytes is too short for a zip`);
  const lowest = Math.max(0, zip.length - EOCD_SIZE - MAX_COMMENT);
  let fallback = -1;
  for (let at = zip.length - EOCD_SIZE; at >= lowest; at--) {
    if (dv.getUint32(at, true) !== SIG_EOCD || at + EOCD_SIZE + dv.getUint16(at + 20, true) !== zip.length) continue;
    if (dv.getUint32(at + 16, true) + dv.getUint32(at + 12, true) === at) return at;
    if (fallback < 0) fallback = at;
  }
  if (fallback >= 0) return fallback;
  throw new ZipError('NO_EOCD', 'no end-of-central-directory record (not a zip, or truncated)');
}

/** Reads and checks the central directory; inflates nothing. */
export function listZipEntries(zip: Uint8Array, limits?: ZipLimits): ZipEntry[] {
  const l = limitsOf(limits);
  const dv = view(zip);
  const eocd = findEocd(zip, dv);
  const disk = dv.getUint16(eocd + 4, true);
  const cdDisk = dv.getUint16(eocd + 6, true);
  const entriesHere = dv.getUint16(eocd + 8, true);
  const entriesTotal = dv.getUint16(eocd + 10, true);
  const cdSize = dv.getUint32(eocd + 12, true);
  const cdOffset = dv.getUint32(eocd + 16, true);
  if (eocd >= 20 && dv.getUint32(eocd - 20, true) === SIG_ZIP64_LOCATOR) {
    throw new ZipError('UNSUPPORTED', 'ZIP64 archives are not supported');
  }
  if (entriesTotal === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    throw new ZipError('UNSUPPORTED', 'ZIP64 archives are not supported');
  }
  if (disk !== 0 || cdDisk !== 0 || entriesHere !== entriesTotal) {
    throw new ZipError('UNSUPPORTED', 'multi-disk archives are not supported');
  }
  if (entriesTotal > l.maxEntries) {
    throw new ZipError('TOO_MANY_ENTRIES', `${entriesTotal} entries, at most ${l.maxEntries} allowed`);
  }
  if (cdOffset + cdSize !== eocd) {
    throw new ZipError('CORRUPT', `central directory (offset ${cdOffset}, ${cdSize} bytes) does not end at the end record (${eocd})`);
  }
  const entries: ZipEntry[] = [];
  let total = 0;
  let at = cdOffset;
  for (let i = 0; i < entriesTotal; i++) {
    if (at + CENTRAL_SIZE > eocd) throw new ZipError('CORRUPT', `central directory truncated at entry ${i}`);
    if (dv.getUint32(at, true) !== SIG_CENTRAL) throw new ZipError('CORRUPT', `bad central directory signature at byte ${at}`);
    const flags = dv.getUint16(at + 8, true);
    const method = dv.getUint16(at + 10, true);
    const crc = dv.getUint32(at + 16, true);
    const compressedSize = dv.getUint32(at + 20, true);
    const uncompressedSize = dv.getUint32(at + 24, true);
    const nameLen = dv.getUint16(at + 28, true);
    const extraLen = dv.getUint16(at + 30, true);
    const commentLen = dv.getUint16(at + 32, true);
    const localOffset = dv.getUint32(at + 42, true);
    const next = at + CENTRAL_SIZE + nameLen + extraLen + commentLen;
    if (next > eocd) throw new ZipError('CORRUPT', `central directory entry ${i} runs past the directory`);
    const name = decodeName(zip.subarray(at + CENTRAL_SIZE, at + CENTRAL_SIZE + nameLen), flags, i);
    at = next;

    if (flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION)) throw new ZipError('UNSUPPORTED', 'encrypted entry', name);
    if (method !== ZIP_STORED && method !== ZIP_DEFLATED) {
      throw new ZipError('UNSUPPORTED', `compression method ${method} (only stored and deflate)`, name);
    }
    if (method === ZIP_STORED && compressedSize !== uncompressedSize) {
      throw new ZipError('CORRUPT', `stored entry with ${compressedSize} bytes compressed but ${uncompressedSize} uncompressed`, name);
    }
    if (uncompressedSize > l.maxEntryBytes) {
      throw new ZipError('TOO_LARGE', `declares ${uncompressedSize} bytes, at most ${l.maxEntryBytes} allowed`, name);
    }
    total += uncompressedSize;
    if (total > l.maxTotalBytes) {
      throw new ZipError('TOO_LARGE', `entries declare more than ${l.maxTotalBytes} bytes in total`);
    }
    const dataOffset = localDataOffset(zip, dv, localOffset, cdOffset, name, method);
    if (dataOffset + compressedSize > cdOffset) {
      throw new ZipError('CORRUPT', `data (${compressedSize} bytes at ${dataOffset}) runs into the central directory`, name);
    }
    entries.push({ name, method, flags, crc32: crc, compressedSize, uncompressedSize, dataOffset, isDirectory: name.endsWith('/') });
  }
  if (at !== eocd) throw new ZipError('CORRUPT', `${eocd - at} unexplained bytes after the last central directory entry`);
  return entries;
}

function decodeName(raw: Uint8Array, flags: number, index: number): string {
  if (!(flags & FLAG_UTF8)) return latin1.decode(raw);
  try {
    return utf8.decode(raw);
  } catch (err) {
    throw new ZipError('CORRUPT', `entry ${index}: name flagged UTF-8 is not UTF-8`, undefined, { cause: err });
  }
}

/** Checks the local header the central directory points at and returns where the data begins. */
function localDataOffset(zip: Uint8Array, dv: DataView, offset: number, limit: number, name: string, method: number): number {
  if (offset + LOCAL_SIZE > limit) throw new ZipError('CORRUPT', `local header offset ${offset} is out of range`, name);
  if (dv.getUint32(offset, true) !== SIG_LOCAL) throw new ZipError('CORRUPT', `bad local header signature at byte ${offset}`, name);
  const localMethod = dv.getUint16(offset + 8, true);
  if (localMethod !== method) {
    throw new ZipError('CORRUPT', `local header says method ${localMethod}, central directory ${method}`, name);
  }
  const nameLen = dv.getUint16(offset + 26, true);
  const extraLen = dv.getUint16(offset + 28, true);
  const data = offset + LOCAL_SIZE + nameLen + extraLen;
  if (data > limit) throw new ZipError('CORRUPT', 'local header runs into the central directory', name);
  return data;
}

/** The entry's bytes, inflated if need be, with the size and CRC-32 checked. */
export function readZipEntry(zip: Uint8Array, entry: ZipEntry): Uint8Array {
  const end = entry.dataOffset + entry.compressedSize;
  if (entry.dataOffset < 0 || end > zip.length) throw new ZipError('CORRUPT', 'data out of range', entry.name);
  const raw = zip.subarray(entry.dataOffset, end);
  let data: Uint8Array;
  if (entry.method === ZIP_STORED) {
    data = Uint8Array.from(raw); // a copy: callers keep entries, not the whole archive
  } else if (entry.method === ZIP_DEFLATED) {
    try {
      // maxOutputLength must be >= 1; an entry that inflates past its declared size fails here.
      const out = inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.uncompressedSize) });
      // A copy: the result is a slice of zlib's 16 KiB output chunk, which it would keep alive.
      data = Uint8Array.from(out);
    } catch (err) {
      throw new ZipError('INFLATE_FAILED', `cannot inflate: ${(err as Error).message}`, entry.name, { cause: err });
    }
  } else {
    throw new ZipError('UNSUPPORTED', `compression method ${entry.method}`, entry.name);
  }
  if (data.length !== entry.uncompressedSize) {
    throw new ZipError('CORRUPT', `inflated to ${data.length} bytes, declared ${entry.uncompressedSize}`, entry.name);
  }
  const actual = crc32(data);
  if (actual !== entry.crc32) {
    throw new ZipError('BAD_CRC', `CRC-32 is ${hex8(actual)}, declared ${hex8(entry.crc32)}`, entry.name);
  }
  return data;
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}
