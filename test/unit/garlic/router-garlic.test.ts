import { x25519 as nobleX25519 } from '@noble/curves/ed25519.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hkdf as nobleHkdf } from '@noble/hashes/hkdf.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { x25519Generate } from '../../../src/router/crypto/index.js';
import {
  decryptForRouter,
  decryptWithTag,
  encodePayload,
  encryptToRouter,
  encryptWithTag,
  EphemeralReplayCache,
  GarlicError,
  noiseNState,
  OneTimeTagStore,
  openGarlic,
  routerGarlicPayload,
  type GarlicClove,
  type OpenGarlicContext,
  type PayloadBlock,
} from '../../../src/router/garlic/index.js';
import { ManualClock, SeededRandom } from '../../../src/router/runtime/index.js';

const NOW = 1_750_000_000_000;
const clove: GarlicClove = {
  delivery: { type: 'local' },
  message: { type: 1, msgId: 77, expiration: Math.floor(NOW / 1000 + 60) * 1000, payload: new Uint8Array(40).fill(5) },
};

function setup() {
  const clock = new ManualClock(NOW);
  const bob = x25519Generate();
  const ctx: OpenGarlicContext = {
    staticPrivateKey: bob.privateKey,
    staticPublicKey: bob.publicKey,
    clock,
    replayCache: new EphemeralReplayCache({ clock }),
    tagStore: new OneTimeTagStore({ clock }),
  };
  return { clock, bob, ctx, random: new SeededRandom('garlic test') };
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(GarlicError);
    return (e as GarlicError).code;
  }
  return 'none';
}

/** ecies-routers.rst "KDF for Initial ck and h" and "KDF for Message", from raw primitives. */
function specNoiseN(rs: Uint8Array, esk: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const name = new TextEncoder().encode('Noise_N_25519_ChaChaPoly_SHA256');
  expect(name.length).toBe(31);
  const h0 = new Uint8Array(32);
  h0.set(name); // h = protocol_name || 0
  const chainKey = h0.slice();
  let h = nobleSha256(h0); // MixHash(null prologue)
  h = nobleSha256(new Uint8Array([...h, ...rs])); // MixHash(hepk)
  const epk = nobleX25519.getPublicKey(esk);
  h = nobleSha256(new Uint8Array([...h, ...epk])); // MixHash(sepk)
  const shared = nobleX25519.getSharedSecret(esk, rs);
  const keydata = nobleHkdf(nobleSha256, shared, chainKey, new Uint8Array(0), 64);
  const k = keydata.slice(32, 64);
  const ct = chacha20poly1305(k, new Uint8Array(12), h).encrypt(plaintext); // n = 0, ad = h
  return new Uint8Array([...epk, ...ct]);
}

