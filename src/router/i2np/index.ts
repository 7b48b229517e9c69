/** I2NP (i2np.rst): message types, both header forms, and one codec per message. */
export * from './types.js';
export * from './header.js';
export * from './codec.js';
export * from './router-info-gzip.js';
export { encodeDatabaseStore, decodeDatabaseStore } from './database-store.js';
export {
  encodeDatabaseLookup,
  decodeDatabaseLookup,
  lookupFlags,
  LookupFlag,
  ECIES_TAG_LENGTH,
  ELGAMAL_TAG_LENGTH,
  SESSION_KEY_LENGTH,
  MAX_ELGAMAL_REPLY_TAGS,
} from './database-lookup.js';
export { encodeDatabaseSearchReply, decodeDatabaseSearchReply, MAX_SEARCH_REPLY_PEERS } from './database-search-reply.js';
export { encodeDeliveryStatus, decodeDeliveryStatus, DELIVERY_STATUS_LENGTH } from './delivery-status.js';
export { encodeGarlic, decodeGarlic } from './garlic.js';
export { encodeData, decodeData } from './data.js';
export { encodeTunnelData, decodeTunnelData, TUNNEL_DATA_PAYLOAD_LENGTH } from './tunnel-data.js';
export { encodeTunnelGateway, decodeTunnelGateway } from './tunnel-gateway.js';
export { encodeTunnelBuild, decodeTunnelBuild, decodeTunnelBuildReply } from './tunnel-build.js';
export {
  encodeVariableTunnelBuild,
  decodeVariableTunnelBuild,
  decodeVariableTunnelBuildReply,
} from './variable-tunnel-build.js';
export { encodeShortTunnelBuild, decodeShortTunnelBuild, decodeOutboundTunnelBuildReply } from './short-tunnel-build.js';
