/** fast-check generators for every I2NP message body, shared by the round-trip and fuzz tests. */
import fc from 'fast-check';
import {
  BUILD_RECORD_LENGTH,
  I2npType,
  SHORT_BUILD_RECORD_LENGTH,
  StoreType,
  TUNNEL_DATA_LENGTH,
  type I2npBody,
  type I2npMessage,
  type LookupReplyEncryption,
} from '../../../src/router/i2np/index.js';

export const bytesOf = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
export const hash = bytesOf(32);
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const tunnelId = fc.integer({ min: 1, max: 0xffffffff });
const date = fc.integer({ min: 0, max: 2 ** 48 });

export const encryption: fc.Arbitrary<LookupReplyEncryption> = fc.oneof(
  fc.constant<LookupReplyEncryption>({ kind: 'none' }),
  fc.record({
    kind: fc.constant('elgamal' as const),
    replyKey: bytesOf(32),
    replyTags: fc.array(bytesOf(32), { minLength: 1, maxLength: 32 }),
  }),
  fc.record({ kind: fc.constant('ecies' as const), replyKey: bytesOf(32), replyTag: bytesOf(8) }),
  fc.record({ kind: fc.constant('ecies-both-flags' as const), replyKey: bytesOf(32), replyTag: bytesOf(8) }),
);

const storeType = fc.constantFrom(
  StoreType.RouterInfo,
  StoreType.LeaseSet,
  StoreType.LeaseSet2,
  StoreType.EncryptedLeaseSet,
  StoreType.MetaLeaseSet,
);

export const bodies: Record<string, fc.Arbitrary<I2npBody>> = {
  DatabaseStore: fc.record(
    {
      type: fc.constant(I2npType.DatabaseStore),
      key: hash,
      storeType,
      reply: fc.record({ token: fc.integer({ min: 1, max: 0xffffffff }), tunnelId: u32, gateway: hash }),
      data: fc.uint8Array({ minLength: 1, maxLength: 800 }),
    },
    { requiredKeys: ['type', 'key', 'storeType', 'data'] },
  ),
  DatabaseLookup: fc.record(
    {
      type: fc.constant(I2npType.DatabaseLookup),
      key: hash,
      from: hash,
      lookupType: fc.constantFrom('any' as const, 'leaseset' as const, 'routerinfo' as const, 'exploration' as const),
      replyTunnelId: tunnelId,
      excludedPeers: fc.array(hash, { maxLength: 20 }),
      encryption,
    },
    { requiredKeys: ['type', 'key', 'from', 'lookupType', 'excludedPeers', 'encryption'] },
  ),
  DatabaseSearchReply: fc.record({
    type: fc.constant(I2npType.DatabaseSearchReply),
    key: hash,
    peers: fc.array(hash, { maxLength: 20 }),
    from: hash,
  }),
  DeliveryStatus: fc.record({ type: fc.constant(I2npType.DeliveryStatus), deliveredMsgId: u32, timestamp: date }),
  Garlic: fc.record({ type: fc.constant(I2npType.Garlic), data: fc.uint8Array({ maxLength: 2000 }) }),
  TunnelData: fc.record({ type: fc.constant(I2npType.TunnelData), tunnelId, data: bytesOf(TUNNEL_DATA_LENGTH) }),
  TunnelGateway: fc.record({
    type: fc.constant(I2npType.TunnelGateway),
    tunnelId,
    message: fc.uint8Array({ maxLength: 2000 }),
  }),
  Data: fc.record({ type: fc.constant(I2npType.Data), data: fc.uint8Array({ maxLength: 2000 }) }),
  TunnelBuild: fc.record({
    type: fc.constant(I2npType.TunnelBuild),
    records: fc.array(bytesOf(BUILD_RECORD_LENGTH), { minLength: 8, maxLength: 8 }),
  }),
  TunnelBuildReply: fc.record({
    type: fc.constant(I2npType.TunnelBuildReply),
    records: fc.array(bytesOf(BUILD_RECORD_LENGTH), { minLength: 8, maxLength: 8 }),
  }),
  VariableTunnelBuild: fc.record({
    type: fc.constant(I2npType.VariableTunnelBuild),
    records: fc.array(bytesOf(BUILD_RECORD_LENGTH), { minLength: 1, maxLength: 8 }),
  }),
  VariableTunnelBuildReply: fc.record({
    type: fc.constant(I2npType.VariableTunnelBuildReply),
    records: fc.array(bytesOf(BUILD_RECORD_LENGTH), { minLength: 1, maxLength: 8 }),
  }),
  ShortTunnelBuild: fc.record({
    type: fc.constant(I2npType.ShortTunnelBuild),
    records: fc.array(bytesOf(SHORT_BUILD_RECORD_LENGTH), { minLength: 1, maxLength: 8 }),
  }),
  OutboundTunnelBuildReply: fc.record({
    type: fc.constant(I2npType.OutboundTunnelBuildReply),
    records: fc.array(bytesOf(SHORT_BUILD_RECORD_LENGTH), { minLength: 1, maxLength: 8 }),
  }),
};

/** The short header keeps whole seconds, so short-form messages get second-aligned expirations. */
export function message(body: fc.Arbitrary<I2npBody>, form: 'standard' | 'short'): fc.Arbitrary<I2npMessage> {
  const expiration =
    form === 'standard'
      ? fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })
      : fc.integer({ min: 0, max: 0xffffffff }).map((s) => s * 1000);
  return fc
    .tuple(body, u32, expiration)
    .map(([b, msgId, exp]) => ({ ...b, msgId, expiration: exp }) as I2npMessage);
}

export const anyMessage = (form: 'standard' | 'short') => fc.oneof(...Object.values(bodies).map((b) => message(b, form)));
