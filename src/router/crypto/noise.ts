import { chacha20Poly1305Decrypt, chacha20Poly1305Encrypt, noiseNonce } from './chacha.js';
import { checkLength } from './errors.js';
import { hmacSha256, sha256 } from './hash.js';

/*
 * The Noise framework's CipherState and SymmetricState (Noise rev. 34, sections 5.1 and 5.2)
 * for the ChaChaPoly / SHA256 suites I2P uses. Pure: no I/O, no clock. Handshake patterns
 * (NTCP2's XK, ECIES' IK/N) are driven by their own modules on top of this.
 */
const EMPTY = new Uint8Array(0);
const BYTE_1 = Uint8Array.of(1);
const BYTE_2 = Uint8Array.of(2);

/** HKDF as Noise defines it (salt = chaining key, empty info), two 32-byte outputs. */
export function noiseHkdf2(chainingKey: Uint8Array, inputKeyMaterial: Uint8Array): [Uint8Array, Uint8Array] {
  const tempKey = hmacSha256(chainingKey, inputKeyMaterial);
  const out1 = hmacSha256(tempKey, BYTE_1);
  const out2 = hmacSha256(tempKey, out1, BYTE_2);
  return [out1, out2];
}

export class CipherState {
  private k: Uint8Array | null;
  private n = 0n;

  constructor(key: Uint8Array | null = null) {
    if (key) checkLength('CipherState key', key, 32);
    this.k = key ? key.slice() : null;
  }

  hasKey(): boolean {
    return this.k !== null;
  }

  /** The key (a copy), for protocols that derive further keys from it. */
  get key(): Uint8Array | null {
    return this.k ? this.k.slice() : null;
  }

  get nonce(): bigint {
    return this.n;
  }

  setNonce(n: number | bigint): void {
    noiseNonce(n); // range check
    this.n = BigInt(n);
  }

  /** Without a key the plaintext passes through, as Noise specifies. */
  encryptWithAd(associatedData: Uint8Array, plaintext: Uint8Array): Uint8Array {
    if (!this.k) return plaintext.slice();
    const out = chacha20Poly1305Encrypt(this.k, noiseNonce(this.n), plaintext, associatedData);
    this.n++;
    return out;
  }

  /** The nonce advances only on success, so a forged message does not desynchronise. */
  decryptWithAd(associatedData: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    if (!this.k) return ciphertext.slice();
    const out = chacha20Poly1305Decrypt(this.k, noiseNonce(this.n), ciphertext, associatedData);
    this.n++;
    return out;
  }
}

export class SymmetricState {
  private ck: Uint8Array;
  private h: Uint8Array;
  private cipher: CipherState;

  private constructor(ck: Uint8Array, h: Uint8Array, cipher: CipherState) {
    this.ck = ck;
    this.h = h;
    this.cipher = cipher;
  }

  /**
   * InitializeSymmetric(protocol_name): h = the name zero-padded to 32 bytes when it fits
   * (e.g. "Noise_N_25519_ChaChaPoly_SHA256", 31 bytes), else SHA-256 of it
   * (e.g. "Noise_XKaesobfse+hs2+hs3_25519_ChaChaPoly_SHA256"); ck = h; no key.
   * The handshake's Initialize() then mixes the prologue: pass it here (I2P uses an empty one,
   * which still hashes: h = SHA-256(h)). Pass `prologue: null` to skip that step.
   */
  static initialize(protocolName: string, prologue: Uint8Array | null = EMPTY): SymmetricState {
    const name = new TextEncoder().encode(protocolName);
    let h: Uint8Array;
    if (name.length <= 32) {
      h = new Uint8Array(32);
      h.set(name);
    } else {
      h = sha256(name);
    }
    const state = new SymmetricState(h.slice(), h, new CipherState());
    if (prologue) state.mixHash(prologue);
    return state;
  }

  /** Starts from a known (ck, h), e.g. a precomputed state shared by many handshakes. */
  static fromState(chainingKey: Uint8Array, handshakeHash: Uint8Array): SymmetricState {
    checkLength('chaining key', chainingKey, 32);
    checkLength('handshake hash', handshakeHash, 32);
    return new SymmetricState(chainingKey.slice(), handshakeHash.slice(), new CipherState());
  }

  get chainingKey(): Uint8Array {
    return this.ck.slice();
  }

  get handshakeHash(): Uint8Array {
    return this.h.slice();
  }

  hasKey(): boolean {
    return this.cipher.hasKey();
  }

  /** The current k (a copy) or null; some I2P KDFs use it directly. */
  get key(): Uint8Array | null {
    return this.cipher.key;
  }

  mixHash(data: Uint8Array): void {
    this.h = sha256(this.h, data);
  }

  /** MixKey(ikm): ck, k = HKDF(ck, ikm); n = 0. */
  mixKey(inputKeyMaterial: Uint8Array): void {
    const [ck, k] = noiseHkdf2(this.ck, inputKeyMaterial);
    this.ck = ck;
    this.cipher = new CipherState(k);
  }

  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    const ciphertext = this.cipher.encryptWithAd(this.h, plaintext);
    this.mixHash(ciphertext);
    return ciphertext;
  }

  /** Throws CryptoError('AUTH_FAILED') and leaves h unchanged when the tag is wrong. */
  decryptAndHash(ciphertext: Uint8Array): Uint8Array {
    const plaintext = this.cipher.decryptWithAd(this.h, ciphertext);
    this.mixHash(ciphertext);
    return plaintext;
  }

  /**
   * Split(): [initiator → responder, responder → initiator]. NTCP2 calls these k_ab and k_ba
   * and derives its SipHash keys from the same temp_key: see `splitTempKey`.
   */
  split(): [CipherState, CipherState] {
    const [k1, k2] = noiseHkdf2(this.ck, EMPTY);
    return [new CipherState(k1), new CipherState(k2)];
  }

  /** temp_key = HMAC-SHA256(ck, zerolen), the first step of Split (NTCP2's "ask" KDF needs it). */
  splitTempKey(): Uint8Array {
    return hmacSha256(this.ck, EMPTY);
  }

  clone(): SymmetricState {
    const c = new SymmetricState(this.ck.slice(), this.h.slice(), new CipherState(this.cipher.key));
    const n = this.cipher.nonce;
    if (this.cipher.hasKey()) c.cipher.setNonce(n);
    return c;
  }
}
