/**
 * The options of SESSION CREATE / SESSION ADD and of datagram headers that SAM itself reads:
 * I2CP ports and protocol (samv3.html, "I2CP Ports and Protocol"), HEADER, SILENT, and the
 * I2CP tunnel options (i2cp.html: inbound.length, outbound.quantity, ...) mapped to our pool
 * settings. Each checks its range and names the option it refuses.
 */
import { isIP } from 'node:net';
import type { DestinationOptions } from '../../client/destination.js';
import type { PoolSide } from '../../tunnel/pool.js';
import type { SamStyle } from './routing.js';

export class SamOptionError extends Error {
  override readonly name = 'SamOptionError';
  readonly code = 'I2P_ERROR' as const;
}

function integer(options: ReadonlyMap<string, string>, key: string, min: number, max: number): number | undefined {
  const v = options.get(key);
  if (v === undefined || v === '') return undefined;
  if (!/^\d{1,6}$/.test(v)) throw new SamOptionError(`${key} must be a number, got ${JSON.stringify(v.slice(0, 20))}`);
  const n = Number(v);
  if (n < min || n > max) throw new SamOptionError(`${key} must be ${min}..${max}, got ${n}`);
  return n;
}

export function portOption(options: ReadonlyMap<string, string>, key: string): number | undefined {
  return integer(options, key, 0, 65535);
}

/** Protocols a RAW session may use: not streaming (6) nor the repliable datagram formats. */
const RESERVED_PROTOCOLS = [6, 17, 19, 20];
export const DEFAULT_RAW_PROTOCOL = 18;

export function rawProtocolOption(options: ReadonlyMap<string, string>, key = 'PROTOCOL'): number | undefined {
  const p = integer(options, key, 0, 255);
  if (p !== undefined && RESERVED_PROTOCOLS.includes(p)) throw new SamOptionError(`${key}=${p} is not allowed for RAW (6, 17, 19 and 20 are taken)`);
  return p;
}

export function booleanOption(options: ReadonlyMap<string, string>, key: string, fallback: boolean): boolean {
  const v = options.get(key);
  if (v === undefined || v === '') return fallback;
  const lower = v.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw new SamOptionError(`${key} must be true or false, got ${JSON.stringify(v.slice(0, 20))}`);
}

/** Tunnel settings of a session's destination, from the I2CP options; our defaults otherwise. */
export function destinationOptions(options: ReadonlyMap<string, string>, defaults: DestinationOptions): DestinationOptions {
  const side = (dir: 'inbound' | 'outbound', base: PoolSide): PoolSide => ({
    length: integer(options, `${dir}.length`, 0, 7) ?? base.length,
    quantity: integer(options, `${dir}.quantity`, 1, 16) ?? base.quantity,
    variance: (() => {
      const v = options.get(`${dir}.lengthVariance`);
      if (v === undefined || v === '') return base.variance;
      if (!/^-?\d$/.test(v)) throw new SamOptionError(`${dir}.lengthVariance must be -3..3, got ${JSON.stringify(v.slice(0, 20))}`);
      const n = Number(v);
      if (n < -3 || n > 3) throw new SamOptionError(`${dir}.lengthVariance must be -3..3, got ${n}`);
      return n;
    })(),
  });
  const encTypes = options.get('i2cp.leaseSetEncType');
  if (encTypes !== undefined && encTypes !== '' && !encTypes.split(',').map((s) => s.trim()).includes('4')) {
    throw new SamOptionError(`i2cp.leaseSetEncType=${encTypes}: only 4 (ECIES-X25519) is supported`);
  }
  return {
    inbound: side('inbound', defaults.inbound),
    outbound: side('outbound', defaults.outbound),
    publish: !booleanOption(options, 'i2cp.dontPublishLeaseSet', !defaults.publish),
  };
}

/** The part of a (sub)session that says where its traffic goes and comes from (see session.ts). */
export interface SubsessionOptions {
  style: SamStyle;
  fromPort: number;
  toPort: number;
  protocol: number;
  listenPort: number;
  listenProtocol: number;
  header: boolean;
  forward?: { host: string; port: number };
}

/**
 * PORT/HOST (datagram forwarding), FROM_PORT/TO_PORT, PROTOCOL, HEADER; for SESSION ADD also
 * LISTEN_PORT (default FROM_PORT; a STREAM subsession only FROM_PORT or 0) and LISTEN_PROTOCOL
 * (default PROTOCOL). A single-style session listens on every port.
 */
export function subsessionOptions(style: SamStyle, o: ReadonlyMap<string, string>, isSub: boolean, hostFor: (given: string | undefined) => string): SubsessionOptions {
  const fromPort = portOption(o, 'FROM_PORT') ?? 0;
  const toPort = portOption(o, 'TO_PORT') ?? 0;
  const protocol = style === 'RAW' ? (rawProtocolOption(o) ?? DEFAULT_RAW_PROTOCOL) : style === 'DATAGRAM' ? 17 : 6;
  let listenPort = 0;
  let listenProtocol = 0;
  if (isSub) {
    listenPort = portOption(o, 'LISTEN_PORT') ?? fromPort;
    if (style === 'STREAM' && listenPort !== 0 && listenPort !== fromPort) throw new SamOptionError('a STREAM subsession listens on its FROM_PORT or on 0');
  }
  if (style === 'RAW') listenProtocol = (isSub ? rawProtocolOption(o, 'LISTEN_PROTOCOL') : undefined) ?? protocol;
  let forward: SubsessionOptions['forward'];
  if (style !== 'STREAM') {
    const port = portOption(o, 'PORT');
    if (port !== undefined && port !== 0) forward = { host: hostFor(o.get('HOST')), port };
  }
  return { style, fromPort, toPort, protocol, listenPort, listenProtocol, header: style === 'RAW' && booleanOption(o, 'HEADER', false), forward };
}

function isLoopback(host: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === '::1';
}

/** HOST of a forward: an IP literal (never a name: no DNS), the client's own address by default. */
export function forwardHost(given: string | undefined, clientAddress: string | undefined, allowRemote: boolean): string {
  const fallback = clientAddress ?? '127.0.0.1';
  const host = given && given !== '' ? given : fallback.startsWith('::ffff:') ? fallback.slice(7) : fallback;
  if (isIP(host) === 0) throw new SamOptionError(`HOST must be an IP address, got ${JSON.stringify(host.slice(0, 40))}`);
  if (!allowRemote && !isLoopback(host)) throw new SamOptionError(`HOST ${host} is not a loopback address (forwarding elsewhere is off)`);
  return host;
}
