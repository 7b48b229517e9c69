/**
 * Plain-text rendering of a JSON-friendly tree (what `--json` prints), for people: one
 * `key: value` per line, nested objects indented. Byte fields ({length, hex, base64}) show
 * their I2P base64, shortened when long; --json always carries every byte.
 */
type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

const LONG = 88;

function isBytes(v: Json): v is { length: number; hex: string; base64: string } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof v.base64 === 'string' && typeof v.length === 'number';
}

function scalar(v: Json): string | undefined {
  if (v === null) return '-';
  if (typeof v !== 'object') return String(v);
  if (isBytes(v)) {
    const b = v.base64.length > LONG ? `${v.base64.slice(0, LONG - 1)}…` : v.base64;
    return `${b} (${v.length} bytes)`;
  }
  if (!Array.isArray(v)) {
    const keys = Object.keys(v);
    // Small leaf objects read better on one line: {code: 7, name: EdDSA…}, {ms, iso}.
    if (keys.length > 0 && keys.length <= 3 && keys.every((k) => v[k] === null || typeof v[k] !== 'object')) {
      if ('iso' in v) return `${v.iso ?? '-'} (${keys.filter((k) => k !== 'iso').map((k) => `${v[k]} ${k}`).join(', ')})`;
      if ('name' in v && 'code' in v) return `${v.name} (${v.code})`;
      if ('base64' in v) return String(v.base64);
    }
  }
  return undefined;
}

export function renderTree(tree: { [key: string]: Json }, indent = ''): string[] {
  const lines: string[] = [];
  const width = Math.max(0, ...Object.keys(tree).map((k) => k.length));
  for (const [key, value] of Object.entries(tree)) {
    const s = scalar(value);
    if (s !== undefined) {
      lines.push(`${indent}${key.padEnd(width)}  ${s}`);
    } else if (Array.isArray(value)) {
      lines.push(`${indent}${key}${value.length === 0 ? '  (none)' : ''}`);
      value.forEach((item, i) => {
        const si = scalar(item);
        if (si !== undefined) lines.push(`${indent}  [${i}] ${si}`);
        else {
          lines.push(`${indent}  [${i}]`);
          lines.push(...renderTree(item as { [key: string]: Json }, indent + '    '));
        }
      });
    } else {
      const obj = value as { [key: string]: Json };
      lines.push(`${indent}${key}${Object.keys(obj).length === 0 ? '  (empty)' : ''}`);
      lines.push(...renderTree(obj, indent + '  '));
    }
  }
  return lines;
}
