/**
 * Tunnel message replay filter (tunnel-message.rst: "a hop must keep track of the IVs it has
 * seen and drop duplicates"). The IV of a TunnelData is random per message; a repeat on the same
 * tunnel is a replay, which a hop must not relay (it would let an adversary tag a flow).
 *
 * Two generations of sets, each covering `windowMs` or `maxPerGeneration` entries: memory stays
 * bounded whatever the traffic, and an IV is remembered for at least one full window.
 */
export class IvReplayFilter {
  private current = new Set<string>();
  private previous = new Set<string>();
  private rotatedAt: number;
  duplicates = 0;

  constructor(
    private readonly now: () => number,
    private readonly windowMs = 10 * 60_000,
    private readonly maxPerGeneration = 200_000,
  ) {
    this.rotatedAt = now();
  }

  /** True the first time this (tunnel, IV) pair is seen; false for a replay. */
  check(tunnelId: number, iv: Uint8Array): boolean {
    const now = this.now();
    if (now - this.rotatedAt >= this.windowMs || this.current.size >= this.maxPerGeneration) {
      this.previous = this.current;
      this.current = new Set();
      this.rotatedAt = now;
    }
    // latin1 maps each byte to one UTF-16 unit: a 20-character key without hex/base64 cost.
    const key = tunnelId.toString(36) + ':' + Buffer.from(iv.buffer, iv.byteOffset, 16).toString('latin1');
    if (this.current.has(key) || this.previous.has(key)) {
      this.duplicates++;
      return false;
    }
    this.current.add(key);
    return true;
  }

  get size(): number {
    return this.current.size + this.previous.size;
  }
}
