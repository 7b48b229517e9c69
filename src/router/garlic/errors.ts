/**
 * Every failure of router-to-router garlic. Decoders and decryptors throw only this, so a caller
 * handling network input catches one class; `code` says what went wrong (to log, or to count
 * against a peer).
 */
export type GarlicErrorCode =
  /** A length, a range or a block structure is wrong. */
  | 'MALFORMED'
  /** Something we cannot encode (a field out of range, a payload too large). */
  | 'ENCODE'
  /** A feature the spec reserves but nobody implements (encrypted cloves, clove delay). */
  | 'UNSUPPORTED'
  /** AEAD verification failed: tampered, truncated, or not for our key. */
  | 'AUTH_FAILED'
  /** A key is not a usable X25519 key (low-order point, high bit set). */
  | 'BAD_KEY'
  /** The ephemeral key was seen before. */
  | 'REPLAY'
  /** The required DateTime block is missing or not first. */
  | 'NO_DATETIME'
  /** The DateTime block is too far from our clock. */
  | 'CLOCK_SKEW';

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
