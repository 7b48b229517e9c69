/**
 * The record lists shared by the six tunnel build messages. Records are opaque (encrypted) here;
 * this layer only checks their count and size so that the tunnel layer gets exact slices.
 */
import { ByteReader, ByteWriter } from '../data/bytes.js';
import { EncodeError } from '../data/errors.js';

export function writeRecords(w: ByteWriter, records: Uint8Array[], recordLength: number): void {
  records.forEach((rec, i) => w.fixed(`records[${i}]`, rec, recordLength));
}

export function readRecords(r: ByteReader, count: number, recordLength: number): Uint8Array[] {
  const needed = count * recordLength;
  if (r.remaining !== needed) {
    r.fail('records', `${count} records of ${recordLength} bytes need ${needed} bytes, ${r.remaining} present`);
  }
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) out.push(r.bytesOf(`records[${i}]`, recordLength));
  return out;
}

/** num(1) in 1..max, then exactly num records: the Variable and Short build layouts. */
export function encodeCountedRecords(records: Uint8Array[], recordLength: number, max: number): Uint8Array {
  if (records.length < 1 || records.length > max) {
    throw new EncodeError('records', `${records.length} records; must be 1..${max}`);
  }
  const w = new ByteWriter(1 + records.length * recordLength);
  w.u8('num', records.length);
  writeRecords(w, records, recordLength);
  return w.finish();
}

export function decodeCountedRecords(payload: Uint8Array, base: number, recordLength: number, max: number): Uint8Array[] {
  const r = new ByteReader(payload, base);
  const numAt = r.offset;
  const num = r.u8('num');
  if (num < 1 || num > max) r.fail('num', `${num} records; must be 1..${max}`, numAt);
  return readRecords(r, num, recordLength);
}

/** Exactly `count` records with no count byte: the fixed TunnelBuild layouts. */
export function encodeFixedRecords(records: Uint8Array[], recordLength: number, count: number): Uint8Array {
  if (records.length !== count) throw new EncodeError('records', `${records.length} records; must be exactly ${count}`);
  const w = new ByteWriter(count * recordLength);
  writeRecords(w, records, recordLength);
  return w.finish();
}

export function decodeFixedRecords(payload: Uint8Array, base: number, recordLength: number, count: number): Uint8Array[] {
  return readRecords(new ByteReader(payload, base), count, recordLength);
}
