import { hmacSha256, SymmetricState } from '../../crypto/index.js';

/*
 * NTCP2's key derivations (ntcp2.rst, "Key Derivation Function" sections). The handshake itself
 * is plain Noise on SymmetricState; what is NTCP2-specific lives here: the protocol name, the
 * state both sides start from, and the data-phase split with the extra SipHash keys.
 */

/** 48 bytes, so InitializeSymmetric hashes it (h = SHA-256(name)). */
export const NTCP2_PROTOCOL_NAME = 'Noise_XKaesobfse+hs2+hs3_25519_ChaChaPoly_SHA256';

const EMPTY = new Uint8Array(0);
const BYTE_1 = Uint8Array.of(1);
const BYTE_2 = Uint8Array.of(2);
const ASK = new TextEncoder().encode('ask');
const SIPHASH = new TextEncoder().encode('siphash');

/**
 * The state before message 1: h = SHA-256(name), ck = h, MixHash(empty prologue),
 * MixHash(rs) where rs is the responder's static key as published in its RouterInfo (`s`).
 * Both sides compute it: Alice with the peer's `s`, Bob with his own.
 */
export function initialHandshakeState(responderStaticKey: Uint8Array): SymmetricState {
  const state = SymmetricState.initialize(NTCP2_PROTOCOL_NAME);
  state.mixHash(responderStaticKey);
  return state;
}

/** One direction's SipHash length obfuscation: key = k1 || k2 (16 bytes), iv = 8 bytes. */
export interface SipKeys {
  key: Uint8Array;
  iv: Uint8Array;
}

export interface DataPhaseKeyMaterial {
  /** ChaCha20-Poly1305 key for Alice → Bob frames. */
  kAB: Uint8Array;
  /** ChaCha20-Poly1305 key for Bob → Alice frames. */
  kBA: Uint8Array;
  sipAB: SipKeys;
  sipBA: SipKeys;
}

/**
 * The data-phase KDF, from ck and h as they stand after message 3 part 2 (h includes the
 * part 2 ciphertext):
 *   temp_key = HMAC(ck, "");  k_ab = HMAC(temp_key, 0x01);  k_ba = HMAC(temp_key, k_ab || 0x02)
 *   ask_master = HMAC(temp_key, "ask" || 0x01)
 *   temp_key = HMAC(ask_master, h || "siphash");  sip_master = HMAC(temp_key, 0x01)
 *   temp_key = HMAC(sip_master, "");  sipkeys_ab = HMAC(temp_key, 0x01)
 *   sipkeys_ba = HMAC(temp_key, sipkeys_ab || 0x02)
 * Each sipkeys is k1 (8) || k2 (8) || IV (8) || 8 unused bytes.
 */
export function deriveDataPhaseKeys(chainingKey: Uint8Array, handshakeHash: Uint8Array): DataPhaseKeyMaterial {
  const tempKey = hmacSha256(chainingKey, EMPTY);
  const kAB = hmacSha256(tempKey, BYTE_1);
  const kBA = hmacSha256(tempKey, kAB, BYTE_2);
  const askMaster = hmacSha256(tempKey, ASK, BYTE_1);
  const sipTemp = hmacSha256(askMaster, handshakeHash, SIPHASH);
  const sipMaster = hmacSha256(sipTemp, BYTE_1);
  const sipKeysTemp = hmacSha256(sipMaster, EMPTY);
  const sipKeysAB = hmacSha256(sipKeysTemp, BYTE_1);
  const sipKeysBA = hmacSha256(sipKeysTemp, sipKeysAB, BYTE_2);
  return {
    kAB,
    kBA,
    sipAB: { key: sipKeysAB.slice(0, 16), iv: sipKeysAB.slice(16, 24) },
    sipBA: { key: sipKeysBA.slice(0, 16), iv: sipKeysBA.slice(16, 24) },
  };
}

/** The keys of one side: what it sends with and what it receives with. */
export interface DataPhaseKeys {
  sendKey: Uint8Array;
  recvKey: Uint8Array;
  sendSipKey16: Uint8Array;
  sendSipIv8: Uint8Array;
  recvSipKey16: Uint8Array;
  recvSipIv8: Uint8Array;
}

/** Alice (initiator) sends with the _ab keys, Bob with the _ba keys. */
export function dataPhaseKeysFor(role: 'initiator' | 'responder', m: DataPhaseKeyMaterial): DataPhaseKeys {
  const [send, recv, sendSip, recvSip] =
    role === 'initiator' ? [m.kAB, m.kBA, m.sipAB, m.sipBA] : [m.kBA, m.kAB, m.sipBA, m.sipAB];
  return {
    sendKey: send,
    recvKey: recv,
    sendSipKey16: sendSip.key,
    sendSipIv8: sendSip.iv,
    recvSipKey16: recvSip.key,
    recvSipIv8: recvSip.iv,
  };
}
