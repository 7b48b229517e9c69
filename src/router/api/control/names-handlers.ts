import { AddressBook, AddressBookError, type AddressBookEntry } from '../../client/addressbook.js';

/** `names.list` answers at most this many entries per call (~700 bytes each, well under the response bound). */
export const NAMES_LIST_PAGE_MAX = 500;

export interface NamesListEntry {
  name: string;
  b32: string;
  destination: string;
  /** ISO 8601. */
  added: string;
}

export interface NamesListPage {
  entries: NamesListEntry[];
  /** Pass as `after` for the next page; absent on the last one. */
  next?: string;
}

/**
 * The address book's control methods: `names.add`, `names.remove`, `names.list`,
 * `names.import`. The running router serves them on its control socket; the `anon-router
 * names` commands call the very same functions on a book they open themselves when no router
 * runs, so both paths behave alike. Failures are AddressBookErrors whose code (INVALID_NAME,
 * INVALID_DESTINATION, INVALID_PARAMS, NAME_TAKEN, NOT_FOUND) crosses the socket unchanged.
 */
export function namesControlHandlers(book: AddressBook): Record<string, (params: unknown) => Promise<unknown>> {
  return {
    'names.add': async (params) => {
      const p = object(params);
      const name = str(p, 'name');
      const destination = str(p, 'destination');
      const replace = p.replace === undefined ? false : bool(p, 'replace');
      return book.add(name, destination, { replace });
    },
    'names.remove': async (params) => {
      const name = str(object(params), 'name');
      if (!(await book.remove(name))) throw new AddressBookError('NOT_FOUND', `${name.trim().toLowerCase()} is not in the address book`);
      return { name: name.trim().toLowerCase(), removed: true };
    },
    'names.list': async (params): Promise<NamesListPage> => {
      const p = object(params);
      const after = p.after === undefined ? undefined : str(p, 'after');
      const limit = p.limit === undefined ? NAMES_LIST_PAGE_MAX : int(p, 'limit', 1, NAMES_LIST_PAGE_MAX);
      // One more than asked tells whether a next page exists.
      const entries = await book.list({ ...(after !== undefined && { after }), limit: limit + 1 });
      const page = entries.slice(0, limit).map(listEntry);
      return entries.length > limit ? { entries: page, next: page[page.length - 1].name } : { entries: page };
    },
    'names.import': async (params) => {
      const p = object(params);
      const text = str(p, 'text');
      const firstLine = p.firstLine === undefined ? 1 : int(p, 'firstLine', 1, Number.MAX_SAFE_INTEGER);
      return book.importHostsTxt(text, { firstLine });
    },
  };
}

function listEntry(e: AddressBookEntry): NamesListEntry {
  return { name: e.name, b32: e.b32, destination: e.destination, added: new Date(e.added).toISOString() };
}

function object(params: unknown): Record<string, unknown> {
  if (params === undefined || params === null) return {};
  if (typeof params !== 'object' || Array.isArray(params)) throw new AddressBookError('INVALID_PARAMS', 'params must be an object');
  return params as Record<string, unknown>;
}

function str(p: Record<string, unknown>, key: string): string {
  const v = p[key];
  if (typeof v !== 'string') throw new AddressBookError('INVALID_PARAMS', `params.${key} must be a string`);
  return v;
}

function bool(p: Record<string, unknown>, key: string): boolean {
  const v = p[key];
  if (typeof v !== 'boolean') throw new AddressBookError('INVALID_PARAMS', `params.${key} must be true or false`);
  return v;
}

function int(p: Record<string, unknown>, key: string, min: number, max: number): number {
  const v = p[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new AddressBookError('INVALID_PARAMS', `params.${key} must be an integer in ${min}..${max}`);
  }
  return v;
}
