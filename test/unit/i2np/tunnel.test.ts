import { describe, expect, it } from 'vitest';
import { DecodeError, EncodeError } from '../../../src/router/data/errors.js';
import {
  decodeData,
  decodeDatabaseSearchReply,
  decodeGarlic,
  decodeMessage,
  decodeOutboundTunnelBuildReply,
  decodeShortTunnelBuild,
  decodeTunnelBuild,
  decodeTunnelData,
  decodeTunnelGateway,
  decodeVariableTunnelBuild,
  encodeMessage,
  encodeShortTunnelBuild,
  encodeTunnelBuild,
  encodeTunnelData,
  encodeTunnelGateway,
  encodeVariableTunnelBuild,
  I2npType,
  type I2npMessage,
} from '../../../src/router/i2np/index.js';

const fill = (n: number, v: number) => new Uint8Array(n).fill(v);
const cat = (...parts: (Uint8Array | number[])[]) => new Uint8Array(Buffer.concat(parts.map((p) => Uint8Array.from(p))));

describe('TunnelData', () => {
  it('is tunnel id + exactly 1024 bytes', () => {
    const bytes = cat([0, 0, 1, 0], fill(1024, 0x42));
    expect(decodeTunnelData(bytes)).toEqual({ type: I2npType.TunnelData, tunnelId: 256, data: fill(1024, 0x42) });
    expect(encodeTunnelData({ type: I2npType.TunnelData, tunnelId: 256, data: fill(1024, 0x42) })).toEqual(bytes);
  });
  it('rejects any other length and tunnel id 0', () => {
    expect(() => decodeTunnelData(cat([0, 0, 1, 0], fill(1023, 0)))).toThrow(DecodeError);
    expect(() => decodeTunnelData(cat([0, 0, 1, 0], fill(1025, 0)))).toThrow(DecodeError);
    expect(() => decodeTunnelData(cat([0, 0, 0, 0], fill(1024, 0)))).toThrow(/non-zero/);
    expect(() => encodeTunnelData({ type: I2npType.TunnelData, tunnelId: 1, data: fill(1000, 0) })).toThrow(EncodeError);
  });
  it('a standard-header TunnelData message is 1044 bytes', () => {
    const m: I2npMessage = { type: I2npType.TunnelData, msgId: 5, expiration: 6, tunnelId: 7, data: fill(1024, 1) };
    expect(encodeMessage(m, 'standard')).toHaveLength(16 + 1028);
  });
});

describe('TunnelGateway', () => {
  it('carries a whole standard-header message that decodes on its own', () => {
    const inner: I2npMessage = { type: I2npType.Data, msgId: 9, expiration: 10, data: fill(20, 3) };
    const innerBytes = encodeMessage(inner, 'standard');
    const payload = encodeTunnelGateway({ type: I2npType.TunnelGateway, tunnelId: 77, message: innerBytes });
    expect(payload.subarray(0, 6)).toEqual(Uint8Array.from([0, 0, 0, 77, 0, innerBytes.length]));
    const gw = decodeTunnelGateway(payload);
    expect(decodeMessage(gw.message, 'standard')).toEqual(inner);
  });
  it('checks its length field', () => {
    expect(() => decodeTunnelGateway(cat([0, 0, 0, 1], [0, 3], [1, 2]))).toThrow(/says 3 bytes/);
    expect(() => decodeTunnelGateway(cat([0, 0, 0, 1], [0, 1], [1, 2]))).toThrow(DecodeError);
  });
});

describe('Garlic, Data and DatabaseSearchReply lengths', () => {
  it('Garlic and Data: the 4-byte length must cover the rest exactly', () => {
    expect(decodeGarlic(cat([0, 0, 0, 2], [9, 8])).data).toEqual(Uint8Array.from([9, 8]));
    expect(decodeData(cat([0, 0, 0, 0])).data).toEqual(new Uint8Array(0));
    expect(() => decodeGarlic(cat([0, 0, 0, 3], [9, 8]))).toThrow(DecodeError);
    expect(() => decodeData(cat([0, 0, 0, 1], [9, 8]))).toThrow(DecodeError);
    expect(() => decodeGarlic(cat([0xff, 0xff, 0xff, 0xff], [1]))).toThrow(DecodeError);
  });
  it('DatabaseSearchReply: key, num, hashes, from', () => {
    const bytes = cat(fill(32, 1), [2], fill(32, 2), fill(32, 3), fill(32, 4));
    expect(decodeDatabaseSearchReply(bytes)).toEqual({
      type: I2npType.DatabaseSearchReply,
      key: fill(32, 1),
      peers: [fill(32, 2), fill(32, 3)],
      from: fill(32, 4),
    });
    expect(() => decodeDatabaseSearchReply(cat(fill(32, 1), [3], fill(32, 2), fill(32, 3), fill(32, 4)))).toThrow(DecodeError);
  });
});

describe('tunnel build messages', () => {
  it('TunnelBuild is exactly 8 × 528 bytes with no count', () => {
    const records = Array.from({ length: 8 }, (_, i) => fill(528, i));
    const bytes = encodeTunnelBuild({ type: I2npType.TunnelBuild, records });
    expect(bytes).toHaveLength(4224);
    expect(decodeTunnelBuild(bytes).records).toEqual(records);
    expect(() => decodeTunnelBuild(bytes.subarray(1))).toThrow(DecodeError);
    expect(() => encodeTunnelBuild({ type: I2npType.TunnelBuild, records: records.slice(1) })).toThrow(EncodeError);
  });
  it('VariableTunnelBuild: num 1..8, then num × 528', () => {
    const records = [fill(528, 1), fill(528, 2), fill(528, 3), fill(528, 4)];
    const bytes = encodeVariableTunnelBuild({ type: I2npType.VariableTunnelBuild, records });
    expect(bytes).toHaveLength(2113); // the spec's "typical" total for 4 records
    expect(bytes[0]).toBe(4);
    expect(decodeVariableTunnelBuild(bytes).records).toEqual(records);
    expect(() => decodeVariableTunnelBuild(cat([0]))).toThrow(/1\.\.8/);
    expect(() => decodeVariableTunnelBuild(cat([9], fill(9 * 528, 0)))).toThrow(/1\.\.8/);
    expect(() => decodeVariableTunnelBuild(cat([2], fill(528, 0)))).toThrow(/need 1056 bytes/);
    expect(() => encodeVariableTunnelBuild({ type: I2npType.VariableTunnelBuild, records: [] })).toThrow(EncodeError);
    expect(() =>
      encodeVariableTunnelBuild({ type: I2npType.VariableTunnelBuild, records: [fill(218, 0)] }),
    ).toThrow(EncodeError);
  });
  it('ShortTunnelBuild and OutboundTunnelBuildReply: num 1..8, then num × 218', () => {
    const records = [fill(218, 1), fill(218, 2), fill(218, 3), fill(218, 4)];
    const bytes = encodeShortTunnelBuild({ type: I2npType.ShortTunnelBuild, records });
    expect(bytes).toHaveLength(873); // the spec's "typical" total for 4 records
    expect(decodeShortTunnelBuild(bytes)).toEqual({ type: I2npType.ShortTunnelBuild, records });
    expect(decodeOutboundTunnelBuildReply(bytes)).toEqual({ type: I2npType.OutboundTunnelBuildReply, records });
    expect(() => decodeShortTunnelBuild(cat(bytes, [0]))).toThrow(DecodeError);
    expect(() => encodeShortTunnelBuild({ type: I2npType.ShortTunnelBuild, records: [fill(528, 0)] })).toThrow(EncodeError);
  });
});
