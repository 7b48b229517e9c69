/**
 * SAM command lines (samv3.html "Encoding and Escaping"), replies, HELLO version negotiation,
 * the UDP datagram header and the (sub)session routing table: examples from the spec, edge
 * cases, and fast-check properties (format → parse gives the options back; any input either
 * parses or throws a typed error).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_LINE_BYTES, MAX_OPTIONS, parseSamCommand, SamParseError } from '../../../src/router/api/sam/command.js';
import { formatReply, quoteValue, resultReply } from '../../../src/router/api/sam/reply.js';
import { negotiateVersion } from '../../../src/router/api/sam/version.js';
import { MAX_UDP_HEADER, parseUdpDatagram, rawForwardHeader, repliableForwardHeader, SamDatagramError } from '../../../src/router/api/sam/datagram-header.js';
import { listenConflict, routeIncoming, type ListenKey } from '../../../src/router/api/sam/routing.js';
import { booleanOption, destinationOptions, portOption, rawProtocolOption, SamOptionError } from '../../../src/router/api/sam/options.js';
import { DEFAULT_DESTINATION_OPTIONS } from '../../../src/router/client/destination.js';

const opts = (line: string) => Object.fromEntries(parseSamCommand(line).options);

describe('SAM command lines', () => {
  it('reads verb, opcode and options in any order', () => {
    const c = parseSamCommand('SESSION CREATE STYLE=STREAM ID=test DESTINATION=TRANSIENT inbound.length=1');
    expect(c.verb).toBe('SESSION');
    expect(c.opcode).toBe('CREATE');
    expect(Object.fromEntries(c.options)).toEqual({ STYLE: 'STREAM', ID: 'test', DESTINATION: 'TRANSIENT', 'inbound.length': '1' });
  });

  it('maps verb and opcode to upper case but never keys or values', () => {
    const c = parseSamCommand('hello version MIN=3.1 max=3.3');
    expect([c.verb, c.opcode]).toEqual(['HELLO', 'VERSION']);
    expect(Object.fromEntries(c.options)).toEqual({ MIN: '3.1', max: '3.3' });
    expect(opts('X Y i2cp.leaseSetEncType=4,0 outbound.nickname=MyApp')).toEqual({ 'i2cp.leaseSetEncType': '4,0', 'outbound.nickname': 'MyApp' });
  });

  it('keeps spaces inside quotes, and reads \\" and \\\\ as escapes (3.2)', () => {
    expect(opts('AUTH ADD USER="a b" PASSWORD="say \\"hi\\" \\\\o/"')).toEqual({ USER: 'a b', PASSWORD: 'say "hi" \\o/' });
    expect(opts('X Y K="a=b" L=c=d')).toEqual({ K: 'a=b', L: 'c=d' });
  });

  it('allows several spaces, tabs, a trailing CR and UTF-8', () => {
    expect(opts('NAMING   LOOKUP \t NAME=ME  \r')).toEqual({ NAME: 'ME' });
    expect(opts('X Y NAME="zoë ☃"')).toEqual({ NAME: 'zoë ☃' });
  });

  it('reads empty values: KEY, KEY= and KEY=""', () => {
    expect(opts('X Y A B= C=""')).toEqual({ A: '', B: '', C: '' });
  });

  it('treats a command without an opcode (PING, QUIT) as such', () => {
    expect(parseSamCommand('PING 1234 hello there')).toMatchObject({ verb: 'PING', opcode: '', text: '1234 hello there' });
    expect(parseSamCommand('PING')).toMatchObject({ verb: 'PING', text: '' });
    expect(parseSamCommand('quit')).toMatchObject({ verb: 'QUIT', opcode: '' });
    expect(parseSamCommand('STREAM ACCEPT ID=x').opcode).toBe('ACCEPT');
    // An option right after the verb is not an opcode.
    expect(parseSamCommand('QUIT X=1')).toMatchObject({ verb: 'QUIT', opcode: '' });
  });

  it('refuses bad lines with a typed error and a code', () => {
    const code = (l: string) => {
      try {
        parseSamCommand(l);
        return 'parsed';
      } catch (e) {
        expect(e).toBeInstanceOf(SamParseError);
        return (e as SamParseError).code;
      }
    };
    expect(code('')).toBe('EMPTY');
    expect(code('   ')).toBe('EMPTY');
    expect(code('X Y K="open')).toBe('UNTERMINATED_QUOTE');
    expect(code('X Y =v')).toBe('BAD_KEY');
    expect(code('X Y a\u0000b')).toBe('BAD_CHARACTER');
    expect(code('\u0016\u0003\u0001 TLS')).toBe('BAD_CHARACTER');
    expect(code('GET / HTTP/1.1')).toBe('BAD_KEY');
    expect(code('"HELLO" VERSION')).toBe('BAD_VERB');
    expect(code('1HELLO VERSION')).toBe('BAD_VERB');
    expect(code('X Y ' + 'A=1 '.repeat(MAX_OPTIONS + 1))).toBe('TOO_MANY_OPTIONS');
    expect(code('X Y K=' + 'a'.repeat(MAX_LINE_BYTES))).toBe('LINE_TOO_LONG');
    // The limit counts bytes, not characters.
    expect(code('X Y K=' + '☃'.repeat(MAX_LINE_BYTES / 3))).toBe('LINE_TOO_LONG');
  });

  it('fuzz: any string parses or throws SamParseError, never anything else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 100 }), fc.string({ unit: fc.constantFrom(' ', '"', '\\', '=', 'A', 'b', '\t', '\r'), maxLength: 60 })), (s) => {
        try {
          const c = parseSamCommand(s);
          expect(c.verb).toMatch(/^[A-Z][A-Z0-9_]*$/);
          expect(c.options.size).toBeLessThanOrEqual(MAX_OPTIONS);
        } catch (e) {
          expect(e).toBeInstanceOf(SamParseError);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('property: a formatted reply parses back to the same options', () => {
    const key = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_.:]{0,15}$/);
    const value = fc.string({ maxLength: 40 }).filter((v) => !/[\u0000-\u001f\u007f]/.test(v));
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(key, value), { maxLength: 10, selector: (t) => t[0] }), (fields) => {
        const line = formatReply('NAMING', 'REPLY', fields);
        expect(line.endsWith('\n')).toBe(true);
        expect(line.slice(0, -1)).not.toContain('\n');
        const c = parseSamCommand(line.slice(0, -1));
        expect([c.verb, c.opcode]).toEqual(['NAMING', 'REPLY']);
        expect(Object.fromEntries(c.options)).toEqual(Object.fromEntries(fields));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('SAM replies', () => {
  it('formats status lines with single spaces and a quoted MESSAGE', () => {
    expect(resultReply('SESSION', 'STATUS', 'OK')).toBe('SESSION STATUS RESULT=OK\n');
    expect(resultReply('STREAM', 'STATUS', 'CANT_REACH_PEER', 'no LeaseSet')).toBe('STREAM STATUS RESULT=CANT_REACH_PEER MESSAGE="no LeaseSet"\n');
    expect(resultReply('SESSION', 'STATUS', 'I2P_ERROR', 'x')).toBe('SESSION STATUS RESULT=I2P_ERROR MESSAGE="x"\n');
    expect(formatReply('HELLO', 'REPLY', [['RESULT', 'OK'], ['VERSION', '3.3']])).toBe('HELLO REPLY RESULT=OK VERSION=3.3\n');
    expect(formatReply('NAMING', 'REPLY', [['RESULT', 'KEY_NOT_FOUND'], ['NAME', 'a.i2p'], ['VALUE', undefined]])).toBe('NAMING REPLY RESULT=KEY_NOT_FOUND NAME=a.i2p\n');
  });

  it('quotes and escapes values that need it and never lets a line break through', () => {
    expect(quoteValue('plain')).toBe('plain');
    expect(quoteValue('')).toBe('""');
    expect(quoteValue('a "b" c\\')).toBe('"a \\"b\\" c\\\\"');
    expect(resultReply('X', 'Y', 'I2P_ERROR', 'line one\nline two\r\n')).toBe('X Y RESULT=I2P_ERROR MESSAGE="line one line two "\n');
  });
});

describe('HELLO VERSION negotiation', () => {
  it('answers the highest version within MIN..MAX, 3.3 without constraints', () => {
    expect(negotiateVersion(undefined, undefined)).toEqual({ ok: true, version: '3.3' });
    expect(negotiateVersion('3.1', '3.1')).toEqual({ ok: true, version: '3.1' });
    expect(negotiateVersion('3.0', '3.2')).toEqual({ ok: true, version: '3.2' });
    expect(negotiateVersion('3', '3')).toEqual({ ok: true, version: '3.3' });
    expect(negotiateVersion(undefined, '3.2')).toEqual({ ok: true, version: '3.2' });
    expect(negotiateVersion('3.2', undefined)).toEqual({ ok: true, version: '3.3' });
    expect(negotiateVersion('3.1', '4.0')).toEqual({ ok: true, version: '3.3' });
  });

  it('says NOVERSION outside 3.1..3.3 and I2P_ERROR for garbage', () => {
    expect(negotiateVersion('3.0', '3.0')).toEqual({ ok: false, result: 'NOVERSION' });
    expect(negotiateVersion('2.0', '2.0')).toEqual({ ok: false, result: 'NOVERSION' });
    expect(negotiateVersion('4', undefined)).toEqual({ ok: false, result: 'NOVERSION' });
    expect(negotiateVersion('3.3', '3.1')).toEqual({ ok: false, result: 'NOVERSION' });
    expect(negotiateVersion('x', '3.1')).toMatchObject({ ok: false, result: 'I2P_ERROR' });
    expect(negotiateVersion('3.1', '3.1.1')).toMatchObject({ ok: false, result: 'I2P_ERROR' });
  });
});

describe('the UDP datagram header', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  it('reads "3.x ID DESTINATION [options]" and the payload after the newline', () => {
    const d = parseUdpDatagram(enc('3.0 sess AAAA\nhello'));
    expect(d).toMatchObject({ version: '3.0', id: 'sess', destination: 'AAAA', fromPort: undefined, toPort: undefined });
    expect(new TextDecoder().decode(d.payload)).toBe('hello');
    const e = parseUdpDatagram(enc('3.3 s x.b32.i2p FROM_PORT=7 TO_PORT=65535 PROTOCOL=200 SEND_TAGS=4\n\n\u0000bin'));
    expect(e).toMatchObject({ fromPort: 7, toPort: 65535, protocol: 200 });
    expect([...e.payload]).toEqual([10, 0, 98, 105, 110]);
  });

  it('refuses what is not a datagram header, with a typed error', () => {
    const code = (b: Uint8Array) => {
      try {
        parseUdpDatagram(b);
        return 'parsed';
      } catch (e) {
        expect(e).toBeInstanceOf(SamDatagramError);
        return (e as SamDatagramError).code;
      }
    };
    expect(code(enc('no newline at all'))).toBe('NO_HEADER');
    expect(code(enc('x'.repeat(MAX_UDP_HEADER + 5) + '\nbody'))).toBe('NO_HEADER');
    expect(code(enc('3.0 only-two\nx'))).toBe('BAD_HEADER');
    expect(code(enc('2.0 s d\nx'))).toBe('BAD_VERSION');
    expect(code(enc('3.0 s d TO_PORT=70000\nx'))).toBe('BAD_HEADER');
    expect(code(enc('3.0 s d PROTOCOL=6\nx'))).toBe('BAD_HEADER');
    expect(code(enc('3.0 s d\n'))).toBe('EMPTY');
  });

  it('fuzz: random packets parse or throw SamDatagramError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (b, withHeader) => {
        const packet = withHeader ? new Uint8Array([...enc('3.1 id dest '), ...b]) : b;
        try {
          const d = parseUdpDatagram(packet);
          expect(d.payload.length).toBeGreaterThan(0);
        } catch (e) {
          expect(e).toBeInstanceOf(SamDatagramError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('writes the forwarding headers of the spec', () => {
    expect(repliableForwardHeader('DEST', 1, 2, true)).toBe('DEST FROM_PORT=1 TO_PORT=2\n');
    expect(repliableForwardHeader('DEST', 1, 2, false)).toBe('DEST\n');
    expect(rawForwardHeader(3, 4, 18)).toBe('FROM_PORT=3 TO_PORT=4 PROTOCOL=18\n');
  });
});

describe('session options', () => {
  const m = (o: Record<string, string>) => new Map(Object.entries(o));
  it('checks ports, protocols and booleans, naming the option it refuses', () => {
    expect(portOption(m({ FROM_PORT: '0' }), 'FROM_PORT')).toBe(0);
    expect(portOption(m({}), 'FROM_PORT')).toBeUndefined();
    expect(() => portOption(m({ FROM_PORT: '65536' }), 'FROM_PORT')).toThrow(/FROM_PORT must be 0..65535/);
    expect(() => portOption(m({ FROM_PORT: '-1' }), 'FROM_PORT')).toThrow(SamOptionError);
    expect(rawProtocolOption(m({ PROTOCOL: '18' }))).toBe(18);
    for (const p of ['6', '17', '19', '20', '256']) expect(() => rawProtocolOption(m({ PROTOCOL: p }))).toThrow(SamOptionError);
    expect(booleanOption(m({ SILENT: 'TRUE' }), 'SILENT', false)).toBe(true);
    expect(booleanOption(m({}), 'SILENT', false)).toBe(false);
    expect(() => booleanOption(m({ SILENT: 'yes' }), 'SILENT', false)).toThrow(/SILENT must be true or false/);
  });

  it('maps I2CP tunnel options onto the destination pool settings', () => {
    const o = destinationOptions(m({ 'inbound.length': '1', 'outbound.length': '0', 'inbound.quantity': '3', 'i2cp.leaseSetEncType': '4,0', 'i2cp.dontPublishLeaseSet': 'true' }), DEFAULT_DESTINATION_OPTIONS);
    expect(o).toEqual({ inbound: { length: 1, quantity: 3, variance: 0 }, outbound: { length: 0, quantity: 2, variance: 0 }, publish: false });
    expect(destinationOptions(m({}), DEFAULT_DESTINATION_OPTIONS)).toEqual(DEFAULT_DESTINATION_OPTIONS);
    expect(() => destinationOptions(m({ 'inbound.length': '8' }), DEFAULT_DESTINATION_OPTIONS)).toThrow(/inbound.length must be 0..7/);
    expect(() => destinationOptions(m({ 'outbound.quantity': '0' }), DEFAULT_DESTINATION_OPTIONS)).toThrow(SamOptionError);
    expect(() => destinationOptions(m({ 'i2cp.leaseSetEncType': '0' }), DEFAULT_DESTINATION_OPTIONS)).toThrow(/only 4/);
  });
});

describe('routing incoming datagrams to subsessions', () => {
  const sub = (style: ListenKey['style'], listenPort: number, listenProtocol = 0, name = `${style}:${listenPort}:${listenProtocol}`) => ({ style, listenPort, listenProtocol, name });
  it('prefers an exact port over a wildcard and matches style by protocol', () => {
    const subs = [sub('DATAGRAM', 0), sub('DATAGRAM', 53), sub('RAW', 0, 18), sub('RAW', 99, 0), sub('STREAM', 0)];
    expect(routeIncoming(subs, 17, 53)?.name).toBe('DATAGRAM:53:0');
    expect(routeIncoming(subs, 17, 54)?.name).toBe('DATAGRAM:0:0');
    expect(routeIncoming(subs, 18, 1)?.name).toBe('RAW:0:18');
    expect(routeIncoming(subs, 18, 99)?.name).toBe('RAW:99:0');
    expect(routeIncoming(subs, 200, 99)?.name).toBe('RAW:99:0');
    expect(routeIncoming(subs, 200, 1)).toBeUndefined();
    // Streaming is never a datagram, whatever a RAW subsession listens to.
    expect(routeIncoming(subs, 6, 99)).toBeUndefined();
    expect(routeIncoming([sub('RAW', 0, 0)], 17, 0)).toBeUndefined();
  });

  it('finds listen conflicts by style, port and (RAW) protocol', () => {
    const subs = [sub('DATAGRAM', 0), sub('RAW', 5, 18), sub('STREAM', 0)];
    expect(listenConflict(subs, sub('DATAGRAM', 0))).toBe(true);
    expect(listenConflict(subs, sub('DATAGRAM', 1))).toBe(false);
    expect(listenConflict(subs, sub('RAW', 5, 18))).toBe(true);
    expect(listenConflict(subs, sub('RAW', 5, 19))).toBe(false);
    expect(listenConflict(subs, sub('STREAM', 0))).toBe(true);
    expect(listenConflict(subs, sub('STREAM', 80))).toBe(false);
  });
});
