import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loggablePath } from '../../../src/apps/site/access-log.js';
import { fileEtag, ifRangeAllows, isNotModified, noneMatchHit } from '../../../src/apps/site/conditional.js';
import { SiteError } from '../../../src/apps/site/errors.js';
import { forwardRequestHeaders, isLoopbackIp, parseProxyTarget } from '../../../src/apps/site/reverse-proxy.js';

/* The other header and flag parsers of the site: visitor input never throws, never leaks. */
describe('site parsers (fast-check)', () => {
  const etag = fileEtag(1234, 1_700_000_000_123);

  it('conditional headers: any text is answered, never thrown on; only our tag or * matches', () => {
    fc.assert(
      fc.property(fc.option(fc.string({ maxLength: 200 }), { nil: undefined }), fc.option(fc.string({ maxLength: 80 }), { nil: undefined }), (inm, ims) => {
        const hit = noneMatchHit(inm, etag);
        if (hit) expect(inm!.trim() === '*' || inm!.includes(etag.slice(1, -1))).toBe(true);
        isNotModified({ 'if-none-match': inm, 'if-modified-since': ims }, etag, 1_700_000_000_123);
        const allows = ifRangeAllows(inm, etag, 1_700_000_000_123);
        if (inm !== undefined && allows && inm.trim().startsWith('"')) expect(inm.trim()).toBe(etag);
      }),
      { numRuns: 2000 },
    );
  });

  it('--proxy: only SiteError, and an accepted target is a loopback IP with a port', () => {
    const arb = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.tuple(fc.constantFrom('http://', 'https://', ''), fc.oneof(fc.ipV4(), fc.ipV6().map((a) => `[${a}]`), fc.domain()), fc.option(fc.integer({ min: 0, max: 70000 }), { nil: undefined })).map(
        ([s, h, p]) => `${s}${h}${p === undefined ? '' : ':' + p}`,
      ),
    );
    fc.assert(
      fc.property(arb, (text) => {
        try {
          const t = parseProxyTarget(text);
          expect(isLoopbackIp(t.host)).toBe(true);
          expect(t.port).toBeGreaterThanOrEqual(0);
          expect(t.port).toBeLessThanOrEqual(65535);
        } catch (e) {
          expect(e).toBeInstanceOf(SiteError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('forwarded headers never carry an X-I2P-* the visitor chose', () => {
    const name = fc.oneof(fc.constantFrom('x-i2p-destb32', 'X-I2P-DestHash', 'x-i2p-', 'connection', 'accept'), fc.stringMatching(/^[a-zA-Z-]{1,20}$/));
    fc.assert(
      fc.property(fc.dictionary(name, fc.string({ maxLength: 20 }), { maxKeys: 10 }), fc.option(fc.constant('me.b32.i2p'), { nil: undefined }), (h, visitor) => {
        const out = forwardRequestHeaders(h, visitor);
        for (const [k, v] of Object.entries(out)) {
          if (k.toLowerCase().startsWith('x-i2p-')) {
            expect(k).toBe('x-i2p-destb32');
            expect(v).toBe(visitor);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('logged paths hold no whitespace or control characters', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 600 }), (p) => {
        expect(/[\x00-\x20\x7f]/.test(loggablePath(p))).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });
});
