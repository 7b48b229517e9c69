import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock, seededRandom } from '../../../src/router/runtime/index.js';
import { TransitPolicy, wireReplyCode, type TransitPolicyOptions, type TransitRequest } from '../../../src/router/tunnel/transit-policy.js';
import { BuildReplyCode } from '../../../src/router/tunnel/types.js';

const NOW = Date.UTC(2026, 0, 10, 12);
const KB = 1024;

function policy(o: Partial<TransitPolicyOptions> = {}) {
  const clock = new ManualClock(NOW);
  const p = new TransitPolicy({
    clock,
    random: seededRandom('transit'),
    bandwidthLimitBps: 1000 * KB,
    sharePercent: 50,
    ...o,
  });
  return { clock, p };
}

const req = (fromPeer = 'peerA', options: Record<string, string> = {}, role: TransitRequest['role'] = 'participant'): TransitRequest => ({
  fromPeer,
  role,
  options,
});

describe('TransitPolicy', () => {
  it('accepts under every limit, with no reply options when none were requested', () => {
    const { p } = policy();
    expect(p.decide(req())).toEqual({ accept: true, options: {} });
    expect(p.shareBps).toBe(500 * KB);
  });

  it('answers m/r with b, within the share', () => {
    let used = 0;
    const { p } = policy({ transitRateBps: () => used });
    expect(p.decide(req('a', { m: '100', r: '200' }))).toEqual({ accept: true, options: { b: '200' } });
    expect(p.decide(req('a', { m: '100' }))).toEqual({ accept: true, options: { b: '100' } });
    used = 350 * KB; // 150 KBps left
    expect(p.decide(req('a', { m: '100', r: '200' }))).toEqual({ accept: true, options: { b: '150' } });
    expect(p.decide(req('a', { r: '400' }))).toEqual({ accept: true, options: { b: '150' } });
    expect(p.decide(req('a', { m: '151' }))).toEqual({ accept: false, code: BuildReplyCode.Bandwidth, reason: 'minimum-bandwidth' });
  });

  it('refuses with 30 when transit has used its share', () => {
    const { p } = policy({ transitRateBps: () => 500 * KB });
    expect(p.decide(req())).toEqual({ accept: false, code: BuildReplyCode.Bandwidth, reason: 'share-used' });
  });

  it('passes the IBGW its l limit, and ignores l for other roles and malformed values', () => {
    const { p } = policy();
    expect(p.decide(req('a', { l: '300' }, 'ibgw'))).toEqual({ accept: true, options: {}, limitBps: 300 * KB });
    expect(p.decide(req('a', { l: '300' }, 'obep'))).toEqual({ accept: true, options: {} });
    expect(p.decide(req('a', { m: 'lots', r: '-5', l: '0' }, 'ibgw'))).toEqual({ accept: true, options: {} });
  });

  it('refuses with 50 while disabled or with no share, and accepts again when enabled', () => {
    const { p } = policy();
    p.setEnabled(false);
    expect(p.decide(req())).toEqual({ accept: false, code: BuildReplyCode.Critical, reason: 'disabled' });
    p.setEnabled(true);
    expect(p.decide(req()).accept).toBe(true);
    p.setBandwidth(1000 * KB, 0);
    expect(p.decide(req())).toMatchObject({ accept: false, code: BuildReplyCode.Critical });
    expect(() => p.setBandwidth(1000, 101)).toThrow(RangeError);
  });

  it('limits builds per previous hop per minute with 20, without affecting other peers', () => {
    const { clock, p } = policy({ maxBuildsPerRequesterPerMinute: 60 });
    for (let i = 0; i < 60; i++) expect(p.decide(req('A')).accept).toBe(true);
    expect(p.decide(req('A'))).toEqual({ accept: false, code: BuildReplyCode.TransientOverload, reason: 'requester-rate' });
    expect(p.decide(req('B')).accept).toBe(true);
    clock.advance(1000); // 60 a minute: one more each second
    expect(p.decide(req('A')).accept).toBe(true);
    expect(p.decide(req('A')).accept).toBe(false);
  });

  it('limits builds per second from everyone with 20', () => {
    const { clock, p } = policy({ maxBuildsPerSecond: 10 });
    for (let i = 0; i < 10; i++) expect(p.decide(req(`peer${i}`)).accept).toBe(true);
    expect(p.decide(req('other'))).toEqual({ accept: false, code: BuildReplyCode.TransientOverload, reason: 'global-rate' });
    clock.advance(500);
    for (let i = 0; i < 5; i++) expect(p.decide(req(`late${i}`)).accept).toBe(true);
    expect(p.decide(req('later')).accept).toBe(false);
  });

  it('a flooding peer does not use up the global budget', () => {
    const { p } = policy({ maxBuildsPerSecond: 10, maxBuildsPerRequesterPerMinute: 5 });
    for (let i = 0; i < 50; i++) p.decide(req('flooder'));
    for (let i = 0; i < 5; i++) expect(p.decide(req(`peer${i}`)).accept).toBe(true);
  });

  it('stops at maxParticipating and tracks added/removed', () => {
    const { p } = policy({ maxParticipating: 3, rejectAbove: 1 });
    for (let i = 0; i < 3; i++) {
      expect(p.decide(req(`p${i}`)).accept).toBe(true);
      p.added();
    }
    expect(p.participating).toBe(3);
    expect(p.decide(req('x'))).toEqual({ accept: false, code: BuildReplyCode.TransientOverload, reason: 'participating-limit' });
    p.removed();
    expect(p.participating).toBe(2);
    expect(p.decide(req('y')).accept).toBe(true);
    for (let i = 0; i < 5; i++) p.removed();
    expect(p.participating).toBe(0);
  });

  it('refuses some requests with 10 when approaching a limit, more the closer it is', () => {
    const rejections = (participating: number): number => {
      const { p } = policy({ maxParticipating: 100, maxBuildsPerSecond: 10_000, maxBuildsPerRequesterPerMinute: 10_000, rejectAbove: 0.9 });
      for (let i = 0; i < participating; i++) p.added();
      let n = 0;
      for (let i = 0; i < 400; i++) {
        const d = p.decide(req());
        if (!d.accept) {
          expect(d).toEqual({ accept: false, code: BuildReplyCode.ProbabilisticReject, reason: 'near-limit' });
          n++;
        }
      }
      return n;
    };
    expect(rejections(80)).toBe(0);
    const at92 = rejections(92); // odds 0.2
    const at98 = rejections(98); // odds 0.8
    expect(at92).toBeGreaterThan(40);
    expect(at92).toBeLessThan(120);
    expect(at98).toBeGreaterThan(280);
    expect(at98).toBeLessThan(360);
  });

  it('bandwidth load near the share also sheds requests at random', () => {
    const { p } = policy({ transitRateBps: () => 0.99 * 500 * KB, maxBuildsPerRequesterPerMinute: 1000, maxBuildsPerSecond: 1000 });
    const results = Array.from({ length: 200 }, () => p.decide(req()));
    expect(results.filter((d) => !d.accept).length).toBeGreaterThan(150);
  });

  it('puts 30 on the wire for every refusal (tunnel-creation-ecies.rst: 0 or 30 only)', () => {
    expect(wireReplyCode(0)).toBe(0);
    for (const code of [10, 20, 30, 50]) expect(wireReplyCode(code)).toBe(30);
  });

  it('refuses bad configuration', () => {
    expect(() => policy({ maxBuildsPerSecond: 0 })).toThrow(RangeError);
    expect(() => policy({ bandwidthLimitBps: -1 })).toThrow(RangeError);
    expect(() => policy({ rejectAbove: 0 })).toThrow(RangeError);
  });
});

describe('TransitPolicy: options from the network (fuzz)', () => {
  it('any options mapping gives a decision with a spec code, and b >= m when accepted', () => {
    const value = fc.oneof(fc.string({ maxLength: 12 }), fc.integer({ min: -5, max: 2_000_000 }).map(String));
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom('m', 'r', 'l', 'x', ''), value),
        fc.constantFrom('participant' as const, 'ibgw' as const, 'obep' as const),
        fc.integer({ min: 0, max: 600 * KB }),
        (options, role, used) => {
          const { p } = policy({ transitRateBps: () => used });
          const d = p.decide({ fromPeer: 'peer', role, options });
          if (!d.accept) {
            expect([10, 20, 30, 50]).toContain(d.code);
            return;
          }
          const m = /^[0-9]{1,9}$/.test(options.m ?? '') ? Number(options.m) : 0;
          if (d.options.b !== undefined) expect(Number(d.options.b)).toBeGreaterThanOrEqual(Math.max(1, m));
          else expect(options.m === undefined || m === 0).toBe(true);
          if (d.limitBps !== undefined) expect(role).toBe('ibgw');
        },
      ),
    );
  });
});
