import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AddressBook,
  AddressBookError,
  addressBookRecordCodec,
  checkDestination,
  hostNameProblem,
  MAX_HOSTS_LINE,
  MAX_REPORTED_SKIPS,
  normalizeHostName,
  type AddressBookRecord,
} from '../../../src/router/client/addressbook.js';
import { sha256 } from '../../../src/router/crypto/hash.js';
import { b32FromHash, createPrivateKeys, type Destination, encodeDestination, i2pBase64Encode, keysAndCertHash } from '../../../src/router/data/index.js';
import { ManualClock } from '../../../src/router/runtime/clock.js';
import { stringKeys } from '../../../src/state/codecs.js';
import { RouterSublevels, ROUTER_SCHEMA_VERSION } from '../../../src/state/layout.js';
import { MemoryVolume, openMemoryStorage } from '../../../src/state/memory-storage.js';
import type { Storage, Sublevel, WriteOptions } from '../../../src/state/store.js';

const destB64 = (d: Destination = createPrivateKeys().destination): string => i2pBase64Encode(encodeDestination(d));
const A = destB64();
const B = destB64();
const C = destB64();
/** A pre-0.9.12 destination: NULL certificate (DSA_SHA1, ElGamal): exactly 516 characters. */
const OLD = destB64({ publicKey: new Uint8Array(256).fill(9), padding: new Uint8Array(0), signingPublicKey: new Uint8Array(128).fill(8), certificate: { type: 'null' } });

function bookError(e: unknown): AddressBookError {
  expect(e).toBeInstanceOf(AddressBookError);
  return e as AddressBookError;
}

async function rejects(p: Promise<unknown>): Promise<AddressBookError> {
  try {
    await p;
  } catch (e) {
    return bookError(e);
  }
  throw new Error('expected an AddressBookError');
}

let volume: MemoryVolume;
let storage: Storage;
let clock: ManualClock;
let book: AddressBook;

beforeEach(async () => {
  volume = new MemoryVolume('book');
  storage = await openMemoryStorage({ schema: ROUTER_SCHEMA_VERSION, volume });
  clock = new ManualClock(1_700_000_000_000);
  book = AddressBook.fromStorage(storage, { clock });
});
afterEach(async () => {
  await storage.close();
});

describe('host name rules (naming.html)', () => {
  it.each([
    'example.i2p',
    'a.i2p',
    'sub.example.i2p',
    'my-site.i2p',
    '0day.i2p',
    'xn--bcher-kva.i2p',
    'xn--a--0ra.i2p', // punycode may hold '--' after its prefix
    `${'a'.repeat(63)}.i2p`,
    'www.example.i2p',
  ])('accepts %s', (name) => {
    expect(hostNameProblem(name)).toBeUndefined();
  });

  it.each([
    ['i2p', /end in \.i2p/],
    ['.i2p', /nothing before/],
    ['example.com', /end in \.i2p/],
    [`${'a'.repeat(64)}.i2p`, /longer than 67/],
    ['ex_ample.i2p', /only a-z/],
    ['exämple.i2p', /only a-z/],
    ['Example.i2p', /only a-z/], // callers lower-case first
    ['.example.i2p', /starts with/],
    ['-example.i2p', /starts with/],
    ['ex..ample.i2p', /'\.\.'/],
    ['ex.-ample.i2p', /'\.-'/],
    ['ex-.ample.i2p', /'\.-'/],
    ['ex--ample.i2p', /'--'/],
    ['abc.xn--x--y.i2p', undefined],
    ['ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p', /b32/],
    ['b32.i2p', /reserved/],
    ['router.i2p', /reserved/],
    ['proxy.i2p', /reserved/],
    ['console.i2p', /reserved/],
    ['mail.i2p', /reserved/],
    ['my.router.i2p', /reserved/],
    ['ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.i2p', /base 32/],
  ] as const)('refuses %s', (name, why) => {
    const problem = hostNameProblem(name);
    if (why === undefined) expect(problem).toBeUndefined();
    else expect(problem).toMatch(why);
  });

  it('never throws, and what it accepts matches the character rules', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 80 }), fc.stringMatching(/^[a-z0-9.-]{1,70}$/).map((s) => `${s}.i2p`)), (s) => {
        const problem = hostNameProblem(s);
        if (problem === undefined) {
          expect(s).toMatch(/^[a-z0-9][a-z0-9.-]*\.i2p$/);
          expect(s.length).toBeLessThanOrEqual(67);
          expect(s).not.toMatch(/\.\.|\.-|-\./);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('normalizeHostName lower-cases and trims, and throws INVALID_NAME', () => {
    expect(normalizeHostName('  Example.I2P ')).toBe('example.i2p');
    expect(bookError((() => { try { normalizeHostName('bad name.i2p'); } catch (e) { return e; } })()).code).toBe('INVALID_NAME');
  });
});

