/**
 * What one SAM server holds across its connections: the limits it enforces and the registry
 * of session IDs (sessions and subsessions share one name space, as the spec asks) and of the
 * destinations in use (DUPLICATED_ID, DUPLICATED_DEST).
 */
import { equalBytes } from '../../data/index.js';
import type { SamSession, SubSession } from './session.js';

export interface SamLimits {
  /** A client that has not said HELLO by then is told so and disconnected. */
  helloTimeoutMs: number;
  /** SESSION CREATE waits this long for the destination's tunnels and LeaseSet. */
  sessionReadyTimeoutMs: number;
  connectTimeoutMs: number;
  /** STREAM FORWARD: how long the client's server has to accept our connection (the spec's 3 s). */
  forwardConnectTimeoutMs: number;
  maxSessions: number;
  /** Commands refused on one connection before it is closed. */
  maxErrors: number;
  /** STREAM FORWARD and datagram forwarding to non-loopback hosts. */
  allowRemoteForward: boolean;
}

export const DEFAULT_LIMITS: SamLimits = {
  helloTimeoutMs: 30_000,
  sessionReadyTimeoutMs: 180_000,
  connectTimeoutMs: 60_000,
  forwardConnectTimeoutMs: 3_000,
  maxSessions: 32,
  maxErrors: 8,
  allowRemoteForward: false,
};

/** IDs (sessions and subsessions, unique across the server) and the destinations in use. */
export class SessionRegistry {
  private readonly byId = new Map<string, SubSession>();
  private readonly sessions = new Set<SamSession>();

  constructor(private readonly max: number) {}

  get size(): number {
    return this.sessions.size;
  }

  get full(): boolean {
    return this.sessions.size >= this.max;
  }

  /** A session or subsession of that name (a PRIMARY session's own ID included). */
  has(id: string): boolean {
    if (this.byId.has(id)) return true;
    for (const s of this.sessions) if (s.id === id) return true;
    return false;
  }

  get(id: string): SubSession | undefined {
    return this.byId.get(id);
  }

  usesDestination(hash: Uint8Array): boolean {
    for (const s of this.sessions) if (equalBytes(s.dest.hash, hash)) return true;
    return false;
  }

  addSession(s: SamSession): void {
    this.sessions.add(s);
  }

  addSub(sub: SubSession): void {
    this.byId.set(sub.id, sub);
  }

  removeSub(id: string): void {
    this.byId.delete(id);
  }

  removeSession(s: SamSession): void {
    this.sessions.delete(s);
    for (const [id, sub] of this.byId) if (sub.session === s) this.byId.delete(id);
  }

  list(): SamSession[] {
    return [...this.sessions];
  }
}
