export type TestnetErrorCode =
  | 'INVALID_ARGUMENT' // a bad option: the user's to fix (exit 2)
  | 'ALREADY_RUNNING' // the directory's recorded testnet still runs
  | 'NO_TESTNET' // no testnet.json in the directory
  | 'BAD_MANIFEST' // testnet.json is not ours or is damaged
  | 'ROUTER_FAILED' // a router exited or never answered while starting
  | 'STOP_FAILED' // a recorded router would not die
  | 'I2PD_UNAVAILABLE'; // --i2pd on a host without root, i2pd or i2pd-testnet.sh

export class TestnetError extends Error {
  override readonly name = 'TestnetError';
  constructor(
    readonly code: TestnetErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** A bad option is a usage error (2), everything else a failure (1). */
  get exitCode(): number {
    return this.code === 'INVALID_ARGUMENT' ? 2 : 1;
  }
}
