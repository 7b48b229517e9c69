import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeRouterInfo, i2pBase64Encode, routerInfoCaps, routerInfoHash } from '../../../src/router/data/index.js';
import { PeerProfiles } from '../../../src/router/peers/profiles.js';
import { PeerSelector, subnetKey, type HopCandidate, type PeerSelectorOptions } from '../../../src/router/peers/selection.js';
import { ManualClock, seededRandom } from '../../../src/router/runtime/index.js';
import { MemoryVolume, openMemoryStorage, ROUTER_SCHEMA_VERSION, type Storage } from '../../../src/state/index.js';
import { fixture, ROUTER_INFO_FILES } from '../data/fixtures.js';
import { elGamalHop, hop, NOW } from './helpers.js';

const b64 = i2pBase64Encode;
const none = new Set<string>();

const open: Storage[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

async function setup(o: Partial<PeerSelectorOptions> = {}, seed = 'sel') {
  const clock = new ManualClock(NOW);
  const storage = await openMemoryStorage({ schema: ROUTER_SCHEMA_VERSION, volume: new MemoryVolume() });
  open.push(storage);
  const profiles = new PeerProfiles({ storage, clock });
  const selector = new PeerSelector({ profiles, random: seededRandom(seed), publicMode: false, ...o });
  return { clock, profiles, selector };
}

const keys = (hashes: Uint8Array[]): string[] => hashes.map(b64).sort();
const keyOf = (c: HopCandidate): string => b64(c.hash);

/** Routers on distinct public /16s, i2pd-style (caps X, 0.9.57). */
function spread(from: number, n: number): HopCandidate[] {
  return Array.from({ length: n }, (_, i) => hop({ key: from + i, hosts: [`10.${from + i}.0.1`] }));
}

describe('PeerSelector: eligibility', () => {
  it('selects the i2pd 2.45.1 RouterInfos (caps X/Xf without R, version 0.9.57) in test mode', async () => {
    const { selector } = await setup();
    const i2pd = ROUTER_INFO_FILES.map((name) => {
      const routerInfo = decodeRouterInfo(fixture(name));
      return { hash: routerInfoHash(routerInfo), routerInfo };
    });
    expect(i2pd.every((c) => /^Xf?$/.test(routerInfoCaps(c.routerInfo)))).toBe(true);
    expect(i2pd.map((c) => selector.ineligible(c))).toEqual([undefined, undefined, undefined]);
    expect(keys(selector.selectHops(i2pd, 3, { exclude: none }))).toEqual(keys(i2pd.map((c) => c.hash)));
  });

  it('needs X25519, router.version >= 0.9.51 compared numerically, and a reachable NTCP2 address', async () => {
    const { selector } = await setup();
    expect(selector.ineligible(hop({ key: 0, version: '0.9.50' }))).toBe('version');
    expect(selector.ineligible(hop({ key: 0, version: '0.9.51' }))).toBeUndefined();
    expect(selector.ineligible(hop({ key: 0, version: '0.9.100' }))).toBeUndefined(); // not a string compare
    expect(selector.ineligible(hop({ key: 0, version: '1.0' }))).toBeUndefined();
    expect(selector.ineligible(hop({ key: 0, version: null }))).toBe('version');
    expect(selector.ineligible(hop({ key: 0, version: 'banana' }))).toBe('version');
    expect(selector.ineligible(elGamalHop('10.9.0.1'))).toBe('crypto');
    expect(selector.ineligible(hop({ key: 0, hosts: [] }))).toBe('unreachable');
    expect(selector.ineligible(hop({ key: 0, hosts: ['not-an-ip.example'] }))).toBe('unreachable');
    expect(selector.ineligible(hop({ key: 0, caps: 'XU' }))).toBe('caps');
    expect(selector.ineligible(hop({ key: 0, caps: 'XRG' }))).toBe('congested');
    expect(selector.ineligible(hop({ key: 0, caps: 'LR' }))).toBeUndefined(); // bandwidth class ignored in test mode
  });

  it('an unpublished router is usable while we are connected to it', async () => {
    const unpublished = hop({ key: 1, hosts: [] });
    const { selector } = await setup({ isConnected: (h) => b64(h) === keyOf(unpublished) });
    expect(selector.ineligible(unpublished)).toBeUndefined();
    expect(selector.selectHops([unpublished, hop({ key: 2, hosts: [] })], 2, { exclude: none })).toEqual([unpublished.hash]);
  });

  it('never returns our own router, an excluded one, or the same router twice', async () => {
    const all = spread(0, 5);
    const { selector } = await setup({ ownHash: all[0].hash });
    const exclude = new Set([keyOf(all[1])]);
    const picked = selector.selectHops([...all, ...all], 10, { exclude });
    expect(keys(picked)).toEqual(keys([all[2].hash, all[3].hash, all[4].hash]));
  });

  it('in public mode, refuses bandwidth classes K and L', async () => {
    const { selector } = await setup({ publicMode: true });
    expect(selector.ineligible(hop({ key: 0, caps: 'LR', hosts: ['10.0.0.1'] }))).toBe('caps');
    expect(selector.ineligible(hop({ key: 0, caps: 'K', hosts: ['10.0.0.1'] }))).toBe('caps');
    expect(selector.ineligible(hop({ key: 0, caps: 'Xf', hosts: ['10.0.0.1'] }))).toBeUndefined();
    expect(selector.ineligible(hop({ key: 0, caps: 'NR', hosts: ['10.0.0.1'] }))).toBeUndefined();
  });
});

describe('PeerSelector: one hop per network in public mode', () => {
  it('maps hosts to their /16 or /32', () => {
    expect(subnetKey('10.1.200.3')).toBe('4:10.1');
    expect(subnetKey('2001:db8::1')).toBe('6:2001:db8');
    expect(subnetKey('2001:0DB8:ffff::2')).toBe('6:2001:db8');
    expect(subnetKey('[2001:db9::1]')).toBe('6:2001:db9');
    expect(subnetKey('::ffff:10.1.0.9')).toBe('4:10.1');
    expect(subnetKey('::')).toBe('6:0:0');
    expect(subnetKey('fe80:1:2:3:4:5:6:7')).toBe('6:fe80:1');
    expect(subnetKey('example.org')).toBeUndefined();
  });

  it('never puts two hops from one /16 (IPv4) or /32 (IPv6) in a tunnel; test mode allows it', async () => {
    const peers = [
      hop({ key: 0, hosts: ['10.1.0.1'] }),
      hop({ key: 1, hosts: ['10.1.77.2'] }),
      hop({ key: 2, hosts: ['10.2.0.1'] }),
      hop({ key: 3, hosts: ['2001:db8::1'] }),
      hop({ key: 4, hosts: ['2001:db8:ffff::2'] }),
      hop({ key: 5, hosts: ['2001:db9::1'] }),
      hop({ key: 6, hosts: ['::ffff:10.2.3.4'] }),
      hop({ key: 7, hosts: ['10.3.0.1', '2001:db9::7'] }), // shares 2001:db9::/32 with key 5
    ];
    const sameNet = [[0, 1], [2, 6], [3, 4], [5, 7]].map((g) => g.map((i) => keyOf(peers[i])));
    for (const seed of ['a', 'b', 'c', 'd', 'e', 'f']) {
      const { selector } = await setup({ publicMode: true }, seed);
      const picked = selector.selectHops(peers, 8, { exclude: none }).map(b64);
      expect(picked).toHaveLength(4); // one per group: that is every eligible network
      for (const group of sameNet) expect(picked.filter((k) => group.includes(k))).toHaveLength(1);
    }
    const { selector } = await setup({ publicMode: false });
    expect(selector.selectHops(peers, 8, { exclude: none })).toHaveLength(8);
  });

  it('the i2pd test routers share 198.18/16: one of them per tunnel in public mode', async () => {
    const { selector } = await setup({ publicMode: true });
    const i2pd = ROUTER_INFO_FILES.map((name) => {
      const routerInfo = decodeRouterInfo(fixture(name));
      return { hash: routerInfoHash(routerInfo), routerInfo };
    });
    expect(selector.selectHops(i2pd, 3, { exclude: none })).toHaveLength(1);
  });
});

describe('PeerSelector: tiers and profiles', () => {
  it('sorts peers into fast (measured speed), high capacity (build record) and standard', async () => {
    const peers = spread(0, 8);
    const { profiles, selector } = await setup({ tierSize: 2 });
    profiles.tunnelTest(peers[0].hash, true, 50);
    profiles.tunnelTest(peers[1].hash, true, 100);
    profiles.tunnelTest(peers[2].hash, true, 900); // measured, but beyond the fast tier's size
    for (let i = 0; i < 4; i++) profiles.buildAccepted(peers[3].hash);
    for (let i = 0; i < 2; i++) profiles.buildAccepted(peers[4].hash);
    profiles.buildAccepted(peers[5].hash);
    const tiers = selector.tierOf(peers);
    const at = (i: number) => tiers.get(keyOf(peers[i]));
    expect([0, 1, 2, 3, 4, 5, 6, 7].map(at)).toEqual([
      'fast',
      'fast',
      'standard',
      'high-capacity',
      'high-capacity',
      'standard',
      'standard',
      'standard',
    ]);
  });

  it('takes hops from the requested tier, at random within it', async () => {
    const peers = spread(0, 10);
    const fast = new Set([0, 1, 2].map((i) => keyOf(peers[i])));
    const { profiles, selector } = await setup({ tierSize: 3 });
    for (const i of [0, 1, 2]) profiles.tunnelTest(peers[i].hash, true, 100 + i);
    const chosen = new Set<string>();
    for (let n = 0; n < 30; n++) {
      const picked = selector.selectHops(peers, 2, { exclude: none, tier: 'fast' }).map(b64);
      expect(picked).toHaveLength(2);
      expect(picked.every((k) => fast.has(k))).toBe(true);
      picked.forEach((k) => chosen.add(k));
    }
    expect(chosen).toEqual(fast); // every fast peer gets used, not just the fastest two

    const standard = selector.selectHops(peers, 3, { exclude: none, tier: 'standard' }).map(b64);
    expect(standard.some((k) => fast.has(k))).toBe(false);
  });

  it('falls back to the next tiers when the requested one is too small', async () => {
    const peers = spread(0, 8);
    const { profiles, selector } = await setup({ tierSize: 2 });
    profiles.tunnelTest(peers[0].hash, true, 50);
    profiles.tunnelTest(peers[1].hash, true, 60);
    for (const i of [2, 3]) profiles.buildAccepted(peers[i].hash);
    const picked = selector.selectHops(peers, 5, { exclude: none, tier: 'fast' }).map(b64);
    expect(picked).toHaveLength(5);
    // fast first, then high capacity, then one from standard
    expect(new Set(picked.slice(0, 2))).toEqual(new Set([0, 1].map((i) => keyOf(peers[i]))));
    expect(new Set(picked.slice(2, 4))).toEqual(new Set([2, 3].map((i) => keyOf(peers[i]))));
    expect([4, 5, 6, 7].map((i) => keyOf(peers[i]))).toContain(picked[4]);

    const hc = selector.selectHops(peers, 3, { exclude: none, tier: 'high-capacity' }).map(b64);
    expect(new Set(hc.slice(0, 2))).toEqual(new Set([2, 3].map((i) => keyOf(peers[i]))));
    expect([0, 1].map((i) => keyOf(peers[i]))).toContain(hc[2]);
  });

  it('avoids failing peers unless nothing else is left', async () => {
    const peers = spread(0, 4);
    for (const seed of ['1', '2', '3', '4', '5']) {
      const { profiles, selector } = await setup({}, seed);
      for (let i = 0; i < 3; i++) profiles.buildTimedOut(peers[0].hash);
      expect(profiles.isFailing(peers[0].hash)).toBe(true);
      const three = selector.selectHops(peers, 3, { exclude: none }).map(b64);
      expect(three).not.toContain(keyOf(peers[0]));
      const four = selector.selectHops(peers, 4, { exclude: none }).map(b64);
      expect(four[3]).toBe(keyOf(peers[0])); // the last resort, after every healthy peer
    }
  });

  it('treats a fresh E (high congestion) cap as a last resort, a stale one as usable', async () => {
    const clock = new ManualClock(NOW);
    const congested = hop({ key: 0, caps: 'XRE', hosts: ['10.0.0.1'], published: NOW - 60_000 });
    const stale = hop({ key: 1, caps: 'XRE', hosts: ['10.1.0.1'], published: NOW - 20 * 60_000 });
    const plain = hop({ key: 2, hosts: ['10.2.0.1'] });
    const { selector } = await setup({ now: () => clock.now() });
    for (let n = 0; n < 10; n++) {
      const two = selector.selectHops([congested, stale, plain], 2, { exclude: none }).map(b64);
      expect(new Set(two)).toEqual(new Set([keyOf(stale), keyOf(plain)]));
    }
    expect(selector.selectHops([congested], 1, { exclude: none })).toEqual([congested.hash]);
  });

  it('returns fewer than asked only when there are no more eligible peers', async () => {
    const { selector } = await setup();
    const peers = [...spread(0, 2), hop({ key: 2, version: '0.9.40' }), hop({ key: 3, hosts: [] })];
    expect(selector.selectHops(peers, 3, { exclude: none })).toHaveLength(2);
    expect(selector.selectHops(peers, 0, { exclude: none })).toEqual([]);
    expect(selector.selectHops([], 3, { exclude: none })).toEqual([]);
  });
});

describe('subnetKey (property and fuzz)', () => {
  it('an IPv4 address maps to its first two octets', () => {
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        const [a, b] = ip.split('.').map(Number);
        expect(subnetKey(ip)).toBe(`4:${a}.${b}`);
        expect(subnetKey(`::ffff:${ip}`)).toBe(`4:${a}.${b}`);
      }),
    );
  });

  it('every spelling of an IPv6 address maps to the same /32 as its expanded form', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }), (groups) => {
        const full = groups.map((g) => g.toString(16).padStart(4, '0')).join(':');
        const canonical = new URL(`http://[${full}]/`).hostname; // Node's compressed form, in brackets
        const expected = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff ? `4:${groups[6] >> 8}.${groups[6] & 0xff}` : `6:${groups[0].toString(16)}:${groups[1].toString(16)}`;
        expect(subnetKey(full)).toBe(expected);
        expect(subnetKey(canonical)).toBe(expected);
      }),
    );
  });

  it('any string gives a key or undefined, never an exception', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.ipV6(), fc.ipV4Extended()), (s) => {
        const k = subnetKey(s);
        expect(k === undefined || /^(4:\d+\.\d+|6:[0-9a-f]+:[0-9a-f]+)$/.test(k)).toBe(true);
      }),
    );
  });
});
