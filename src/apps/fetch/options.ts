import { parseFetchUrl, type FetchUrl } from './url.js';

/**
 * curl's habits, as flag values an oclif command hands over, checked and turned into one
 * FetchOptions. Pure apart from reading `-d @file`, which goes through a reader passed in.
 */

export class FetchUsageError extends Error {
  override readonly name = 'FetchUsageError';
  readonly code = 'USAGE';
}

/** The flags as the command parsed them (curl's names in comments). */
export interface FetchFlags {
  output?: string; // -o FILE
  remoteName?: boolean; // -O
  head?: boolean; // -I
  request?: string; // -X METHOD
  data?: readonly string[]; // -d DATA (repeatable; @file reads a file)
  header?: readonly string[]; // -H 'Name: value' (repeatable)
  maxTime?: number; // --max-time SECONDS
  silent?: boolean; // -s
  verbose?: boolean; // -v
  location?: boolean; // -L
  maxRedirs?: number; // --max-redirs N
  fail?: boolean; // -f
  continueAt?: string; // -C - (or a byte offset)
}

export type OutputTarget = { readonly kind: 'stdout' } | { readonly kind: 'file'; readonly path: string };

export interface FetchOptions {
  readonly url: FetchUrl;
  readonly method: string;
  /** -H headers to add or replace, in order (names as typed). */
  readonly headers: readonly (readonly [string, string])[];
  /** -H 'Name:' removes a header we would send (lower-case names). */
  readonly removeHeaders: ReadonlySet<string>;
  readonly data: readonly string[];
  readonly output: OutputTarget;
  /** 'auto' = -C -: from the output file's size. */
  readonly resume: 'auto' | number | undefined;
  readonly head: boolean;
  readonly maxTimeMs: number | undefined;
  readonly silent: boolean;
  readonly verbose: boolean;
  readonly followRedirects: boolean;
  readonly maxRedirects: number;
  readonly failOnHttpError: boolean;
}

export const DEFAULT_MAX_REDIRECTS = 20;
/** A loop bound, not a policy: curl's -1 (unlimited) is not offered. */
export const MAX_MAX_REDIRECTS = 100;
export const MAX_HEADERS = 100;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const usage = (msg: string): FetchUsageError => new FetchUsageError(msg);

/** `Name: value` → [name, value]; `Name:` → removal; `Name;` → an empty value (curl's rules). */
export function parseHeaderFlag(text: string): { name: string; value: string } | { remove: string } {
  if (/[\r\n\0]/.test(text)) throw usage(`-H ${JSON.stringify(text)}: headers may not contain line breaks or NUL`);
  const colon = text.indexOf(':');
  const semi = text.indexOf(';');
  if (colon < 0 && semi > 0 && text.slice(semi + 1).trim() === '') {
    const name = text.slice(0, semi).trim();
    if (!TOKEN.test(name)) throw usage(`-H ${JSON.stringify(text)}: ${JSON.stringify(name)} is not a header name`);
    return { name, value: '' };
  }
  if (colon <= 0) throw usage(`-H ${JSON.stringify(text)}: expected "Name: value"`);
  const name = text.slice(0, colon).trim();
  if (!TOKEN.test(name)) throw usage(`-H ${JSON.stringify(text)}: ${JSON.stringify(name)} is not a header name`);
  const value = text.slice(colon + 1).trim();
  if (value === '') return { remove: name.toLowerCase() };
  return { name, value };
}

/** The file name -O takes from the URL: its last path segment, as sent (not decoded). */
export function remoteNameOf(url: FetchUrl): string {
  const path = url.path.split('?')[0];
  const name = path.slice(path.lastIndexOf('/') + 1);
  if (name === '' || name === '.' || name === '..') {
    throw usage(`-O: ${url.href} has no file name at the end of its path; use -o FILE`);
  }
  return name;
}

