import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildFetchOptions, buildRequestBody, FetchUsageError, parseHeaderFlag, remoteNameOf } from '../../../src/apps/fetch/options.js';
import { FetchUrlError, parseFetchUrl } from '../../../src/apps/fetch/url.js';

function usageOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(FetchUsageError);
    return (e as Error).message;
  }
  return 'no error';
}

describe('buildFetchOptions', () => {
  it('defaults: GET to stdout, no redirects followed (20 at most with -L), no resume', () => {
    const o = buildFetchOptions('site.i2p/x', {});
    expect(o).toMatchObject({ method: 'GET', output: { kind: 'stdout' }, resume: undefined, head: false, followRedirects: false, maxRedirects: 20, failOnHttpError: false, silent: false, verbose: false });
    expect(o.url.href).toBe('http://site.i2p/x');
  });

  it('-I is HEAD; -d makes a POST; -X overrides the method', () => {
    expect(buildFetchOptions('a.i2p', { head: true }).method).toBe('HEAD');
    expect(buildFetchOptions('a.i2p', { data: ['x=1'] }).method).toBe('POST');
    expect(buildFetchOptions('a.i2p', { data: ['x=1'], request: 'PUT' }).method).toBe('PUT');
    expect(buildFetchOptions('a.i2p', { request: 'DELETE' }).method).toBe('DELETE');
  });

  it('-o and -O pick the output file', () => {
    expect(buildFetchOptions('a.i2p/f.zip', { output: 'out.bin' }).output).toEqual({ kind: 'file', path: 'out.bin' });
    expect(buildFetchOptions('a.i2p/dir/f.zip?x=1', { remoteName: true }).output).toEqual({ kind: 'file', path: 'f.zip' });
    expect(buildFetchOptions('a.i2p/f', { output: '-' }).output).toEqual({ kind: 'stdout' });
  });

  it('-C - resumes from the file; a number is an offset', () => {
    expect(buildFetchOptions('a.i2p/f', { output: 'f', continueAt: '-' }).resume).toBe('auto');
    expect(buildFetchOptions('a.i2p/f', { continueAt: '100' }).resume).toBe(100);
  });

  it('-H: add, replace, remove (Name:), empty value (Name;)', () => {
    const o = buildFetchOptions('a.i2p', { header: ['X-A: 1', 'Accept:', 'X-Empty;', 'User-Agent: mine'] });
    expect(o.headers).toEqual([
      ['X-A', '1'],
      ['X-Empty', ''],
      ['User-Agent', 'mine'],
    ]);
    expect([...o.removeHeaders]).toEqual(['accept']);
  });

  it('--max-time in seconds, --max-redirs bounded', () => {
    expect(buildFetchOptions('a.i2p', { maxTime: 1.5 }).maxTimeMs).toBe(1500);
    expect(buildFetchOptions('a.i2p', { location: true, maxRedirs: 0 }).maxRedirects).toBe(0);
  });

  const bad: [Parameters<typeof buildFetchOptions>[1], RegExp][] = [
    [{ head: true, data: ['x'] }, /-I and -d/],
    [{ head: true, request: 'GET' }, /-I and -X/],
    [{ request: 'GE T' }, /not a method/],
    [{ output: 'a', remoteName: true }, /-o and -O/],
    [{ output: '' }, /-o needs a file name/],
    [{ continueAt: '-' }, /-C - needs -o FILE or -O/],
    [{ continueAt: 'x', output: 'f' }, /expected -/],
    [{ header: ['NoColon'] }, /Name: value/],
    [{ header: ['Bad Name: 1'] }, /not a header name/],
    [{ header: ['X: a\r\nEvil: 1'] }, /line breaks/],
    [{ maxTime: 0 }, /--max-time/],
    [{ maxTime: Number.NaN }, /--max-time/],
    [{ maxRedirs: -1 }, /--max-redirs/],
    [{ maxRedirs: 1000 }, /--max-redirs/],
  ];
  for (const [flags, why] of bad) {
    it(`usage error: ${JSON.stringify(flags)}`, () => {
      expect(usageOf(() => buildFetchOptions('a.i2p/f', flags))).toMatch(why);
    });
  }

  it('-O without a file name in the URL is a usage error', () => {
    expect(usageOf(() => buildFetchOptions('a.i2p/', { remoteName: true }))).toMatch(/no file name/);
    expect(usageOf(() => remoteNameOf(parseFetchUrl('a.i2p/x/..')))).toMatch(/no file name/);
  });

  it('a bad URL is a FetchUrlError, not a usage error', () => {
    expect(() => buildFetchOptions('http://example.com', {})).toThrow(FetchUrlError);
  });

  it('parseHeaderFlag trims names and values', () => {
    expect(parseHeaderFlag('  X-Y :  v w ')).toEqual({ name: 'X-Y', value: 'v w' });
  });
});

describe('buildRequestBody', () => {
  it("joins -d values with & and reads @file without its line breaks, as curl does", async () => {
    const files: Record<string, string> = { 'form.txt': 'a=1\r\nb=2\n' };
    const read = async (p: string): Promise<Uint8Array> => Buffer.from(files[p]);
    expect((await buildRequestBody(['x=1', 'y=2'], read))!.toString()).toBe('x=1&y=2');
    expect((await buildRequestBody(['@form.txt', 'z=3'], read))!.toString()).toBe('a=1b=2&z=3');
    expect(await buildRequestBody([], read)).toBeUndefined();
  });
});

describe('parseHeaderFlag (fast-check)', () => {
  it('only FetchUsageError; what it returns cannot split a request', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 60 }), fc.tuple(fc.string({ maxLength: 20 }), fc.constantFrom(':', ';', ': ', ''), fc.string({ maxLength: 30 })).map((a) => a.join(''))), (text) => {
        try {
          const h = parseHeaderFlag(text);
          if ('remove' in h) expect(/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(h.remove)).toBe(true);
          else {
            expect(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(h.name)).toBe(true);
            expect(/[\r\n\0]/.test(h.value)).toBe(false);
          }
        } catch (e) {
          expect(e).toBeInstanceOf(FetchUsageError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
