import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeDatagramSend,
  formatSamCommand,
  MAX_SAM_LINE,
  parseAcceptLine,
  parseForwardedDatagram,
  parsePort,
  parseSamLine,
  parseSamVersion,
  SamProtocolError,
} from '../../../src/apps/garlic/sam-protocol.js';
import { createDestinationKeys } from '../../../src/router/client/destination-keys.js';
import { encodeKeysAndCert, i2pBase64Encode } from '../../../src/router/data/index.js';
import { cryptoRandom } from '../../../src/router/runtime/index.js';

/** Only SamProtocolError may come out of a parser; anything else is a bug. */
function onlyProtocolErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof SamProtocolError)) throw e;
    expect(['PARSE', 'TOO_LONG', 'BAD_VALUE']).toContain(e.code);
  }
}

const dest = i2pBase64Encode(encodeKeysAndCert(createDestinationKeys(cryptoRandom).privateKeys.destination));
const key = fc.stringMatching(/^[A-Z_][A-Z0-9_.]{0,15}$/);
/** Values as apps and bridges write them: spaces, quotes, backslashes, '=', unicode. */
const value = fc.string({ maxLength: 40 }).filter((s) => !/[\x00-\x1f\x7f]/.test(s));
const samChars = fc.constantFrom(...'HELLO REPLY RESULT=OK "\\ = a-z~AB09\t'.split(''), '\u00e9', '\r');

describe('SAM reply lines', () => {
  it('reads what the bridges send (i2pd, Java, quoted messages)', () => {
    const hello = parseSamLine('HELLO REPLY RESULT=OK VERSION=3.1');
    expect([hello.topic, hello.verb, hello.params.get('RESULT'), hello.params.get('VERSION')]).toEqual(['HELLO', 'REPLY', 'OK', '3.1']);
    const err = parseSamLine('SESSION STATUS RESULT=I2P_ERROR MESSAGE="Unknown STYLE \\"X\\""');
    expect(err.params.get('MESSAGE')).toBe('Unknown STYLE "X"');
    const priv = parseSamLine(`SESSION STATUS RESULT=OK DESTINATION=${dest}AAAA==`);
    expect(priv.params.get('DESTINATION')).toBe(`${dest}AAAA==`);
    const spaced = parseSamLine('NAMING  REPLY   RESULT=KEY_NOT_FOUND NAME=x.i2p\r');
    expect([spaced.verb, spaced.params.get('RESULT'), spaced.params.get('NAME')]).toEqual(['REPLY', 'KEY_NOT_FOUND', 'x.i2p']);
    expect(parseSamLine('PING hello').verb).toBe('hello');
    expect(parseSamLine('STREAM STATUS RESULT=OK SILENT').params.get('SILENT')).toBe('');
  });

  it('refuses broken lines with a typed error', () => {
    for (const bad of ['', '   ', 'A="unterminated', '=x', 'X\u0000Y', 'A B =v', 'x'.repeat(MAX_SAM_LINE + 1)]) {
      expect(() => parseSamLine(bad), JSON.stringify(bad.slice(0, 30))).toThrow(SamProtocolError);
    }
    expect(() => parseSamLine(`A B ${Array.from({ length: 70 }, (_, i) => `K${i}=v`).join(' ')}`)).toThrow(/parameters/);
  });

  it('never throws anything but SamProtocolError on arbitrary text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => onlyProtocolErrors(() => parseSamLine(s))), { numRuns: 2000 });
    fc.assert(fc.property(fc.array(samChars, { maxLength: 200 }).map((a) => a.join('')), (s) => onlyProtocolErrors(() => parseSamLine(s))), { numRuns: 2000 });
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => onlyProtocolErrors(() => parseAcceptLine(s))), { numRuns: 1000 });
  });

  it('formats commands that parse back to the same keys and values', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(key, value), { maxLength: 8, selector: (t) => t[0] }), (pairs) => {
        const line = formatSamCommand('STREAM', 'CONNECT', pairs);
        expect(line.endsWith('\n')).toBe(true);
        expect(line.slice(0, -1)).not.toMatch(/[\r\n]/);
        const m = parseSamLine(line.slice(0, -1));
        expect(m.topic).toBe('STREAM');
        expect(m.verb).toBe('CONNECT');
        expect(Object.fromEntries(m.params)).toEqual(Object.fromEntries(pairs));
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses line breaks and odd keys in commands (no command injection)', () => {
    expect(() => formatSamCommand('NAMING', 'LOOKUP', [['NAME', 'a.i2p\nSESSION CREATE']])).toThrow(SamProtocolError);
    expect(() => formatSamCommand('NAMING', 'LOOKUP', [['NA ME', 'x']])).toThrow(SamProtocolError);
    expect(() => formatSamCommand('NAMING', 'LOOKUP', [['A=B', 'x']])).toThrow(SamProtocolError);
    expect(() => formatSamCommand('NAMING\n', 'LOOKUP')).toThrow(SamProtocolError);
    expect(formatSamCommand('HELLO', 'VERSION', [['MIN', '3.1'], ['SKIP', undefined], ['MAX', 3.3]])).toBe('HELLO VERSION MIN=3.1 MAX=3.3\n');
    // Base64 padding stays unquoted: i2pd 2.45 (SAM 3.1) would keep the quotes in the key.
    expect(formatSamCommand('STREAM', 'CONNECT', [['DESTINATION', 'AAAA-~BQAEAAcAAA==']])).toBe('STREAM CONNECT DESTINATION=AAAA-~BQAEAAcAAA==\n');
    expect(formatSamCommand('X', 'Y', [['MESSAGE', 'a b'], ['E', '']])).toBe('X Y MESSAGE="a b" E=""\n');
  });

  it('reads ports and versions strictly', () => {
    expect(parsePort('0')).toBe(0);
    expect(parsePort('65535')).toBe(65535);
    expect(parsePort(undefined)).toBe(0);
    for (const bad of ['65536', '-1', '1e3', ' 1', '0x10', '123456']) expect(() => parsePort(bad)).toThrow(SamProtocolError);
    expect(parseSamVersion('3.3')).toMatchObject({ major: 3, minor: 3 });
    for (const bad of ['3', '3.x', '', '3.1.1', '300.1']) expect(() => parseSamVersion(bad)).toThrow(SamProtocolError);
  });
});

