/**
 * What can go wrong in the garlic layer, in terms an app can turn into an exit code or a
 * message: each backend maps its own failures (StreamError, DestinationError, SAM RESULT
 * values, socket errors) onto these codes.
 */
export type GarlicErrorCode =
  /** A name, b32 or hash that nobody could resolve to a destination. */
  | 'NOT_FOUND'
  /** The destination is known but the stream or message could not get through. */
  | 'UNREACHABLE'
  | 'TIMEOUT'
  /** The remote refused (a RESET to our SYN, no listener on that port). */
  | 'REFUSED'
  /** The router behind the backend is gone or not answering (SAM socket closed, router stopped). */
  | 'BACKEND_DOWN'
  /** An address that is neither a b32, a name, a base64 destination nor a 32-byte hash. */
  | 'BAD_ADDRESS'
  /** Keys that cannot be used (malformed, or already in use elsewhere). */
  | 'BAD_KEYS'
  /** The backend refused an option or the operation (e.g. datagram ports on SAM 3.1). */
  | 'UNSUPPORTED'
  /** A limit of ours or of the backend (too many sessions, streams, pending accepts). */
  | 'LIMIT'
  /** The session or backend was closed. */
  | 'CLOSED'
  /** The backend answered something we cannot understand. */
  | 'PROTOCOL';

export class GarlicError extends Error {
  override readonly name = 'GarlicError';
  constructor(
    readonly code: GarlicErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isGarlicError(e: unknown, code?: GarlicErrorCode): e is GarlicError {
  return e instanceof GarlicError && (code === undefined || e.code === code);
}
