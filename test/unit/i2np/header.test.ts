import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../../src/router/data/errors.js';
import {
  checkExpiration,
  decodeFrame,
  decodeMessage,
  encodeFrame,
  encodeMessage,
  I2npType,
  type I2npMessage,
} from '../../../src/router/i2np/index.js';
import { captureDecodeError } from '../../helpers/decode-error.js';

const hex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

// DeliveryStatus payload per i2np.rst: msg_id(4) = a1b2c3d4, time_stamp(8, ms) = 1700000000000.
const DS_PAYLOAD = 'a1b2c3d4 0000018bcfe56800';
// Standard header per the field table: type(1) = 0a, msg_id(4) = 01020304,
// expiration(8, ms) = 1700000000000, size(2) = 000c, chks(1) = SHA-256(payload)[0] = 83.
const DS_STANDARD = '0a 01020304 0000018bcfe56800 000c 83 ' + DS_PAYLOAD;
// Short header: type(1) = 0a, msg_id(4) = 01020304, short_expiration(4, s) = 1700000000 = 6553f100.
const DS_SHORT = '0a 01020304 6553f100 ' + DS_PAYLOAD;

const deliveryStatus: I2npMessage = {
  type: I2npType.DeliveryStatus,
  msgId: 0x01020304,
  expiration: 1_700_000_000_000,
  deliveredMsgId: 0xa1b2c3d4,
  timestamp: 1_700_000_000_000,
};

describe('hand-built vectors from the spec field tables', () => {
  it('the vector checksum is the first byte of SHA-256(payload)', () => {
    expect(createHash('sha256').update(hex(DS_PAYLOAD)).digest()[0]).toBe(0x83);
  });

  it('standard-header DeliveryStatus decodes and encodes to the same bytes', () => {
    expect(decodeMessage(hex(DS_STANDARD), 'standard')).toEqual(deliveryStatus);
    expect(encodeMessage(deliveryStatus, 'standard')).toEqual(hex(DS_STANDARD));
  });

  it('short-header DeliveryStatus decodes and encodes to the same bytes', () => {
    expect(decodeMessage(hex(DS_SHORT), 'short')).toEqual(deliveryStatus);
    expect(encodeMessage(deliveryStatus, 'short')).toEqual(hex(DS_SHORT));
  });

  it('an empty payload carries checksum e3 (SHA-256 of nothing starts e3b0…)', () => {
    const bytes = hex('ff 00000001 0000000000000002 0000 e3');
    expect(decodeFrame(bytes, 'standard')).toEqual({ type: 0xff, msgId: 1, expiration: 2, payload: new Uint8Array(0) });
    expect(encodeFrame({ type: 0xff, msgId: 1, expiration: 2, payload: new Uint8Array(0) }, 'standard')).toEqual(bytes);
  });

  it('the short header rounds the expiration to whole seconds', () => {
    const bytes = encodeFrame({ type: 1, msgId: 0, expiration: 1_700_000_000_600, payload: new Uint8Array(0) }, 'short');
    expect(bytes).toEqual(hex('01 00000000 6553f101'));
  });
});

describe('standard header checks', () => {
  it('rejects a wrong checksum, naming the checksum byte', () => {
    const bad = hex(DS_STANDARD);
    bad[15] ^= 0x01;
    const err = captureDecodeError(() => decodeMessage(bad, 'standard'));
    expect(err.field).toBe('checksum');
    expect(err.offset).toBe(15);
  });

  it('rejects a payload change that the checksum catches', () => {
    const bad = hex(DS_STANDARD);
    bad[20] ^= 0x80;
    expect(captureDecodeError(() => decodeMessage(bad, 'standard')).field).toBe('checksum');
  });

  it('rejects a size beyond the remaining bytes, naming the size field', () => {
    const bad = hex(DS_STANDARD);
    bad[14] = 0x0d; // size 13, 12 bytes present
    const err = captureDecodeError(() => decodeMessage(bad, 'standard'));
    expect(err.field).toBe('size');
    expect(err.offset).toBe(13);
  });

  it('rejects a truncated header', () => {
    for (let n = 0; n < 16; n++) {
      expect(() => decodeFrame(hex(DS_STANDARD).subarray(0, n), 'standard')).toThrow(DecodeError);
    }
    for (let n = 0; n < 9; n++) expect(() => decodeFrame(hex(DS_SHORT).subarray(0, n), 'short')).toThrow(DecodeError);
  });

  it('rejects an expiration beyond a safe integer', () => {
    const bad = hex(DS_STANDARD);
    bad[5] = 0xff;
    expect(captureDecodeError(() => decodeMessage(bad, 'standard')).field).toBe('expiration');
  });

  it('frames round-trip for any type byte', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.uint8Array({ maxLength: 300 }),
        (type, msgId, expiration, payload) => {
          const f = { type, msgId, expiration, payload };
          expect(decodeFrame(encodeFrame(f, 'standard'), 'standard')).toEqual(f);
          const s = { ...f, expiration: (Math.floor(expiration / 1000) % 2 ** 32) * 1000 };
          expect(decodeFrame(encodeFrame(s, 'short'), 'short')).toEqual(s);
        },
      ),
    );
  });
});

describe('checkExpiration', () => {
  const now = 1_700_000_000_000;
  it('accepts a message inside the window', () => {
    expect(checkExpiration(now, now)).toBe('ok');
    expect(checkExpiration(now + 60_000, now)).toBe('ok');
    expect(checkExpiration(now - 60_000, now)).toBe('ok');
  });
  it('reports a message more than 60 s past its expiration as expired', () => {
    expect(checkExpiration(now - 60_001, now)).toBe('expired');
    expect(checkExpiration(0, now)).toBe('expired');
  });
  it('reports an expiration more than 3 minutes ahead as too far in the future (60 s lifetime + 60 s skew + rounding fit)', () => {
    expect(checkExpiration(now + 180_000, now)).toBe('ok');
    expect(checkExpiration(now + 180_001, now)).toBe('too-far-future');
  });
  it('takes a wider window when asked (i2pd allows 3 minutes ahead)', () => {
    const wide = { maxPastMs: 60_000, maxFutureMs: 180_000 };
    expect(checkExpiration(now + 180_000, now, wide)).toBe('ok');
    expect(checkExpiration(now + 180_001, now, wide)).toBe('too-far-future');
  });
});

