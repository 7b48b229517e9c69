import fc from 'fast-check';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../../src/router/netdb/crc32.js';
import { listZipEntries, readZipEntry, ZipError, type ZipErrorCode } from '../../../src/router/netdb/zip.js';
import { buildZip, concat } from './helpers.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

function zipError(fn: () => unknown): ZipError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ZipError);
    return err as ZipError;
  }
  throw new Error('expected a ZipError');
}

function readAll(zip: Uint8Array): { name: string; data: Uint8Array }[] {
  return listZipEntries(zip).map((e) => ({ name: e.name, data: readZipEntry(zip, e) }));
}

describe('crc32', () => {
  it('matches the standard check value and the empty input', () => {
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('agrees with zlib.crc32, also when continued piecewise', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(300), (data, cut) => {
        const at = Math.min(cut, data.length);
        expect(crc32(data)).toBe(zlibCrc32(data));
        expect(crc32(data.subarray(at), crc32(data.subarray(0, at)))).toBe(zlibCrc32(data));
      }),
    );
  });
});

describe('zip reader', () => {
  it('reads stored and deflated entries with their names and sizes', () => {
    const a = ascii('hello hello hello hello');
    const b = new Uint8Array(5000).map((_, i) => i % 7);
    const zip = buildZip([
      { name: 'a.txt', data: a, method: 0 },
      { name: 'dir/b.bin', data: b, method: 8 },
      { name: 'empty', data: new Uint8Array(0), method: 8 },
    ]);
    const entries = listZipEntries(zip);
    expect(entries.map((e) => [e.name, e.method, e.uncompressedSize])).toEqual([
      ['a.txt', 0, a.length],
      ['dir/b.bin', 8, 5000],
      ['empty', 8, 0],
    ]);
    expect(entries[1].compressedSize).toBeLessThan(5000);
    expect(readAll(zip).map((e) => e.data)).toEqual([a, b, new Uint8Array(0)]);
  });

  it('round-trips arbitrary entries (property)', () => {
    const entry = fc.record({
      name: fc.string({ minLength: 1, maxLength: 40 }),
      data: fc.uint8Array({ maxLength: 2000 }),
      method: fc.constantFrom(0 as const, 8 as const),
      dataDescriptor: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 8 }), fc.string({ maxLength: 30 }), (entries, comment) => {
        const zip = buildZip(entries.map((e) => ({ ...e, utf8: true })), { comment });
        const got = readAll(zip);
        expect(got.map((g) => g.name)).toEqual(entries.map((e) => e.name));
        expect(got.map((g) => g.data)).toEqual(entries.map((e) => e.data));
      }),
      { numRuns: 150 },
    );
  });

  it('takes sizes from the central directory, so data-descriptor entries read', () => {
    const data = ascii('streamed without sizes in the local header');
    const zip = buildZip([{ name: 'x', data, dataDescriptor: true }]);
    expect(readAll(zip)[0].data).toEqual(data);
  });

  it('is not fooled by an end-record signature inside the archive comment', () => {
    const fake = String.fromCharCode(0x50, 0x4b, 0x05, 0x06) + '\0'.repeat(18);
    const zip = buildZip([{ name: 'x', data: ascii('x') }], { comment: fake });
    expect(readAll(zip).map((e) => e.name)).toEqual(['x']);
  });

  it('refuses a corrupted CRC at extraction, naming the entry', () => {
    const zip = buildZip([{ name: 'good', data: ascii('ok') }, { name: 'bad', data: ascii('payload'), crc: 0x12345678 }]);
    const [good, bad] = listZipEntries(zip);
    expect(readZipEntry(zip, good)).toEqual(ascii('ok'));
    const err = zipError(() => readZipEntry(zip, bad));
    expect(err.code).toBe('BAD_CRC');
    expect(err.entry).toBe('bad');
  });

  it('refuses flipped data bytes through the CRC (stored) or inflate/CRC (deflate)', () => {
    for (const method of [0, 8] as const) {
      const zip = buildZip([{ name: 'f', data: new Uint8Array(300).fill(65), method }]);
      const e = listZipEntries(zip)[0];
      zip[e.dataOffset + 1] ^= 0x40;
      const code = zipError(() => readZipEntry(zip, e)).code;
      expect(['BAD_CRC', 'INFLATE_FAILED', 'CORRUPT']).toContain(code);
    }
  });

  it('refuses a truncated archive and a truncated or inconsistent central directory', () => {
    const zip = buildZip([
      { name: 'one', data: ascii('1') },
      { name: 'two', data: ascii('2') },
    ]);
    expect(zipError(() => listZipEntries(zip.subarray(0, zip.length - 5))).code).toBe('NO_EOCD');
    // The end record claims a third entry the directory does not hold.
    expect(zipError(() => listZipEntries(buildZip([{ name: 'one', data: ascii('1') }], { entryCount: 2 }))).code).toBe('CORRUPT');
    // Cut bytes out of the directory itself, keeping the end record intact.
    const eocd = zip.length - 22;
    const cut = concat([zip.subarray(0, eocd - 10), zip.subarray(eocd)]);
    expect(zipError(() => listZipEntries(cut)).code).toBe('CORRUPT');
    expect(zipError(() => listZipEntries(new Uint8Array(10))).code).toBe('NO_EOCD');
  });

  it('refuses a local header offset that points outside the data', () => {
    const zip = buildZip([{ name: 'x', data: ascii('x') }]);
    const cd = zip.length - 22 - (46 + 1);
    new DataView(zip.buffer).setUint32(cd + 42, 0x00ffffff, true);
    expect(zipError(() => listZipEntries(zip)).code).toBe('CORRUPT');
  });

  it('refuses bombs before inflating: too many entries, huge declared sizes', () => {
    const many = buildZip(Array.from({ length: 50 }, (_, i) => ({ name: `f${i}`, data: ascii('x'), method: 0 as const })));
    expect(zipError(() => listZipEntries(many, { maxEntries: 49 })).code).toBe('TOO_MANY_ENTRIES');
    expect(listZipEntries(many, { maxEntries: 50 })).toHaveLength(50);
    // The count alone is enough: the end record is checked before the directory is walked.
    expect(zipError(() => listZipEntries(buildZip([], { entryCount: 60_000 }))).code).toBe('TOO_MANY_ENTRIES');

    const huge = buildZip([{ name: 'big', data: ascii('x'), uncompressedSize: 0xfffffff0 }]);
    const err = zipError(() => listZipEntries(huge));
    expect(err.code).toBe('TOO_LARGE');
    const total = buildZip(Array.from({ length: 4 }, (_, i) => ({ name: `f${i}`, data: new Uint8Array(1000) })));
    expect(zipError(() => listZipEntries(total, { maxTotalBytes: 3999 })).code).toBe('TOO_LARGE');
  });

  it('stops an entry that inflates past its declared size', () => {
    // 1 MiB of zeros deflates to about 1 KiB; declare 100 bytes.
    const zip = buildZip([{ name: 'bomb', data: new Uint8Array(1 << 20), uncompressedSize: 100 }]);
    const e = listZipEntries(zip)[0];
    expect(e.compressedSize).toBeLessThan(4096);
    expect(zipError(() => readZipEntry(zip, e)).code).toBe('INFLATE_FAILED');
  });

  it('refuses encryption, unknown methods and ZIP64 markers', () => {
    const flagged = buildZip([{ name: 'x', data: ascii('x'), method: 0 }]);
    const cd = flagged.length - 22 - 47;
    new DataView(flagged.buffer).setUint16(cd + 8, 1, true);
    expect(zipError(() => listZipEntries(flagged)).code).toBe('UNSUPPORTED');

    const bzip = buildZip([{ name: 'x', data: ascii('x'), method: 0 }]);
    new DataView(bzip.buffer).setUint16(bzip.length - 22 - 47 + 10, 12, true);
    expect(zipError(() => listZipEntries(bzip)).code).toBe('UNSUPPORTED');

    const z64 = buildZip([]);
    new DataView(z64.buffer).setUint32(z64.length - 22 + 16, 0xffffffff, true);
    expect(zipError(() => listZipEntries(z64)).code).toBe('UNSUPPORTED');
  });
});

