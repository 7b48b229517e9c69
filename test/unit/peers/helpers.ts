import { randomBytes } from 'node:crypto';
import {
  ntcp2Address,
  routerInfoHash,
  signRouterInfo,
  type RouterAddress,
  type RouterIdentity,
  type RouterInfo,
} from '../../../src/router/data/index.js';
import type { HopCandidate } from '../../../src/router/peers/selection.js';
import { testKeys } from '../netdb/helpers.js';

export const NOW = Date.UTC(2026, 0, 10, 12);

export interface HopSpec {
  /** Index into the shared test key pool; each index is one router. */
  readonly key: number;
  readonly caps?: string;
  readonly version?: string | null;
  /** NTCP2 hosts (one address each); none for an unpublished router. */
  readonly hosts?: readonly string[];
  readonly published?: number;
}

/** A signed RouterInfo as i2pd 2.45.1 publishes it by default: caps X (no R), version 0.9.57. */
export function hop(spec: HopSpec): HopCandidate {
  const keys = testKeys(spec.key);
  const addresses: RouterAddress[] = (spec.hosts ?? ['198.18.0.1']).map((host) =>
    ntcp2Address({ host, port: 12345, s: randomBytes(32), i: randomBytes(16) }),
  );
  const options = new Map<string, string>([
    ['caps', spec.caps ?? 'X'],
    ['netId', '99'],
  ]);
  if (spec.version !== null) options.set('router.version', spec.version ?? '0.9.57');
  const routerInfo = signRouterInfo({ identity: keys.identity, published: spec.published ?? NOW, addresses, options }, keys.signingPrivateKey);
  return { hash: keys.hash, routerInfo };
}

/** An ElGamal/DSA router (no KEY certificate): never a hop of ours. The signature is not checked by selection. */
export function elGamalHop(host: string): HopCandidate {
  const identity: RouterIdentity = {
    publicKey: randomBytes(256),
    padding: new Uint8Array(0),
    signingPublicKey: randomBytes(128),
    certificate: { type: 'null' },
  };
  const routerInfo: RouterInfo = {
    identity,
    published: NOW,
    addresses: [ntcp2Address({ host, port: 12345, s: randomBytes(32), i: randomBytes(16) })],
    options: new Map([
      ['caps', 'X'],
      ['router.version', '0.9.57'],
    ]),
    signature: new Uint8Array(40),
  };
  return { hash: routerInfoHash(routerInfo), routerInfo };
}