describe('destination checks', () => {
  it('accepts Ed25519 destinations and old NULL-certificate ones', () => {
    expect(OLD).toHaveLength(516);
    expect('problem' in checkDestination(OLD)).toBe(false);
    expect('problem' in checkDestination(A)).toBe(false);
  });

  it('refuses short, long, non-base64, truncated and unknown-type destinations', () => {
    const problem = (s: string) => {
      const r = checkDestination(s);
      return 'problem' in r ? r.problem : undefined;
    };
    expect(problem(A.slice(0, 512))).toMatch(/at least 516/);
    expect(problem('A'.repeat(620))).toMatch(/at most 616/);
    expect(problem(A.replace(/.$/, '+'))).toMatch(/base64/);
    // One byte too many: the destination must use every byte.
    expect(problem(i2pBase64Encode(new Uint8Array([...encodeDestination(createPrivateKeys().destination), 0])))).toMatch(/not a destination/);
    // A KEY certificate naming signing type 9 (unassigned).
    const bytes = encodeDestination(createPrivateKeys().destination);
    bytes[384 + 3] = 0;
    bytes[384 + 4] = 9;
    expect(problem(i2pBase64Encode(bytes))).toMatch(/unknown signing key type 9/);
  });
});

describe('AddressBook', () => {
  it('adds, gets, lists in name order, resolves and removes', async () => {
    expect(await book.add('Example.I2P', A)).toEqual({ name: 'example.i2p', b32: b32FromHash(sha256(encodeDestination(decodeA()))), status: 'added' });
    await book.add('another.i2p', B);
    const e = await book.get('EXAMPLE.i2p');
    expect(e).toMatchObject({ name: 'example.i2p', destination: A, added: 1_700_000_000_000 });
    expect((await book.list()).map((x) => x.name)).toEqual(['another.i2p', 'example.i2p']);
    const r = await book.resolve('example.i2p');
    expect(r?.kind).toBe('name');
    if (r?.kind === 'name') {
      expect(r.destinationBase64).toBe(A);
      expect(r.hash).toEqual(keysAndCertHash(r.destination));
      expect(r.b32).toBe(e?.b32);
    }
    expect(await book.remove('Example.i2p')).toBe(true);
    expect(await book.remove('example.i2p')).toBe(false);
    expect(await book.get('example.i2p')).toBeUndefined();
    expect(await book.resolve('example.i2p')).toBeUndefined();
  });

  it('is first come, first served: another destination for a taken name needs replace', async () => {
    await book.add('site.i2p', A);
    expect((await book.add('site.i2p', A)).status).toBe('unchanged');
    const taken = await rejects(book.add('site.i2p', B));
    expect(taken.code).toBe('NAME_TAKEN');
    expect((await book.get('site.i2p'))?.destination).toBe(A);
    clock.advance(5000);
    expect((await book.add('site.i2p', B, { replace: true })).status).toBe('replaced');
    expect(await book.get('site.i2p')).toMatchObject({ destination: B, added: 1_700_000_005_000 });
  });

  it('lets only one of two simultaneous adds of a name win', async () => {
    const results = await Promise.allSettled([book.add('race.i2p', A), book.add('race.i2p', B), book.importHostsTxt(`race.i2p=${C}`)]);
    expect(results[0]).toMatchObject({ status: 'fulfilled', value: { status: 'added' } });
    expect(results[1].status).toBe('rejected');
    expect(bookError((results[1] as PromiseRejectedResult).reason).code).toBe('NAME_TAKEN');
    expect(results[2]).toMatchObject({ status: 'fulfilled', value: { added: 0, skippedCount: 1 } });
    expect((await book.get('race.i2p'))?.destination).toBe(A);
  });

  it('refuses bad names and destinations with typed errors', async () => {
    expect((await rejects(book.add('bad!.i2p', A))).code).toBe('INVALID_NAME');
    expect((await rejects(book.add('x.b32.i2p', A))).code).toBe('INVALID_NAME');
    expect((await rejects(book.add('ok.i2p', 'AAAA'))).code).toBe('INVALID_DESTINATION');
    expect(await book.list()).toEqual([]);
  });

  it('resolves b32 addresses to their hash, .i2p.alt names, and www. to the bare name', async () => {
    await book.add('example.i2p', A);
    const hash = keysAndCertHash(decodeA());
    const b32 = b32FromHash(hash);
    expect(await book.resolve(b32.toUpperCase())).toEqual({ kind: 'b32', hash, b32 });
    expect((await book.resolve('example.i2p.alt'))?.kind).toBe('name');
    expect(await book.resolve('www.example.i2p')).toMatchObject({ kind: 'name', name: 'example.i2p' });
    expect(await book.resolve('www.other.i2p')).toBeUndefined();
    expect((await rejects(book.resolve('abc.b32.i2p'))).code).toBe('INVALID_NAME');
  });

  it('pages through the list', async () => {
    for (const n of ['a', 'b', 'c', 'd', 'e']) await book.add(`${n}.i2p`, A);
    expect((await book.list({ limit: 2 })).map((e) => e.name)).toEqual(['a.i2p', 'b.i2p']);
    expect((await book.list({ after: 'b.i2p', limit: 2 })).map((e) => e.name)).toEqual(['c.i2p', 'd.i2p']);
    expect((await book.list({ after: 'e.i2p' })).map((e) => e.name)).toEqual([]);
  });

  it('keeps entries across a restart on the same volume', async () => {
    await book.add('kept.i2p', A);
    await book.importHostsTxt(`also.i2p=${B}\n`);
    await storage.close();
    storage = await openMemoryStorage({ schema: ROUTER_SCHEMA_VERSION, volume });
    const again = AddressBook.fromStorage(storage);
    expect((await again.list()).map((e) => [e.name, e.destination])).toEqual([
      ['also.i2p', B],
      ['kept.i2p', A],
    ]);
  });

  it('writes every change durably (sync)', async () => {
    const calls: string[] = [];
    const inner = storage.sublevel(RouterSublevels.addressbook, addressBookRecordCodec, stringKeys);
    const sync = (o?: WriteOptions) => (o?.sync ? 'sync' : 'nosync');
    const recording: Sublevel<AddressBookRecord, string> = {
      ...inner,
      name: inner.name,
      get: (k) => inner.get(k),
      has: (k) => inner.has(k),
      iterate: (r) => inner.iterate(r),
      keys: (r) => inner.keys(r),
      put: (k, v, o) => (calls.push(`put ${sync(o)}`), inner.put(k, v, o)),
      putDurable: (k, v) => (calls.push('putDurable'), inner.putDurable(k, v)),
      del: (k, o) => (calls.push(`del ${sync(o)}`), inner.del(k, o)),
      batch: (ops, o) => (calls.push(`batch ${sync(o)}`), inner.batch(ops, o)),
    };
    const b = new AddressBook(recording, { clock });
    await b.add('one.i2p', A);
    await b.importHostsTxt(`two.i2p=${B}`);
    await b.remove('one.i2p');
    expect(calls).toEqual(['putDurable', 'batch sync', 'del sync']);
  });

  it('adds any valid name and finds it again (property)', async () => {
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/).filter((l) => !l.includes('--'));
    const nameArb = fc.array(label, { minLength: 1, maxLength: 3 }).map((ls) => `${ls.join('.')}.i2p`).filter((n) => hostNameProblem(n) === undefined);
    await fc.assert(
      fc.asyncProperty(nameArb, fc.constantFrom(A, B, C, OLD), async (name, dest) => {
        await book.add(name.toUpperCase(), dest, { replace: true });
        const r = await book.resolve(name);
        expect(r?.kind === 'name' && r.destinationBase64).toBe(dest);
      }),
      { numRuns: 100 },
    );
  });
});

