import type { BenchRow } from './types.js';

/**
 * Runs `op` in batches (doubling while they are short) until `budgetMs` is spent, after a short
 * warm-up. Returns operations per second and how many ran (warm-up included).
 */
export function measureOps(op: () => void, budgetMs = 300, firstBatch = 16): { opsPerSec: number; ops: number } {
  for (let i = 0; i < 50; i++) op(); // warm-up
  let ops = 0;
  let batch = firstBatch;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < budgetMs) {
    for (let i = 0; i < batch; i++) op();
    ops += batch;
    elapsed = performance.now() - start;
    if (elapsed < budgetMs / 10) batch *= 2;
  }
  return { opsPerSec: (ops * 1000) / elapsed, ops: ops + 50 };
}

/** A row for one of our operations: ops/s, and MB/s of `bytesPerOp`. */
export function oursRow(name: string, bytesPerOp: number, op: () => void, budgetMs = 300): BenchRow {
  const { opsPerSec } = measureOps(op, budgetMs);
  return { name, impl: 'ours', opsPerSec, mbPerSec: (opsPerSec * bytesPerOp) / 1e6 };
}
