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
}

export interface TestnetManifest {
  version: 1;
  dir: string;
  netId: number;
  basePort: number;
  reseedDir: string;
  createdAt: string;
  routers: TestnetRouterRecord[];
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
  }
  return m as TestnetManifest;
}
