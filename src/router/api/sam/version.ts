/**
 * HELLO VERSION negotiation (samv3.html, "SAM Connection Handshake"): the highest version we
 * speak within MIN..MAX; both optional since 3.1, and a single digit ("3") allowed, meaning any
 * 3.x. We speak 3.1 to 3.3 (3.1: signature types; 3.2: ports, quoting, PING; 3.3: PRIMARY).
 */

export const SAM_VERSIONS = ['3.1', '3.2', '3.3'] as const;
export type SamVersion = (typeof SAM_VERSIONS)[number];

/** A version as a comparable number of minor steps: 3.1 → 301. */
function parse(v: string, bound: 'min' | 'max'): number | undefined {
  const m = /^(\d{1,2})(?:\.(\d{1,2}))?$/.exec(v);
  if (!m) return undefined;
  const major = Number(m[1]);
  const minor = m[2] === undefined ? (bound === 'min' ? 0 : 99) : Number(m[2]);
  return major * 100 + minor;
}

export type Negotiated = { ok: true; version: SamVersion } | { ok: false; result: 'NOVERSION' | 'I2P_ERROR'; message?: string };

export function negotiateVersion(min: string | undefined, max: string | undefined): Negotiated {
  const lo = min === undefined || min === '' ? 0 : parse(min, 'min');
  const hi = max === undefined || max === '' ? Infinity : parse(max, 'max');
  if (lo === undefined) return { ok: false, result: 'I2P_ERROR', message: `bad MIN version ${JSON.stringify(min)}` };
  if (hi === undefined) return { ok: false, result: 'I2P_ERROR', message: `bad MAX version ${JSON.stringify(max)}` };
  for (let i = SAM_VERSIONS.length - 1; i >= 0; i--) {
    const v = parse(SAM_VERSIONS[i], 'min')!;
    if (v >= lo && v <= hi) return { ok: true, version: SAM_VERSIONS[i] };
  }
  return { ok: false, result: 'NOVERSION' };
}

/** Ports and the extra fields of 3.2 go only to clients that negotiated 3.2 or later. */
export function atLeast32(v: SamVersion): boolean {
  return v !== '3.1';
}
