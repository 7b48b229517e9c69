import type { Destination } from '../../data/keys-and-cert.js';
import { type DecodedPacket, FLAG_ECHO, FLAG_FROM_INCLUDED, FLAG_RESET, FLAG_SIGNATURE_INCLUDED, type StreamPacket } from './packet.js';

const EMPTY = new Uint8Array(0);

/**
 * The RESET answering a SYN nobody takes (no listener, too many streams). Signed, with FROM
 * for peers older than 0.9.20; sequence 0, as Java sends it (i2pd then gives up on its own).
 */
export function refusalFor(syn: DecodedPacket, from: Destination): StreamPacket {
  return {
    sendStreamId: syn.receiveStreamId,
    receiveStreamId: 0,
    sequenceNum: 0,
    ackThrough: syn.sequenceNum,
    nacks: [],
    resendDelay: 0,
    flags: FLAG_RESET | FLAG_SIGNATURE_INCLUDED | FLAG_FROM_INCLUDED,
    from,
    payload: EMPTY,
  };
}

/** A pong (streaming.html "ping"): ECHO back to the ping's stream id, unsigned, with its payload. */
export function pongFor(ping: DecodedPacket): StreamPacket {
  return { sendStreamId: 0, receiveStreamId: ping.sendStreamId, sequenceNum: 0, ackThrough: 0, nacks: [], resendDelay: 0, flags: FLAG_ECHO, payload: ping.payload };
}
