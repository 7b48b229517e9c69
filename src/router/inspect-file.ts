import { readFile, stat } from 'node:fs/promises';
import { DecodeError, inspectBytes, type InspectKind, type JsonValue } from './data/index.js';

/** Nothing we decode comes near this; a larger file is not one of ours and is not read whole. */
const MAX_INSPECT_BYTES = 1 << 20;

export class InspectError extends Error {
  override readonly name = 'InspectError';
}

export interface InspectReport {
  file: string;
  size: number;
  kind: InspectKind;
  signature: 'valid' | 'invalid' | 'none' | 'unsupported type';
  fields: { [key: string]: JsonValue };
}

/**
 * Private keys stay off the terminal unless asked for: a keys file inspected over someone's
 * shoulder, or a `--json` report pasted into a bug, must not leak them.
 */
function redactSecrets(tree: { [key: string]: JsonValue }): { [key: string]: JsonValue } {
  const out: { [key: string]: JsonValue } = {};
  for (const [key, value] of Object.entries(tree)) {
    if (/PrivateKey$/.test(key) && value && typeof value === 'object' && !Array.isArray(value) && typeof value.length === 'number') {
      out[key] = `(secret, ${value.length} bytes; --reveal-secrets prints it)`;
    } else if (value && typeof value === 'object' && !Array.isArray(value)) {
      out[key] = redactSecrets(value);
    } else {
      out[key] = value;
    }
  }
  return out;
}

export async function inspectFile(file: string, options: { revealSecrets?: boolean } = {}): Promise<InspectReport> {
  let size: number;
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new InspectError(`${file}: not a regular file`);
    size = st.size;
  } catch (e) {
    if (e instanceof InspectError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new InspectError(`${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
  if (size > MAX_INSPECT_BYTES) throw new InspectError(`${file}: ${size} bytes is too large for a RouterInfo, LeaseSet2 or keys file`);
  const bytes = new Uint8Array(await readFile(file));
  let result;
  try {
    result = inspectBytes(bytes);
  } catch (e) {
    if (e instanceof DecodeError) {
      throw new InspectError(`${file}: not a valid RouterInfo, LeaseSet2, Destination or keys file: ${e.field} at byte ${e.offset}: ${e.reason}`);
    }
    throw e;
  }
  const hasSignature = result.kind === 'RouterInfo' || result.kind === 'LeaseSet2';
  const signature = result.signatureValid === true ? 'valid' : result.signatureValid === false ? 'invalid' : hasSignature ? 'unsupported type' : 'none';
  const fields = options.revealSecrets ? result.fields : redactSecrets(result.fields);
  return { file, size: bytes.length, kind: result.kind, signature, fields };
}
