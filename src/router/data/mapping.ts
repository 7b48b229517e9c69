import { ByteReader, ByteWriter } from './bytes.js';
import { decodeFrom, type DecodeInput } from './codec.js';
import { EncodeError } from './errors.js';
import { readString, stringBytes } from './primitives.js';

/** An I2P Mapping: String keys to String values. Encoded sorted by key, so a Map's order is irrelevant. */
export type Mapping = ReadonlyMap<string, string>;

export interface MappingDecodeOptions {
  /**
   * Every Mapping the router signs or verifies (RouterAddress, RouterInfo, LeaseSet2) must be
   * sorted by key with no duplicates (common-structures.rst, Mapping notes). That is the default
   * and unsorted input is a DecodeError, since it would not re-encode to the signed bytes.
   * `allowUnsorted` accepts any order (I2CP-style uses); duplicate keys are refused always.
   */
  allowUnsorted?: boolean;
}

const EQUALS = 0x3d;
const SEMICOLON = 0x3b;

/** Java String.compareTo order (UTF-16 code units), which is what JS relational operators use. */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function readMapping(r: ByteReader, field = 'mapping', opts: MappingDecodeOptions = {}): Map<string, string> {
  const size = r.u16(`${field}.size`);
  const body = r.sub(field, size);
  const out = new Map<string, string>();
  let previous: string | undefined;
  // Each entry consumes at least 4 bytes, so this ends within size/4 iterations.
  while (body.remaining > 0) {
    const at = body.offset;
    const key = readString(body, `${field}.key`);
    if (body.u8(`${field}[${key}].=`) !== EQUALS) body.fail(`${field}[${key}]`, "expected '=' after the key", body.offset - 1);
    const value = readString(body, `${field}[${key}].value`);
    if (body.u8(`${field}[${key}].;`) !== SEMICOLON) body.fail(`${field}[${key}]`, "expected ';' after the value", body.offset - 1);
    if (out.has(key)) body.fail(`${field}[${key}]`, 'duplicate key', at);
    if (!opts.allowUnsorted && previous !== undefined && compareKeys(previous, key) > 0) {
      body.fail(`${field}[${key}]`, `keys not sorted ("${key}" after "${previous}")`, at);
    }
    out.set(key, value);
    previous = key;
  }
  return out;
}

export function writeMapping(w: ByteWriter, field: string, mapping: Mapping): void {
  const keys = [...mapping.keys()].sort(compareKeys);
  const parts: Uint8Array[] = [];
  let size = 0;
  for (const key of keys) {
    const k = stringBytes(`${field}.key`, key);
    const v = stringBytes(`${field}[${key}].value`, mapping.get(key) as string);
    const entry = new Uint8Array(k.length + v.length + 4);
    entry[0] = k.length;
    entry.set(k, 1);
    entry[k.length + 1] = EQUALS;
    entry[k.length + 2] = v.length;
    entry.set(v, k.length + 3);
    entry[entry.length - 1] = SEMICOLON;
    parts.push(entry);
    size += entry.length;
  }
  if (size > 0xffff) throw new EncodeError(field, `is ${size} bytes, the limit is 65535`);
  w.u16(`${field}.size`, size);
  for (const p of parts) w.bytes(p);
}

export function decodeMapping(input: DecodeInput, opts: MappingDecodeOptions = {}): Map<string, string> {
  return decodeFrom(input, 'mapping', (r) => readMapping(r, 'mapping', opts));
}

export function encodeMapping(mapping: Mapping): Uint8Array {
  const w = new ByteWriter();
  writeMapping(w, 'mapping', mapping);
  return w.finish();
}

/** A JSON-friendly copy (keys in encoding order). */
export function mappingToObject(mapping: Mapping): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const k of [...mapping.keys()].sort(compareKeys)) out[k] = mapping.get(k) as string;
  return out;
}