export function buildFetchOptions(urlText: string, f: FetchFlags): FetchOptions {
  const url = parseFetchUrl(urlText);
  const data = [...(f.data ?? [])];
  const head = f.head ?? false;
  if (head && data.length > 0) throw usage('-I and -d cannot be used together (HEAD has no body)');
  let method = data.length > 0 ? 'POST' : head ? 'HEAD' : 'GET';
  if (f.request !== undefined) {
    if (!TOKEN.test(f.request)) throw usage(`-X ${JSON.stringify(f.request)} is not a method name`);
    if (head && f.request.toUpperCase() !== 'HEAD') throw usage('-I and -X cannot be used together');
    method = f.request;
  }
  if (f.output !== undefined && f.remoteName) throw usage('-o and -O cannot be used together');
  if (f.output === '') throw usage('-o needs a file name');
  const output: OutputTarget =
    f.output !== undefined && f.output !== '-' ? { kind: 'file', path: f.output } : f.remoteName ? { kind: 'file', path: remoteNameOf(url) } : { kind: 'stdout' };
  let resume: FetchOptions['resume'];
  if (f.continueAt !== undefined) {
    if (f.continueAt === '-') resume = 'auto';
    else if (/^[0-9]{1,15}$/.test(f.continueAt)) resume = Number(f.continueAt);
    else throw usage(`-C ${JSON.stringify(f.continueAt)}: expected - (from the file's size) or a byte offset`);
    if (resume === 'auto' && output.kind !== 'file') throw usage('-C - needs -o FILE or -O (the size of the file says where to resume)');
    if (head) throw usage('-C and -I cannot be used together');
  }
  const headers: [string, string][] = [];
  const removeHeaders = new Set<string>();
  const given = f.header ?? [];
  if (given.length > MAX_HEADERS) throw usage(`at most ${MAX_HEADERS} -H headers`);
  for (const h of given) {
    const p = parseHeaderFlag(h);
    if ('remove' in p) removeHeaders.add(p.remove);
    else headers.push([p.name, p.value]);
  }
  let maxTimeMs: number | undefined;
  if (f.maxTime !== undefined) {
    if (!Number.isFinite(f.maxTime) || f.maxTime <= 0 || f.maxTime > 1e6) throw usage(`--max-time ${f.maxTime}: expected seconds, more than 0`);
    maxTimeMs = Math.ceil(f.maxTime * 1000);
  }
  const maxRedirects = f.maxRedirs ?? DEFAULT_MAX_REDIRECTS;
  if (!Number.isInteger(maxRedirects) || maxRedirects < 0 || maxRedirects > MAX_MAX_REDIRECTS) {
    throw usage(`--max-redirs ${f.maxRedirs}: expected a whole number from 0 to ${MAX_MAX_REDIRECTS}`);
  }
  return {
    url,
    method,
    headers,
    removeHeaders,
    data,
    output,
    resume,
    head,
    maxTimeMs,
    silent: f.silent ?? false,
    verbose: f.verbose ?? false,
    followRedirects: f.location ?? false,
    maxRedirects,
    failOnHttpError: f.fail ?? false,
  };
}

/** -d bodies larger than this are refused (a form post, not an upload). */
export const MAX_POST_BYTES = 64 * 1024 * 1024;

/**
 * The request body for -d values, as curl builds it: values joined with `&`; `@file` reads the
 * file and drops its CR and LF bytes.
 */
export async function buildRequestBody(data: readonly string[], readFile: (path: string) => Promise<Uint8Array>): Promise<Buffer | undefined> {
  if (data.length === 0) return undefined;
  const parts: Buffer[] = [];
  let total = 0;
  for (const [i, d] of data.entries()) {
    let part: Buffer;
    if (d.startsWith('@')) {
      const raw = Buffer.from(await readFile(d.slice(1)));
      part = Buffer.from(raw.filter((b) => b !== 0x0d && b !== 0x0a));
    } else {
      part = Buffer.from(d, 'utf8');
    }
    total += part.length + (i > 0 ? 1 : 0);
    if (total > MAX_POST_BYTES) throw usage(`-d: the body is larger than ${MAX_POST_BYTES} bytes`);
    if (i > 0) parts.push(Buffer.from('&'));
    parts.push(part);
  }
  return Buffer.concat(parts);
}
