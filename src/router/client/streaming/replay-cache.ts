/**
 * Signed SYNs seen recently (streaming.rst, "Replay prevention"): a replayed SYN is dropped
 * even when it names us correctly. Two generations of at most `max` keys each, rotated every
 * `windowMs`: a key is remembered for between one and two windows, memory stays bounded.
 */
export class ReplayCache {
  private current = new Set<string>();
  private previous = new Set<string>();
  private rotatedAt: number;

  constructor(
    private readonly windowMs: number,
    private readonly max: number,
    now: number,
  ) {
    this.rotatedAt = now;
  }

  /** true when `key` was seen in the window (a replay); otherwise remembers it. */
  seen(key: string, now: number): boolean {
    if (now - this.rotatedAt >= this.windowMs || this.current.size >= this.max) this.rotate(now);
    if (this.current.has(key) || this.previous.has(key)) return true;
    this.current.add(key);
    return false;
  }

  get size(): number {
    return this.current.size + this.previous.size;
  }

  private rotate(now: number): void {
    // Two windows without any SYN forget everything.
    this.previous = now - this.rotatedAt >= 2 * this.windowMs ? new Set() : this.current;
    this.current = new Set();
    this.rotatedAt = now;
  }
}
