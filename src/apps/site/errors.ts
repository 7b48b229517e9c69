/** What can go wrong configuring or running a site; `code` picks the message and exit code. */
export type SiteErrorCode =
  | 'NO_DIR' // the directory to serve does not exist
  | 'NOT_A_DIRECTORY'
  | 'BAD_PROXY_TARGET' // --proxy is not http://<loopback IP>:PORT
  | 'BAD_NAME' // a site name outside [a-z0-9_-]
  | 'KEYS_EXIST' // keys new/import over a name that has keys
  | 'KEYS_NOT_FOUND'
  | 'BAD_KEYS_FILE' // an import file that is not destination keys
  | 'FILE_EXISTS'; // export onto an existing file

export class SiteError extends Error {
  override readonly name = 'SiteError';
  constructor(
    readonly code: SiteErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
