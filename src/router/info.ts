import { verifyRouterInfo, decodeRouterInfo, i2pBase64Encode, encodeRouterInfo, mappingToObject, keyTypes, cryptoTypeInfo, sigTypeInfo, type RouterInfo } from './data/index.js';
import { writeKeyFile } from '../state/index.js';
import { openRouterState, publishedBandwidth, readRouterConfig } from './home.js';
import { buildRouterInfo } from './identity/router-info-builder.js';
import { loadOrCreateRouterKeys } from './identity/router-keys.js';

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
 * `anon-router info`: the identity (created on first use) and a RouterInfo signed now. It holds
 * the router's LevelDB while it runs, so a running router's home gives the clear in-use error.
 */
export async function showRouterInfo(home: string, now = Date.now()): Promise<RouterInfoReport> {
  const { paths, storage } = await openRouterState(home);
  try {
    const config = await readRouterConfig(storage);
    const { keys, created } = await loadOrCreateRouterKeys(paths.keys);
    const ri: RouterInfo = buildRouterInfo(keys, {
      netId: config.netId,
      published: now,
      bandwidth: publishedBandwidth(config),
      floodfill: config.floodfill,
    });
    const bytes = encodeRouterInfo(ri);
    await writeKeyFile(paths.routerInfo, bytes);
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
          addresses: ri.addresses.map((a) => `${a.transportStyle} ${mappingToObject(a.options).host ?? '(unpublished)'}`),
          options,
          // Checked on the bytes written, decoded afresh: what a peer will verify.
          signature: verifyRouterInfo(decodeRouterInfo(bytes)) ? 'valid' : 'INVALID',
        },
        base64: i2pBase64Encode(bytes),
      },
    };
  } finally {
    await storage.close();
  }
}
