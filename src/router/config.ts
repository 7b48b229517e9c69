import { isIP } from 'node:net';
import { jsonCodec, RouterSublevels, type Storage } from '../state/index.js';
import { BANDWIDTH_CLASSES, bandwidthClass, type BandwidthClass } from './identity/caps.js';
import { MAIN_NET_ID } from './identity/version.js';
import { checkRouterAddress } from './transport/address-policy.js';
import { SAM_DEFAULTS, type SamConfig } from './api/sam/router-sam.js';

/**
 * What the user chose for this router, kept in its LevelDB (`config`), so that flags given to
 * `anon-router start` once stay in force on later starts.
 */
export interface RouterConfig {
  netId: number;
  /** A private test network: loopback and private addresses allowed, /16 limits relaxed. */
  testnet: boolean;
  /** Shared bandwidth in KBytes/s: sets the published class. */
  sharedKBps: number;
  floodfill: boolean;
  /** Carry other routers' tunnels (on by default: every router relays). */
  transit: boolean;
  /** Percentage (0..100) of the shared bandwidth transit may use. */
  sharePercent: number;
  /** Most transit tunnels at once. */
  maxParticipating: number;
  /** The exploratory pool: hops per tunnel (0..7) and tunnels each way (1..16). */
  tunnelLength: number;
  tunnelQuantity: number;
  /** The HTTP proxy for browsers (api/http-proxy): .i2p sites only, no outproxy. */
  httpProxy: HttpProxyConfig;
  /** The SAM v3 bridge for applications (api/sam): TCP control port and UDP datagram port. */
  sam: SamConfig;
  ntcp2: {
    /** The address we publish and bind; none means we dial out but are not reachable (caps U). */
    host?: string;
    /** Chosen once at random (like i2pd) and kept, so peers' cached RouterInfos stay valid. */
    port: number;
  };
}

export interface HttpProxyConfig {
  enabled: boolean;
  /** An IP literal (names are never resolved); loopback by default. */
  host: string;
  port: number;
  /** Hops of the proxy destination's tunnels, each way (0..7). */
  hops: number;
}

/** Configs saved before the proxy existed get these. */
export const HTTP_PROXY_DEFAULTS: HttpProxyConfig = { enabled: true, host: '127.0.0.1', port: 4444, hops: 3 };

export class RouterConfigError extends Error {
  override readonly name = 'RouterConfigError';
}

/** Tunnel settings; configs saved before they existed get these. */
export const TUNNEL_DEFAULTS = { transit: true, sharePercent: 80, maxParticipating: 2000, tunnelLength: 2, tunnelQuantity: 2 } as const;

export function defaultRouterConfig(random: (maxExclusive: number) => number): RouterConfig {
  return { netId: MAIN_NET_ID, testnet: false, sharedKBps: 128, floodfill: false, ...TUNNEL_DEFAULTS, httpProxy: { ...HTTP_PROXY_DEFAULTS }, sam: { ...SAM_DEFAULTS }, ntcp2: { port: 9111 + random(30777 - 9111) } };
}

export function validateNetId(netId: number): number {
  if (!Number.isInteger(netId) || netId < 1 || netId > 255) throw new RouterConfigError(`network id must be 1..255, got ${netId}`);
  return netId;
}

export function validatePort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RouterConfigError(`port must be 1..65535, got ${port}`);
  return port;
}

export function validateRange(what: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new RouterConfigError(`${what} must be an integer ${min}..${max}, got ${v}`);
  return v;
}

