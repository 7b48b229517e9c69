import { aes256CbcDecrypt, aes256CbcEncrypt, CryptoError, type SymmetricState } from '../../crypto/index.js';
import type { RandomSource } from '../../runtime/index.js';
import { BLOCK_HEADER_LENGTH, encodeBlocks, type Ntcp2Block } from './blocks.js';
import { Ntcp2Error } from './errors.js';
import { Collector, dh, type EphemeralKey, ephemeralKey, guard, hasHighBit, type Ntcp2Step } from './handshake.js';
import {
  decodeSessionCreatedOptions,
  encodeSessionRequestOptions,
  M3P2_MAX_LENGTH,
  MAX_CLOCK_SKEW_SECONDS,
  MSG12_FIXED_LENGTH,
  MSG12_MAX_PADDING,
  NTCP2_VERSION,
  skewSeconds,
  unixSeconds,
} from './handshake-options.js';
import { dataPhaseKeysFor, deriveDataPhaseKeys, initialHandshakeState } from './kdf.js';
import { TerminationReason } from './termination.js';

/** Bob as Alice knows him from his RouterInfo: hash and the NTCP2 address's `s` and `i`. */
export interface Ntcp2PeerAddress {
  routerHash: Uint8Array;
  staticKey: Uint8Array;
  iv: Uint8Array;
}

export interface Ntcp2InitiatorOptions {
  /** Our NTCP2 static X25519 key pair (published as `s`). */
  staticPrivateKey: Uint8Array;
  staticPublicKey: Uint8Array;
  /**
   * Our RouterInfo bytes, freshly signed. Called when message 1 is built (to size message 3)
   * and again when message 3 is built; the later one is sent if it fits the announced size.
   */
  routerInfo: () => Uint8Array;
  peer: Ntcp2PeerAddress;
  netId: number;
  /** ms since the epoch */
  now: () => number;
  random: RandomSource;
  /** Maximum padding of message 1 (0..223; default 223, like i2pd's 0..222). */
  paddingMax?: number;
  /** Maximum padding accepted in message 2 (default 256, Java's limit; i2pd sends <= 222). */
  receivePaddingMax?: number;
  /** Extra bytes reserved in message 3 part 2 for padding / a grown RouterInfo: 0..n (default 32). */
  message3PaddingMax?: number;
}

type Stage = 'new' | 'msg2' | 'msg2Padding' | 'done' | 'failed';

/** Alice: sends SessionRequest, reads SessionCreated, sends SessionConfirmed. No I/O. */
export class Ntcp2Initiator {
  private readonly o: Ntcp2InitiatorOptions;
  private stage: Stage = 'new';
  private readonly input = new Collector();
  private state: SymmetricState | null = null;
  private e: EphemeralKey | null = null;
  /** The last ciphertext block of X: message 2's AES-CBC continues from it. */
  private aesIv: Uint8Array = new Uint8Array(16);
  /** Bob's ephemeral key Y, for the "se" DH of message 3. */
  private y: Uint8Array = new Uint8Array(0);
  private firstRouterInfo: Uint8Array = new Uint8Array(0);
  private m3p2Length = 0;
  private skew = 0;

  constructor(opts: Ntcp2InitiatorOptions) {
    const pad = opts.paddingMax ?? MSG12_MAX_PADDING;
    if (!Number.isInteger(pad) || pad < 0 || pad > MSG12_MAX_PADDING) {
      throw new RangeError(`paddingMax must be 0..${MSG12_MAX_PADDING}`);
    }
    for (const [name, b, n] of [
      ['staticPrivateKey', opts.staticPrivateKey, 32],
      ['staticPublicKey', opts.staticPublicKey, 32],
      ['peer.routerHash', opts.peer.routerHash, 32],
      ['peer.staticKey', opts.peer.staticKey, 32],
      ['peer.iv', opts.peer.iv, 16],
    ] as const) {
      if (b.length !== n) throw new RangeError(`${name} must be ${n} bytes`);
    }
    this.o = { ...opts, paddingMax: pad };
  }

