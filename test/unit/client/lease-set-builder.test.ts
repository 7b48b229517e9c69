import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDestinationKeys, destinationHash } from '../../../src/router/client/destination-keys.js';
import { buildLeaseSet2, CRYPTO_TYPE_X25519, leaseFingerprint } from '../../../src/router/client/lease-set-builder.js';
import { x25519PublicKey } from '../../../src/router/crypto/index.js';
import { decodeLeaseSet2, leaseSet2Hash, verifyLeaseSet2 } from '../../../src/router/data/index.js';
import { SeededRandom } from '../../../src/router/runtime/index.js';
import type { InboundTunnel } from '../../../src/router/tunnel/tunnel.js';

const keys = createDestinationKeys(new SeededRandom('lease set builder'));
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0) + 437;

function tunnel(i: number, expiresAt: number, gatewayByte = i): InboundTunnel {
  return {
    direction: 'inbound',
    id: 1000 + i,
    hops: [],
    createdAt: expiresAt - 600_000,
    expiresAt,
    pool: 'client:test',
    testFailures: 0,
    messages: 0,
    bytes: 0,
    gateway: new Uint8Array(32).fill(gatewayByte & 0xff),
    gatewayTunnelId: 50_000 + i,
  };
}

/** What the builder must offer: tunnels with more than 30 s left, newest first, at most 16. */
function expectedLeases(inbound: readonly InboundTunnel[], now: number): InboundTunnel[] {
  return inbound
    .filter((t) => t.expiresAt - now > 30_000)
    .sort((a, b) => b.expiresAt - a.expiresAt)
    .slice(0, 16);
}

/** Tunnels expiring from 90 s in the past to 11 min ahead, some exactly at the 30 s limit. */
const arbTunnels = fc
  .array(fc.oneof(fc.integer({ min: -90_000, max: 660_000 }), fc.constantFrom(29_999, 30_000, 30_001)), { minLength: 0, maxLength: 24 })
  .map((offsets) => offsets.map((o, i) => tunnel(i, NOW + o)));