function pickDefined<T extends object, K extends keyof T>(o: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

function parseHttpProxyConfig(v: unknown): HttpProxyConfig {
  const p = { ...HTTP_PROXY_DEFAULTS, ...(typeof v === 'object' && v !== null ? (v as Partial<HttpProxyConfig>) : {}) };
  if (typeof p.enabled !== 'boolean') throw new RouterConfigError('stored router config: bad httpProxy.enabled');
  if (typeof p.host !== 'string' || isIP(p.host) === 0) throw new RouterConfigError(`the HTTP proxy host must be an IP address (names are never resolved), got ${JSON.stringify(p.host)}`);
  return { enabled: p.enabled, host: p.host, port: validatePort(p.port), hops: validateRange('HTTP proxy hops', p.hops, 0, 7) };
}

/** Configs saved before SAM existed get its defaults. */
function parseSamConfig(v: unknown): SamConfig {
  const p = { ...SAM_DEFAULTS, ...(typeof v === 'object' && v !== null ? (v as Partial<SamConfig>) : {}) };
  if (typeof p.enabled !== 'boolean') throw new RouterConfigError('stored router config: bad sam.enabled');
  if (typeof p.host !== 'string' || isIP(p.host) === 0) throw new RouterConfigError(`the SAM host must be an IP address (names are never resolved), got ${JSON.stringify(p.host)}`);
  return { enabled: p.enabled, host: p.host, port: validatePort(p.port), udpPort: validatePort(p.udpPort) };
}

function parseConfig(v: unknown): RouterConfig {
  const c = v as Partial<RouterConfig> | null;
  if (typeof c !== 'object' || c === null || typeof c.ntcp2 !== 'object' || c.ntcp2 === null) {
    throw new RouterConfigError('stored router config is not an object');
  }
  if (typeof c.testnet !== 'boolean' || typeof c.floodfill !== 'boolean') throw new RouterConfigError('stored router config: bad flags');
  if (typeof c.sharedKBps !== 'number' || !(c.sharedKBps >= 0)) throw new RouterConfigError('stored router config: bad sharedKBps');
  if (c.ntcp2.host !== undefined && typeof c.ntcp2.host !== 'string') throw new RouterConfigError('stored router config: bad host');
  const t = { ...TUNNEL_DEFAULTS, ...pickDefined(c, ['transit', 'sharePercent', 'maxParticipating', 'tunnelLength', 'tunnelQuantity']) };
  if (typeof t.transit !== 'boolean') throw new RouterConfigError('stored router config: bad transit flag');
  return {
    netId: validateNetId(c.netId as number),
    testnet: c.testnet,
    sharedKBps: c.sharedKBps,
    floodfill: c.floodfill,
    transit: t.transit,
    sharePercent: validateRange('share', t.sharePercent, 0, 100),
    maxParticipating: validateRange('max participating tunnels', t.maxParticipating, 0, 100_000),
    tunnelLength: validateRange('tunnel length', t.tunnelLength, 0, 7),
    tunnelQuantity: validateRange('tunnel quantity', t.tunnelQuantity, 1, 16),
    httpProxy: parseHttpProxyConfig(c.httpProxy),
    sam: parseSamConfig(c.sam),
    ntcp2: { host: c.ntcp2.host, port: validatePort(c.ntcp2.port) },
  };
}

const KEY = 'router';
const sublevel = (storage: Storage) => storage.sublevel(RouterSublevels.config, jsonCodec(parseConfig));

/** The stored config, or the defaults (written durably, so the random port sticks). */
export async function loadRouterConfig(storage: Storage, random: (maxExclusive: number) => number): Promise<RouterConfig> {
  const stored = await sublevel(storage).get(KEY);
  if (stored) return stored;
  const config = defaultRouterConfig(random);
  await saveRouterConfig(storage, config);
  return config;
}

export async function saveRouterConfig(storage: Storage, config: RouterConfig): Promise<void> {
  await sublevel(storage).putDurable(KEY, parseConfig(config));
}

/** The class we publish: at least N, since i2pd's client tunnels skip slower hops (PITFALLS.md). */
export function publishedBandwidth(config: RouterConfig): BandwidthClass {
  const c = bandwidthClass(config.sharedKBps);
  return BANDWIDTH_CLASSES.indexOf(c) < BANDWIDTH_CLASSES.indexOf('N') ? 'N' : c;
}

/** The rules a config must meet before a router runs with it (and before it is saved). */
export function checkRouterConfig(config: RouterConfig): void {
  validateNetId(config.netId);
  validatePort(config.ntcp2.port);
  parseConfig(config);
  if (config.testnet && config.netId === MAIN_NET_ID) {
    throw new RouterConfigError('a test network needs its own network id (--netid): 2 is the public I2P network');
  }
  if (config.ntcp2.host !== undefined) checkRouterAddress(config.ntcp2.host, config.testnet);
}
