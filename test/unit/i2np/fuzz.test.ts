import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../../src/router/data/errors.js';
import {
  decodeFrame,
  decodeMessage,
  decodeMessages,
  decodePayload,
  encodeMessage,
  encodePayload,
  gunzipRouterInfo,
  gzipRouterInfo,
  I2npType,
  type HeaderForm,
} from '../../../src/router/i2np/index.js';
import { anyMessage, bodies } from './arbitraries.js';

/** Runs a decoder: it may return a value or throw DecodeError, nothing else. */
function onlyDecodeError(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    expect(e.offset).toBeGreaterThanOrEqual(0);
  }
}

const TYPES = Object.values(I2npType);

/** Byte-level mutations of a valid encoding: flips, overwrites, truncation, extension. */
function mutate(bytes: Uint8Array): fc.Arbitrary<Uint8Array> {
  const n = Math.max(bytes.length, 1);
  return fc.oneof(
    fc.array(fc.tuple(fc.nat(n - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }).map((edits) => {
      const out = bytes.slice();
      for (const [i, x] of edits) if (i < out.length) out[i] ^= x;
      return out;
    }),
    fc.nat(bytes.length).map((k) => bytes.slice(0, k)),
    fc.uint8Array({ minLength: 1, maxLength: 40 }).map((tail) => new Uint8Array([...bytes, ...tail])),
    fc.tuple(fc.nat(n - 1), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([at, b]) => {
      const out = bytes.slice();
      out.set(b.subarray(0, Math.max(0, out.length - at)), Math.min(at, out.length));
      return out;
    }),
  );
}

describe('decoders on garbage throw only DecodeError', () => {
  for (const form of ['standard', 'short'] as HeaderForm[]) {
    it(`decodeMessage(${form}) on arbitrary bytes`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 2000 }), (b) => onlyDecodeError(() => decodeMessage(b, form))),
        { numRuns: 500 },
      );
    });

    it(`decodeMessage(${form}) on a type byte we know followed by arbitrary bytes`, () => {
      fc.assert(
        fc.property(fc.constantFrom(...TYPES), fc.uint8Array({ maxLength: 1200 }), (t, rest) =>
          onlyDecodeError(() => decodeMessage(new Uint8Array([t, ...rest]), form)),
        ),
        { numRuns: 500 },
      );
    });

    it(`decodeMessage(${form}) on mutated valid encodings`, () => {
      fc.assert(
        fc.property(
          anyMessage(form).chain((m) => mutate(encodeMessage(m, form))),
          (b) => onlyDecodeError(() => decodeMessage(b, form)),
        ),
        { numRuns: 400 },
      );
    });
  }

  it('decodePayload for every type on arbitrary payloads (no header, no checksum to get past)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...TYPES), fc.uint8Array({ maxLength: 1500 }), (t, p) =>
        onlyDecodeError(() => decodePayload(t, p)),
      ),
      { numRuns: 1000 },
    );
  });

  it('decodePayload on mutated valid payloads of every type', () => {
    for (const body of Object.values(bodies)) {
      fc.assert(
        fc.property(
          body.chain((b) => mutate(encodePayload(b)).map((m) => [b.type, m] as const)),
          ([t, p]) => onlyDecodeError(() => decodePayload(t, p)),
        ),
        { numRuns: 60 },
      );
    }
  });

  it('decodeMessages and decodeFrame on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
        onlyDecodeError(() => decodeMessages(b));
        onlyDecodeError(() => decodeFrame(b, 'standard'));
        onlyDecodeError(() => decodeFrame(b, 'short'));
      }),
      { numRuns: 500 },
    );
  });

  it('gunzipRouterInfo on arbitrary and mutated gzip', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => onlyDecodeError(() => gunzipRouterInfo(b, 4096))),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 800 }).chain((ri) => mutate(gzipRouterInfo(ri))),
        (b) => onlyDecodeError(() => gunzipRouterInfo(b, 1024)),
      ),
      { numRuns: 300 },
    );
  });
});