  /** Bytes held while waiting for the rest of message 2 (never above 64 + receivePaddingMax). */
  get buffered(): number {
    return this.input.buffered;
  }

  /**
   * Message 1 (SessionRequest). Throws Ntcp2Error BAD_KEY if the peer's `s` is not a usable
   * X25519 key, ROUTER_INFO_TOO_LARGE if our RouterInfo cannot fit message 3.
   */
  start(): Uint8Array {
    if (this.stage !== 'new') throw new Ntcp2Error('BAD_STATE', 'start() called twice');
    this.stage = 'failed';
    const { peer, random } = this.o;
    if (hasHighBit(peer.staticKey)) throw new Ntcp2Error('BAD_KEY', 'peer static key has its high bit set');
    this.firstRouterInfo = this.o.routerInfo().slice();
    const reserve = random.int((this.o.message3PaddingMax ?? 32) + 1);
    // RouterInfo block (header + flag + RI) + padding block header + padding + MAC.
    this.m3p2Length = BLOCK_HEADER_LENGTH + 1 + this.firstRouterInfo.length + BLOCK_HEADER_LENGTH + reserve + 16;
    if (this.m3p2Length > M3P2_MAX_LENGTH) {
      throw new Ntcp2Error('ROUTER_INFO_TOO_LARGE', `RouterInfo of ${this.firstRouterInfo.length} bytes cannot fit message 3`);
    }

    const e = ephemeralKey(random);
    const state = initialHandshakeState(peer.staticKey);
    state.mixHash(e.publicKey);
    state.mixKey(dh(e.privateKey, peer.staticKey, TerminationReason.Message1Error, undefined, true));
    const paddingLength = random.int((this.o.paddingMax as number) + 1);
    const options = encodeSessionRequestOptions({
      networkId: this.o.netId,
      version: NTCP2_VERSION,
      paddingLength,
      m3p2Length: this.m3p2Length,
      timestamp: unixSeconds(this.o.now()),
    });
    const frame = state.encryptAndHash(options);
    const padding = random.bytes(paddingLength);
    // Padding outside the AEAD is still authenticated: it enters h (only when non-empty).
    if (paddingLength > 0) state.mixHash(padding);
    const encryptedX = aes256CbcEncrypt(peer.routerHash, peer.iv, e.publicKey);
    this.aesIv = encryptedX.slice(16, 32);

    const msg = new Uint8Array(MSG12_FIXED_LENGTH + paddingLength);
    msg.set(encryptedX, 0);
    msg.set(frame, 32);
    msg.set(padding, MSG12_FIXED_LENGTH);
    this.e = e;
    this.state = state;
    this.stage = 'msg2';
    this.input.expect(MSG12_FIXED_LENGTH);
    return msg;
  }

  /** Feeds bytes from Bob: message 2 in any number of pieces. */
  receive(bytes: Uint8Array): Ntcp2Step {
    if (this.stage !== 'msg2' && this.stage !== 'msg2Padding') {
      return { error: new Ntcp2Error('BAD_STATE', `receive() in stage ${this.stage}`) };
    }
    try {
      let offset = 0;
      // Each pass completes a stage or runs out of input.
      for (;;) {
        offset = this.input.feed(bytes, offset);
        if (!this.input.complete) return {};
        if (this.stage === 'msg2') {
          const paddingLength = guard('message 2', () => this.readMessage2(this.input.bytes));
          this.stage = 'msg2Padding';
          this.input.expect(paddingLength);
          continue;
        }
        // Bob may send nothing more until he has message 3.
        if (offset < bytes.length) {
          throw new Ntcp2Error('UNEXPECTED_DATA', 'data after message 2', TerminationReason.Message2Error);
        }
        return guard('message 3', () => this.finish(this.input.bytes));
      }
    } catch (e) {
      this.stage = 'failed';
      return { error: e as Ntcp2Error };
    }
  }

