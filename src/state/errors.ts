/**
 * Every failure of the state layer; `code` says which kind so a command can print the fix and
 * pick an exit code without matching on message text.
 */
export type StateErrorCode =
  | 'IN_USE' // another process (or another open in this one) holds the directory
  | 'NOT_OWNER' // a directory or key file belongs to another user
  | 'NOT_A_DIRECTORY'
  | 'NOT_A_FILE'
  | 'INSECURE_PERMISSIONS' // a key file is readable by group or others
  | 'TOO_LARGE' // a file is larger than its reader allows
  | 'IO' // a filesystem call failed; `cause` holds the Node error
  | 'OPEN_FAILED' // the database could not be opened for a reason other than its lock
  | 'NOT_OPEN'
  | 'SCHEMA_TOO_NEW' // written by a newer anon
  | 'SCHEMA_MISSING' // the database holds data but no schema record: not ours, or damaged
  | 'MIGRATION_MISSING'
  | 'MIGRATION_FAILED'
  | 'CORRUPT_RECORD' // a stored value did not decode
  | 'INVALID_ARGUMENT';

export class StateError extends Error {
  override readonly name: string = 'StateError';
  constructor(
    readonly code: StateErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The directory is held by another anon process. `pid` is undefined only when LevelDB's own
 * lock refused us and no live pid file names the holder.
 */
export class StateInUseError extends StateError {
  override readonly name = 'StateInUseError';
  constructor(
    readonly dir: string,
    readonly pid: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      'IN_USE',
      pid === undefined
        ? `${dir} is in use by another anon process (pid unknown); stop it or use its control socket`
        : `${dir} is in use by another anon process (pid ${pid}); stop it or use its control socket`,
      options,
    );
  }
}

/** Node's errno code of an fs error, if it has one. */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}
