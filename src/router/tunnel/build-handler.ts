import { equalBytes, i2pBase64Encode } from '../data/index.js';
import { encodeFrame, encodeMessage, I2npType, type I2npFrame, type I2npMessage } from '../i2np/index.js';
import { encodeShortTunnelBuild } from '../i2np/short-tunnel-build.js';
import { encryptWithTag } from '../garlic/router-garlic.js';
import type { Clock, RandomSource } from '../runtime/index.js';
import { BuildRecordError, encryptLongReplyInPlace, encryptShortReplyInPlace, type BuildRecordDecryptor } from './build-crypto.js';
import { HopLayer } from './layer-crypto.js';
import { wireReplyCode, type TransitPolicy } from './transit-policy.js';
import type { TransitTunnels } from './transit.js';
import type { TunnelIds } from './tunnel-ids.js';
import type { TunnelReassembler } from './reassembler.js';
import { BuildReplyCode, type BuildRequest, type HopKeys, type HopRole } from './types.js';

/** How far a build request's time may be from ours (its field has minute resolution). */
const REQUEST_TIME_WINDOW_MS = 5 * 60_000;
/** An ephemeral key seen in a build record is refused again for this long (replays). */
const REPLAY_WINDOW_MS = 20 * 60_000;
const MAX_REPLAY_ENTRIES = 100_000;

export interface BuildHandlerCounters {
  /** A record of ours, decrypted and answered. */
  accepted: number;
  refused: number;
  refusedByCode: Record<string, number>;
  /** No record carried our hash prefix (not for us, or a reply to a build we no longer track). */
  notForUs: number;
  /** Our record did not decrypt, or its cleartext was malformed. */
  undecryptable: number;
  /** A record (its ephemeral key) seen before. */
  replayed: number;
  /** Dropped without an answer: stale request time, unknown layer type, next hop is us. */
  dropped: number;
}

export interface BuildHandlerDeps {
  clock: Clock;
  random: RandomSource;
  ourHash: Uint8Array;
  decryptor: BuildRecordDecryptor;
  policy: TransitPolicy;
  transit: TransitTunnels;
  ids: TunnelIds;
  send: (to: Uint8Array, i2npShort: Uint8Array) => boolean;
  newMsgId: () => number;
  makeReassembler: () => TunnelReassembler;
  /** A message (standard header) for a tunnel whose gateway is us (a reply to our own zero-hop). */
  gatewayLocal: (tunnelId: number, messageStandard: Uint8Array) => void;
  /** Whether we carry others' tunnels at all (on by default). */
  transitEnabled: () => boolean;
}

/**
 * The hop side of tunnel building (tunnel-creation-ecies.rst): find our record in a
 * ShortTunnelBuild or VariableTunnelBuild, decrypt it, decide, answer in our reply record,
 * layer the others, and pass the message on: to the next hop, or, as the outbound endpoint,
 * back to the creator through the reply tunnel.
 */
export class BuildHandler {
  readonly counters: BuildHandlerCounters = { accepted: 0, refused: 0, refusedByCode: {}, notForUs: 0, undecryptable: 0, replayed: 0, dropped: 0 };
  private readonly seen = new Map<string, number>();

  constructor(private readonly deps: BuildHandlerDeps) {}

  /** ShortTunnelBuild (25) from `from`. */
  onShortBuild(from: Uint8Array, msgRecords: Uint8Array[]): void {
    const opened = this.open(msgRecords, (r) => this.deps.decryptor.decryptShort(r));
    if (!opened) return;
    const { records, index, value } = opened;
    const { request, keys } = value;
    const code = this.decide(from, request, keys);
    if (code === undefined) return;
    encryptShortReplyInPlace(records, index, keys, { options: {}, reply: code }, this.deps.random);
    if (request.role === 'obep') this.replyAsEndpoint(request, keys, records);
    else this.forward(request.nextIdent, encodeMessage({ type: I2npType.ShortTunnelBuild, msgId: request.nextMessageId, expiration: this.expiration(), records } as I2npMessage, 'short'));
  }

