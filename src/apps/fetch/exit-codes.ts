/**
 * anon-fetch's exit codes, by cause. Numbers follow curl's where curl has the same cause, so
 * scripts written against curl keep working; 1 and 2 follow the project's rule (run-time
 * failure, usage error).
 */
export const FetchExit = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  BAD_URL: 3,
  NOT_FOUND: 6,
  CONNECT: 7,
  WEIRD_REPLY: 8,
  PARTIAL: 18,
  HTTP_ERROR: 22,
  WRITE: 23,
  TIMEOUT: 28,
  RANGE: 33,
  REDIRECTS: 47,
  RECV: 56,
} as const;

export type FetchExitCode = (typeof FetchExit)[keyof typeof FetchExit];

export const EXIT_CODE_TABLE: readonly { readonly code: FetchExitCode; readonly meaning: string }[] = [
  { code: FetchExit.OK, meaning: 'success' },
  { code: FetchExit.FAILURE, meaning: 'other failure (e.g. no router reachable)' },
  { code: FetchExit.USAGE, meaning: 'usage error: a bad flag or flag combination' },
  { code: FetchExit.BAD_URL, meaning: 'bad URL: malformed, not http://, or not an .i2p host (also a redirect off I2P)' },
  { code: FetchExit.NOT_FOUND, meaning: 'address not found: unknown name, or no LeaseSet for the destination' },
  { code: FetchExit.CONNECT, meaning: 'could not connect: the site refused, reset or is unreachable' },
  { code: FetchExit.WEIRD_REPLY, meaning: 'the site answered something that is not HTTP' },
  { code: FetchExit.PARTIAL, meaning: 'partial body: the stream ended before Content-Length bytes' },
  { code: FetchExit.HTTP_ERROR, meaning: 'HTTP status 400 or above, with -f' },
  { code: FetchExit.WRITE, meaning: 'could not write the output' },
  { code: FetchExit.TIMEOUT, meaning: 'timed out (--max-time, or the connect timed out)' },
  { code: FetchExit.RANGE, meaning: '-C: the site does not support byte ranges, cannot resume' },
  { code: FetchExit.REDIRECTS, meaning: 'too many redirects (-L, --max-redirs)' },
  { code: FetchExit.RECV, meaning: 'the stream broke while receiving' },
];

/** The table as lines for `--help`. */
export function exitCodeHelp(): string {
  return ['EXIT CODES', ...EXIT_CODE_TABLE.map((e) => `  ${String(e.code).padStart(2)}  ${e.meaning}`)].join('\n');
}

const BY_ERROR_CODE: Readonly<Record<string, FetchExitCode>> = {
  // address book and lookups
  NOT_FOUND: FetchExit.NOT_FOUND,
  NO_ROUTE: FetchExit.NOT_FOUND,
  ENOTFOUND: FetchExit.NOT_FOUND,
  BAD_ADDRESS: FetchExit.BAD_URL,
  INVALID_NAME: FetchExit.BAD_URL,
  INVALID_DESTINATION: FetchExit.BAD_URL,
  // streaming (StreamError, GarlicError) and sockets
  TIMEOUT: FetchExit.TIMEOUT,
  UNREACHABLE: FetchExit.CONNECT,
  // the router itself: not the site's fault
  BACKEND_DOWN: FetchExit.FAILURE,
  PROTOCOL: FetchExit.FAILURE,
  ETIMEDOUT: FetchExit.TIMEOUT,
  REFUSED: FetchExit.CONNECT,
  RESET: FetchExit.CONNECT,
  CLOSED: FetchExit.CONNECT,
  LIMIT: FetchExit.CONNECT,
  ECONNREFUSED: FetchExit.CONNECT,
  ECONNRESET: FetchExit.CONNECT,
  EHOSTUNREACH: FetchExit.CONNECT,
  ENETUNREACH: FetchExit.CONNECT,
  EPIPE: FetchExit.CONNECT,
};

/**
 * The exit code for a failed lookup or connect, from the error's `code` (GarlicError,
 * StreamError, AddressBookError, Node's errno). Unknown causes count as "could not connect".
 */
export function exitCodeForConnectError(err: unknown): FetchExitCode {
  const code = typeof err === 'object' && err !== null && 'code' in err ? (err as { code: unknown }).code : undefined;
  return (typeof code === 'string' ? BY_ERROR_CODE[code] : undefined) ?? FetchExit.CONNECT;
}
