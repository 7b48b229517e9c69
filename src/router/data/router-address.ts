import { ByteReader, ByteWriter } from './bytes.js';
import { decodeFrom, type DecodeInput } from './codec.js';
import { i2pBase64Decode, i2pBase64Encode } from './base64.js';
import { DecodeError, EncodeError } from './errors.js';
import { type Mapping, readMapping, writeMapping } from './mapping.js';
import { readDate, readString, writeDate, writeString } from './primitives.js';

/** A RouterAddress: how to reach a router over one transport. */
export interface RouterAddress {
  /** 0 (free) to 255 (expensive). */
  cost: number;
  /** Always 0: non-zero expirations break older routers' signature checks, so the spec forbids them. */
  expiration: number;
  transportStyle: string;
  options: Mapping;
}

export function readRouterAddress(r: ByteReader, field = 'routerAddress'): RouterAddress {
  const cost = r.u8(`${field}.cost`);
  const expAt = r.offset;
  const expiration = readDate(r, `${field}.expiration`);
  if (expiration !== 0) r.fail(`${field}.expiration`, `must be zero, is ${expiration}`, expAt);
  const transportStyle = readString(r, `${field}.transportStyle`);
  const options = readMapping(r, `${field}.options`);
  return { cost, expiration, transportStyle, options };
}

export function writeRouterAddress(w: ByteWriter, field: string, a: RouterAddress): void {
  if (a.expiration !== 0) throw new EncodeError(`${field}.expiration`, 'must be zero');
  w.u8(`${field}.cost`, a.cost);
  writeDate(w, `${field}.expiration`, 0);
  writeString(w, `${field}.transportStyle`, a.transportStyle);
  writeMapping(w, `${field}.options`, a.options);
}

export function decodeRouterAddress(input: DecodeInput): RouterAddress {
  return decodeFrom(input, 'routerAddress', (r) => readRouterAddress(r));
}

export function encodeRouterAddress(a: RouterAddress): Uint8Array {
  const w = new ByteWriter(128);
  writeRouterAddress(w, 'routerAddress', a);
  return w.finish();
}

/** The NTCP2 options of an address (ntcp2.rst): each parsed and checked when present. */
export interface Ntcp2Options {
  host?: string;
  port?: number;
  /** The router's static X25519 key. */
  s?: Uint8Array;
  /** The AES IV that obfuscates message 1's ephemeral key. */
  i?: Uint8Array;
  /** Protocol versions, e.g. "2". */
  v?: string;
}

/**
 * Reads NTCP2 options. A malformed value is a DecodeError naming the option; its offset is 0
 * because options have no byte position of their own once decoded.
 */
export function ntcp2Options(a: RouterAddress): Ntcp2Options {
  const o = a.options;
  const out: Ntcp2Options = {};
  const host = o.get('host');
  if (host !== undefined) out.host = host;
  const port = o.get('port');
  if (port !== undefined) {
    if (!/^[0-9]{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
      throw new DecodeError('options.port', 0, `invalid port ${JSON.stringify(port)}`);
    }
    out.port = Number(port);
  }
  const s = o.get('s');
  if (s !== undefined) out.s = fixedBase64('options.s', s, 32);
  const i = o.get('i');
  if (i !== undefined) out.i = fixedBase64('options.i', i, 16);
  const v = o.get('v');
  if (v !== undefined) out.v = v;
  return out;
}

function fixedBase64(field: string, text: string, n: number): Uint8Array {
  const b = i2pBase64Decode(text, field);
  if (b.length !== n) throw new DecodeError(field, 0, `must decode to ${n} bytes, got ${b.length}`);
  return b;
}

export interface Ntcp2AddressParams {
  host?: string;
  port?: number;
  s: Uint8Array;
  i?: Uint8Array;
  cost?: number;
}

/**
 * An NTCP2 RouterAddress. A published address has host, port, s, i and v=2; an unpublished
 * one (no host/port) still carries s and v (PITFALLS: i2pd needs them).
 */
export function ntcp2Address(p: Ntcp2AddressParams): RouterAddress {
  if (p.s.length !== 32) throw new EncodeError('options.s', 'must be 32 bytes');
  if (p.i && p.i.length !== 16) throw new EncodeError('options.i', 'must be 16 bytes');
  const options = new Map<string, string>();
  if (p.host !== undefined) options.set('host', p.host);
  if (p.port !== undefined) options.set('port', String(p.port));
  if (p.i) options.set('i', i2pBase64Encode(p.i));
  options.set('s', i2pBase64Encode(p.s));
  options.set('v', '2');
  return { cost: p.cost ?? (p.host !== undefined ? 3 : 14), expiration: 0, transportStyle: 'NTCP2', options };
}
