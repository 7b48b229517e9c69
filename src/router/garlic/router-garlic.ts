/**
 * Garlic messages to and from ECIES routers (ecies-routers.rst). The body is what follows the
 * 4-byte length of an I2NP Garlic message (type 11), in one of two forms:
 *
 * - Noise N, one-way and anonymous: ephemeral public key (32, plain X25519, NOT Elligator2),
 *   then ChaCha20-Poly1305 over the payload with k from MixKey(DH(e, rs)), nonce 0, AD = h.
 *   h = SHA256(SHA256(name padded) || rs || e) with name "Noise_N_25519_ChaChaPoly_SHA256".
 *   The payload must start with a DateTime block.
 * - One-time tag (the reply to a DatabaseLookup with the ECIES flag, i2np.rst): the 8-byte
 *   reply tag, then ChaCha20-Poly1305 under the 32-byte reply key, nonce 0, AD = the tag.
 *
 * `openGarlic` tries the tag first (a map look-up) and Noise N otherwise, as i2pd does.
 */
import { AEAD_TAG_LENGTH, chacha20Poly1305DecryptN, chacha20Poly1305EncryptN } from '../crypto/chacha.js';
import { CryptoError } from '../crypto/errors.js';
import { SymmetricState } from '../crypto/noise.js';
import { x25519, x25519Once, x25519PublicKeyOnce } from '../crypto/x25519.js';
import type { Clock } from '../runtime/clock.js';
import type { RandomSource } from '../runtime/random.js';
import type { GarlicClove } from './clove.js';
import { GarlicError } from './errors.js';
import {
  checkNewSessionBlocks,
  DATETIME_BLOCK_LENGTH,
  decodePayload,
  encodePayload,
  MAX_PAYLOAD_LENGTH,
  type PayloadBlock,
} from './payload.js';
import type { EphemeralReplayCache } from './replay-cache.js';
import { SESSION_KEY_LENGTH, SESSION_TAG_LENGTH, type OneTimeTagStore } from './tag-store.js';

export const NOISE_N_PROTOCOL_NAME = 'Noise_N_25519_ChaChaPoly_SHA256';
export const EPHEMERAL_KEY_LENGTH = 32;
/** Key, a DateTime block, MAC: 55 bytes (the smallest valid Noise N garlic). */
export const MIN_ROUTER_GARLIC_LENGTH = EPHEMERAL_KEY_LENGTH + DATETIME_BLOCK_LENGTH + AEAD_TAG_LENGTH;
/** Tag and MAC: 24 bytes. */
export const MIN_TAG_GARLIC_LENGTH = SESSION_TAG_LENGTH + AEAD_TAG_LENGTH;

/**
 * Java I2P's New Session window: DateTime at most 5 min old, at most 2 min ahead. The spec
 * names no numbers; i2pd checks nothing. A DateTime outside this is refused.
 */
export interface DateTimeWindow {
  maxPastMs: number;
  maxFutureMs: number;
}
export const DEFAULT_DATETIME_WINDOW: DateTimeWindow = { maxPastMs: 5 * 60_000, maxFutureMs: 2 * 60_000 };

/** What MixKey of the Noise N handshake leaves: (ck, h) after "e", before "es". */
export function noiseNState(staticPublicKey: Uint8Array): SymmetricState {
  checkKey('router static public key', staticPublicKey);
  const s = SymmetricState.initialize(NOISE_N_PROTOCOL_NAME); // h = SHA256(name || 0): empty prologue
  s.mixHash(staticPublicKey); // MixHash(rs): the same for every message to this router
  return s;
}

function checkKey(what: string, k: Uint8Array): void {
  if (!(k instanceof Uint8Array) || k.length !== 32) throw new GarlicError('BAD_KEY', `${what}: expected 32 bytes`);
}

function dh(privateKey: Uint8Array, publicKey: Uint8Array, ephemeral = false): Uint8Array {
  try {
    return ephemeral ? x25519Once(privateKey, publicKey) : x25519(privateKey, publicKey);
  } catch (e) {
    if (e instanceof CryptoError) throw new GarlicError('BAD_KEY', `X25519: ${e.message}`, { cause: e });
    throw e;
  }
}

function toPayload(payload: readonly PayloadBlock[] | Uint8Array): Uint8Array {
  const bytes = payload instanceof Uint8Array ? payload : encodePayload(payload);
  if (bytes.length > MAX_PAYLOAD_LENGTH) throw new GarlicError('ENCODE', `payload of ${bytes.length} bytes exceeds ${MAX_PAYLOAD_LENGTH}`);
  return bytes;
}

/** The payload i2pd and Java send to a router: DateTime first, the cloves, then padding. */
export function routerGarlicPayload(cloveList: readonly GarlicClove[], nowMs: number, paddingLength = 0): PayloadBlock[] {
  const blocks: PayloadBlock[] = [{ type: 'dateTime', timestamp: Math.floor(nowMs / 1000) }];
  for (const clove of cloveList) blocks.push({ type: 'clove', clove });
  if (paddingLength > 0) blocks.push({ type: 'padding', length: paddingLength });
  return blocks;
}

