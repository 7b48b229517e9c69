import { INCOMING_BACKLOG, type GarlicStream, type StreamListener } from './session.js';

/**
 * Incoming streams as an async iterator over a callback listener, whatever the backend: a
 * bounded backlog (streams beyond it are reset), and close() resets what is still waiting.
 */
export async function streamIterator(listen: (handler: (s: GarlicStream) => void) => Promise<() => void>, closed: () => boolean): Promise<StreamListener> {
  const queue: GarlicStream[] = [];
  let wake: ((r: IteratorResult<GarlicStream>) => void) | undefined;
  let done = false;
  const stop = await listen((s) => {
    if (wake) {
      const w = wake;
      wake = undefined;
      w({ value: s, done: false });
    } else if (queue.length < INCOMING_BACKLOG) queue.push(s);
    else s.destroy();
  });
  const close = () => {
    done = true;
    stop();
    for (const s of queue.splice(0)) s.destroy();
    wake?.({ value: undefined, done: true });
    wake = undefined;
  };
  return {
    close,
    [Symbol.asyncIterator]: () => ({
      next: () => {
        if (queue.length > 0) return Promise.resolve({ value: queue.shift()!, done: false });
        if (done || closed()) return Promise.resolve({ value: undefined, done: true });
        return new Promise((r) => (wake = r));
      },
      return: () => {
        close();
        return Promise.resolve({ value: undefined, done: true });
      },
    }),
  };
}
