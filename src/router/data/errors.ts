/**
 * A structure could not be decoded. Names the field and the byte offset (from the start of the
 * outermost input) so that a user reading `anon-router inspect` output, or a log line about a
 * peer, knows exactly what was wrong.
 */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  constructor(
    readonly field: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`${field} at byte ${offset}: ${reason}`);
  }
}

/** A structure could not be encoded from the given fields (a value out of range, a wrong length). */
export class EncodeError extends Error {
  override readonly name = 'EncodeError';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}