describe('Noise N garlic to routers (ecies-routers.rst)', () => {
  it('matches an independent derivation from the spec text, byte for byte', () => {
    const { bob } = setup();
    const plaintext = encodePayload(routerGarlicPayload([clove], NOW, 5));
    const seed = 'kdf check';
    const body = encryptToRouter(bob.publicKey, plaintext, { random: new SeededRandom(seed) });
    const esk = new SeededRandom(seed).bytes(32);
    expect(body).toEqual(specNoiseN(bob.publicKey, esk, plaintext));
    expect(body.length).toBe(32 + plaintext.length + 16);
    // The ephemeral key goes out as plain X25519 (no Elligator2).
    expect(body.subarray(0, 32)).toEqual(nobleX25519.getPublicKey(esk));
  });

  it('decrypts what an independent sender built', () => {
    const { bob, ctx } = setup();
    const plaintext = encodePayload(routerGarlicPayload([clove], NOW));
    const body = specNoiseN(bob.publicKey, new SeededRandom('other').bytes(32), plaintext);
    const out = decryptForRouter(bob.privateKey, bob.publicKey, body, ctx);
    expect(out.blocks).toEqual(routerGarlicPayload([clove], NOW));
    expect(out.timestamp).toBe(Math.floor(NOW / 1000));
  });

  it('round-trips with fresh keys, and a precomputed initial state gives the same result', () => {
    const { bob, ctx, random } = setup();
    const blocks = routerGarlicPayload([clove, { ...clove, delivery: { type: 'router', hash: new Uint8Array(32).fill(1) } }], NOW, 12);
    const body = encryptToRouter(bob.publicKey, blocks, { random });
    const out = decryptForRouter(bob.privateKey, bob.publicKey, body, { ...ctx, initialState: noiseNState(bob.publicKey) });
    expect(out.blocks).toEqual(blocks);
    expect(out.ephemeralKey).toEqual(body.subarray(0, 32));
    const again = encryptToRouter(bob.publicKey, blocks, { random });
    expect(again.subarray(0, 32)).not.toEqual(body.subarray(0, 32)); // one ephemeral key per message
    expect(openGarlic(again, ctx)).toMatchObject({ kind: 'router', blocks });
  });

  it('refuses a replayed message, but not before it was accepted once', () => {
    const { bob, ctx, random, clock } = setup();
    const body = encryptToRouter(bob.publicKey, routerGarlicPayload([clove], NOW), { random });
    const tampered = body.slice();
    tampered[40] ^= 1;
    expect(codeOf(() => decryptForRouter(bob.privateKey, bob.publicKey, tampered, ctx))).toBe('AUTH_FAILED');
    expect(decryptForRouter(bob.privateKey, bob.publicKey, body, ctx).blocks).toHaveLength(2); // the forgery did not block it
    expect(codeOf(() => decryptForRouter(bob.privateKey, bob.publicKey, body, ctx))).toBe('REPLAY');
    clock.advance(60_000);
    expect(codeOf(() => openGarlic(body, ctx))).toBe('REPLAY');
  });

  it('refuses any tampered byte, a wrong static key, and a truncated body', () => {
    const { bob, ctx, random } = setup();
    const body = encryptToRouter(bob.publicKey, routerGarlicPayload([clove], NOW), { random });
    for (let i = 0; i < body.length; i++) {
      for (const bit of [0x01, 0x80]) {
        const t = body.slice();
        t[i] ^= bit;
        expect(['AUTH_FAILED', 'BAD_KEY']).toContain(codeOf(() => decryptForRouter(bob.privateKey, bob.publicKey, t, ctx)));
      }
    }
    const eve = x25519Generate();
    expect(codeOf(() => decryptForRouter(eve.privateKey, eve.publicKey, body, ctx))).toBe('AUTH_FAILED');
    // Right private key, wrong public key in h: still refused.
    expect(codeOf(() => decryptForRouter(bob.privateKey, eve.publicKey, body, ctx))).toBe('AUTH_FAILED');
    expect(codeOf(() => decryptForRouter(bob.privateKey, bob.publicKey, body.subarray(0, 54), ctx))).toBe('MALFORMED');
    expect(codeOf(() => decryptForRouter(bob.privateKey, bob.publicKey, body.subarray(0, body.length - 1), ctx))).toBe('AUTH_FAILED');
  });

  it('refuses an ephemeral key with the top bit set before any DH', () => {
    const { bob, ctx } = setup();
    const body = new Uint8Array(80);
    body[31] = 0x80;
    expect(codeOf(() => decryptForRouter(bob.privateKey, bob.publicKey, body, ctx))).toBe('BAD_KEY');
  });

  it('requires a DateTime first and within 5 min past / 2 min ahead', () => {
    const { bob, ctx, random } = setup();
    const enc = (p: Uint8Array | PayloadBlock[]) => encryptToRouter(bob.publicKey, p, { random });
    const open = (b: Uint8Array) => codeOf(() => decryptForRouter(bob.privateKey, bob.publicKey, b, ctx));
    expect(open(enc(encodePayload([{ type: 'clove', clove }, { type: 'dateTime', timestamp: NOW / 1000 }])))).toBe('NO_DATETIME');
    expect(open(enc(encodePayload([{ type: 'padding', length: 4 }])))).toBe('NO_DATETIME');
    expect(open(enc(routerGarlicPayload([clove], NOW - 5 * 60_000 - 1000)))).toBe('CLOCK_SKEW');
    expect(open(enc(routerGarlicPayload([clove], NOW + 2 * 60_000 + 1000)))).toBe('CLOCK_SKEW');
    expect(open(enc(routerGarlicPayload([clove], NOW - 5 * 60_000)))).toBe('none');
    expect(open(enc(routerGarlicPayload([clove], NOW + 2 * 60_000)))).toBe('none');
    // The sender refuses block lists that break the New Session rules.
    expect(codeOf(() => enc([{ type: 'clove', clove }]))).toBe('ENCODE');
    expect(codeOf(() => enc([{ type: 'dateTime', timestamp: 1 }, { type: 'ackRequest', flags: 0 }]))).toBe('ENCODE');
    // A low-order static key is a typed error for the sender.
    expect(codeOf(() => encryptToRouter(new Uint8Array(32), routerGarlicPayload([], NOW), { random }))).toBe('BAD_KEY');
  });
});

