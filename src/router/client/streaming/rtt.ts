/**
 * The retransmission timeout of RFC 6298: a smoothed RTT and its variation from samples of
 * packets sent once (Karn), doubled on each timeout, within [minRtoMs, maxRto].
 */
export class RttEstimator {
  private srtt: number | undefined;
  private rttvar = 0;
  private base: number;
  private factor = 1;

  constructor(private readonly o: { initialRtoMs: number; minRtoMs: number; maxRto: number }) {
    this.base = o.initialRtoMs;
  }

  get rto(): number {
    return Math.min(this.o.maxRto, Math.max(this.o.minRtoMs, this.base * this.factor));
  }

  /** The smoothed RTT, or `fallback` before the first sample. */
  srttOr(fallback: number): number {
    return this.srtt ?? fallback;
  }

  sample(ms: number): void {
    const r = Math.max(1, ms);
    if (this.srtt === undefined) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    // The clock granularity term of RFC 6298 is 1 ms here.
    this.base = this.srtt + Math.max(1, 4 * this.rttvar);
  }

  backoff(): void {
    if (this.base * this.factor < this.o.maxRto) this.factor *= 2;
  }

  resetBackoff(): void {
    this.factor = 1;
  }
}
