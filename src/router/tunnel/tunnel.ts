import type { HopLayer } from './layer-crypto.js';

/** A tunnel lives this long once built (tunnel-creation.rst: request expiration 600 s). */
export const TUNNEL_LIFETIME_MS = 10 * 60_000;

/** One hop of a tunnel we built: who, its receive id, and its layer. */
export interface OwnHop {
  hash: Uint8Array;
  /** The id this hop receives tunnel messages as. */
  tunnelId: number;
  layer: HopLayer;
}

interface TunnelBase {
  /** Our id for it: the endpoint's receive id (inbound) or the first hop's (outbound); 0-hop: ours. */
  readonly id: number;
  readonly hops: readonly OwnHop[];
  readonly createdAt: number;
  readonly expiresAt: number;
  /** The pool that built it (exploratory or a client's). */
  readonly pool: string;
  /** Failed tunnel tests in a row; a tunnel that fails too often is dropped. */
  testFailures: number;
  messages: number;
  bytes: number;
}

/**
 * A tunnel whose endpoint is us. Others send into it at `gateway` (tunnel `gatewayTunnelId`);
 * with zero hops we are the gateway ourselves.
 */
export interface InboundTunnel extends TunnelBase {
  readonly direction: 'inbound';
  readonly gateway: Uint8Array;
  readonly gatewayTunnelId: number;
}

/** A tunnel whose gateway is us; with zero hops we deliver ourselves. */
export interface OutboundTunnel extends TunnelBase {
  readonly direction: 'outbound';
  /** The first hop and its receive id (undefined for zero hops). */
  readonly firstHop?: Uint8Array;
  readonly firstTunnelId?: number;
}

export type OwnTunnel = InboundTunnel | OutboundTunnel;
