import { sha256 } from '../crypto/hash.js';
import { b32FromHash, parseB32Address } from '../data/b32.js';
import { i2pBase64Decode } from '../data/base64.js';
import { type Destination, decodeDestination } from '../data/keys-and-cert.js';
import { systemClock, type Clock } from '../runtime/clock.js';
import { jsonCodec, stringKeys } from '../../state/codecs.js';
import { RouterSublevels } from '../../state/layout.js';
import type { Storage, Sublevel } from '../../state/store.js';

/**
 * The router's address book: host names (naming.html) to full destinations, kept on the
 * router's LevelDB. Names are local and first come, first served: a name already held by
 * another destination is never silently replaced.
 */

/** naming.html: "67 characters maximum, including the '.i2p'". */
export const MAX_HOST_NAME_LENGTH = 67;
/** naming.html: "Minimum key length 516 bytes" (base64 characters: a 387-byte destination). */
export const MIN_DESTINATION_BASE64 = 516;
/** naming.html: "Maximum key length 616 bytes (to account for certs up to 100 bytes)". */
export const MAX_DESTINATION_BASE64 = 616;
/** A hosts.txt line longer than this is refused unread (a name, a destination, some metadata). */
export const MAX_HOSTS_LINE = 4096;
/** An import reports at most this many skipped lines (all are counted). */
export const MAX_REPORTED_SKIPS = 1000;

/** Names reserved for the project (naming.html), refused exactly and as parents. */
const RESERVED = ['proxy.i2p', 'router.i2p', 'console.i2p', 'mail.i2p', 'b32.i2p'];

export type AddressBookErrorCode = 'INVALID_NAME' | 'INVALID_DESTINATION' | 'NAME_TAKEN' | 'NOT_FOUND' | 'INVALID_PARAMS';

