import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { elligator2Encode, x25519Generate, x25519PublicKey } from '../../../src/router/crypto/index.js';
import { decodePayload, encodePayload, type PayloadBlock } from '../../../src/router/garlic/index.js';
import {
  dhInitialize,
  encryptNewSession,
  nsrTagSetKeys,
  RatchetEngine,
  ReceiveTagSet,
  SendTagSet,
  TagRegistry,
  xdhTagSetKey,
  type EncodableKeyPair,
} from '../../../src/router/garlic/ratchet/index.js';
import { ManualClock, SeededRandom } from '../../../src/router/runtime/index.js';
import {
  DECODE_ELG2,
  DECRYPT,
  DH,
  DH_INITIALIZE,
  HKDF,
  refEs,
  refNewSession,
  refNsrTags,
  refOneTime,
  refOpenNsr,
} from './ratchet-reference.js';

const NOW = 1_750_000_000_000;
const u8 = (n: number) => new Uint8Array(randomBytes(n));

const clove = (id: number, size = 30): PayloadBlock => ({
  type: 'clove',
  clove: {
    delivery: { type: 'local' },
    message: { type: 20, msgId: id, expiration: Math.floor(NOW / 1000 + 60) * 1000, payload: new Uint8Array(size).fill(id & 0xff) },
  },
});

function encodableKey(): EncodableKeyPair {
  for (;;) {
    const privateKey = u8(32);
    const publicKey = x25519PublicKey(privateKey);
    const representative = elligator2Encode(publicKey);
    if (representative) return { privateKey, publicKey, representative };
  }
}