describe('hosts.txt import', () => {
  it('takes name=dest lines and ignores comments, #! commands, #! metadata, blank lines, CRLF and a BOM', async () => {
    const text = [
      '\ufeff# hosts.txt from somewhere',
      '',
      `one.i2p=${A}`,
      `  Two.I2P = ${B}  \r`,
      `three.i2p=${C}#!sig=AAAA#date=1600000000`,
      '#!action=remove#name=one.i2p#dest=AAAA#sig=BBBB',
      '   ',
      `old.i2p=${OLD}`,
    ].join('\n');
    const r = await book.importHostsTxt(text);
    expect(r).toEqual({ added: 4, unchanged: 0, skippedCount: 0, skipped: [] });
    expect((await book.list()).map((e) => [e.name, e.destination])).toEqual([
      ['old.i2p', OLD],
      ['one.i2p', A],
      ['three.i2p', C],
      ['two.i2p', B],
    ]);
  });

  it('skips bad lines with their number and reason, and keeps the rest', async () => {
    const text = [
      `good.i2p=${A}`, // 1
      'no equals sign here', // 2
      `bad_name.i2p=${A}`, // 3
      `short.i2p=${A.slice(0, 100)}`, // 4
      `x.b32.i2p=${A}`, // 5
      `router.i2p=${A}`, // 6
      `=${A}`, // 7
      `trailing.i2p=${A}garbage`, // 8
      `good2.i2p=${B}`, // 9
    ].join('\r\n');
    const r = await book.importHostsTxt(text);
    expect(r.added).toBe(2);
    expect(r.skippedCount).toBe(7);
    expect(r.skipped.map((s) => s.line)).toEqual([2, 3, 4, 5, 6, 7, 8]);
    expect(r.skipped[0].reason).toMatch(/no '='/);
    expect(r.skipped[1].reason).toMatch(/not a valid host name/);
    expect(r.skipped[2].reason).toMatch(/at least 516/);
    expect(r.skipped[3].reason).toMatch(/b32/);
    expect(r.skipped[4].reason).toMatch(/reserved/);
    expect(r.skipped[6].reason).toMatch(/trailing\.i2p: .*(base64|destination)/);
  });

  it('is first come, first served within the file and against the book; the same pair again is unchanged', async () => {
    await book.add('mine.i2p', A);
    const r = await book.importHostsTxt([`mine.i2p=${B}`, `mine.i2p=${A}`, `dup.i2p=${B}`, `DUP.i2p=${C}`, `dup.i2p=${B}`].join('\n'));
    expect(r.added).toBe(1);
    expect(r.unchanged).toBe(2);
    expect(r.skipped).toEqual([
      { line: 1, reason: 'mine.i2p is already in the address book with another destination' },
      { line: 4, reason: 'dup.i2p is already in the address book with another destination' },
    ]);
    expect((await book.get('mine.i2p'))?.destination).toBe(A);
    expect((await book.get('dup.i2p'))?.destination).toBe(B);
    // Importing it all again changes nothing.
    const again = await book.importHostsTxt(`dup.i2p=${B}`);
    expect(again).toEqual({ added: 0, unchanged: 1, skippedCount: 0, skipped: [] });
  });

  it('numbers lines from firstLine, refuses over-long lines, and caps the report but not the count', async () => {
    const r = await book.importHostsTxt(`x\nlong.i2p=${'A'.repeat(MAX_HOSTS_LINE)}`, { firstLine: 101 });
    expect(r.skipped.map((s) => s.line)).toEqual([101, 102]);
    expect(r.skipped[1].reason).toMatch(/longer than 4096/);
    const junk = await book.importHostsTxt(Array.from({ length: MAX_REPORTED_SKIPS + 5 }, () => 'junk').join('\n'));
    expect(junk.skippedCount).toBe(MAX_REPORTED_SKIPS + 5);
    expect(junk.skipped).toHaveLength(MAX_REPORTED_SKIPS);
  });

  it('imports more entries than one write batch', async () => {
    const lines = Array.from({ length: 1203 }, (_, i) => `host${i}.i2p=${i % 2 ? A : B}`);
    expect((await book.importHostsTxt(lines.join('\n'))).added).toBe(1203);
    expect(await book.list()).toHaveLength(1203);
  });

  it('never throws on arbitrary text: every non-blank, non-comment line is added, unchanged or skipped', async () => {
    const lineArb = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.constantFrom(`a.i2p=${A}`, `b.i2p=${B}`, `a.i2p=${B}`, '#!x=y', '# c', '', `B.I2P=${B}#!sig=x`),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(lineArb, { maxLength: 20 }), async (lines) => {
        const r = await book.importHostsTxt(lines.join('\n'));
        const meaningful = lines.flatMap((l) => l.split(/\r\n|\n|\r/)).filter((l, i) => (i === 0 ? l.replace(/^\ufeff/, '') : l).split('#')[0].trim() !== '').length;
        expect(r.added + r.unchanged + r.skippedCount).toBe(meaningful);
      }),
      { numRuns: 100 },
    );
  });
});

function decodeA(): Destination {
  return createDestinationFrom(A);
}

function createDestinationFrom(b64: string): Destination {
  const r = checkDestination(b64);
  if ('problem' in r) throw new Error(r.problem);
  return r.destination;
}