describe('one-time key and tag (ECIES DatabaseLookup replies)', () => {
  const key = new Uint8Array(32).fill(7);
  const tag = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
  const reply: PayloadBlock[] = [{ type: 'clove', clove }, { type: 'padding', length: 3 }];

  it('is the tag, then ChaCha20-Poly1305 with the reply key, nonce 0, AD = tag (i2np.rst)', () => {
    const body = encryptWithTag(key, tag, reply);
    const plaintext = encodePayload(reply);
    const expected = new Uint8Array([...tag, ...chacha20poly1305(key, new Uint8Array(12), tag).encrypt(plaintext)]);
    expect(body).toEqual(expected);
    expect(decryptWithTag(key, tag, body)).toEqual(reply);
  });

  it('refuses tampering, a wrong key, and a body for another tag', () => {
    const body = encryptWithTag(key, tag, reply);
    for (let i = 8; i < body.length; i++) {
      const t = body.slice();
      t[i] ^= 0x10;
      expect(codeOf(() => decryptWithTag(key, tag, t))).toBe('AUTH_FAILED');
    }
    const t = body.slice();
    t[0] ^= 1;
    expect(codeOf(() => decryptWithTag(key, tag, t))).toBe('MALFORMED');
    expect(codeOf(() => decryptWithTag(key, t.subarray(0, 8), t))).toBe('AUTH_FAILED'); // AD is the tag
    expect(codeOf(() => decryptWithTag(new Uint8Array(32), tag, body))).toBe('AUTH_FAILED');
    expect(codeOf(() => decryptWithTag(key, tag, body.subarray(0, 23)))).toBe('MALFORMED');
    expect(codeOf(() => encryptWithTag(key, tag, [{ type: 'dateTime', timestamp: 1 }]))).toBe('ENCODE');
    expect(codeOf(() => encryptWithTag(key.subarray(1), tag, reply))).toBe('BAD_KEY');
  });

  it('openGarlic tries the tag store first and consumes a tag once the message authenticates', () => {
    const { ctx } = setup();
    ctx.tagStore.add(tag, key);
    const body = encryptWithTag(key, tag, reply);
    const forged = body.slice();
    forged[20] ^= 1;
    expect(codeOf(() => openGarlic(forged, ctx))).toBe('AUTH_FAILED'); // no fall-through to Noise N
    expect(ctx.tagStore.size).toBe(1); // a forgery does not burn the tag
    expect(openGarlic(body, ctx)).toEqual({ kind: 'tag', tag, blocks: reply });
    expect(ctx.tagStore.size).toBe(0);
    // Replayed: the tag is gone, so it is tried as Noise N and fails there.
    expect(['AUTH_FAILED', 'BAD_KEY', 'MALFORMED']).toContain(codeOf(() => openGarlic(body, ctx)));
  });

  it('an expired tag no longer opens its reply', () => {
    const { ctx, clock } = setup();
    ctx.tagStore.add(tag, key);
    clock.advance(180_000);
    expect(codeOf(() => openGarlic(encryptWithTag(key, tag, reply), ctx))).not.toBe('none');
    expect(ctx.tagStore.size).toBe(0);
  });
});

describe('fuzz openGarlic', () => {
  it('random and mutated bodies only ever throw GarlicError', () => {
    const { bob, ctx, random } = setup();
    const key = new Uint8Array(32).fill(3);
    const tag = new Uint8Array(8).fill(9);
    const valid = [
      encryptToRouter(bob.publicKey, routerGarlicPayload([clove], NOW, 4), { random }),
      encryptWithTag(key, tag, [{ type: 'clove', clove }]),
    ];
    const tryOpen = (b: Uint8Array): void => {
      ctx.tagStore.add(tag, key);
      try {
        openGarlic(b, ctx);
      } catch (e) {
        if (!(e instanceof GarlicError)) throw e;
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), tryOpen), { numRuns: 500 });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }), fc.nat(), (which, edits, cut) => {
        const b = valid[which].slice();
        for (const [at, v] of edits) b[at % b.length] = v;
        tryOpen(b);
        tryOpen(b.subarray(0, cut % (b.length + 1)));
      }),
      { numRuns: 500 },
    );
  });
});
