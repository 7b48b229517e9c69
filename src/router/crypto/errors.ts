/** Every failure of the crypto facade; `code` says which kind, so callers can penalise a peer. */
export type CryptoErrorCode =
  | 'BAD_KEY'
  | 'BAD_LENGTH'
  | 'LOW_ORDER_POINT'
  | 'AUTH_FAILED'
  | 'NOT_ENCODABLE';

export class CryptoError extends Error {
  override readonly name = 'CryptoError';
  constructor(
    readonly code: CryptoErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function checkLength(what: string, bytes: Uint8Array, length: number): void {
  if (!(bytes instanceof Uint8Array)) throw new CryptoError('BAD_LENGTH', `${what}: expected bytes`);
  if (bytes.length !== length) {
    throw new CryptoError('BAD_LENGTH', `${what}: expected ${length} bytes, got ${bytes.length}`);
  }
}