export interface EncryptToRouterOptions {
  /** Source of the ephemeral private key (32 bytes per message). */
  random: RandomSource;
}

/**
 * Encrypts to an ECIES router's static X25519 key. Blocks are checked against the New Session
 * rules (DateTime first); raw bytes are sent as given (for tests and exact control).
 */
export function encryptToRouter(
  routerStaticPublicKey: Uint8Array,
  payload: readonly PayloadBlock[] | Uint8Array,
  opts: EncryptToRouterOptions,
): Uint8Array {
  if (!(payload instanceof Uint8Array)) checkNewSessionBlocks(payload, 'ENCODE');
  const plaintext = toPayload(payload);
  const state = noiseNState(routerStaticPublicKey);
  const ephemeralPrivate = opts.random.bytes(32);
  const ephemeralPublic = x25519PublicKeyOnce(ephemeralPrivate);
  state.mixHash(ephemeralPublic); // e
  state.mixKey(dh(ephemeralPrivate, routerStaticPublicKey, true)); // es
  ephemeralPrivate.fill(0);
  const ciphertext = state.encryptAndHash(plaintext); // n = 0, AD = h
  const out = new Uint8Array(EPHEMERAL_KEY_LENGTH + ciphertext.length);
  out.set(ephemeralPublic, 0);
  out.set(ciphertext, EPHEMERAL_KEY_LENGTH);
  return out;
}

export interface DecryptForRouterOptions {
  clock: Pick<Clock, 'now'>;
  replayCache: EphemeralReplayCache;
  window?: DateTimeWindow;
  /** noiseNState(ourStaticPublicKey), precomputed once per router; built when absent. */
  initialState?: SymmetricState;
}

export interface RouterGarlic {
  blocks: PayloadBlock[];
  ephemeralKey: Uint8Array;
  /** The DateTime block, seconds since the epoch. */
  timestamp: number;
}

/**
 * Decrypts a Noise N garlic body addressed to us. Refuses (GarlicError) a body too short or too
 * long, an ephemeral key with the top bit set (no X25519 implementation emits one; Java checks
 * this before the DH too), a replayed ephemeral key, a failed AEAD, a malformed payload, a
 * missing or misplaced DateTime, and a DateTime outside the window. The key is remembered only
 * once the message is fully accepted, so forgeries cannot fill the replay cache to block the
 * genuine message.
 */
export function decryptForRouter(
  ourStaticPrivateKey: Uint8Array,
  ourStaticPublicKey: Uint8Array,
  body: Uint8Array,
  opts: DecryptForRouterOptions,
): RouterGarlic {
  if (!(body instanceof Uint8Array)) throw new GarlicError('MALFORMED', 'garlic body: expected bytes');
  if (body.length < MIN_ROUTER_GARLIC_LENGTH) {
    throw new GarlicError('MALFORMED', `garlic body of ${body.length} bytes is under ${MIN_ROUTER_GARLIC_LENGTH}`);
  }
  if (body.length - EPHEMERAL_KEY_LENGTH > MAX_PAYLOAD_LENGTH + AEAD_TAG_LENGTH) {
    throw new GarlicError('MALFORMED', `garlic body of ${body.length} bytes exceeds one ChaChaPoly frame`);
  }
  const ephemeralKey = body.slice(0, EPHEMERAL_KEY_LENGTH);
  if (ephemeralKey[31] & 0x80) throw new GarlicError('BAD_KEY', 'ephemeral key has its top bit set');
  if (opts.replayCache.has(ephemeralKey)) throw new GarlicError('REPLAY', 'ephemeral key seen before');

  const state = opts.initialState ? opts.initialState.clone() : noiseNState(ourStaticPublicKey);
  state.mixHash(ephemeralKey);
  state.mixKey(dh(ourStaticPrivateKey, ephemeralKey));
  let plaintext: Uint8Array;
  try {
    plaintext = state.decryptAndHash(body.subarray(EPHEMERAL_KEY_LENGTH));
  } catch (e) {
    if (e instanceof CryptoError) throw new GarlicError('AUTH_FAILED', 'garlic for router: AEAD verification failed', { cause: e });
    throw e;
  }
  const blocks = decodePayload(plaintext);
  const timestamp = checkNewSessionBlocks(blocks);
  const window = opts.window ?? DEFAULT_DATETIME_WINDOW;
  const now = opts.clock.now();
  const sentMs = timestamp * 1000;
  if (sentMs < now - window.maxPastMs) throw new GarlicError('CLOCK_SKEW', `DateTime ${timestamp} is too old`);
  if (sentMs > now + window.maxFutureMs) throw new GarlicError('CLOCK_SKEW', `DateTime ${timestamp} is too far ahead`);
  opts.replayCache.add(ephemeralKey);
  return { blocks, ephemeralKey, timestamp };
}