describe('accept lines and forwarded datagrams', () => {
  it('reads the accept line of i2pd (destination only) and of 3.2 bridges (with ports)', () => {
    expect(parseAcceptLine(dest)).toEqual({ destination: dest, fromPort: 0, toPort: 0 });
    expect(parseAcceptLine(`${dest} FROM_PORT=7 TO_PORT=80\r`)).toEqual({ destination: dest, fromPort: 7, toPort: 80 });
    expect(parseAcceptLine('STREAM STATUS RESULT=I2P_ERROR MESSAGE="session closed"')).toEqual({ error: 'I2P_ERROR: session closed' });
    expect(() => parseAcceptLine('not a destination')).toThrow(SamProtocolError);
    expect(() => parseAcceptLine(`${dest} TO_PORT=70000`)).toThrow(SamProtocolError);
  });

  it('reads forwarded repliable and raw datagrams with and without headers', () => {
    const payload = new Uint8Array([0, 10, 13, 255, 10]);
    const rep = parseForwardedDatagram(new Uint8Array([...Buffer.from(`${dest} FROM_PORT=1 TO_PORT=2\n`), ...payload]), 'repliable');
    expect(rep).toMatchObject({ kind: 'repliable', from: dest, fromPort: 1, toPort: 2 });
    expect([...rep.payload]).toEqual([...payload]);
    const plain = parseForwardedDatagram(new Uint8Array([...Buffer.from(`${dest}\n`), ...payload]), 'repliable');
    expect([plain.fromPort, plain.toPort, [...plain.payload]]).toEqual([0, 0, [...payload]]);
    expect([...parseForwardedDatagram(payload, 'raw').payload]).toEqual([...payload]);
    const hdr = parseForwardedDatagram(new Uint8Array([...Buffer.from('FROM_PORT=5 TO_PORT=6 PROTOCOL=18\n'), ...payload]), 'raw', true);
    expect(hdr).toMatchObject({ fromPort: 5, toPort: 6, protocol: 18 });
    expect([...hdr.payload]).toEqual([...payload]);
  });

  it('never throws anything but SamProtocolError on arbitrary packets', () => {
    const packets = fc.oneof(
      fc.uint8Array({ maxLength: 2000 }),
      fc.tuple(fc.constantFrom(`${dest}`, `${dest} FROM_PORT=`, 'FROM_PORT=1 PROTOCOL=999', 'STREAM STATUS'), fc.string({ maxLength: 40 }), fc.uint8Array({ maxLength: 100 })).map(
        ([h, s, p]) => new Uint8Array([...Buffer.from(h + s), ...p]),
      ),
    );
    fc.assert(
      fc.property(packets, fc.constantFrom('repliable', 'raw') as fc.Arbitrary<'repliable' | 'raw'>, fc.boolean(), (p, kind, header) => onlyProtocolErrors(() => parseForwardedDatagram(p, kind, header))),
      { numRuns: 2000 },
    );
  });

  it('encodes datagrams for the bridge: ports only when asked, nothing that breaks the line', () => {
    const p = new Uint8Array([1, 2, 10, 3]);
    const plain = Buffer.from(encodeDatagramSend('3.0', 'sess-1', dest, p));
    expect(plain.subarray(0, plain.indexOf(10)).toString()).toBe(`3.0 sess-1 ${dest}`);
    expect([...plain.subarray(plain.indexOf(10) + 1)]).toEqual([...p]);
    const ported = Buffer.from(encodeDatagramSend('3.2', 'sess-1', dest, p, { fromPort: 9, toPort: 10 }));
    expect(ported.subarray(0, ported.indexOf(10)).toString()).toBe(`3.2 sess-1 ${dest} FROM_PORT=9 TO_PORT=10`);
    expect(() => encodeDatagramSend('3.0', 'bad id', dest, p)).toThrow(SamProtocolError);
    expect(() => encodeDatagramSend('3.0', 'id', `${dest}\nX`, p)).toThrow(SamProtocolError);
    expect(() => encodeDatagramSend('3.2', 'id', dest, p, { toPort: 65536 })).toThrow(SamProtocolError);
    expect(() => encodeDatagramSend('3.0', 'id', dest, new Uint8Array(70_000))).toThrow(SamProtocolError);
    // What we encode, a bridge's forwarder would read back (same header grammar).
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 500 }), fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 65535 }), (payload, from, to) => {
        const pkt = encodeDatagramSend('3.2', 'x', dest, payload, { fromPort: from, toPort: to });
        const line = Buffer.from(pkt).subarray(0, Buffer.from(pkt).indexOf(10)).toString();
        const rest = line.split(' ').slice(2).join(' ');
        const back = parseForwardedDatagram(new Uint8Array([...Buffer.from(rest + '\n'), ...payload]), 'repliable');
        expect([back.from, back.fromPort, back.toPort, [...back.payload]]).toEqual([dest, from, to, [...payload]]);
      }),
      { numRuns: 300 },
    );
  });
});