export class AddressBookError extends Error {
  override readonly name = 'AddressBookError';
  constructor(
    readonly code: AddressBookErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** What is stored per name. The destination stays in base64, as hosts.txt has it. */
export interface AddressBookRecord {
  destination: string;
  /** ms since the epoch. */
  added: number;
}

export interface AddressBookEntry extends AddressBookRecord {
  name: string;
  /** `<52 chars>.b32.i2p` of the destination. */
  b32: string;
}

export type AddStatus = 'added' | 'unchanged' | 'replaced';

export type Resolved =
  | { kind: 'b32'; hash: Uint8Array; b32: string }
  | { kind: 'name'; name: string; hash: Uint8Array; b32: string; destination: Destination; destinationBase64: string };

export interface ImportSkip {
  line: number;
  reason: string;
}

export interface ImportResult {
  added: number;
  /** Lines naming an entry the book already has, with the same destination. */
  unchanged: number;
  /** Every skipped line counted; `skipped` lists the first MAX_REPORTED_SKIPS of them. */
  skippedCount: number;
  skipped: ImportSkip[];
}

// ---------------------------------------------------------------------------------------------
// Validation (naming.html "Naming Rules"; the checks Java's address book applies on import).

/** Why `name` (already lower case) is not an acceptable host name, or undefined if it is. */
export function hostNameProblem(name: string): string | undefined {
  if (name.length > MAX_HOST_NAME_LENGTH) return `longer than ${MAX_HOST_NAME_LENGTH} characters`;
  if (!name.endsWith('.i2p')) return 'does not end in .i2p';
  if (name.length <= 4) return 'has nothing before .i2p';
  if (!/^[a-z0-9.-]+$/.test(name)) return "may contain only a-z, 0-9, '.' and '-'";
  if (name.startsWith('.') || name.startsWith('-')) return "starts with '.' or '-'";
  if (name.includes('..')) return "contains '..'";
  if (name.includes('.-') || name.includes('-.')) return "contains '.-' or '-.'";
  // '--' only in IDN (punycode) labels, which start 'xn--' and may hold '--' further on.
  if (name.split('.').some((label) => label.includes('--') && !label.startsWith('xn--'))) return "contains '--' outside an 'xn--' label";
  if (name.endsWith('.b32.i2p')) return '.b32.i2p names are base 32 addresses, not names';
  for (const r of RESERVED) if (name === r || name.endsWith(`.${r}`)) return `${r} is reserved`;
  // 52 base32 characters + ".i2p" reads as a b32 address with ".b32" missing: refused, as Java does.
  if (/^[a-z2-7]{51}[aq]\.i2p$/.test(name)) return 'looks like a base 32 address';
  return undefined;
}

/** Lower-cases and validates; throws INVALID_NAME. */
export function normalizeHostName(name: string): string {
  if (typeof name !== 'string') throw new AddressBookError('INVALID_NAME', 'the name must be a string');
  const lower = name.trim().toLowerCase();
  const problem = hostNameProblem(lower);
  if (problem) throw new AddressBookError('INVALID_NAME', `${JSON.stringify(name)} is not a valid host name: ${problem}`);
  return lower;
}

/** Why a base64 destination is unacceptable, or the decoded destination. */
export function checkDestination(base64: string): { destination: Destination; bytes: Uint8Array } | { problem: string } {
  if (base64.length < MIN_DESTINATION_BASE64) return { problem: `the destination is ${base64.length} base64 characters, at least ${MIN_DESTINATION_BASE64} expected` };
  if (base64.length > MAX_DESTINATION_BASE64) return { problem: `the destination is ${base64.length} base64 characters, at most ${MAX_DESTINATION_BASE64} allowed` };
  let bytes: Uint8Array;
  try {
    bytes = i2pBase64Decode(base64, 'destination');
  } catch (e) {
    return { problem: `the destination is not I2P base64 (${(e as Error).message})` };
  }
  try {
    // Strict: known signing and crypto types, a well-formed certificate, no trailing bytes.
    return { destination: decodeDestination(bytes), bytes };
  } catch (e) {
    return { problem: `not a destination (${(e as Error).message})` };
  }
}

/** The trimmed base64 and what it decodes to; throws INVALID_DESTINATION. */
function requireDestination(base64: string): { base64: string; destination: Destination; bytes: Uint8Array } {
  if (typeof base64 !== 'string') throw new AddressBookError('INVALID_DESTINATION', 'the destination must be a string');
  const trimmed = base64.trim();
  const r = checkDestination(trimmed);
  if ('problem' in r) throw new AddressBookError('INVALID_DESTINATION', r.problem);
  return { base64: trimmed, ...r };
}

// ---------------------------------------------------------------------------------------------

/** How a record is stored: JSON, checked on the way out so a damaged record is a store error. */
export const addressBookRecordCodec = jsonCodec<AddressBookRecord>((v) => {
  const o = v as Partial<AddressBookRecord> | null;
  if (typeof o !== 'object' || o === null || typeof o.destination !== 'string' || typeof o.added !== 'number') {
    throw new Error('not an address book record');
  }
  return { destination: o.destination, added: o.added };
});

export interface AddressBookOptions {
  clock?: Clock;
}

export class AddressBook {
  private readonly clock: Clock;
  /**
   * Changes run one at a time: each reads before it writes (first come, first served), and two
   * control clients adding the same name at once must not both see it free.
   */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: Sublevel<AddressBookRecord, string>,
    opts: AddressBookOptions = {},
  ) {
    this.clock = opts.clock ?? systemClock;
  }

  /** The book on a router's storage, in its `addressbook` sublevel. */
  static fromStorage(storage: Storage, opts: AddressBookOptions = {}): AddressBook {
    return new AddressBook(storage.sublevel(RouterSublevels.addressbook, addressBookRecordCodec, stringKeys), opts);
  }

  /**
   * Adds `name`. A name held by another destination is refused (NAME_TAKEN) unless `replace`;
   * the same destination again is a no-op. Written durably: the user would miss it.
   */
  async add(name: string, destinationBase64: string, opts: { replace?: boolean } = {}): Promise<{ name: string; b32: string; status: AddStatus }> {
    const n = normalizeHostName(name);
    const { base64: dest, bytes } = requireDestination(destinationBase64);
    const b32 = b32FromHash(sha256(bytes));
    return this.serial(async () => {
      const existing = await this.store.get(n);
      if (existing?.destination === dest) return { name: n, b32, status: 'unchanged' as const };
      if (existing && !opts.replace) {
        throw new AddressBookError('NAME_TAKEN', `${n} is already in the address book with another destination (${b32OfBase64(existing.destination)})`);
      }
      await this.store.putDurable(n, { destination: dest, added: this.clock.now() });
      return { name: n, b32, status: existing ? ('replaced' as const) : ('added' as const) };
    });
  }

  /** Removes `name`; false when it was not there. */
  async remove(name: string): Promise<boolean> {
    const n = normalizeLookup(name);
    return this.serial(async () => {
      if (!(await this.store.has(n))) return false;
      await this.store.del(n, { sync: true });
      return true;
    });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  async get(name: string): Promise<AddressBookEntry | undefined> {
    const n = normalizeLookup(name);
    const r = await this.store.get(n);
    return r && entryOf(n, r);
  }

  /** Entries in name order; `after` and `limit` page through a large book. */
  async list(opts: { after?: string; limit?: number } = {}): Promise<AddressBookEntry[]> {
    const out: AddressBookEntry[] = [];
    const range = { ...(opts.after !== undefined && { gt: opts.after }), ...(opts.limit !== undefined && { limit: opts.limit }) };
    for await (const [name, r] of this.store.iterate(range)) out.push(entryOf(name, r));
    return out;
  }

  /**
   * A name (case-insensitive; `.i2p.alt` read as `.i2p`; `www.` dropped when only the bare name
   * is known) to its destination, or a b32 address to its hash. undefined: not in the book.
   * A malformed b32 address throws INVALID_NAME.
   */
  async resolve(nameOrB32: string): Promise<Resolved | undefined> {
    let n = nameOrB32.trim().toLowerCase();
    if (n.endsWith('.i2p.alt')) n = n.slice(0, -'.alt'.length);
    if (n.endsWith('.b32.i2p')) {
      let hash: Uint8Array;
      try {
        hash = parseB32Address(n);
      } catch (e) {
        throw new AddressBookError('INVALID_NAME', `${nameOrB32}: ${(e as Error).message}`);
      }
      return { kind: 'b32', hash, b32: b32FromHash(hash) };
    }
    let r = await this.store.get(n);
    if (!r && n.startsWith('www.')) {
      n = n.slice(4);
      r = await this.store.get(n);
    }
    if (!r) return undefined;
    const bytes = i2pBase64Decode(r.destination, 'destination');
    const hash = sha256(bytes);
    return { kind: 'name', name: n, hash, b32: b32FromHash(hash), destination: decodeDestination(bytes), destinationBase64: r.destination };
  }

  /**
   * Imports hosts.txt text: `name=<base64 destination>` lines. Comments run from '#' to the end
   * of the line, so `#!` command lines (subscription.rst) are ignored and `#!` metadata after an
   * entry is dropped (we do not verify feed signatures: only the plain entry is taken, as an
   * older client would). Invalid lines and names held by another destination are skipped with a
   * reason; `firstLine` numbers the first line (for text sent in pieces).
   */
  importHostsTxt(text: string, opts: { firstLine?: number } = {}): Promise<ImportResult> {
    if (typeof text !== 'string') return Promise.reject(new AddressBookError('INVALID_PARAMS', 'the hosts.txt text must be a string'));
    return this.serial(() => this.importLocked(text, opts.firstLine ?? 1));
  }

  private async importLocked(text: string, first: number): Promise<ImportResult> {
    const result: ImportResult = { added: 0, unchanged: 0, skippedCount: 0, skipped: [] };
    const skip = (line: number, reason: string) => {
      result.skippedCount++;
      if (result.skipped.length < MAX_REPORTED_SKIPS) result.skipped.push({ line, reason });
    };
    const pending = new Map<string, AddressBookRecord>();
    const flush = async () => {
      if (pending.size === 0) return;
      await this.store.batch([...pending].map(([key, value]) => ({ type: 'put' as const, key, value })), { sync: true });
      pending.clear();
    };
    const lines = text.split(/\r\n|\n|\r/);
    const now = this.clock.now();
    for (let i = 0; i < lines.length; i++) {
      const lineNo = first + i;
      let line = lines[i];
      if (line.length > MAX_HOSTS_LINE) {
        skip(lineNo, `longer than ${MAX_HOSTS_LINE} characters`);
        continue;
      }
      if (i === 0 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
      const hash = line.indexOf('#');
      if (hash !== -1) line = line.slice(0, hash);
      line = line.trim();
      if (line === '') continue;
      const eq = line.indexOf('=');
      if (eq === -1) {
        skip(lineNo, "no '=' (expected name=destination)");
        continue;
      }
      const name = line.slice(0, eq).trim().toLowerCase();
      const dest = line.slice(eq + 1).trim();
      const nameProblem = hostNameProblem(name);
      if (nameProblem) {
        skip(lineNo, `${JSON.stringify(name.slice(0, 80))} is not a valid host name: ${nameProblem}`);
        continue;
      }
      const checked = checkDestination(dest);
      if ('problem' in checked) {
        skip(lineNo, `${name}: ${checked.problem}`);
        continue;
      }
      const existing = pending.get(name) ?? (await this.store.get(name));
      if (existing) {
        if (existing.destination === dest) result.unchanged++;
        else skip(lineNo, `${name} is already in the address book with another destination`);
        continue;
      }
      pending.set(name, { destination: dest, added: now });
      result.added++;
      if (pending.size >= 500) await flush();
    }
    await flush();
    return result;
  }
}

/** Lookups take any case; a name that could never have been stored is simply not found. */
function normalizeLookup(name: string): string {
  if (typeof name !== 'string') throw new AddressBookError('INVALID_NAME', 'the name must be a string');
  return name.trim().toLowerCase();
}

function entryOf(name: string, r: AddressBookRecord): AddressBookEntry {
  return { name, destination: r.destination, added: r.added, b32: b32OfBase64(r.destination) };
}

function b32OfBase64(destination: string): string {
  try {
    return b32FromHash(sha256(i2pBase64Decode(destination, 'destination')));
  } catch {
    // Records are validated on the way in; this only guards against a damaged database.
    return 'invalid';
  }
}
