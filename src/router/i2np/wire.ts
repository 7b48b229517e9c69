/** Field helpers shared by the message codecs: hashes and tunnel ids, checked both ways. */
import type { ByteReader, ByteWriter } from '../data/bytes.js';
import { EncodeError } from '../data/errors.js';
import { HASH_LENGTH } from './types.js';

export function readHash(r: ByteReader, field: string): Uint8Array {
  return r.bytesOf(field, HASH_LENGTH);
}

export function writeHash(w: ByteWriter, field: string, hash: Uint8Array): void {
  w.fixed(field, hash, HASH_LENGTH);
}

/** TunnelIds in TunnelData, TunnelGateway and lookup replies are non-zero by the spec. */
export function readTunnelId(r: ByteReader, field: string): number {
  const at = r.offset;
  const id = r.u32(field);
  if (id === 0) r.fail(field, 'tunnel id must be non-zero', at);
  return id;
}

export function writeTunnelId(w: ByteWriter, field: string, id: number): void {
  if (id === 0) throw new EncodeError(field, 'tunnel id must be non-zero');
  w.u32(field, id);
}

/** `n` hashes of 32 bytes; `count` was already read and range-checked by the caller. */
export function readHashes(r: ByteReader, field: string, count: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) out.push(readHash(r, `${field}[${i}]`));
  return out;
}

export function writeHashes(w: ByteWriter, field: string, hashes: Uint8Array[]): void {
  hashes.forEach((h, i) => writeHash(w, `${field}[${i}]`, h));
}