function checkTagAndKey(key: Uint8Array, tag: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== SESSION_KEY_LENGTH) {
    throw new GarlicError('BAD_KEY', `reply key: expected ${SESSION_KEY_LENGTH} bytes`);
  }
  if (!(tag instanceof Uint8Array) || tag.length !== SESSION_TAG_LENGTH) {
    throw new GarlicError('MALFORMED', `reply tag: expected ${SESSION_TAG_LENGTH} bytes`);
  }
}

/**
 * The reply to an ECIES DatabaseLookup (i2np.rst "ECIES to ElG" / "ECIES to ECIES"): tag, then
 * ENCRYPT(k = reply_key, n = 0, payload, ad = reply_tag). i2pd's receiver reads exactly one
 * Garlic Clove block and requires it first, so blocks must start with a clove (no DateTime:
 * i2pd and Java send none in these replies).
 */
export function encryptWithTag(key: Uint8Array, tag: Uint8Array, payload: readonly PayloadBlock[] | Uint8Array): Uint8Array {
  checkTagAndKey(key, tag);
  if (!(payload instanceof Uint8Array) && payload[0]?.type !== 'clove') {
    throw new GarlicError('ENCODE', 'a tag message must start with a Garlic Clove block (i2pd reads only that one)');
  }
  const ciphertext = chacha20Poly1305EncryptN(key, 0, toPayload(payload), tag);
  const out = new Uint8Array(SESSION_TAG_LENGTH + ciphertext.length);
  out.set(tag, 0);
  out.set(ciphertext, SESSION_TAG_LENGTH);
  return out;
}

/** The AEAD step alone: the plaintext payload bytes. */
function openWithTag(key: Uint8Array, tag: Uint8Array, body: Uint8Array): Uint8Array {
  checkTagAndKey(key, tag);
  if (!(body instanceof Uint8Array) || body.length < MIN_TAG_GARLIC_LENGTH) {
    throw new GarlicError('MALFORMED', `tag garlic body under ${MIN_TAG_GARLIC_LENGTH} bytes`);
  }
  if (body.length - SESSION_TAG_LENGTH > MAX_PAYLOAD_LENGTH + AEAD_TAG_LENGTH) {
    throw new GarlicError('MALFORMED', `tag garlic body of ${body.length} bytes exceeds one ChaChaPoly frame`);
  }
  for (let i = 0; i < SESSION_TAG_LENGTH; i++) {
    if (body[i] !== tag[i]) throw new GarlicError('MALFORMED', 'the body does not start with this tag');
  }
  try {
    return chacha20Poly1305DecryptN(key, 0, body.subarray(SESSION_TAG_LENGTH), tag);
  } catch (e) {
    if (e instanceof CryptoError) throw new GarlicError('AUTH_FAILED', 'tag garlic: AEAD verification failed', { cause: e });
    throw e;
  }
}

/** Decrypts a body that starts with `tag` under `key`; any failure is a GarlicError. */
export function decryptWithTag(key: Uint8Array, tag: Uint8Array, body: Uint8Array): PayloadBlock[] {
  return decodePayload(openWithTag(key, tag, body));
}

export interface OpenGarlicContext extends DecryptForRouterOptions {
  staticPrivateKey: Uint8Array;
  staticPublicKey: Uint8Array;
  tagStore: OneTimeTagStore;
}

export type OpenedGarlic =
  | ({ kind: 'router' } & RouterGarlic)
  | { kind: 'tag'; tag: Uint8Array; blocks: PayloadBlock[] };

/**
 * Opens a Garlic body sent to this router. A body whose first 8 bytes are a stored tag is a tag
 * message and only that (as in i2pd, a matched tag does not fall back to Noise N); the tag is
 * consumed once the message authenticates, and kept when it does not, so a forged message that
 * reuses a tag seen on the wire cannot burn it before the genuine reply arrives.
 */
export function openGarlic(body: Uint8Array, ctx: OpenGarlicContext): OpenedGarlic {
  if (!(body instanceof Uint8Array)) throw new GarlicError('MALFORMED', 'garlic body: expected bytes');
  if (body.length >= SESSION_TAG_LENGTH) {
    const tag = body.slice(0, SESSION_TAG_LENGTH);
    const key = ctx.tagStore.peek(tag);
    if (key) {
      const plaintext = openWithTag(key, tag, body);
      ctx.tagStore.delete(tag); // authentic: used, even if its payload turns out malformed
      return { kind: 'tag', tag, blocks: decodePayload(plaintext) };
    }
  }
  return { kind: 'router', ...decryptForRouter(ctx.staticPrivateKey, ctx.staticPublicKey, body, ctx) };
}
