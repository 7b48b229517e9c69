import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  aes256CbcDecrypt,
  aes256CbcEncrypt,
  chacha20Poly1305Decrypt,
  chacha20Poly1305Encrypt,
  hmacSha256,
  sha256,
  siphash24,
  x25519,
  x25519PublicKey,
} from '../../../src/router/crypto/index.js';
import { dateTimeBlock, initialHandshakeState, NTCP2_PROTOCOL_NAME, Ntcp2DataPhase } from '../../../src/router/transport/ntcp2/index.js';
import { makePair, NET_ID } from './helpers.js';

/*
 * Alice written a second time, line by line from the ntcp2.rst KDF text with raw primitives
 * (no SymmetricState, no SipHashLengthMask), talking to our Responder. If what goes into h,
 * the AD of each AEAD, the nonces, the AES chaining or the data-phase KDF differed from the
 * spec text, this would fail.
 */
const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const nonce = (n: number): Uint8Array => {
  const b = new Uint8Array(12);
  new DataView(b.buffer).setUint32(4, n, true);
  return b;
};
/** MixKey: temp_key = HMAC(ck, ikm); ck = HMAC(temp_key, 0x01); k = HMAC(temp_key, ck || 0x02). */
function mixKey(ck: Uint8Array, ikm: Uint8Array): [Uint8Array, Uint8Array] {
  const temp = hmacSha256(ck, ikm);
  const ck2 = hmacSha256(temp, Uint8Array.of(1));
  return [ck2, hmacSha256(temp, ck2, Uint8Array.of(2))];
}

