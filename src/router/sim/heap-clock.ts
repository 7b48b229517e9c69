import { RuntimeError, type Clock, type TimerHandle } from '../runtime/index.js';

/**
 * The clock a simulated network runs on: it moves only when told, like ManualClock, and fires
 * timers in the same order (due time, then creation). A thousand routers keep tens of thousands
 * of timers pending (messages in flight, lookup and test timeouts, pool ticks): a binary heap
 * makes setting one O(log n) and clearing one O(1) (a cleared timer is only marked, and dropped
 * when it reaches the top), where ManualClock's sorted array costs O(n) for both.
 */
export interface SimClock extends Clock {
  /** Moves time forward by `ms`, firing what falls due; returns how many fired. */
  advance(ms: number): number;
  /** Timers set and neither fired nor cleared. */
  readonly pending: number;
}

interface HeapTimer {
  readonly due: number;
  readonly seq: number;
  readonly fn: () => void;
  cleared: boolean;
}

function before(a: HeapTimer, b: HeapTimer): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}

export class HeapClock implements SimClock {
  #now: number;
  #seq = 0;
  #live = 0;
  readonly #heap: HeapTimer[] = [];

  constructor(startMs = 0) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  get pending(): number {
    return this.#live;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    if (!Number.isFinite(ms) || ms < 0) throw new RuntimeError('EINVAL', `timer delay must be a finite ms >= 0, got ${ms}`);
    const timer: HeapTimer = { due: this.#now + ms, seq: this.#seq++, fn, cleared: false };
    this.#push(timer);
    this.#live++;
    return timer as unknown as TimerHandle;
  }

  clearTimer(handle: TimerHandle): void {
    const timer = handle as unknown as HeapTimer;
    // A handle of another clock, or one fired or cleared already, is left alone.
    if (typeof timer !== 'object' || timer === null || timer.cleared || !('seq' in timer)) return;
    timer.cleared = true;
    this.#live--;
  }

  advance(ms: number, maxTimers = 1_000_000): number {
    if (!Number.isFinite(ms) || ms < 0) throw new RuntimeError('EINVAL', `advance must be a finite ms >= 0, got ${ms}`);
    const target = this.#now + ms;
    let fired = 0;
    for (;;) {
      const top = this.#heap[0];
      if (top === undefined || top.due > target) break;
      this.#pop();
      if (top.cleared) continue;
      if (fired >= maxTimers) throw new RuntimeError('TIMER_LOOP', `more than ${maxTimers} timers fell due in one advance`);
      // Marked so that a late clearTimer on a fired handle does not count it twice.
      top.cleared = true;
      this.#live--;
      this.#now = top.due;
      fired++;
      top.fn();
    }
    this.#now = target;
    return fired;
  }

  #push(t: HeapTimer): void {
    const h = this.#heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  #pop(): void {
    const h = this.#heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l], h[m])) m = l;
      if (r < h.length && before(h[r], h[m])) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }
}
