import { crc32, deflateRawSync } from 'node:zlib';
import { encodeRouterInfo, type RouterInfo } from '../../../src/router/data/index.js';
import { buildRouterInfo } from '../../../src/router/identity/router-info-builder.js';
import { createRouterKeys, type RouterKeys } from '../../../src/router/identity/router-keys.js';

/** One file for the test zip writer; the overrides make broken archives on purpose. */
export interface TestZipEntry {
  name: string;
  data: Uint8Array;
  method?: 0 | 8;
  /** Declared CRC instead of the real one. */
  crc?: number;
  /** Declared uncompressed size instead of the real one (both headers). */
  uncompressedSize?: number;
  /** Set general-purpose flag bit 3 and zero the local header's sizes, as streaming writers do. */
  dataDescriptor?: boolean;
  utf8?: boolean;
}

export interface TestZipOptions {
  /** Declared entry count instead of the real one. */
  entryCount?: number;
  comment?: string;
}

/** A minimal ZIP writer (stored and deflate entries), independent of the reader under test (zlib's CRC). */
export function buildZip(entries: TestZipEntry[], options: TestZipOptions = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const method = e.method ?? 8;
    const name = new TextEncoder().encode(e.name);
    const body = method === 8 ? new Uint8Array(deflateRawSync(e.data)) : e.data;
    const crc = e.crc ?? crc32(e.data);
    const usize = e.uncompressedSize ?? e.data.length;
    const flags = (e.dataDescriptor ? 0x0008 : 0) | (e.utf8 ? 0x0800 : 0);
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(6, flags, true);
    lv.setUint16(8, method, true);
    lv.setUint32(14, e.dataDescriptor ? 0 : crc, true);
    lv.setUint32(18, e.dataDescriptor ? 0 : body.length, true);
    lv.setUint32(22, e.dataDescriptor ? 0 : usize, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    parts.push(local, body);
    let size = local.length + body.length;
    if (e.dataDescriptor) {
      const dd = new Uint8Array(16);
      const dv = new DataView(dd.buffer);
      dv.setUint32(0, 0x08074b50, true);
      dv.setUint32(4, crc, true);
      dv.setUint32(8, body.length, true);
      dv.setUint32(12, usize, true);
      parts.push(dd);
      size += dd.length;
    }
    const c = new Uint8Array(46 + name.length);
    const cv = new DataView(c.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(8, flags, true);
    cv.setUint16(10, method, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, body.length, true);
    cv.setUint32(24, usize, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    c.set(name, 46);
    central.push(c);
    offset += size;
  }
  const cdSize = central.reduce((n, c) => n + c.length, 0);
  const comment = new TextEncoder().encode(options.comment ?? '');
  const eocd = new Uint8Array(22 + comment.length);
  const ev = new DataView(eocd.buffer);
  const count = options.entryCount ?? entries.length;
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, count, true);
  ev.setUint16(10, count, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  ev.setUint16(20, comment.length, true);
  eocd.set(comment, 22);
  return concat([...parts, ...central, eocd]);
}

export interface TestSu3Options {
  sigType?: number;
  sigLength?: number;
  version?: string;
  versionLength?: number;
  signerId?: string;
  fileType?: number;
  contentType?: number;
  /** Declared content length instead of the real one. */
  contentLength?: bigint;
  formatVersion?: number;
}

/** An SU3 file around `content`, with a zero "signature" of the declared length. */
export function buildSu3(content: Uint8Array, o: TestSu3Options = {}): Uint8Array {
  const sigType = o.sigType ?? 6;
  const sigLength = o.sigLength ?? 512;
  const version = new TextEncoder().encode(o.version ?? '1764028800');
  const versionLength = o.versionLength ?? Math.max(16, version.length);
  const signer = new TextEncoder().encode(o.signerId ?? 'test@mail.i2p');
  const header = new Uint8Array(40);
  const hv = new DataView(header.buffer);
  header.set(new TextEncoder().encode('I2Psu3'), 0);
  header[7] = o.formatVersion ?? 0;
  hv.setUint16(8, sigType);
  hv.setUint16(10, sigLength);
  header[13] = versionLength;
  header[15] = signer.length;
  hv.setBigUint64(16, o.contentLength ?? BigInt(content.length));
  header[25] = o.fileType ?? 0;
  header[27] = o.contentType ?? 3;
  const paddedVersion = new Uint8Array(versionLength);
  paddedVersion.set(version.subarray(0, versionLength));
  return concat([header, paddedVersion, signer, content, new Uint8Array(sigLength)]);
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A Nov 2026 instant near the i2pd fixtures' `published` (they were written 2026-11-25). */
export const FIXTURE_NOW = Date.UTC(2026, 10, 25, 23, 55, 0);

/** Router keys are slow-ish to make: a small shared pool for the tests. */
const keyPool: RouterKeys[] = [];
export function testKeys(i: number): RouterKeys {
  while (keyPool.length <= i) keyPool.push(createRouterKeys());
  return keyPool[i];
}

export function makeRouterInfo(keys: RouterKeys, netId: number, published: number): { ri: RouterInfo; bytes: Uint8Array } {
  const ri = buildRouterInfo(keys, { netId, published });
  return { ri, bytes: encodeRouterInfo(ri) };
}
