/**
 * The `Range` request header (RFC 9110 §14.1.2, §14.2), bytes unit only. Pure: the handler
 * decides what to send from the verdict.
 *
 * A server may ignore a Range it does not want to serve (§14.2), so anything malformed,
 * a unit other than bytes, or several ranges becomes "serve the whole file" rather than an
 * error; only a well-formed single range that cannot overlap the file gives 416.
 */

/** A longer header is not a range anyone needs; ignored unread. */
export const MAX_RANGE_HEADER = 256;
/** More ranges than this in one header are not even parsed (multi-range is answered 200 anyway). */
export const MAX_RANGES = 16;

export type RangeVerdict =
  /** No usable Range: answer 200 with the whole representation. */
  | { readonly kind: 'full'; readonly reason: 'absent' | 'malformed' | 'multiple' | 'unit' | 'too-long' }
  /** One satisfiable range; `end` inclusive, both within [0, size). */
  | { readonly kind: 'partial'; readonly start: number; readonly end: number }
  /** Well-formed but outside the file: 416 with `Content-Range: bytes * /size`. */
  | { readonly kind: 'unsatisfiable' };

interface Spec {
  first?: number;
  last?: number;
  suffix?: number;
}

const DIGITS = /^[0-9]{1,15}$/; // 15 digits stay below 2^53: no float rounding

function parseSpec(text: string): Spec | undefined {
  const s = text.trim();
  const dash = s.indexOf('-');
  if (dash < 0 || s.indexOf('-', dash + 1) >= 0) return undefined;
  const a = s.slice(0, dash).trim();
  const b = s.slice(dash + 1).trim();
  if (a === '') {
    if (!DIGITS.test(b)) return undefined;
    return { suffix: Number(b) };
  }
  if (!DIGITS.test(a)) return undefined;
  const first = Number(a);
  if (b === '') return { first };
  if (!DIGITS.test(b)) return undefined;
  const last = Number(b);
  // §14.1.1: a last-pos below the first-pos makes the range-spec invalid.
  if (last < first) return undefined;
  return { first, last };
}

/** The verdict for `header` (the raw Range value, or undefined) against a file of `size` bytes. */
export function parseRange(header: string | undefined, size: number): RangeVerdict {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`size must be a non-negative integer, got ${size}`);
  if (header === undefined) return { kind: 'full', reason: 'absent' };
  if (header.length > MAX_RANGE_HEADER) return { kind: 'full', reason: 'too-long' };
  const eq = header.indexOf('=');
  if (eq < 0) return { kind: 'full', reason: 'malformed' };
  if (header.slice(0, eq).trim().toLowerCase() !== 'bytes') return { kind: 'full', reason: 'unit' };
  const parts = header.slice(eq + 1).split(',');
  if (parts.length > MAX_RANGES) return { kind: 'full', reason: 'multiple' };
  const specs: Spec[] = [];
  for (const p of parts) {
    // RFC 9110 list syntax allows empty elements ("bytes=0-1, ,"); they count for nothing.
    if (p.trim() === '') continue;
    const spec = parseSpec(p);
    if (spec === undefined) return { kind: 'full', reason: 'malformed' };
    specs.push(spec);
  }
  if (specs.length === 0) return { kind: 'full', reason: 'malformed' };
  if (specs.length > 1) return { kind: 'full', reason: 'multiple' };
  const spec = specs[0];
  if (spec.suffix !== undefined) {
    // §14.1.3: a suffix of zero, or any suffix of an empty file, is unsatisfiable.
    if (spec.suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - spec.suffix), end: size - 1 };
  }
  const first = spec.first!;
  if (first >= size) return { kind: 'unsatisfiable' };
  const end = spec.last === undefined ? size - 1 : Math.min(spec.last, size - 1);
  return { kind: 'partial', start: first, end };
}
