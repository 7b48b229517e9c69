/** Exit codes of every anon command, stated in their help. */
export const EXIT = {
  OK: 0,
  /** Something went wrong while doing what was asked. */
  FAILURE: 1,
  /** The command line itself was wrong: a flag, an argument, a value. */
  USAGE: 2,
} as const;

/** An error the user must fix on the command line (a bad flag value, a missing file argument). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly exitCode = EXIT.USAGE;
}

/** An expected failure at run time, reported as one line without a stack. */
export class CommandFailure extends Error {
  override readonly name = 'CommandFailure';
  constructor(
    message: string,
    readonly exitCode: number = EXIT.FAILURE,
    readonly code?: string,
  ) {
    super(message);
  }
}