describe('ratchet KDFs against an independent reading of ecies.rst (@noble)', () => {
  it('DH_INITIALIZE, session tag and symmetric key ratchets match for 40 entries', () => {
    const root = u8(32);
    const k = u8(32);
    const ref = DH_INITIALIZE(root, k, 40);
    const keys = dhInitialize(root, k);
    expect(keys.nextRootKey).toEqual(ref.nextRootKey);
    const send = new SendTagSet(0, keys);
    for (let i = 0; i < 40; i++) {
      const e = send.next();
      expect(e.index).toBe(i);
      expect(e.tag).toEqual(ref.entries[i].tag);
      expect(e.key).toEqual(ref.entries[i].key);
    }
  });

  it('the DH ratchet tag set key: HKDF(sharedSecret, ZEROLEN, "XDHRatchetTagSet", 32)', () => {
    const a = x25519Generate();
    const b = x25519Generate();
    const shared = DH(a.privateKey, b.publicKey);
    const root = u8(32);
    const ref = DH_INITIALIZE(root, HKDF(shared, new Uint8Array(0), 'XDHRatchetTagSet', 32), 3);
    const ours = new SendTagSet(1, dhInitialize(root, xdhTagSetKey(shared)));
    for (let i = 0; i < 3; i++) expect(ours.next().tag).toEqual(ref.entries[i].tag);
  });

  it('an engine-built NS (bound and one-time) is byte for byte the reference', () => {
    const alice = x25519Generate();
    const bob = x25519Generate();
    const eph = encodableKey();
    const payload = encodePayload([{ type: 'dateTime', timestamp: NOW / 1000 }, clove(1)]);
    const ours = encryptNewSession({ bobStaticPublicKey: bob.publicKey, alice, ephemeral: eph, payload });
    const ref = refNewSession(bob.publicKey, alice.privateKey, eph.privateKey, eph.representative, payload);
    expect(ours.body).toEqual(ref.body);
    expect(ours.chainKey).toEqual(ref.chainKey);
    expect(ours.hash).toEqual(ref.h);
    const oneTime = encryptNewSession({ bobStaticPublicKey: bob.publicKey, ephemeral: eph, payload });
    expect(oneTime.body).toEqual(refOneTime(bob.publicKey, eph.privateKey, eph.representative, payload));
    // The NSR tag set Alice listens on.
    const reg = new TagRegistry<null>();
    const nsr = new ReceiveTagSet(0, 'nsr', nsrTagSetKeys(ours.chainKey), { min: 12, max: 12 }, reg, null, 0);
    expect(nsr.liveTags).toBe(12);
    const tags = refNsrTags(ref.chainKey, 12);
    for (const t of tags) expect(reg.lookup(new DataView(t.buffer).getBigUint64(0, true))?.set).toBe(nsr);
  });

  it('reference NS → engine; engine NSRs → reference; ES both ways', () => {
    const alice = x25519Generate();
    const bob = x25519Generate();
    const clock = new ManualClock(NOW);
    const engine = new RatchetEngine({ staticPrivateKey: bob.privateKey, staticPublicKey: bob.publicKey, clock, random: new SeededRandom('bob') });
    const eph = encodableKey();
    const nsBlocks: PayloadBlock[] = [{ type: 'dateTime', timestamp: NOW / 1000 }, clove(1)];
    const ns = refNewSession(bob.publicKey, alice.privateKey, eph.privateKey, eph.representative, encodePayload(nsBlocks));

    const opened = engine.decrypt(ns.body);
    expect(opened.kind).toBe('ns');
    expect(opened.remoteStaticKey).toEqual(alice.publicKey);
    expect(opened.blocks).toEqual(decodePayload(encodePayload(nsBlocks)));
    expect(opened.timestamp).toBe(NOW / 1000);

    const aliceRemote = { staticPublicKey: alice.publicKey };
    const nsr1 = engine.seal(aliceRemote, [clove(2)]);
    const nsr2 = engine.seal(aliceRemote, [clove(3)]);
    expect(nsr1.kind).toBe('nsr');
    expect(nsr2.kind).toBe('nsr');
    const nsrTags = refNsrTags(ns.chainKey, 2);
    expect(nsr1.body.subarray(0, 8)).toEqual(nsrTags[0]);
    expect(nsr2.body.subarray(0, 8)).toEqual(nsrTags[1]);
    // A fresh Elligator2 ephemeral key in each NSR (ecies.rst "Notes": new keys for every NSR).
    expect(DECODE_ELG2(nsr1.body.subarray(8, 40))).not.toEqual(DECODE_ELG2(nsr2.body.subarray(8, 40)));
    const r1 = refOpenNsr(ns, alice.privateKey, eph.privateKey, nsr1.body, 4);
    const r2 = refOpenNsr(ns, alice.privateKey, eph.privateKey, nsr2.body, 4);
    expect(decodePayload(r1.payload)).toEqual(decodePayload(encodePayload([clove(2)])));
    expect(decodePayload(r2.payload)).toEqual(decodePayload(encodePayload([clove(3)])));

    // Alice answers on the second NSR's tag set: Bob must keep both until the first ES.
    for (let n = 0; n < 3; n++) {
      const es = refEs(r2.ab.entries[n], n, encodePayload([clove(10 + n)]));
      const got = engine.decrypt(es);
      expect(got.kind).toBe('es');
      expect(got.tagSetId).toBe(0);
      expect(got.n).toBe(n);
      expect(got.blocks).toEqual(decodePayload(encodePayload([clove(10 + n)])));
    }
    // The first NSR's tag set is gone now.
    expect(() => engine.decrypt(refEs(r1.ab.entries[0], 0, encodePayload([clove(9)])))).toThrow();

    for (let n = 0; n < 3; n++) {
      const es = engine.seal(aliceRemote, [clove(20 + n)]);
      expect(es.kind).toBe('es');
      const entry = r2.ba.entries[n];
      expect(es.body.subarray(0, 8)).toEqual(entry.tag);
      const plain = DECRYPT(entry.key, n, es.body.subarray(8), entry.tag);
      expect(decodePayload(plain)).toEqual(decodePayload(encodePayload([clove(20 + n)])));
    }
  });

  it('a reference one-time NS opens with no session', () => {
    const bob = x25519Generate();
    const engine = new RatchetEngine({
      staticPrivateKey: bob.privateKey,
      staticPublicKey: bob.publicKey,
      clock: new ManualClock(NOW),
      random: new SeededRandom('bob'),
    });
    const eph = encodableKey();
    const blocks: PayloadBlock[] = [{ type: 'dateTime', timestamp: NOW / 1000 }, clove(5)];
    const got = engine.decrypt(refOneTime(bob.publicKey, eph.privateKey, eph.representative, encodePayload(blocks)));
    expect(got.kind).toBe('ns');
    expect(got.remoteStaticKey).toBeUndefined();
    expect(got.session).toBeUndefined();
    expect(engine.stats().sessions).toBe(0);
  });
});