describe('zip reader fuzz', () => {
  const CODES: ZipErrorCode[] = ['NO_EOCD', 'UNSUPPORTED', 'TOO_MANY_ENTRIES', 'TOO_LARGE', 'CORRUPT', 'BAD_CRC', 'INFLATE_FAILED'];
  const tryAll = (zip: Uint8Array): void => {
    try {
      for (const e of listZipEntries(zip, { maxEntries: 64, maxTotalBytes: 1 << 20, maxEntryBytes: 1 << 20 })) {
        try {
          readZipEntry(zip, e);
        } catch (err) {
          expect(err).toBeInstanceOf(ZipError);
        }
      }
    } catch (err) {
      expect(err).toBeInstanceOf(ZipError);
      expect(CODES).toContain((err as ZipError).code);
    }
  };

  it('throws only ZipError on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (b) => tryAll(b)), { numRuns: 500 });
  });

  it('throws only ZipError on mutated valid archives', () => {
    const base = buildZip([
      { name: 'routerInfo-a.dat', data: new Uint8Array(200).map((_, i) => i), method: 8 },
      { name: 'routerInfo-b.dat', data: ascii('stored entry'), method: 0 },
    ]);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 6 }), (flips) => {
        const z = Uint8Array.from(base);
        for (const [at, x] of flips) z[at] ^= x;
        tryAll(z);
      }),
      { numRuns: 1000 },
    );
  });
});
