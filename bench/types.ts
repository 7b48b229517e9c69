/** One measured operation. Rows with the same `name` are compared across `impl`. */
export interface BenchRow {
  name: string;
  impl: 'node' | 'noble' | 'ours';
  opsPerSec: number;
  /** Throughput for operations on a payload of known size. */
  mbPerSec?: number;
  /**
   * Memory rows (opsPerSec is 0 and not printed): growth over a baseline in MiB, measured in a
   * child process after gc; `items` is what the growth is divided by for the per-item figure.
   */
  memory?: { rssMB: number; heapMB: number; externalMB: number; items: number; rssTotalMB: number };
}
