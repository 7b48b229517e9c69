import { describe, expect, it } from 'vitest';
import { ed25519Generate, x25519Generate } from '../../../src/router/crypto/index.js';
import { createDestination, encodeLeaseSet2, keysAndCertHash, signLeaseSet2, type LeaseSet2Fields } from '../../../src/router/data/index.js';
import { LeaseSetStore } from '../../../src/router/netdb/lease-set-store.js';

const NOW = 1_800_000_000_000;

function leaseSet(published: number, signing = ed25519Generate(), destination = createDestination(signing.publicKey)) {
  const fields: LeaseSet2Fields = {
    destination,
    published,
    expires: 600,
    flags: 0,
    options: new Map(),
    encryptionKeys: [{ type: 4, key: x25519Generate().publicKey }],
    leases: [{ gateway: new Uint8Array(32).fill(1), tunnelId: 42, endDate: published + 600 }],
  };
  const bytes = encodeLeaseSet2(signLeaseSet2(fields, signing.privateKey));
  return { bytes, hash: keysAndCertHash(destination), signing, destination };
}

describe('LeaseSetStore', () => {
  it('keeps a valid LeaseSet2 under its destination hash and hands back the same bytes', () => {
    const store = new LeaseSetStore();
    const ls = leaseSet(NOW / 1000 - 10);
    expect(store.store(ls.hash, ls.bytes, NOW)).toEqual({ accepted: true });
    expect(Buffer.from(store.get(ls.hash, NOW)!.bytes).equals(Buffer.from(ls.bytes))).toBe(true);
    expect(store.store(ls.hash, ls.bytes, NOW)).toEqual({ accepted: false, reason: 'duplicate' });
  });

  it('refuses a wrong key, a bad signature, an expired or far-future one, an older one, and garbage', () => {
    const store = new LeaseSetStore();
    const ls = leaseSet(NOW / 1000 - 10);
    expect(store.store(new Uint8Array(32), ls.bytes, NOW).reason).toBe('hash-mismatch');
    const tampered = ls.bytes.slice();
    tampered[tampered.length - 70] ^= 1;
    expect(store.store(ls.hash, tampered, NOW).reason).toMatch(/bad-signature|undecodable/);
    const old = leaseSet(NOW / 1000 - 700);
    expect(store.store(old.hash, old.bytes, NOW).reason).toBe('expired');
    const future = leaseSet(NOW / 1000 + 600);
    expect(store.store(future.hash, future.bytes, NOW).reason).toBe('future');
    expect(store.store(ls.hash, new Uint8Array([1, 2, 3]), NOW).reason).toBe('undecodable');
    expect(store.store(ls.hash, ls.bytes, NOW).accepted).toBe(true);
    const newer = leaseSet(NOW / 1000 - 5, ls.signing, ls.destination);
    expect(newer.hash).toEqual(ls.hash);
    expect(store.store(newer.hash, newer.bytes, NOW).accepted).toBe(true);
    expect(store.store(ls.hash, ls.bytes, NOW).reason).toBe('older');
  });

  it('forgets a LeaseSet once it expires, and is bounded', () => {
    const store = new LeaseSetStore({ maxEntries: 2 });
    const a = leaseSet(NOW / 1000 - 10);
    const b = leaseSet(NOW / 1000 - 10);
    const c = leaseSet(NOW / 1000 - 10);
    expect(store.store(a.hash, a.bytes, NOW).accepted).toBe(true);
    expect(store.store(b.hash, b.bytes, NOW).accepted).toBe(true);
    expect(store.store(c.hash, c.bytes, NOW).reason).toBe('full');
    expect(store.all(NOW).map((e) => e.key).sort()).toEqual([a, b].map((x) => store.get(x.hash, NOW)!.key).sort());
    expect(store.get(a.hash, NOW + 591_000)).toBeUndefined();
    expect(store.count).toBe(1);
    expect(store.store(c.hash, c.bytes, NOW + 1_000).accepted).toBe(true);
    // Past every end: nothing listed, and nothing left.
    expect(store.all(NOW + 600_000)).toEqual([]);
    expect(store.count).toBe(0);
  });
});