describe('NTCP2 against the spec text', () => {
  it('starts from the protocol-name hashes i2pd hard-codes', () => {
    // i2pd Crypto.cpp InitNoiseXKState: SHA256(name) and SHA256(SHA256(name)).
    expect(sha256(enc(NTCP2_PROTOCOL_NAME))).toEqual(hex('72e842c545e18080d39c4493bb91d7edf228981771218c1f624e206f28d32f71'));
    const rs = new Uint8Array(32).fill(5);
    const hh = hex('49ff483fc404b9b26b11943672ff05b561270331ba89b8fc3315938757dd3d1e');
    expect(initialHandshakeState(rs).handshakeHash).toEqual(sha256(hh, rs));
    expect(initialHandshakeState(rs).chainingKey).toEqual(sha256(enc(NTCP2_PROTOCOL_NAME)));
  });

  it('a literal Alice completes a handshake and a data frame with our Responder', () => {
    const p = makePair('literal');
    const bob = p.responder();
    const ePriv = new Uint8Array(32).fill(0x21);
    const X = x25519PublicKey(ePriv);
    const ri = p.alice.routerInfo(p.aliceClock.now());
    const payload3 = new Uint8Array(4 + ri.length);
    payload3[0] = 2;
    new DataView(payload3.buffer).setUint16(1, ri.length + 1);
    payload3[3] = 0;
    payload3.set(ri, 4);
    const m3p2len = payload3.length + 16;

    // KDF for message 1
    let h = sha256(enc(NTCP2_PROTOCOL_NAME));
    let ck = h;
    h = sha256(h); // null prologue
    h = sha256(h, p.bob.ntcp2.publicKey);
    h = sha256(h, X);
    let k: Uint8Array;
    [ck, k] = mixKey(ck, x25519(ePriv, p.bob.ntcp2.publicKey));
    const padding1 = new Uint8Array(13).fill(0xaa);
    const options1 = new Uint8Array(16);
    const dv1 = new DataView(options1.buffer);
    options1[0] = NET_ID;
    options1[1] = 2;
    dv1.setUint16(2, padding1.length);
    dv1.setUint16(4, m3p2len);
    dv1.setUint32(8, Math.round(p.aliceClock.now() / 1000));
    const ct1 = chacha20Poly1305Encrypt(k, nonce(0), options1, h);
    const encX = aes256CbcEncrypt(p.bob.hash, p.bob.iv, X);
    const msg1 = new Uint8Array([...encX, ...ct1, ...padding1]);

    const s1 = bob.receive(msg1);
    expect(s1.error).toBeUndefined();
    const msg2 = s1.send![0];

    // KDF for message 2
    h = sha256(h, ct1);
    h = sha256(h, padding1);
    const Y = aes256CbcDecrypt(p.bob.hash, encX.subarray(16, 32), msg2.subarray(0, 32));
    h = sha256(h, Y);
    [ck, k] = mixKey(ck, x25519(ePriv, Y));
    const options2 = chacha20Poly1305Decrypt(k, nonce(0), msg2.subarray(32, 64), h);
    const padLen2 = new DataView(options2.buffer, options2.byteOffset).getUint16(2);
    expect(msg2.length).toBe(64 + padLen2);
    // Message 3 part 1: h mixes message 2's frame and padding; same k, n = 1.
    h = sha256(h, msg2.subarray(32, 64));
    if (padLen2 > 0) h = sha256(h, msg2.subarray(64));
    const ct3a = chacha20Poly1305Encrypt(k, nonce(1), p.alice.ntcp2.publicKey, h);
    h = sha256(h, ct3a);
    // Part 2: MixKey(DH(s, re)), n = 0.
    [ck, k] = mixKey(ck, x25519(p.alice.ntcp2.privateKey, Y));
    const ct3b = chacha20Poly1305Encrypt(k, nonce(0), payload3, h);
    h = sha256(h, ct3b);
    expect(ct3b.length).toBe(m3p2len);

    // Data phase KDF.
    const temp = hmacSha256(ck, new Uint8Array(0));
    const kab = hmacSha256(temp, Uint8Array.of(1));
    const kba = hmacSha256(temp, kab, Uint8Array.of(2));
    const askMaster = hmacSha256(temp, enc('ask'), Uint8Array.of(1));
    const temp2 = hmacSha256(askMaster, h, enc('siphash'));
    const sipMaster = hmacSha256(temp2, Uint8Array.of(1));
    const temp3 = hmacSha256(sipMaster, new Uint8Array(0));
    const sipab = hmacSha256(temp3, Uint8Array.of(1));
    const sipba = hmacSha256(temp3, sipab, Uint8Array.of(2));

    // A data frame: length masked with the first SipHash output, low 2 bytes little-endian.
    const block = Uint8Array.of(254, 0, 2, 0, 0); // a 2-byte padding block
    const frame = chacha20Poly1305Encrypt(kab, nonce(0), block);
    const iv1 = siphash24(sipab.subarray(0, 16), sipab.subarray(16, 24));
    const mask = iv1[0] | (iv1[1] << 8);
    const wire = (frame.length ^ mask) & 0xffff;

    const s3 = bob.receive(new Uint8Array([...ct3a, ...ct3b, wire >> 8, wire & 0xff, ...frame]));
    expect(s3.error).toBeUndefined();
    const done = s3.done!;
    expect(done.dataPhase.recvKey).toEqual(kab);
    expect(done.dataPhase.sendKey).toEqual(kba);
    expect(done.dataPhase.recvSipKey16).toEqual(sipab.subarray(0, 16));
    expect(done.dataPhase.recvSipIv8).toEqual(sipab.subarray(16, 24));
    expect(done.dataPhase.sendSipKey16).toEqual(sipba.subarray(0, 16));
    expect(done.dataPhase.sendSipIv8).toEqual(sipba.subarray(16, 24));
    const dp = new Ntcp2DataPhase(done.dataPhase);
    expect(dp.push(s3.leftover!).frames).toEqual([[{ kind: 'padding', data: new Uint8Array(2) }]]);

    // Bob's second frame back to Alice: the mask chain continues, IV[2] = SipHash(IV[1]).
    dp.seal([]);
    const second = dp.seal([{ kind: 'padding', data: new Uint8Array(1) }]);
    const ivB1 = siphash24(sipba.subarray(0, 16), sipba.subarray(16, 24));
    const ivB2 = siphash24(sipba.subarray(0, 16), ivB1);
    const len = ((second[0] << 8) | second[1]) ^ (ivB2[0] | (ivB2[1] << 8));
    expect(len).toBe(second.length - 2);
    expect(chacha20Poly1305Decrypt(kba, nonce(1), second.subarray(2))).toEqual(Uint8Array.of(254, 0, 1, 0));
  });

  it('refuses message 1 option values out of range, each with a probe', () => {
    const p = makePair('options');
    /** Message 1 written from the spec with chosen option values. */
    const msg1 = (o: { version?: number; padLen?: number; m3p2len?: number; x?: Uint8Array }): Uint8Array => {
      const ePriv = new Uint8Array(randomBytes(32));
      const X = o.x ?? x25519PublicKey(ePriv);
      let h = sha256(sha256(enc(NTCP2_PROTOCOL_NAME)));
      h = sha256(sha256(h, p.bob.ntcp2.publicKey), X);
      const [, k] = mixKey(sha256(enc(NTCP2_PROTOCOL_NAME)), x25519(ePriv, p.bob.ntcp2.publicKey));
      const options = new Uint8Array(16);
      const dv = new DataView(options.buffer);
      options[0] = NET_ID;
      options[1] = o.version ?? 2;
      dv.setUint16(2, o.padLen ?? 0);
      dv.setUint16(4, o.m3p2len ?? 1000);
      dv.setUint32(8, Math.round(p.bobClock.now() / 1000));
      const ct = chacha20Poly1305Encrypt(k, nonce(0), options, h);
      return new Uint8Array([...aes256CbcEncrypt(p.bob.hash, p.bob.iv, X), ...ct]);
    };
    expect(p.responder().receive(msg1({})).send).toHaveLength(1); // the writer itself is right
    for (const [o, code] of [
      [{ version: 1 }, 'BAD_VERSION'],
      [{ padLen: 257 }, 'BAD_PADDING_LENGTH'],
      [{ m3p2len: 15 }, 'BAD_M3P2_LENGTH'],
      [{ m3p2len: 65488 }, 'BAD_M3P2_LENGTH'],
      [{ x: new Uint8Array(32).fill(0xff) }, 'MSG1_AUTH_FAILED'],
    ] as const) {
      const e = p.responder().receive(msg1(o)).error;
      expect(e?.code).toBe(code);
      expect(e?.terminationReason).toBe(11);
      expect(e?.probe).toBeDefined();
    }
  });

  it('rounds DateTime blocks to the nearest second', () => {
    expect(dateTimeBlock(1_000_499).timestamp).toBe(1000);
    expect(dateTimeBlock(1_000_500).timestamp).toBe(1001);
  });
});
