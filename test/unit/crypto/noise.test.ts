import { describe, expect, it } from 'vitest';
import {
  CipherState,
  CryptoError,
  hkdf,
  noiseHkdf2,
  sha256,
  SymmetricState,
  x25519,
  x25519Generate,
} from '../../../src/router/crypto/index.js';
import { toHex } from './helpers.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('SymmetricState initialisation (Noise rules as the I2P specs use them)', () => {
  it('pads a name of at most 32 bytes (tunnel-creation-ecies: Noise_N, 31 bytes)', () => {
    const name = 'Noise_N_25519_ChaChaPoly_SHA256';
    const padded = new Uint8Array(32);
    padded.set(enc(name));
    const s = SymmetricState.initialize(name, null);
    expect(s.chainingKey).toEqual(padded);
    expect(s.handshakeHash).toEqual(padded);
    // MixHash(null prologue): h = SHA256(h)
    expect(SymmetricState.initialize(name).handshakeHash).toEqual(sha256(padded));
    expect(SymmetricState.initialize(name).chainingKey).toEqual(padded);
  });

  it('hashes a longer name (NTCP2, ECIES)', () => {
    for (const name of ['Noise_XKaesobfse+hs2+hs3_25519_ChaChaPoly_SHA256', 'Noise_IKelg2+hs2_25519_ChaChaPoly_SHA256']) {
      const h = sha256(enc(name));
      const s = SymmetricState.initialize(name);
      expect(s.chainingKey).toEqual(h);
      expect(s.handshakeHash).toEqual(sha256(h));
      expect(s.hasKey()).toBe(false);
    }
  });

  it('MixKey is HKDF(ck, ikm, "", 64) split in two', () => {
    const s = SymmetricState.initialize('Noise_N_25519_ChaChaPoly_SHA256');
    const ck = s.chainingKey;
    const ikm = new Uint8Array(32).fill(7);
    s.mixKey(ikm);
    const out = hkdf(ck, ikm, '', 64);
    expect(s.chainingKey).toEqual(out.subarray(0, 32));
    expect(s.key).toEqual(out.subarray(32));
    expect(noiseHkdf2(ck, ikm)).toEqual([out.subarray(0, 32), out.subarray(32)]);
  });

  it('without a key, EncryptAndHash passes the plaintext through and still hashes it', () => {
    const s = SymmetricState.initialize('Noise_N_25519_ChaChaPoly_SHA256');
    const h = s.handshakeHash;
    const pt = Uint8Array.of(1, 2, 3);
    expect(s.encryptAndHash(pt)).toEqual(pt);
    expect(s.handshakeHash).toEqual(sha256(h, pt));
  });
});

/** Noise XK (NTCP2's pattern, without its AES obfuscation) run by both sides over the state. */
function simulateXk(tamper?: (msg: Uint8Array) => void) {
  const name = 'Noise_XKaesobfse+hs2+hs3_25519_ChaChaPoly_SHA256';
  const rs = x25519Generate(); // responder static, known in advance
  const is = x25519Generate();
  const ie = x25519Generate();
  const re = x25519Generate();
  const alice = SymmetricState.initialize(name);
  const bob = SymmetricState.initialize(name);
  alice.mixHash(rs.publicKey);
  bob.mixHash(rs.publicKey);

  // -> e, es
  alice.mixHash(ie.publicKey);
  alice.mixKey(x25519(ie.privateKey, rs.publicKey));
  const m1 = alice.encryptAndHash(enc('options'));
  tamper?.(m1);
  bob.mixHash(ie.publicKey);
  bob.mixKey(x25519(rs.privateKey, ie.publicKey));
  expect(new TextDecoder().decode(bob.decryptAndHash(m1))).toBe('options');

  // <- e, ee
  bob.mixHash(re.publicKey);
  bob.mixKey(x25519(re.privateKey, ie.publicKey));
  const m2 = bob.encryptAndHash(enc('reply'));
  alice.mixHash(re.publicKey);
  alice.mixKey(x25519(ie.privateKey, re.publicKey));
  expect(new TextDecoder().decode(alice.decryptAndHash(m2))).toBe('reply');

  // -> s, se
  const m3a = alice.encryptAndHash(is.publicKey);
  alice.mixKey(x25519(is.privateKey, re.publicKey));
  const m3b = alice.encryptAndHash(enc('router info'));
  const aliceStatic = bob.decryptAndHash(m3a);
  expect(aliceStatic).toEqual(is.publicKey);
  bob.mixKey(x25519(re.privateKey, aliceStatic));
  expect(new TextDecoder().decode(bob.decryptAndHash(m3b))).toBe('router info');
  return { alice, bob };
}

