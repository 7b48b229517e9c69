import { DecodeError } from '../../src/router/data/errors.js';

/** Runs `fn` and returns the DecodeError it throws; any other outcome fails the test. */
export function captureDecodeError(fn: () => unknown): DecodeError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DecodeError) return e;
    throw e;
  }
  throw new Error('expected a DecodeError');
}
