import type { RandomSource } from '../runtime/index.js';

/**
 * Tunnel ids we receive on: random, non-zero (tunnel-message.rst) and unique among the ids in
 * use here (our own tunnels and the transit ones share one namespace: a TunnelData names only
 * its id). Random, not sequential, so that ids say nothing about when or how many.
 */
export class TunnelIds {
  private readonly used = new Set<number>();

  constructor(private readonly random: RandomSource) {}

  /** A fresh id, reserved until `release`. */
  next(): number {
    // 2^32 ids and at most tens of thousands in use: a collision is rare, and the loop is bounded.
    for (let i = 0; i < 64; i++) {
      const id = 1 + this.random.int(0xfffffffe);
      if (!this.used.has(id)) {
        this.used.add(id);
        return id;
      }
    }
    throw new Error('no free tunnel id after 64 tries');
  }

  /** Reserve an id a peer chose for us (a transit tunnel's receive id): false when taken. */
  reserve(id: number): boolean {
    if (id === 0 || this.used.has(id)) return false;
    this.used.add(id);
    return true;
  }

  release(id: number): void {
    this.used.delete(id);
  }

  get size(): number {
    return this.used.size;
  }
}
