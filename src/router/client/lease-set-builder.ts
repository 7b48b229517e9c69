import { encodeLeaseSet2, signLeaseSet2, type Lease2, type LeaseSet2 } from '../data/index.js';
import type { InboundTunnel } from '../tunnel/tunnel.js';
import type { DestinationKeys } from './destination-keys.js';

/** X25519 (ecies.rst): the only encryption type our destinations offer. */
export const CRYPTO_TYPE_X25519 = 4;
/** A LeaseSet2's `expires` is at most about 11 minutes after `published` (common-structures.rst). */
const MAX_EXPIRES_S = 660;

/**
 * Our destination's LeaseSet2: one lease per live inbound tunnel of its pool (at most 16), its
 * X25519 key, signed with its Ed25519 key. `published` always advances past `lastPublished`:
 * floodfills and peers keep the newest and refuse an older or equal one.
 */
export function buildLeaseSet2(keys: DestinationKeys, inbound: readonly InboundTunnel[], nowMs: number, lastPublished = 0): { leaseSet: LeaseSet2; bytes: Uint8Array } | undefined {
  const nowS = Math.floor(nowMs / 1000);
  const leases: Lease2[] = inbound
    .filter((t) => t.expiresAt - nowMs > 30_000)
    .sort((a, b) => b.expiresAt - a.expiresAt)
    .slice(0, 16)
    .map((t) => ({ gateway: t.gateway, tunnelId: t.gatewayTunnelId, endDate: Math.floor(t.expiresAt / 1000) }));
  if (leases.length === 0) return undefined;
  const published = Math.max(nowS, lastPublished + 1);
  const lastEnd = Math.max(...leases.map((l) => l.endDate));
  const expires = Math.max(1, Math.min(MAX_EXPIRES_S, lastEnd - published));
  const leaseSet = signLeaseSet2(
    {
      destination: keys.privateKeys.destination,
      published,
      expires,
      flags: 0,
      options: new Map(),
      encryptionKeys: [{ type: CRYPTO_TYPE_X25519, key: keys.encryption.publicKey }],
      leases,
    },
    keys.privateKeys.signingPrivateKey,
  );
  return { leaseSet, bytes: encodeLeaseSet2(leaseSet) };
}

/** The set of leases, to tell whether a new LeaseSet is needed. */
export function leaseFingerprint(inbound: readonly InboundTunnel[], nowMs: number): string {
  return inbound
    .filter((t) => t.expiresAt - nowMs > 30_000)
    .map((t) => `${t.gatewayTunnelId}`)
    .sort()
    .join(',');
}