  /** VariableTunnelBuild (23): the long ECIES records (older creators). */
  onVariableBuild(from: Uint8Array, msgRecords: Uint8Array[]): void {
    const opened = this.open(msgRecords, (r) => this.deps.decryptor.decryptLong(r));
    if (!opened) return;
    const { records, index, value } = opened;
    const { request } = value;
    const code = this.decide(from, request, { layerKey: request.layerKey, ivKey: request.ivKey });
    if (code === undefined) return;
    encryptLongReplyInPlace(records, index, request, value.keys, { options: {}, reply: code }, this.deps.random);
    const type = request.role === 'obep' ? I2npType.VariableTunnelBuildReply : I2npType.VariableTunnelBuild;
    const message = { type, msgId: request.nextMessageId, expiration: this.expiration(), records } as I2npMessage;
    if (request.role === 'obep') this.toReplyTunnel(request, encodeMessage(message, 'standard'));
    else this.forward(request.nextIdent, encodeMessage(message, 'short'));
  }

  /**
   * Our record of a build message, decrypted: the records are copied (we answer in place), a
   * replay is refused before the DH, and the key is remembered only once the record opened, so a
   * forgery that reuses a genuine record's key cannot get the genuine one refused as a replay.
   */
  private open<T>(msgRecords: Uint8Array[], decrypt: (record: Uint8Array) => T): { records: Uint8Array[]; index: number; value: T } | undefined {
    const records = msgRecords.map((r) => r.slice());
    const index = this.deps.decryptor.findRecord(records);
    if (index < 0) {
      this.counters.notForUs++;
      return undefined;
    }
    if (this.isReplay(records[index])) return undefined;
    let value: T;
    try {
      value = decrypt(records[index]);
    } catch (e) {
      if (!(e instanceof BuildRecordError) && !(e as Error).name?.includes('DecodeError')) throw e;
      this.counters.undecryptable++;
      return undefined;
    }
    this.remember(records[index]);
    return { records, index, value };
  }

  /** The reply code, after creating the transit tunnel on accept; undefined: drop, no answer. */
  private decide(from: Uint8Array, request: BuildRequest, keys: { layerKey: Uint8Array; ivKey: Uint8Array }): number | undefined {
    const now = this.deps.clock.now();
    if (request.layerEncryption !== 0 || Math.abs(request.requestTimeMinutes * 60_000 - now) > REQUEST_TIME_WINDOW_MS + 60_000) {
      this.counters.dropped++;
      return undefined;
    }
    // A hop whose next hop is itself would loop (i2pd drops these too).
    if (request.role !== 'obep' && equalBytes(request.nextIdent, this.deps.ourHash)) {
      this.counters.dropped++;
      return undefined;
    }
    const requester = i2pBase64Encode(from);
    let code: number;
    if (!this.deps.transitEnabled()) code = BuildReplyCode.Bandwidth;
    else {
      const d = this.deps.policy.decide({ fromPeer: requester, role: request.role, options: request.options, now });
      // On the wire only 0 and 30 exist (tunnel-creation-ecies.rst): finer codes would fingerprint us.
      code = d.accept ? BuildReplyCode.Accept : wireReplyCode(d.code);
    }
    if (code === BuildReplyCode.Accept && !this.deps.ids.reserve(request.receiveTunnelId)) code = BuildReplyCode.Bandwidth;
    if (code === BuildReplyCode.Accept) {
      const expiresAt = now + request.expirationSeconds * 1000;
      this.deps.transit.add({
        receiveTunnelId: request.receiveTunnelId,
        role: request.role as HopRole,
        nextTunnelId: request.nextTunnelId,
        nextIdent: request.nextIdent.slice(),
        layer: new HopLayer({ layerKey: keys.layerKey, ivKey: keys.ivKey }),
        createdAt: now,
        expiresAt,
        requester,
        ...(request.role === 'obep' && { reassembler: this.deps.makeReassembler() }),
        messages: 0,
        bytes: 0,
      });
      this.deps.policy.added();
      this.counters.accepted++;
    } else {
      this.counters.refused++;
      this.counters.refusedByCode[code] = (this.counters.refusedByCode[code] ?? 0) + 1;
    }
    return code;
  }

