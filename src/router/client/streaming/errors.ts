export type StreamErrorCode = 'TIMEOUT' | 'RESET' | 'REFUSED' | 'NO_ROUTE' | 'CLOSED' | 'LIMIT';

/** Why a stream could not be opened, or why it ended abnormally. */
export class StreamError extends Error {
  override readonly name = 'StreamError';
  constructor(
    readonly code: StreamErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
