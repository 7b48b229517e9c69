import { expect } from 'vitest';
import { TestnetError, validateTestnetOptions } from '../../../src/router/testnet/index.js';

/** The message of the usage error (exit code 2) `validateTestnetOptions` throws, or undefined when it accepts. */
export function testnetUsageError(o: Parameters<typeof validateTestnetOptions>[0]): string | undefined {
  try {
    validateTestnetOptions(o);
  } catch (err) {
    expect(err).toBeInstanceOf(TestnetError);
    expect((err as TestnetError).exitCode).toBe(2);
    return (err as Error).message;
  }
  return undefined;
}
