import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError, EncodeError } from '../../../src/router/data/errors.js';
import {
  decodeFrame,
  decodeMessage,
  decodeMessages,
  encodeFrame,
  encodeMessage,
  I2npType,
  type I2npMessage,
} from '../../../src/router/i2np/index.js';
import { bodies, message } from './arbitraries.js';

describe('round trip of every message type', () => {
  for (const [name, body] of Object.entries(bodies)) {
    for (const form of ['standard', 'short'] as const) {
      it(`${name} with the ${form} header`, () => {
        fc.assert(
          fc.property(message(body, form), (msg) => {
            const bytes = encodeMessage(msg, form);
            const back = decodeMessage(bytes, form);
            expect(back).toEqual(msg);
            expect(encodeMessage(back, form)).toEqual(bytes);
          }),
          { numRuns: 40 },
        );
      });
    }
  }
});

describe('message sequences and frames', () => {
  it('decodeMessages splits back-to-back standard messages', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(...Object.values(bodies).map((b) => message(b, 'standard'))), { maxLength: 5 }), (msgs) => {
        const all = Buffer.concat(msgs.map((m) => encodeMessage(m, 'standard')));
        expect(decodeMessages(new Uint8Array(all))).toEqual(msgs);
      }),
      { numRuns: 30 },
    );
  });

  it('decodeMessages stops at its message cap', () => {
    const m: I2npMessage = { type: I2npType.DeliveryStatus, msgId: 1, expiration: 2, deliveredMsgId: 4, timestamp: 3 };
    const one = encodeMessage(m, 'standard');
    const three = new Uint8Array(Buffer.concat([one, one, one]));
    expect(decodeMessages(three, 3)).toHaveLength(3);
    expect(() => decodeMessages(three, 2)).toThrow(DecodeError);
  });

  it('converts between header forms without decoding the payload (unknown types too)', () => {
    const frame = { type: 231, msgId: 0xdeadbeef, expiration: 1_700_000_000_000, payload: new Uint8Array([1, 2, 3]) };
    const standard = encodeFrame(frame, 'standard');
    const short = encodeFrame(decodeFrame(standard, 'standard'), 'short');
    expect(decodeFrame(short, 'short')).toEqual(frame);
    expect(() => decodeMessage(standard, 'standard')).toThrow(DecodeError);
    expect(() => decodeMessage(short, 'short')).toThrow(/unknown I2NP message type 231/);
  });

  it('decoded fields are copies: changing the input afterwards changes nothing', () => {
    fc.assert(
      fc.property(fc.oneof(...Object.values(bodies).map((b) => message(b, 'standard'))), (msg) => {
        const bytes = encodeMessage(msg, 'standard');
        const viaOne = decodeMessage(bytes, 'standard');
        const [viaMany] = decodeMessages(bytes);
        bytes.fill(0xee);
        expect(viaOne).toEqual(msg);
        expect(viaMany).toEqual(msg);
      }),
      { numRuns: 60 },
    );
  });

  it('rejects trailing bytes after a standard message', () => {
    const m: I2npMessage = { type: I2npType.DeliveryStatus, msgId: 1, expiration: 2, deliveredMsgId: 4, timestamp: 3 };
    const bytes = encodeMessage(m, 'standard');
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    expect(() => decodeMessage(longer, 'standard')).toThrow(DecodeError);
  });

  it('refuses to encode a payload that the 2-byte size cannot hold', () => {
    const m: I2npMessage = { type: I2npType.Data, msgId: 1, expiration: 2, data: new Uint8Array(0xffff) };
    expect(() => encodeMessage(m, 'standard')).toThrow(EncodeError);
    // The short form's length is the transport's business.
    expect(decodeMessage(encodeMessage(m, 'short'), 'short')).toMatchObject({ type: I2npType.Data });
  });
});
