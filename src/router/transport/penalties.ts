/**
 * Addresses that misbehaved: each bad handshake or garbage frame counts; past a threshold the
 * address is refused for a while. Bounded (oldest forgotten first), in memory: a restart
 * forgives, which is what we want for addresses that may be reassigned.
 */
export class AddressPenalties {
  private readonly entries = new Map<string, { strikes: number; since: number; bannedUntil: number }>();

  constructor(
    private readonly o: { strikesToBan: number; banMs: number; windowMs: number; maxEntries: number } = {
      strikesToBan: 5,
      banMs: 10 * 60_000,
      windowMs: 10 * 60_000,
      maxEntries: 4096,
    },
  ) {}

  strike(address: string, now: number): void {
    let e = this.entries.get(address);
    if (!e || now - e.since > this.o.windowMs) {
      e = { strikes: 0, since: now, bannedUntil: 0 };
      if (this.entries.size >= this.o.maxEntries) {
        const oldest = this.entries.keys().next().value;
        if (oldest !== undefined) this.entries.delete(oldest);
      }
    }
    e.strikes++;
    if (e.strikes >= this.o.strikesToBan) e.bannedUntil = now + this.o.banMs;
    // Re-insert to keep the Map in recency order for eviction.
    this.entries.delete(address);
    this.entries.set(address, e);
  }

  isBanned(address: string, now: number): boolean {
    const e = this.entries.get(address);
    return e !== undefined && e.bannedUntil > now;
  }

  get size(): number {
    return this.entries.size;
  }
}
