import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { protectBase64Args } from '../../../src/cli/base64-args.js';

const dest = '-' + 'Ab~-'.repeat(120) + 'AAAA==';

describe('protectBase64Args', () => {
  it('moves a destination that starts with - behind --, keeping flags and their values', () => {
    expect(protectBase64Args(['x.i2p', dest, '--replace', '--home', '/h'])).toEqual(['x.i2p', '--replace', '--home', '/h', '--', dest]);
    expect(protectBase64Args(['--json', 'x.i2p', dest])).toEqual(['--json', 'x.i2p', '--', dest]);
  });

  it('leaves everything else alone: flags, short tokens, an existing --', () => {
    expect(protectBase64Args(['x.i2p', 'AAAA', '--replace'])).toEqual(['x.i2p', 'AAAA', '--replace']);
    expect(protectBase64Args(['x.i2p', '--bogus', '-h'])).toEqual(['x.i2p', '--bogus', '-h']);
    expect(protectBase64Args(['x.i2p', dest, '--', 'y'])).toEqual(['x.i2p', '--', 'y', dest]);
  });

  it('never loses or invents a token', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant(dest), fc.constant('--replace'), fc.constant('x.i2p'), fc.string())), (argv) => {
        const out = protectBase64Args(argv);
        const strip = (a: string[]) => a.filter((t) => t !== '--').sort();
        return JSON.stringify(strip(out)) === JSON.stringify(strip(argv));
      }),
    );
  });
});
