import { join } from 'node:path';
import { readKeyFile, writeKeyFile } from '../../state/key-file.js';
import { TestnetError } from './errors.js';

/** One router of a testnet, as `up` started it: what `status` asks and `down` stops. */
export interface TestnetRouterRecord {
  /** 1-based: router k listens on <hostPrefix>k, port basePort + k, home <dir>/r<k>. */
  k: number;
  pid: number;
  home: string;
  host: string;
  port: number;
  /** I2P base64 router hash; null while the router is still starting. */
  hash: string | null;
  netId: number;
  log: string;
  /** SAM on host:samPort (TCP) and host:samPort (UDP datagrams); absent from older manifests. */
  samPort?: number;
  /**
   * A mixed testnet runs inside the i2pd namespace, where SAM and the HTTP proxy listen on
   * 127.0.0.1 (the namespace's own) instead of host: clientHost:samPort, clientHost:httpProxyPort.
   */
  clientHost?: string;
  httpProxyPort?: number;
}

/** One i2pd router that i2pd-testnet.sh started for a mixed testnet. */
export interface TestnetI2pdRecord {
  /** 1-based: the script's router k, data dir <i2pd.dir>/r<k>, on 198.18.0.k. */
  k: number;
  /** i2pd's own pid (the script's r<k>/router.pid): trusted only while its argv has --datadir=<dataDir>. */
  pid: number;
  dataDir: string;
  host: string;
  /** NTCP2. */
  port: number;
  /** Web console on 127.0.0.1 inside the namespace. */
  consolePort: number;
  /** Floodfills run no HTTP proxy or SAM (an i2pd 2.45 bug, see the script's header). */
  floodfill: boolean;
  /** I2P base64 router hash, from its router.info. */
  hash: string;
}

/** The i2pd half of a mixed testnet, and the network namespace every router of it runs in. */
export interface TestnetI2pdSection {
  /** i2pd-testnet.sh, run again for `down`. */
  script: string;
  /** I2PDNET_DIR. */
  dir: string;
  /** I2PDNET_BASEPORT. */
  basePort: number;
  /** The namespace's holder process (the script's netns.pid); our routers run in its namespace. */
  netnsPid: number;
  routers: TestnetI2pdRecord[];
}

export interface TestnetManifest {
  version: 1;
  dir: string;
  netId: number;
  basePort: number;
  reseedDir: string;
  createdAt: string;
  routers: TestnetRouterRecord[];
  /** Present in a mixed testnet (`up --i2pd M`). */
  i2pd?: TestnetI2pdSection;
}

export const MANIFEST_FILE = 'testnet.json';
const MAX_MANIFEST_BYTES = 256 * 1024;

export function manifestPath(dir: string): string {
  return join(dir, MANIFEST_FILE);
}

/** Written atomically and fsynced (0600): `down` must find every pid even after a crash of `up`. */
export async function writeManifest(m: TestnetManifest): Promise<void> {
  await writeKeyFile(manifestPath(m.dir), new TextEncoder().encode(JSON.stringify(m, null, 2) + '\n'));
}

/** The recorded testnet of `dir`, or undefined if there is none. */
export async function readManifest(dir: string): Promise<TestnetManifest | undefined> {
  const path = manifestPath(dir);
  const bytes = await readKeyFile(path, { maxBytes: MAX_MANIFEST_BYTES });
  if (bytes === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new TestnetError('BAD_MANIFEST', `${path} is not JSON; move it away`, { cause: err });
  }
  return parseManifest(v, path);
}

const int = (v: unknown, min: number, max: number): v is number => Number.isInteger(v) && (v as number) >= min && (v as number) <= max;

/** Every field checked: `down` signals the pids it reads here, so a damaged file must not pass. */
export function parseManifest(v: unknown, where: string): TestnetManifest {
  const bad = (what: string): never => {
    throw new TestnetError('BAD_MANIFEST', `${where}: ${what}`);
  };
  const m = v as Partial<TestnetManifest> | null;
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return bad('not an object');
  if (m.version !== 1) bad(`unknown version ${JSON.stringify(m.version)}`);
  if (typeof m.dir !== 'string' || typeof m.reseedDir !== 'string' || typeof m.createdAt !== 'string') bad('bad dir, reseedDir or createdAt');
  if (!int(m.netId, 1, 255) || !int(m.basePort, 1, 65535)) bad('bad netId or basePort');
  if (!Array.isArray(m.routers) || m.routers.length > 255) bad('bad routers');
  for (const r of m.routers!) {
    const ok =
      typeof r === 'object' &&
      r !== null &&
      int(r.k, 1, 255) &&
      int(r.pid, 2, 0x7fffffff) && // never 0 or 1: kill(0) is our group, 1 is init
      typeof r.home === 'string' &&
      r.home.length > 0 &&
      typeof r.host === 'string' &&
      int(r.port, 1, 65535) &&
      (r.hash === null || typeof r.hash === 'string') &&
      int(r.netId, 1, 255) &&
      typeof r.log === 'string';
    if (!ok) bad(`bad router record ${JSON.stringify(r)}`);
    if ((r.samPort !== undefined && !int(r.samPort, 1, 65535)) || (r.httpProxyPort !== undefined && !int(r.httpProxyPort, 1, 65535)) || (r.clientHost !== undefined && typeof r.clientHost !== 'string')) bad(`bad router record ${JSON.stringify(r)}`);
  }
  if (m.i2pd !== undefined) parseI2pdSection(m.i2pd, bad);
  return m as TestnetManifest;
}

const absolute = (v: unknown): v is string => typeof v === 'string' && v.startsWith('/') && v.length > 1 && !v.includes('\0');

/** The same care as for our records: `down` signals these pids and runs this script. */
function parseI2pdSection(v: unknown, bad: (what: string) => never): void {
  const s = v as Partial<TestnetI2pdSection> | null;
  if (typeof s !== 'object' || s === null || Array.isArray(s)) return bad('i2pd is not an object');
  if (!absolute(s.script) || !absolute(s.dir)) bad('i2pd: bad script or dir');
  if (!int(s.basePort, 1, 65535) || !int(s.netnsPid, 2, 0x7fffffff)) bad('i2pd: bad basePort or netnsPid');
  if (!Array.isArray(s.routers) || s.routers.length > 255) bad('i2pd: bad routers');
  for (const r of s.routers!) {
    const ok =
      typeof r === 'object' &&
      r !== null &&
      int(r.k, 1, 255) &&
      int(r.pid, 2, 0x7fffffff) &&
      absolute(r.dataDir) &&
      typeof r.host === 'string' &&
      int(r.port, 1, 65535) &&
      int(r.consolePort, 1, 65535) &&
      typeof r.floodfill === 'boolean' &&
      typeof r.hash === 'string' &&
      /^[A-Za-z0-9~-]{43}=$/.test(r.hash);
    if (!ok) bad(`bad i2pd router record ${JSON.stringify(r)}`);
  }
}
