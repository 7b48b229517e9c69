import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock, RuntimeError, type TimerHandle } from '../../../src/router/runtime/index.js';
import { HeapClock } from '../../../src/router/sim/heap-clock.js';

/** One step of a schedule: set a timer (which may set another when it fires), clear one, or advance. */
type Op = { kind: 'set'; ms: number; chain?: number } | { kind: 'clear'; which: number } | { kind: 'advance'; ms: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), ms: fc.integer({ min: 0, max: 500 }), chain: fc.option(fc.integer({ min: 0, max: 300 }), { nil: undefined }) }),
  fc.record({ kind: fc.constant('clear' as const), which: fc.nat(60) }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 400 }) }),
);

/** Runs `ops` on a clock and returns what fired, in order, with the time each saw. */
function trace(clock: ManualClock | HeapClock, ops: readonly Op[]): { fired: string[]; pending: number[] } {
  const fired: string[] = [];
  const pending: number[] = [];
  const handles: TimerHandle[] = [];
  ops.forEach((o, i) => {
    if (o.kind === 'set') {
      handles.push(
        clock.setTimer(o.ms, () => {
          fired.push(`${i}@${clock.now()}`);
          if (o.chain !== undefined) clock.setTimer(o.chain, () => fired.push(`${i}+@${clock.now()}`));
        }),
      );
    } else if (o.kind === 'clear') {
      if (handles.length > 0) clock.clearTimer(handles[o.which % handles.length]);
    } else {
      clock.advance(o.ms);
    }
    pending.push(clock.pending);
  });
  clock.advance(10_000);
  pending.push(clock.pending);
  return { fired, pending };
}

describe('HeapClock', () => {
  it('fires timers exactly as ManualClock does (due time, then creation order), clears included', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        expect(trace(new HeapClock(1_000), ops)).toEqual(trace(new ManualClock(1_000), ops));
      }),
      { numRuns: 300 },
    );
  });

  it('counts pending timers; clearing a fired or cleared timer changes nothing', () => {
    const clock = new HeapClock(0);
    const a = clock.setTimer(10, () => undefined);
    const b = clock.setTimer(20, () => undefined);
    expect(clock.pending).toBe(2);
    clock.clearTimer(b);
    clock.clearTimer(b);
    expect(clock.pending).toBe(1);
    expect(clock.advance(15)).toBe(1);
    clock.clearTimer(a);
    expect(clock.pending).toBe(0);
    expect(clock.now()).toBe(15);
    expect(clock.advance(100)).toBe(0);
  });

  it('refuses negative or non-finite delays, and a timer loop, with typed errors', () => {
    const clock = new HeapClock(0);
    expect(() => clock.setTimer(-1, () => undefined)).toThrow(RuntimeError);
    expect(() => clock.setTimer(Number.NaN, () => undefined)).toThrow(RuntimeError);
    expect(() => clock.advance(Number.POSITIVE_INFINITY)).toThrow(RuntimeError);
    const again = (): void => void clock.setTimer(0, again);
    clock.setTimer(0, again);
    try {
      clock.advance(1, 1_000);
      expect.unreachable('a timer re-arming at 0 ms must stop the advance');
    } catch (e) {
      expect(e).toBeInstanceOf(RuntimeError);
      expect((e as RuntimeError).code).toBe('TIMER_LOOP');
    }
  });
});
