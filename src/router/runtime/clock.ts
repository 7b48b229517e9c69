import { RuntimeError } from './errors.js';

/** An opaque timer; only the clock that made it can clear it. */
export interface TimerHandle {
  readonly __timer: unique symbol;
}

/**
 * Time, from outside. The router never calls Date.now or setTimeout itself, so a simulation can
 * run many routers on one ManualClock, deterministically and faster than real time.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch (I2P dates are ms since the epoch too). */
  now(): number;
  /** Call `fn` once, `ms` (>= 0) from now. */
  setTimer(ms: number, fn: () => void): TimerHandle;
  /** Cancel a pending timer; a no-op for one already fired or cleared. */
  clearTimer(handle: TimerHandle): void;
}

function checkDelay(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) throw new RuntimeError('EINVAL', `timer delay must be a finite ms >= 0, got ${ms}`);
  return ms;
}

/**
 * Node's clock. Timers keep the process alive, as setTimeout does: a pending retry in a CLI must
 * not be cut off; shutdown clears its timers (or aborts the signal given to `delay`).
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    // setTimeout clamps above 2^31-1 ms to 1 ms; clamp to the max instead (~24.8 days).
    return setTimeout(fn, Math.min(checkDelay(ms), 0x7fffffff)) as unknown as TimerHandle;
  },
  clearTimer(handle) {
    clearTimeout(handle as unknown as NodeJS.Timeout);
  },
};

interface ManualTimer {
  readonly due: number;
  readonly seq: number;
  readonly fn: () => void;
}

/**
 * A clock that moves only when told. `advance` fires due timers in order of due time, then of
 * creation, with `now()` set to each timer's due time while it runs; timers set by a callback
 * fire in the same call if they fall due within the window.
 */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  // Timers are few in tests; a sorted array keeps order obvious. Simulations with thousands of
  // pending timers may want a heap here.
  #timers: ManualTimer[] = [];

  constructor(startMs = 0) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const timer: ManualTimer = { due: this.#now + checkDelay(ms), seq: this.#seq++, fn };
    let i = this.#timers.length;
    while (i > 0 && this.#timers[i - 1]!.due > timer.due) i--;
    this.#timers.splice(i, 0, timer);
    return timer as unknown as TimerHandle;
  }

  clearTimer(handle: TimerHandle): void {
    const i = this.#timers.indexOf(handle as unknown as ManualTimer);
    if (i >= 0) this.#timers.splice(i, 1);
  }

  get pending(): number {
    return this.#timers.length;
  }

  /** Due time of the next timer, if any. */
  nextDue(): number | undefined {
    return this.#timers[0]?.due;
  }

  /**
   * Move time forward by `ms`, firing every timer that falls due. Throws TIMER_LOOP after
   * `maxTimers` callbacks (a timer re-arming itself at 0 ms would otherwise never end). A
   * callback that throws stops the advance with `now()` at that timer's due time; the rest stay
   * pending. Returns the number of timers fired.
   */
  advance(ms: number, maxTimers = 100_000): number {
    const target = this.#now + checkDelay(ms);
    let fired = 0;
    while (this.#timers.length > 0 && this.#timers[0]!.due <= target) {
      if (fired >= maxTimers) {
        throw new RuntimeError('TIMER_LOOP', `more than ${maxTimers} timers fell due in one advance`);
      }
      const timer = this.#timers.shift()!;
      this.#now = timer.due;
      fired++;
      timer.fn();
    }
    this.#now = target;
    return fired;
  }

  /** Advance to the next due timer and fire everything due then; returns how many fired. */
  step(): number {
    const due = this.nextDue();
    return due === undefined ? 0 : this.advance(due - this.#now);
  }
}

/** A promise that resolves after `ms` on `clock`, or rejects with EABORTED when `signal` fires. */
export function delay(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new RuntimeError('EABORTED', 'aborted', { cause: signal.reason }));
      return;
    }
    const onAbort = (): void => {
      clock.clearTimer(handle);
      reject(new RuntimeError('EABORTED', 'aborted', { cause: signal?.reason }));
    };
    const handle = clock.setTimer(ms, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