describe('buildLeaseSet2', () => {
  it('offers the live inbound tunnels (> 30 s left, newest first, at most 16), signed, with the X25519 key (type 4)', () => {
    fc.assert(
      fc.property(arbTunnels, fc.integer({ min: 0, max: 2_000 }), fc.integer({ min: -5, max: 5 }), (inbound, dt, lastDelta) => {
        const now = NOW + dt;
        const lastPublished = lastDelta === -5 ? 0 : Math.floor(now / 1000) + lastDelta;
        const built = buildLeaseSet2(keys, inbound, now, lastPublished);
        const want = expectedLeases(inbound, now);
        if (want.length === 0) {
          expect(built).toBeUndefined();
          expect(leaseFingerprint(inbound, now)).toBe('');
          return;
        }
        expect(built).toBeDefined();
        const { leaseSet, bytes } = built!;
        expect(leaseSet.leases.map((l) => l.tunnelId)).toEqual(want.map((t) => t.gatewayTunnelId));
        expect(leaseSet.leases.map((l) => l.gateway)).toEqual(want.map((t) => t.gateway));
        expect(leaseSet.leases.map((l) => l.endDate)).toEqual(want.map((t) => Math.floor(t.expiresAt / 1000)));
        for (let i = 1; i < leaseSet.leases.length; i++) expect(leaseSet.leases[i].endDate).toBeLessThanOrEqual(leaseSet.leases[i - 1].endDate);
        expect(leaseSet.published).toBeGreaterThan(lastPublished);
        expect(leaseSet.published).toBeGreaterThanOrEqual(Math.floor(now / 1000));
        expect(leaseSet.expires).toBeGreaterThanOrEqual(1);
        expect(leaseSet.expires).toBeLessThanOrEqual(660);
        // The LeaseSet ends no later than its last lease.
        expect(leaseSet.published + leaseSet.expires).toBeLessThanOrEqual(Math.max(leaseSet.published + 1, leaseSet.leases[0].endDate));
        expect(leaseSet.encryptionKeys).toEqual([{ type: CRYPTO_TYPE_X25519, key: keys.encryption.publicKey }]);
        expect(leaseSet.encryptionKeys[0].key).toEqual(x25519PublicKey(keys.encryption.privateKey));
        expect(verifyLeaseSet2(leaseSet, { now })).toBe(true);
        expect(leaseSet2Hash(leaseSet)).toEqual(destinationHash(keys.privateKeys.destination));
        // The bytes are the LeaseSet, and what was signed.
        const decoded = decodeLeaseSet2(bytes);
        expect(decoded).toEqual(leaseSet);
        expect(verifyLeaseSet2(decoded, { now })).toBe(true);
        // The fingerprint names the same tunnels (all live ones, even beyond 16).
        const live = inbound.filter((t) => t.expiresAt - now > 30_000).map((t) => String(t.gatewayTunnelId));
        expect(leaseFingerprint(inbound, now).split(',').sort()).toEqual(live.sort());
      }),
      { numRuns: 60 },
    );
  });

  it('no live inbound tunnel → undefined (none, all expired, or all with 30 s or less left)', () => {
    expect(buildLeaseSet2(keys, [], NOW)).toBeUndefined();
    expect(buildLeaseSet2(keys, [tunnel(1, NOW - 1), tunnel(2, NOW)], NOW)).toBeUndefined();
    expect(buildLeaseSet2(keys, [tunnel(1, NOW + 30_000), tunnel(2, NOW + 10_000)], NOW)).toBeUndefined();
    expect(buildLeaseSet2(keys, [tunnel(1, NOW + 30_001)], NOW)?.leaseSet.leases).toHaveLength(1);
  });

  it('keeps the 16 newest of 20 live tunnels', () => {
    const inbound = Array.from({ length: 20 }, (_, i) => tunnel(i, NOW + 60_000 + i * 20_000));
    const ls = buildLeaseSet2(keys, inbound, NOW)!.leaseSet;
    expect(ls.leases).toHaveLength(16);
    expect(ls.leases.map((l) => l.tunnelId)).toEqual(Array.from({ length: 16 }, (_, k) => 50_000 + 19 - k));
  });

  it('published advances past lastPublished even when built again within the same second', () => {
    const inbound = [tunnel(1, NOW + 600_000)];
    let last = 0;
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      const ls = buildLeaseSet2(keys, inbound, NOW + i * 100, last)!.leaseSet;
      seen.push(ls.published);
      last = ls.published;
    }
    const s = Math.floor(NOW / 1000);
    expect(seen).toEqual([s, s + 1, s + 2, s + 3, s + 4]);
    // A clock that went back does not make it go back either.
    expect(buildLeaseSet2(keys, inbound, NOW - 60_000, last)!.leaseSet.published).toBe(last + 1);
  });

  it('expires is at most 660 s even when the leases last longer, and at least 1 s', () => {
    const far = buildLeaseSet2(keys, [tunnel(1, NOW + 3_600_000)], NOW)!.leaseSet;
    expect(far.expires).toBe(660);
    const near = buildLeaseSet2(keys, [tunnel(1, NOW + 45_000)], NOW)!.leaseSet;
    expect(near.published + near.expires).toBe(Math.floor((NOW + 45_000) / 1000));
    expect(near.expires).toBeGreaterThanOrEqual(1);
  });

  it('a LeaseSet with a lease or a field changed after signing no longer verifies', () => {
    const { leaseSet } = buildLeaseSet2(keys, [tunnel(1, NOW + 600_000), tunnel(2, NOW + 500_000)], NOW)!;
    expect(verifyLeaseSet2({ ...leaseSet, published: leaseSet.published + 1 }, { now: NOW })).toBe(false);
    expect(verifyLeaseSet2({ ...leaseSet, leases: leaseSet.leases.slice(1) }, { now: NOW })).toBe(false);
    const other = createDestinationKeys(new SeededRandom('other'));
    expect(verifyLeaseSet2({ ...leaseSet, encryptionKeys: [{ type: 4, key: other.encryption.publicKey }] }, { now: NOW })).toBe(false);
  });

  it('the fingerprint changes when the set of live tunnels does, and not with their order', () => {
    const a = tunnel(1, NOW + 600_000);
    const b = tunnel(2, NOW + 500_000);
    expect(leaseFingerprint([a, b], NOW)).toBe(leaseFingerprint([b, a], NOW));
    expect(leaseFingerprint([a, b], NOW)).not.toBe(leaseFingerprint([a], NOW));
    // b drops out once it has 30 s or less left.
    expect(leaseFingerprint([a, b], NOW + 470_000)).toBe(leaseFingerprint([a], NOW));
  });
});
