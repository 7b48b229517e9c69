/** One measured operation. Rows with the same `name` are compared across `impl`. */
export interface BenchRow {
  name: string;
  impl: 'node' | 'noble' | 'ours';
  opsPerSec: number;
  /** Throughput for operations on a payload of known size. */
  mbPerSec?: number;
}
