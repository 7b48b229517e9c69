import { describe, expect, it } from 'vitest';
import { ManualClock, delay, systemClock } from '../../../src/router/runtime/clock.js';
import { RuntimeError } from '../../../src/router/runtime/errors.js';

describe('ManualClock', () => {
  it('fires due timers in due order, then creation order, with now() at each due time', () => {
    const clock = new ManualClock(1000);
    const log: string[] = [];
    clock.setTimer(30, () => log.push(`c@${clock.now()}`));
    clock.setTimer(10, () => log.push(`a@${clock.now()}`));
    clock.setTimer(30, () => log.push(`d@${clock.now()}`));
    clock.setTimer(10, () => log.push(`b@${clock.now()}`));
    clock.setTimer(31, () => log.push('late'));
    expect(clock.advance(9)).toBe(0);
    expect(log).toEqual([]);
    expect(clock.advance(21)).toBe(4);
    expect(log).toEqual(['a@1010', 'b@1010', 'c@1030', 'd@1030']);
    expect(clock.now()).toBe(1030);
    expect(clock.pending).toBe(1);
    expect(clock.nextDue()).toBe(1031);
  });

  it('clears timers, including from inside another callback', () => {
    const clock = new ManualClock();
    const log: string[] = [];
    const b = clock.setTimer(5, () => log.push('b'));
    clock.setTimer(1, () => clock.clearTimer(b));
    const c = clock.setTimer(2, () => log.push('c'));
    clock.clearTimer(c);
    clock.clearTimer(c);
    clock.advance(10);
    expect(log).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  it('fires timers set by callbacks when they fall due within the window', () => {
    const clock = new ManualClock();
    const log: number[] = [];
    const tick = (): void => {
      log.push(clock.now());
      if (log.length < 10) clock.setTimer(3, tick);
    };
    clock.setTimer(3, tick);
    clock.advance(10);
    expect(log).toEqual([3, 6, 9]);
    clock.advance(5);
    expect(log).toEqual([3, 6, 9, 12, 15]);
  });

  it('bounds an advance that would loop forever on zero-delay timers', () => {
    const clock = new ManualClock();
    const loop = (): void => void clock.setTimer(0, loop);
    clock.setTimer(0, loop);
    expect(() => clock.advance(1, 1000)).toThrow(expect.objectContaining({ code: 'TIMER_LOOP' }));
  });

  it('step() jumps to the next due time', () => {
    const clock = new ManualClock();
    const log: number[] = [];
    clock.setTimer(100, () => log.push(clock.now()));
    expect(clock.step()).toBe(1);
    expect(log).toEqual([100]);
    expect(clock.step()).toBe(0);
  });

  it('rejects negative and non-finite delays', () => {
    const clock = new ManualClock();
    expect(() => clock.setTimer(-1, () => undefined)).toThrow(RuntimeError);
    expect(() => clock.setTimer(Number.NaN, () => undefined)).toThrow(RuntimeError);
    expect(() => clock.advance(-1)).toThrow(RuntimeError);
  });

  it('delay() resolves on advance and rejects on abort', async () => {
    const clock = new ManualClock();
    let done = false;
    const p = delay(clock, 50).then(() => (done = true));
    clock.advance(49);
    await Promise.resolve();
    expect(done).toBe(false);
    clock.advance(1);
    await p;
    expect(done).toBe(true);

    const ac = new AbortController();
    const q = delay(clock, 50, ac.signal);
    ac.abort();
    await expect(q).rejects.toMatchObject({ code: 'EABORTED' });
    expect(clock.pending).toBe(0);
    await expect(delay(clock, 1, ac.signal)).rejects.toMatchObject({ code: 'EABORTED' });
  });
});

describe('systemClock', () => {
  it('reads wall time in ms and runs timers', async () => {
    const before = Date.now();
    expect(systemClock.now()).toBeGreaterThanOrEqual(before);
    await delay(systemClock, 1);
    let fired = false;
    const h = systemClock.setTimer(0, () => (fired = true));
    systemClock.clearTimer(h);
    await delay(systemClock, 5);
    expect(fired).toBe(false);
  });
});