  /** Message 2's fixed part: Y, ee, options. Returns the padding length to read. */
  private readMessage2(msg: Uint8Array): number {
    const state = this.state as SymmetricState;
    const e = this.e as EphemeralKey;
    const y = aes256CbcDecrypt(this.o.peer.routerHash, this.aesIv, msg.subarray(0, 32));
    if (hasHighBit(y)) throw new Ntcp2Error('MSG2_AUTH_FAILED', 'message 2 key has its high bit set', TerminationReason.Message2Error);
    state.mixHash(y);
    state.mixKey(dh(e.privateKey, y, TerminationReason.Message2Error, undefined, true));
    let options: Uint8Array;
    try {
      options = state.decryptAndHash(msg.subarray(32, 64));
    } catch (err) {
      if (err instanceof CryptoError) {
        throw new Ntcp2Error('MSG2_AUTH_FAILED', 'message 2 failed authentication', TerminationReason.Message2Error);
      }
      throw err;
    }
    const { paddingLength, timestamp } = decodeSessionCreatedOptions(options);
    const skew = skewSeconds(timestamp, this.o.now());
    if (Math.abs(skew) > MAX_CLOCK_SKEW_SECONDS) {
      throw new Ntcp2Error('CLOCK_SKEW', `peer clock is ${skew} s off`, TerminationReason.ClockSkew, undefined, skew);
    }
    this.skew = skew;
    if (paddingLength > (this.o.receivePaddingMax ?? 256)) {
      throw new Ntcp2Error('BAD_PADDING_LENGTH', `message 2 padding of ${paddingLength} bytes`, TerminationReason.PaddingViolation);
    }
    this.y = y;
    return paddingLength;
  }

  /** Mixes message 2's padding, builds message 3, derives the data-phase keys. */
  private finish(padding: Uint8Array): Ntcp2Step {
    const state = this.state as SymmetricState;
    if (padding.length > 0) state.mixHash(padding);
    const part1 = state.encryptAndHash(this.o.staticPublicKey);
    state.mixKey(dh(this.o.staticPrivateKey, this.y, TerminationReason.Message3Error));
    const part2 = state.encryptAndHash(this.message3Payload());
    const keys = deriveDataPhaseKeys(state.chainingKey, state.handshakeHash);
    const msg = new Uint8Array(part1.length + part2.length);
    msg.set(part1, 0);
    msg.set(part2, part1.length);
    this.stage = 'done';
    this.state = null;
    this.e = null;
    return {
      send: [msg],
      done: {
        role: 'initiator',
        peerRouterHash: this.o.peer.routerHash.slice(),
        peerStaticKey: this.o.peer.staticKey.slice(),
        clockSkewSeconds: this.skew,
        dataPhase: dataPhaseKeysFor('initiator', keys),
      },
    };
  }

  /**
   * RouterInfo block, then padding filling exactly the m3p2len announced in message 1 (spec
   * strategy b). The RouterInfo is asked for again now, so it is as fresh as possible; if the
   * fresh one no longer fits, the one sized at message 1 (seconds old) is sent instead.
   */
  private message3Payload(): Uint8Array {
    const room = this.m3p2Length - 16;
    let ri = this.o.routerInfo();
    let rest = room - (BLOCK_HEADER_LENGTH + 1 + ri.length);
    if (rest !== 0 && rest < BLOCK_HEADER_LENGTH) {
      ri = this.firstRouterInfo;
      rest = room - (BLOCK_HEADER_LENGTH + 1 + ri.length);
    }
    const blocks: Ntcp2Block[] = [{ kind: 'routerInfo', flood: false, routerInfo: ri }];
    if (rest > 0) blocks.push({ kind: 'padding', data: this.o.random.bytes(rest - BLOCK_HEADER_LENGTH) });
    return encodeBlocks(blocks);
  }
}
