/** Failures of the runtime seams; `code` follows errno names where a socket would give one. */
export type RuntimeErrorCode =
  | 'ECONNREFUSED' // nothing listens at that (host, port)
  | 'EADDRINUSE'
  | 'ECONNRESET' // the other side destroyed the connection
  | 'EPIPE' // write after close
  | 'ENOBUFS' // a bounded buffer overflowed
  | 'EABORTED' // an AbortSignal fired
  | 'EINVAL' // a bad argument
  | 'EIO' // any other socket failure; `cause` holds Node's error
  | 'TIMER_LOOP'; // ManualClock.advance fired more timers than its bound

export class RuntimeError extends Error {
  override readonly name = 'RuntimeError';
  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
