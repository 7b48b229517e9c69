import { verifyRouterInfo, decodeRouterInfo, i2pBase64Encode, encodeRouterInfo, mappingToObject, keyTypes, cryptoTypeInfo, sigTypeInfo, type RouterInfo } from './data/index.js';
import { writeKeyFile } from '../state/index.js';
import { loadRouterConfig } from './config.js';
import { openRouterState, routerPaths, type RouterPaths } from './home.js';
import { callControl } from './api/control/client.js';
import { RouterNotRunningError } from './api/control/protocol.js';
import { loadOrCreateLocalIdentity, signLocalRouterInfo, type LocalIdentity } from './identity/local-router.js';
import { cryptoRandom } from './runtime/index.js';

export interface RouterInfoReport {
  dir: string;
  created: boolean;
  hash: string;
  shortId: string;
  keys: { encryption: string; signing: string; keysFile: string };
  routerInfoFile: string;
  routerInfo: {
    size: number;
    summary: { published: string; netId: string; caps: string; version: string; addresses: string[]; options: Record<string, string>; signature: string };
    base64: string;
  };
}

/** The short id people use to tell routers apart in logs and consoles: the hash's first base64 characters. */
export function shortId(hashBase64: string): string {
  return hashBase64.slice(0, 6);
}

function typeLabel(code: number, name: string | undefined): string {
  return `${name ?? 'unknown'} (type ${code})`;
}

/**
 * `anon-router info`: the identity (created on first use) and a RouterInfo signed now. With a
 * router running in the home, the router answers; otherwise this process opens the home (and
 * a process that merely holds the home's lock gives the clear in-use error).
 */
export async function showRouterInfo(home: string, now = Date.now()): Promise<RouterInfoReport> {
  // A running router owns the home: ask it rather than fail on its lock.
  try {
    return (await callControl(routerPaths(home).controlSocket, 'info', {}, { home })) as RouterInfoReport;
  } catch (e) {
    if (!(e instanceof RouterNotRunningError)) throw e;
  }
  const { paths, storage } = await openRouterState(home);
  try {
    const config = await loadRouterConfig(storage, (n) => cryptoRandom.int(n));
    const identity = await loadOrCreateLocalIdentity(paths, cryptoRandom);
    const ri: RouterInfo = signLocalRouterInfo(identity, config, now);
    const bytes = encodeRouterInfo(ri);
    await writeKeyFile(paths.routerInfo, bytes);
    return routerInfoReport(paths, identity, ri, bytes);
  } finally {
    await storage.close();
  }
}

/** The report for a RouterInfo we signed: shared by `info` and the running router's `info` method. */
export function routerInfoReport(paths: RouterPaths, identity: LocalIdentity, ri: RouterInfo, bytes: Uint8Array): RouterInfoReport {
  const { keys, created } = identity;
  const hash = i2pBase64Encode(keys.hash);
  const { cryptoType, sigType } = keyTypes(keys.identity);
  const options = mappingToObject(ri.options);
  return {
    dir: paths.dir,
    created,
    hash,
    shortId: shortId(hash),
    keys: {
      encryption: typeLabel(cryptoType, cryptoTypeInfo(cryptoType)?.name),
      signing: typeLabel(sigType, sigTypeInfo(sigType)?.name),
      keysFile: paths.keys,
    },
    routerInfoFile: paths.routerInfo,
    routerInfo: {
      size: bytes.length,
      summary: {
        published: new Date(ri.published).toISOString(),
        netId: options.netId,
        caps: options.caps,
        version: options['router.version'],
        addresses: ri.addresses.map((a) => {
          const o = mappingToObject(a.options);
          return `${a.transportStyle} ${o.host ? `${o.host}:${o.port}` : '(not published: set with anon-router start --host)'}`;
        }),
        options,
        // Checked on the bytes written, decoded afresh: what a peer will verify.
        signature: verifyRouterInfo(decodeRouterInfo(bytes)) ? 'valid' : 'INVALID',
      },
      base64: i2pBase64Encode(bytes),
    },
  };
}
