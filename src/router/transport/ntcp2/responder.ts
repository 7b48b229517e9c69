import { aes256CbcDecrypt, aes256CbcEncrypt, CryptoError, type SymmetricState } from '../../crypto/index.js';
import { routerInfoHash } from '../../data/index.js';
import type { RandomSource } from '../../runtime/index.js';
import { BlockError, decodeBlocks, type OptionsBlock } from './blocks.js';
import { Ntcp2Error, type Ntcp2ErrorCode } from './errors.js';
import { checkPeerRouterInfo, Collector, dh, type EphemeralKey, ephemeralKey, guard, hasHighBit, type Ntcp2Step } from './handshake.js';
import {
  decodeSessionRequestOptions,
  encodeSessionCreatedOptions,
  M3P2_MAX_LENGTH,
  M3P2_MIN_LENGTH,
  MAX_CLOCK_SKEW_SECONDS,
  MSG12_FIXED_LENGTH,
  MSG12_MAX_LENGTH,
  MSG12_MAX_PADDING,
  MSG3_PART1_LENGTH,
  NTCP2_VERSION,
  skewSeconds,
  unixSeconds,
} from './handshake-options.js';
import { dataPhaseKeysFor, deriveDataPhaseKeys, initialHandshakeState } from './kdf.js';
import type { ReplayCache } from './replay-cache.js';
import { TerminationReason } from './termination.js';

export interface Ntcp2ResponderOptions {
  /** Our NTCP2 static X25519 key pair (published as `s`). */
  staticPrivateKey: Uint8Array;
  staticPublicKey: Uint8Array;
  /** Our router hash: the AES key that obfuscates X and Y. */
  routerHash: Uint8Array;
  /** Our published `i`: the AES IV for X. */
  iv: Uint8Array;
  netId: number;
  now: () => number;
  random: RandomSource;
  /** Shared by all inbound handshakes of this router. */
  replayCache: ReplayCache;
  /** Maximum padding of message 2 (0..223; default 223). */
  paddingMax?: number;
  /** Maximum padding accepted in message 1 (default 256, Java's limit; i2pd sends <= 222). */
  receivePaddingMax?: number;
  /** Oldest acceptable RouterInfo in message 3 (default 90 min, as i2pd). */
  routerInfoMaxAgeMs?: number;
  /** How far ahead its `published` may be (default 2 min, as i2pd). */
  routerInfoMaxFutureMs?: number;
}

type Stage = 'msg1' | 'msg1Padding' | 'msg3' | 'done' | 'failed';

/** Bob: reads SessionRequest, sends SessionCreated, reads SessionConfirmed. No I/O. */
export class Ntcp2Responder {
  private readonly o: Ntcp2ResponderOptions;
  /** h and ck after MixHash(our s): the same for every inbound handshake. */
  private readonly base: SymmetricState;
  private stage: Stage = 'msg1';
  private readonly input = new Collector();
  private state: SymmetricState | null = null;
  private x: Uint8Array = new Uint8Array(0);
  private aesIv: Uint8Array = new Uint8Array(16);
  private m3p2Length = 0;
  private skew = 0;
  private e: EphemeralKey | null = null;

  /** `base` may be shared by all responders of a router: initialHandshakeState(our s). */
  constructor(opts: Ntcp2ResponderOptions, base?: SymmetricState) {
    const pad = opts.paddingMax ?? MSG12_MAX_PADDING;
    if (!Number.isInteger(pad) || pad < 0 || pad > MSG12_MAX_PADDING) {
      throw new RangeError(`paddingMax must be 0..${MSG12_MAX_PADDING}`);
    }
    for (const [name, b, n] of [
      ['staticPrivateKey', opts.staticPrivateKey, 32],
      ['staticPublicKey', opts.staticPublicKey, 32],
      ['routerHash', opts.routerHash, 32],
      ['iv', opts.iv, 16],
    ] as const) {
      if (b.length !== n) throw new RangeError(`${name} must be ${n} bytes`);
    }
    this.o = { ...opts, paddingMax: pad };
    this.base = base ?? initialHandshakeState(opts.staticPublicKey);
    this.input.expect(MSG12_FIXED_LENGTH);
  }

  /** Bytes held for an incomplete handshake message (bounded by 64 + receivePaddingMax, then 65535). */
  get buffered(): number {
    return this.input.buffered;
  }

