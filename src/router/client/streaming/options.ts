/**
 * Tunables of one streaming connection. Defaults follow streaming.html where it gives numbers
 * and i2pd 2.45.1 where it does not; all are bounded so a peer cannot make us hold more.
 */
export interface ConnectionOptions {
  /**
   * Our maximum payload per packet: 1812 over ECIES-ratchet sessions (proposal 155). Keep the
   * whole packet under 4096 bytes: i2pd inflates into a buffer of that size and drops more.
   */
  mtu: number;
  /** The smallest MTU a peer may ask for (a smaller MAX_PACKET_SIZE is raised to this). */
  minMtu: number;
  /** Congestion window, in messages. */
  initialWindow: number;
  minWindow: number;
  maxWindow: number;
  initialRtoMs: number;
  minRtoMs: number;
  maxRto: number;
  /** Sends of a packet (after the first) before the connection gives up with a RESET. */
  maxRetransmissions: number;
  /** Tries left for a lone final CLOSE once the peer has closed too (it may be gone). */
  closeRetransmissions: number;
  /** A delayed ACK waits at most this long (less when the RTT is short). */
  ackDelayMs: number;
  /** ...or until this many packets wait for one. */
  ackEvery: number;
  /** A short tail of data waits this long for more writes to fill a packet. */
  nagleMs: number;
  /** Out-of-order packets kept, at most this far ahead of the next expected one. */
  maxOutOfOrder: number;
  /** Unread received bytes at which we choke the peer (twice this: new packets are dropped). */
  receiveBufferBytes: number;
  /** Written bytes queued before `write` waits. */
  sendBufferBytes: number;
}

export const STREAMING_MTU = 1730;
export const STREAMING_MTU_RATCHETS = 1812;

export const DEFAULT_CONNECTION_OPTIONS: ConnectionOptions = {
  mtu: STREAMING_MTU_RATCHETS,
  minMtu: 512,
  initialWindow: 6,
  minWindow: 1,
  maxWindow: 128,
  initialRtoMs: 6_000,
  minRtoMs: 250,
  maxRto: 45_000,
  maxRetransmissions: 8,
  closeRetransmissions: 2,
  ackDelayMs: 150,
  ackEvery: 2,
  nagleMs: 5,
  maxOutOfOrder: 256,
  receiveBufferBytes: 512 * 1024,
  sendBufferBytes: 256 * 1024,
};

/** The options of a StreamManager: every connection's, and its own. */
export interface StreamingOptions extends ConnectionOptions {
  /** Streams open at once (both directions); more are refused with LIMIT / RESET. */
  maxStreams: number;
  connectTimeoutMs: number;
  /**
   * I2CP gzip level of our packets (0 stores). Deflate costs ~50 us per full packet here against
   * ~8 us to store, and saves nothing on compressed data but most of the bytes of text: a
   * stream that does not compress sends stored blocks for the next `gzipBackoff` packets.
   */
  gzipLevel: number;
  gzipBackoff: number;
  /** An orderly closed stream answers retransmitted CLOSEs this long. */
  lingerMs: number;
  replayWindowMs: number;
  replayCacheSize: number;
  /** Packets for an incoming stream whose SYN has not arrived yet (reordered), kept briefly. */
  maxEarlyPackets: number;
  earlyPacketMs: number;
  /** Readable/writable high-water marks of each I2pStream. */
  highWaterMark: number;
}

export const DEFAULT_STREAMING_OPTIONS: StreamingOptions = {
  ...DEFAULT_CONNECTION_OPTIONS,
  maxStreams: 1024,
  connectTimeoutMs: 60_000,
  gzipLevel: 1,
  gzipBackoff: 64,
  lingerMs: 10_000,
  replayWindowMs: 5 * 60_000,
  replayCacheSize: 20_000,
  maxEarlyPackets: 64,
  earlyPacketMs: 10_000,
  highWaterMark: 64 * 1024,
};

