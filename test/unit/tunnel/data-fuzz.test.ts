import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../../../src/router/crypto/index.js';
import { DecodeError } from '../../../src/router/data/errors.js';
import { ManualClock } from '../../../src/router/runtime/clock.js';
import { SeededRandom } from '../../../src/router/runtime/random.js';
import { decodeFragmentHeader, encodeFragmentHeader } from '../../../src/router/tunnel/delivery-instructions.js';
import { buildTunnelBlocks, sealTunnelBlock, TUNNEL_BLOCK_CAPACITY } from '../../../src/router/tunnel/fragmenter.js';
import { checkTunnelBlock, TunnelReassembler } from '../../../src/router/tunnel/reassembler.js';
import { delivery, fragmentHeader } from './arbitraries.js';

const anyBlock = fc.uint8Array({ minLength: 1024, maxLength: 1024 });

/** Puts a zero byte at `zeroAt` (if the block has none earlier) and a checksum that matches. */
function withChecksum(block: Uint8Array, zeroAt: number): Uint8Array {
  const out = block.slice();
  if (out.indexOf(0, 20) < 0 || out.indexOf(0, 20) > zeroAt) out[zeroAt] = 0;
  const z = out.indexOf(0, 20);
  out.set(sha256(out.subarray(z + 1), out.subarray(0, 16)).subarray(0, 4), 16);
  return out;
}

function total(r: TunnelReassembler): number {
  const c = r.counters;
  return c.checksumFailed + c.malformed;
}

describe('TunnelReassembler never throws', () => {
  it('on random 1024-byte blocks (each is dropped and counted once)', () => {
    const r = new TunnelReassembler({ clock: new ManualClock() });
    fc.assert(
      fc.property(anyBlock, (b) => {
        const before = total(r);
        const out = r.receive(b);
        expect(Array.isArray(out)).toBe(true);
        // A random block passes the 4-byte checksum with probability 2^-32.
        expect(total(r)).toBe(before + 1);
      }),
      { numRuns: 1000 },
    );
  });

  it('on inputs of any length', () => {
    const r = new TunnelReassembler({ clock: new ManualClock() });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2100 }), (b) => {
        expect(Array.isArray(r.receive(b))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('on random blocks with a valid checksum, keeping its bounds over a long stream', () => {
    const clock = new ManualClock();
    const r = new TunnelReassembler({ clock, maxPending: 8, maxPendingBytes: 4096, timeoutMs: 1000 });
    fc.assert(
      fc.property(anyBlock, fc.integer({ min: 20, max: 1023 }), fc.nat(300), (b, zeroAt, dt) => {
        const block = withChecksum(b, zeroAt);
        expect(checkTunnelBlock(block).ok).toBe(true);
        clock.advance(dt);
        for (const m of r.receive(block)) expect(m.message).toBeInstanceOf(Uint8Array);
        expect(r.counters.checksumFailed).toBe(0);
        expect(r.pendingMessages).toBeLessThanOrEqual(8);
        expect(r.pendingBytes).toBeLessThanOrEqual(4096);
      }),
      { numRuns: 1500 },
    );
  });

  it('on blocks of plausible headers with random sizes and contents, re-checksummed', () => {
    // Headers that parse, so the fuzz reaches the fragment bookkeeping rather than stopping at
    // the first byte; message ids collide across blocks on purpose.
    // Headers that parse, so the fuzz reaches the fragment bookkeeping rather than stopping at
    // the first byte: small message ids collide across blocks on purpose.
    const entry = fc
      .tuple(fragmentHeader, fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.boolean())
      .map(([h, data, exact]) => {
        const header = { ...h, size: exact ? data.length : h.size };
        if (header.messageId !== undefined) header.messageId %= 4;
        return [...encodeFragmentHeader(header), ...data];
      });
    const clock = new ManualClock();
    const r = new TunnelReassembler({ clock, maxPending: 4, maxPendingBytes: 3000 });
    const rnd = new SeededRandom('plausible');
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 6 }), (entries) => {
        const bytes = entries.flat();
        const payload = new Uint8Array(bytes.slice(0, TUNNEL_BLOCK_CAPACITY));
        r.receive(sealTunnelBlock(payload, rnd));
        clock.advance(100);
        expect(r.counters.checksumFailed).toBe(0);
        expect(r.pendingBytes).toBeLessThanOrEqual(3000);
      }),
      { numRuns: 1000 },
    );
  });

  it('on built blocks with bytes flipped after the zero byte, re-checksummed', () => {
    const rnd = new SeededRandom('mutate');
    const blocks = buildTunnelBlocks(
      [600, 2000, 40, 5000, 13].map((n, i) => ({
        delivery: i % 2 ? { type: 'local' } : { type: 'router', hash: rnd.bytes(32) },
        message: rnd.bytes(n),
      })),
      rnd,
    );
    const r = new TunnelReassembler({ clock: new ManualClock() });
    fc.assert(
      fc.property(
        fc.constantFrom(...blocks),
        fc.array(fc.tuple(fc.integer({ min: 21, max: 1023 }), fc.integer({ min: 1, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        (b, edits) => {
          const zeroAt = b.indexOf(0, 20);
          const m = b.slice();
          for (const [i, x] of edits) if (i > zeroAt) m[i] ^= x;
          expect(Array.isArray(r.receive(withChecksum(m, zeroAt)))).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('decodeFragmentHeader on garbage', () => {
  it('returns a header within the input or throws DecodeError, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 60 }), fc.nat(60), (b, at) => {
        try {
          const { end } = decodeFragmentHeader(b, Math.min(at, b.length));
          expect(end).toBeLessThanOrEqual(b.length);
        } catch (e) {
          if (!(e instanceof DecodeError)) throw e;
          expect(e.offset).toBeGreaterThanOrEqual(0);
          expect(e.offset).toBeLessThanOrEqual(b.length);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('gateway padding', () => {
  it('is never zero and always ends at the zero byte before the first instructions', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ delivery, size: fc.integer({ min: 1, max: 3000 }) }), { minLength: 1, maxLength: 5 }),
        fc.string(),
        (list, seed) => {
          const rnd = new SeededRandom(seed);
          const blocks = buildTunnelBlocks(
            list.map(({ delivery, size }) => ({ delivery, message: rnd.bytes(size) })),
            rnd,
          );
          for (const b of blocks) {
            const check = checkTunnelBlock(b);
            expect(check.ok).toBe(true);
            if (!check.ok) return;
            const padding = b.subarray(20, check.payloadOffset - 1);
            expect(padding.every((x) => x !== 0)).toBe(true);
            // The payload starts with a header that parses: the zero was the delimiter.
            if (check.payloadOffset < 1024) decodeFragmentHeader(b, check.payloadOffset);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
