/**
 * Packets of an incoming stream that overtook its SYN (sendStreamId still 0), kept by the peer's
 * stream id until the SYN arrives: at most `maxStreams` ids, `perStream` packets each, for
 * `maxAgeMs`.
 */
export class EarlyPackets {
  private readonly held = new Map<number, { at: number; packets: Uint8Array[] }>();

  constructor(private readonly o: { maxStreams: number; perStream: number; maxAgeMs: number }) {}

  /** false when there is no room (the packet is dropped; the peer will resend it). */
  keep(remoteId: number, bytes: Uint8Array, now: number): boolean {
    for (const [k, v] of this.held) if (now - v.at > this.o.maxAgeMs) this.held.delete(k);
    let h = this.held.get(remoteId);
    if (!h) {
      if (this.held.size >= this.o.maxStreams) return false;
      this.held.set(remoteId, (h = { at: now, packets: [] }));
    }
    if (h.packets.length >= this.o.perStream) return false;
    h.packets.push(bytes);
    return true;
  }

  take(remoteId: number): Uint8Array[] {
    const h = this.held.get(remoteId);
    this.held.delete(remoteId);
    return h?.packets ?? [];
  }

  clear(): void {
    this.held.clear();
  }
}
