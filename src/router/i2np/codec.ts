/**
 * Whole I2NP messages: header + typed body, in either header form.
 *
 * Unknown types are a DecodeError from decodeMessage rather than an "Unknown" message: nothing we
 * forward needs the typed decoder (TunnelGateway keeps its inner message as bytes, tunnel and
 * garlic delivery hand on frames), and decodeFrame/encodeFrame in header.ts already carry any
 * type, known or not, with its payload untouched when a message is only to be passed on.
 */
import { ByteReader } from '../data/bytes.js';
import { DecodeError, EncodeError } from '../data/errors.js';
import { decodeDatabaseLookup, encodeDatabaseLookup } from './database-lookup.js';
import { decodeDatabaseSearchReply, encodeDatabaseSearchReply } from './database-search-reply.js';
import { decodeDatabaseStore, encodeDatabaseStore } from './database-store.js';
import { decodeData, encodeData } from './data.js';
import { decodeDeliveryStatus, encodeDeliveryStatus } from './delivery-status.js';
import { decodeGarlic, encodeGarlic } from './garlic.js';
import {
  decodeFrame,
  encodeFrame,
  headerLength,
  readStandardFrame,
  STANDARD_HEADER_LENGTH,
  type I2npFrame,
} from './header.js';
import {
  decodeOutboundTunnelBuildReply,
  decodeShortTunnelBuild,
  encodeShortTunnelBuild,
} from './short-tunnel-build.js';
import { decodeTunnelBuild, decodeTunnelBuildReply, encodeTunnelBuild } from './tunnel-build.js';
import { decodeTunnelData, encodeTunnelData } from './tunnel-data.js';
import { decodeTunnelGateway, encodeTunnelGateway } from './tunnel-gateway.js';
import { I2npType, isKnownI2npType, type HeaderForm, type I2npBody, type I2npMessage } from './types.js';
import {
  decodeVariableTunnelBuild,
  decodeVariableTunnelBuildReply,
  encodeVariableTunnelBuild,
} from './variable-tunnel-build.js';

/** The payload bytes of a body (no header). */
export function encodePayload(body: I2npBody): Uint8Array {
  switch (body.type) {
    case I2npType.DatabaseStore:
      return encodeDatabaseStore(body);
    case I2npType.DatabaseLookup:
      return encodeDatabaseLookup(body);
    case I2npType.DatabaseSearchReply:
      return encodeDatabaseSearchReply(body);
    case I2npType.DeliveryStatus:
      return encodeDeliveryStatus(body);
    case I2npType.Garlic:
      return encodeGarlic(body);
    case I2npType.TunnelData:
      return encodeTunnelData(body);
    case I2npType.TunnelGateway:
      return encodeTunnelGateway(body);
    case I2npType.Data:
      return encodeData(body);
    case I2npType.TunnelBuild:
    case I2npType.TunnelBuildReply:
      return encodeTunnelBuild(body);
    case I2npType.VariableTunnelBuild:
    case I2npType.VariableTunnelBuildReply:
      return encodeVariableTunnelBuild(body);
    case I2npType.ShortTunnelBuild:
    case I2npType.OutboundTunnelBuildReply:
      return encodeShortTunnelBuild(body);
    default:
      throw new EncodeError('type', `${String((body as { type: unknown }).type)} is not an I2NP message type we encode`);
  }
}

/** Decodes a payload of the given type; `base` is its offset in the outer input (for errors). */
export function decodePayload(type: number, payload: Uint8Array, base = 0): I2npBody {
  switch (type) {
    case I2npType.DatabaseStore:
      return decodeDatabaseStore(payload, base);
    case I2npType.DatabaseLookup:
      return decodeDatabaseLookup(payload, base);
    case I2npType.DatabaseSearchReply:
      return decodeDatabaseSearchReply(payload, base);
    case I2npType.DeliveryStatus:
      return decodeDeliveryStatus(payload, base);
    case I2npType.Garlic:
      return decodeGarlic(payload, base);
    case I2npType.TunnelData:
      return decodeTunnelData(payload, base);
    case I2npType.TunnelGateway:
      return decodeTunnelGateway(payload, base);
    case I2npType.Data:
      return decodeData(payload, base);
    case I2npType.TunnelBuild:
      return decodeTunnelBuild(payload, base);
    case I2npType.TunnelBuildReply:
      return decodeTunnelBuildReply(payload, base);
    case I2npType.VariableTunnelBuild:
      return decodeVariableTunnelBuild(payload, base);
    case I2npType.VariableTunnelBuildReply:
      return decodeVariableTunnelBuildReply(payload, base);
    case I2npType.ShortTunnelBuild:
      return decodeShortTunnelBuild(payload, base);
    case I2npType.OutboundTunnelBuildReply:
      return decodeOutboundTunnelBuildReply(payload, base);
    default:
      throw new DecodeError('type', base, `unknown I2NP message type ${type}`);
  }
}

function requireKnownType(type: number, messageStart: number): void {
  if (!isKnownI2npType(type)) throw new DecodeError('type', messageStart, `unknown I2NP message type ${type}`);
}

export function encodeMessage(msg: I2npMessage, form: HeaderForm): Uint8Array {
  return encodeFrame({ type: msg.type, msgId: msg.msgId, expiration: msg.expiration, payload: encodePayload(msg) }, form);
}

function withEnvelope(frame: I2npFrame, body: I2npBody): I2npMessage {
  return { ...body, msgId: frame.msgId, expiration: frame.expiration };
}

/** One whole message; for 'short' the input is exactly what the NTCP2/SSU2 block or clove framed. */
export function decodeMessage(bytes: Uint8Array, form: HeaderForm): I2npMessage {
  // Body decoders copy every field they keep, so the frame can view the input.
  const frame = decodeFrame(bytes, form, 0, false);
  requireKnownType(frame.type, 0);
  return withEnvelope(frame, decodePayload(frame.type, frame.payload, headerLength(form)));
}

/** The typed message of an already split frame (payloadOffset: where its payload began, for errors). */
export function decodeFrameMessage(frame: I2npFrame, payloadOffset = 0): I2npMessage {
  return withEnvelope(frame, decodePayload(frame.type, frame.payload, payloadOffset));
}

/**
 * Back-to-back standard-header messages (each carries its own size). At most `maxMessages`;
 * every message is at least 16 bytes, so the loop is bounded by the input as well.
 */
export function decodeMessages(bytes: Uint8Array, maxMessages = 1024): I2npMessage[] {
  const r = new ByteReader(bytes);
  const out: I2npMessage[] = [];
  while (r.remaining > 0) {
    if (out.length >= maxMessages) r.fail('messages', `more than ${maxMessages} messages`);
    const start = r.offset;
    const frame = readStandardFrame(r, false);
    requireKnownType(frame.type, start);
    out.push(withEnvelope(frame, decodePayload(frame.type, frame.payload, start + STANDARD_HEADER_LENGTH)));
  }
  return out;
}