  /**
   * The outbound endpoint answers the creator: an OutboundTunnelBuildReply, in garlic under the
   * one-time key and tag from our record's KDF, into the reply tunnel at its gateway.
   */
  private replyAsEndpoint(request: BuildRequest, keys: HopKeys, records: Uint8Array[]): void {
    const expiration = this.expiration();
    const reply: I2npFrame = { type: I2npType.OutboundTunnelBuildReply, msgId: request.nextMessageId, expiration, payload: encodeShortTunnelBuild({ type: I2npType.OutboundTunnelBuildReply, records }) };
    let message: Uint8Array;
    if (keys.garlicReplyKey && keys.garlicReplyTag && !equalBytes(request.nextIdent, this.deps.ourHash)) {
      const body = encryptWithTag(keys.garlicReplyKey, keys.garlicReplyTag, [{ type: 'clove', clove: { delivery: { type: 'local' }, message: reply } }]);
      message = encodeMessage({ type: I2npType.Garlic, msgId: this.deps.newMsgId(), expiration, data: body }, 'standard');
    } else {
      message = encodeFrame(reply, 'standard');
    }
    this.toReplyTunnel(request, message);
  }

  private toReplyTunnel(request: BuildRequest, messageStandard: Uint8Array): void {
    if (equalBytes(request.nextIdent, this.deps.ourHash)) {
      this.deps.gatewayLocal(request.nextTunnelId, messageStandard);
      return;
    }
    const gw = encodeMessage({ type: I2npType.TunnelGateway, msgId: this.deps.newMsgId(), expiration: this.expiration(), tunnelId: request.nextTunnelId, message: messageStandard } as I2npMessage, 'short');
    this.forward(request.nextIdent, gw);
  }

  private forward(to: Uint8Array, i2npShort: Uint8Array): void {
    this.deps.send(to, i2npShort);
  }

  private expiration(): number {
    return this.deps.clock.now() + 60_000;
  }

  /**
   * Records carry a fresh ephemeral key each (bytes 16..47): a repeated one is a replay. Checked
   * before the DH (a replay costs nothing), but only records that authenticate are remembered:
   * otherwise a forgery carrying a genuine record's key, sent ahead of it, would get the genuine
   * one refused, and garbage could push genuine keys out of the bounded map.
   */
  private isReplay(record: Uint8Array): boolean {
    const seenAt = this.seen.get(replayKey(record));
    if (seenAt !== undefined && this.deps.clock.now() - seenAt < REPLAY_WINDOW_MS) {
      this.counters.replayed++;
      return true;
    }
    return false;
  }

  private remember(record: Uint8Array): void {
    const now = this.deps.clock.now();
    const key = replayKey(record);
    // Re-inserted at the end: insertion order stays time order for pruneReplays.
    this.seen.delete(key);
    this.seen.set(key, now);
    if (this.seen.size > MAX_REPLAY_ENTRIES) this.pruneReplays(now);
  }

  /** Insertion order is time order: drop from the front until in the window and under the bound. */
  pruneReplays(now = this.deps.clock.now()): void {
    for (const [k, t] of this.seen) {
      if (now - t < REPLAY_WINDOW_MS && this.seen.size <= MAX_REPLAY_ENTRIES) break;
      this.seen.delete(k);
    }
  }
}

function replayKey(record: Uint8Array): string {
  return i2pBase64Encode(record.subarray(16, 48));
}