  /** Feeds bytes from Alice: messages 1 and 3 in any number of pieces. */
  receive(bytes: Uint8Array): Ntcp2Step {
    if (this.stage === 'done' || this.stage === 'failed') {
      return { error: new Ntcp2Error('BAD_STATE', `receive() in stage ${this.stage}`) };
    }
    const send: Uint8Array[] = [];
    try {
      let offset = 0;
      // Each pass completes a stage or runs out of input.
      for (;;) {
        offset = this.input.feed(bytes, offset);
        if (!this.input.complete) return send.length ? { send } : {};
        if (this.stage === 'msg1') {
          const paddingLength = guard('message 1', () => this.readMessage1(this.input.bytes));
          this.stage = 'msg1Padding';
          this.input.expect(paddingLength);
          continue;
        }
        if (this.stage === 'msg1Padding') {
          // Alice may send nothing more until she has message 2.
          if (offset < bytes.length) throw new Ntcp2Error('UNEXPECTED_DATA', 'data after message 1', TerminationReason.Message1Error);
          send.push(guard('message 2', () => this.message2(this.input.bytes)));
          if (Math.abs(this.skew) > MAX_CLOCK_SKEW_SECONDS) {
            // Spec: answer anyway, so Alice learns our time, then close.
            this.stage = 'failed';
            const error = new Ntcp2Error('CLOCK_SKEW', `peer clock is ${this.skew} s off`, TerminationReason.ClockSkew, undefined, this.skew);
            return { send, error };
          }
          this.stage = 'msg3';
          this.input.expect(MSG3_PART1_LENGTH + this.m3p2Length);
          continue;
        }
        const step = guard('message 3', () => this.readMessage3(this.input.bytes));
        if (offset < bytes.length) step.leftover = bytes.slice(offset);
        return step;
      }
    } catch (e) {
      this.stage = 'failed';
      return send.length ? { send, error: e as Ntcp2Error } : { error: e as Ntcp2Error };
    }
  }

  /** How many more bytes to read before closing on a bad message 1 (i2pd: 0..286). */
  private probe(): { readBytes: number } {
    return { readBytes: this.o.random.int(MSG12_MAX_LENGTH) };
  }

  private msg1Error(code: Ntcp2ErrorCode, message: string): Ntcp2Error {
    return new Ntcp2Error(code, message, TerminationReason.Message1Error, this.probe());
  }

  /** Message 1's fixed part: X, es, options, replay check. Returns the padding length to read. */
  private readMessage1(msg: Uint8Array): number {
    const x = aes256CbcDecrypt(this.o.routerHash, this.o.iv, msg.subarray(0, 32));
    if (hasHighBit(x)) throw this.msg1Error('MSG1_AUTH_FAILED', 'message 1 key has its high bit set');
    const state = this.base.clone();
    state.mixHash(x);
    state.mixKey(dh(this.o.staticPrivateKey, x, TerminationReason.Message1Error, this.probe()));
    let options: Uint8Array;
    try {
      options = state.decryptAndHash(msg.subarray(32, 64));
    } catch (e) {
      if (e instanceof CryptoError) throw this.msg1Error('MSG1_AUTH_FAILED', 'message 1 failed authentication');
      throw e;
    }
    const o = decodeSessionRequestOptions(options);
    // Spec and i2pd: a zero network id is not checked.
    if (o.networkId !== 0 && o.networkId !== this.o.netId) {
      throw this.msg1Error('BAD_NETWORK_ID', `network id ${o.networkId}, ours is ${this.o.netId}`);
    }
    if (o.version !== NTCP2_VERSION) throw this.msg1Error('BAD_VERSION', `version ${o.version}`);
    if (o.paddingLength > (this.o.receivePaddingMax ?? 256)) {
      throw this.msg1Error('BAD_PADDING_LENGTH', `message 1 padding of ${o.paddingLength} bytes`);
    }
    if (o.m3p2Length < M3P2_MIN_LENGTH || o.m3p2Length > M3P2_MAX_LENGTH) {
      throw this.msg1Error('BAD_M3P2_LENGTH', `m3p2len ${o.m3p2Length} outside ${M3P2_MIN_LENGTH}..${M3P2_MAX_LENGTH}`);
    }
    this.skew = skewSeconds(o.timestamp, this.o.now());
    // Only keys that authenticated are remembered, so garbage cannot fill the cache.
    if (!this.o.replayCache.checkAndAdd(x)) throw this.msg1Error('REPLAY', 'message 1 ephemeral key seen before');
    this.x = x;
    this.aesIv = msg.slice(16, 32);
    this.m3p2Length = o.m3p2Length;
    this.state = state;
    return o.paddingLength;
  }

