import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkedDecoder, encodeChunked } from '../../../src/router/api/http-proxy/chunked.js';
import { HttpProxyError } from '../../../src/router/api/http-proxy/errors.js';

function decodeAll(bytes: Buffer, cuts: number[]): { data: Buffer; consumed: number; done: boolean } {
  const d = new ChunkedDecoder();
  const points = [...new Set([0, ...cuts.filter((c) => c <= bytes.length), bytes.length])].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let consumed = 0;
  for (let i = 0; i + 1 < points.length && !d.done; i++) {
    const r = d.push(bytes.subarray(points[i], points[i + 1]));
    out.push(...r.data);
    consumed += r.consumed;
  }
  return { data: Buffer.concat(out), consumed, done: d.done };
}

describe('chunked transfer coding', () => {
  it('decodes what encodeChunked made, split anywhere, and stops exactly at the end of the body', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 6 }), fc.array(fc.nat(2000), { maxLength: 8 }), fc.uint8Array({ maxLength: 20 }), (parts, cuts, after) => {
        const body = encodeChunked(parts);
        const r = decodeAll(Buffer.concat([body, after]), cuts);
        expect(r.done).toBe(true);
        expect(r.consumed).toBe(body.length);
        expect(r.data.equals(Buffer.concat(parts))).toBe(true);
      }),
    );
  });

  it('skips extensions and trailers; upper-case hex sizes', () => {
    const body = 'A;name=v\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n';
    const r = decodeAll(Buffer.from(`${body}NEXT`), []);
    expect(r).toMatchObject({ done: true, consumed: body.length });
    expect(r.data.toString()).toBe('0123456789');
  });

  it('refuses malformed bodies with a typed error', () => {
    for (const bad of ['x\r\n', '\r\n', '5\r\nabcdeXX', '5\nabcde\r\n', `${'f'.repeat(13)}\r\n`, `1;${'e'.repeat(5000)}\r\n`, '0\r\nX: 1\nY']) {
      expect(() => decodeAll(Buffer.from(bad), [])).toThrow(HttpProxyError);
    }
  });

  it('fuzz: random bytes decode or throw an HttpProxyError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        try {
          const r = decodeAll(Buffer.from(b), []);
          expect(r.consumed).toBeLessThanOrEqual(b.length);
        } catch (e) {
          expect(e).toBeInstanceOf(HttpProxyError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