describe('Noise handshake simulation', () => {
  it('initiator and responder derive the same h, ck and split keys', () => {
    const { alice, bob } = simulateXk();
    expect(alice.handshakeHash).toEqual(bob.handshakeHash);
    expect(alice.chainingKey).toEqual(bob.chainingKey);
    expect(alice.splitTempKey()).toEqual(bob.splitTempKey());
    const [aSend, aRecv] = alice.split();
    const [bRecv, bSend] = bob.split();
    expect(aSend.key).toEqual(bRecv.key);
    expect(aRecv.key).toEqual(bSend.key);
    expect(toHex(aSend.key!)).not.toBe(toHex(aRecv.key!));
    for (let i = 0; i < 5; i++) {
      const frame = aSend.encryptWithAd(new Uint8Array(0), enc(`frame ${i}`));
      expect(new TextDecoder().decode(bRecv.decryptWithAd(new Uint8Array(0), frame))).toBe(`frame ${i}`);
      const back = bSend.encryptWithAd(new Uint8Array(0), enc(`back ${i}`));
      expect(new TextDecoder().decode(aRecv.decryptWithAd(new Uint8Array(0), back))).toBe(`back ${i}`);
    }
    expect(aSend.nonce).toBe(5n);
    expect(bRecv.nonce).toBe(5n);
  });

  it('a tampered handshake message fails with AUTH_FAILED', () => {
    expect(() => simulateXk((m) => (m[0] ^= 1))).toThrow(expect.objectContaining({ code: 'AUTH_FAILED' }));
  });

  it('a tampered or replayed data frame fails and does not advance the nonce', () => {
    const { alice, bob } = simulateXk();
    const [aSend] = alice.split();
    const [bRecv] = bob.split();
    const f1 = aSend.encryptWithAd(new Uint8Array(0), enc('one'));
    const bad = f1.slice();
    bad[bad.length - 1] ^= 0x80;
    expect(() => bRecv.decryptWithAd(new Uint8Array(0), bad)).toThrow(CryptoError);
    expect(bRecv.nonce).toBe(0n);
    bRecv.decryptWithAd(new Uint8Array(0), f1);
    expect(() => bRecv.decryptWithAd(new Uint8Array(0), f1)).toThrow(CryptoError);
  });

  it('decryptAndHash failure leaves h unchanged; clone() is independent', () => {
    const s = SymmetricState.initialize('Noise_N_25519_ChaChaPoly_SHA256');
    s.mixKey(new Uint8Array(32).fill(1));
    const copy = s.clone();
    const ct = s.encryptAndHash(enc('x'));
    const h = copy.handshakeHash;
    const t = ct.slice();
    t[0] ^= 1;
    expect(() => copy.decryptAndHash(t)).toThrow(CryptoError);
    expect(copy.handshakeHash).toEqual(h);
    expect(copy.decryptAndHash(ct)).toEqual(enc('x'));
    expect(copy.handshakeHash).toEqual(s.handshakeHash);
  });

  it('fromState and CipherState checks', () => {
    expect(() => SymmetricState.fromState(new Uint8Array(31), new Uint8Array(32))).toThrow(CryptoError);
    const c = new CipherState();
    expect(c.hasKey()).toBe(false);
    expect(c.encryptWithAd(new Uint8Array(0), Uint8Array.of(5))).toEqual(Uint8Array.of(5));
    const k = new CipherState(new Uint8Array(32));
    k.setNonce(41);
    k.encryptWithAd(new Uint8Array(0), Uint8Array.of(5));
    expect(k.nonce).toBe(42n);
    expect(() => k.setNonce(2n ** 64n - 1n)).toThrow(CryptoError);
  });
});