  /** Mixes message 1's padding and builds message 2 (Y, ee, options, padding). */
  private message2(padding: Uint8Array): Uint8Array {
    const state = this.state as SymmetricState;
    const { random } = this.o;
    if (padding.length > 0) state.mixHash(padding);
    const e = ephemeralKey(random);
    state.mixHash(e.publicKey);
    state.mixKey(dh(e.privateKey, this.x, TerminationReason.Message1Error, undefined, true));
    const paddingLength = random.int((this.o.paddingMax as number) + 1);
    const frame = state.encryptAndHash(encodeSessionCreatedOptions({ paddingLength, timestamp: unixSeconds(this.o.now()) }));
    const ourPadding = random.bytes(paddingLength);
    if (paddingLength > 0) state.mixHash(ourPadding);
    // The CBC chain continues from message 1's last ciphertext block.
    const encryptedY = aes256CbcEncrypt(this.o.routerHash, this.aesIv, e.publicKey);
    const msg = new Uint8Array(MSG12_FIXED_LENGTH + paddingLength);
    msg.set(encryptedY, 0);
    msg.set(frame, 32);
    msg.set(ourPadding, MSG12_FIXED_LENGTH);
    this.e = e;
    return msg;
  }

  /** Message 3: Alice's static key, se, her RouterInfo (verified), options, padding. */
  private readMessage3(msg: Uint8Array): Ntcp2Step {
    const state = this.state as SymmetricState;
    const e = this.e as EphemeralKey;
    const fail = (code: Ntcp2ErrorCode, message: string): Ntcp2Error =>
      new Ntcp2Error(code, message, TerminationReason.Message3Error);
    let s: Uint8Array;
    try {
      s = state.decryptAndHash(msg.subarray(0, MSG3_PART1_LENGTH));
    } catch (err) {
      if (err instanceof CryptoError) throw fail('MSG3_AUTH_FAILED', 'message 3 part 1 failed authentication');
      throw err;
    }
    if (hasHighBit(s)) throw fail('BAD_KEY', 'static key has its high bit set');
    state.mixKey(dh(e.privateKey, s, TerminationReason.Message3Error, undefined, true));
    let payload: Uint8Array;
    try {
      payload = state.decryptAndHash(msg.subarray(MSG3_PART1_LENGTH));
    } catch (err) {
      if (err instanceof CryptoError) throw fail('MSG3_AUTH_FAILED', 'message 3 part 2 failed authentication');
      throw err;
    }
    let blocks;
    try {
      blocks = decodeBlocks(payload, 'message3');
    } catch (err) {
      if (err instanceof BlockError) throw new Ntcp2Error('BAD_MSG3_PAYLOAD', err.message, TerminationReason.PayloadFormatError);
      throw err;
    }
    const riBlock = blocks[0];
    if (riBlock.kind !== 'routerInfo') throw fail('BAD_MSG3_PAYLOAD', 'no RouterInfo block'); // decodeBlocks ensures it
    const ri = checkPeerRouterInfo(riBlock.routerInfo, {
      staticKey: s,
      netId: this.o.netId,
      nowMs: this.o.now(),
      maxAgeMs: this.o.routerInfoMaxAgeMs ?? 90 * 60_000,
      maxFutureMs: this.o.routerInfoMaxFutureMs ?? 2 * 60_000,
    });
    const keys = deriveDataPhaseKeys(state.chainingKey, state.handshakeHash);
    const options = blocks.find((b): b is OptionsBlock => b.kind === 'options');
    this.stage = 'done';
    this.state = null;
    this.e = null;
    return {
      done: {
        role: 'responder',
        peerRouterHash: routerInfoHash(ri),
        peerStaticKey: s,
        peerRouterInfo: { bytes: riBlock.routerInfo, routerInfo: ri },
        ...(options ? { peerOptions: options } : {}),
        clockSkewSeconds: this.skew,
        dataPhase: dataPhaseKeysFor('responder', keys),
      },
    };
  }
}
