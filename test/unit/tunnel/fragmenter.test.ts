import { describe, expect, it } from 'vitest';
import { EncodeError } from '../../../src/router/data/errors.js';
import { ManualClock } from '../../../src/router/runtime/clock.js';
import { SeededRandom } from '../../../src/router/runtime/random.js';
import {
  buildTunnelBlocks,
  MAX_TUNNEL_MESSAGE_SIZE,
  sealTunnelBlock,
  TUNNEL_BLOCK_CAPACITY,
  TunnelMessageBuilder,
  TunnelMessageTooLargeError,
} from '../../../src/router/tunnel/fragmenter.js';
import { checkTunnelBlock, TunnelReassembler } from '../../../src/router/tunnel/reassembler.js';
import type { TunnelDelivery } from '../../../src/router/tunnel/types.js';
import { parseBlock, zeroRandom } from './helpers.js';

const rnd = new SeededRandom('fragmenter');
const local: TunnelDelivery = { type: 'local' };
const tunnel: TunnelDelivery = { type: 'tunnel', tunnelId: 77, gateway: new Uint8Array(32).fill(3) };

describe('sealTunnelBlock', () => {
  it('lays out IV, checksum, non-zero padding, the zero byte, then the payload', () => {
    const payload = rnd.bytes(100);
    const block = sealTunnelBlock(payload, rnd);
    expect(block.length).toBe(1024);
    const padLength = TUNNEL_BLOCK_CAPACITY - 100;
    expect(block.subarray(20, 20 + padLength).every((b) => b !== 0)).toBe(true);
    expect(block[20 + padLength]).toBe(0);
    expect(block.subarray(1024 - 100)).toEqual(payload);
  });

  it('never writes a zero padding byte, even from a source of zeros', () => {
    for (const n of [0, 1, 500, 1003]) {
      const block = sealTunnelBlock(new Uint8Array(TUNNEL_BLOCK_CAPACITY - n).fill(9), zeroRandom);
      expect(block.subarray(20, 20 + n).every((b) => b !== 0)).toBe(true);
      expect(block[20 + n]).toBe(0);
      expect(checkTunnelBlock(block)).toEqual({ ok: true, payloadOffset: 21 + n });
    }
  });

  it('refuses a payload larger than the 1003-byte capacity', () => {
    expect(() => sealTunnelBlock(new Uint8Array(1004), rnd)).toThrow(EncodeError);
  });
});

describe('TunnelMessageBuilder', () => {
  it('packs small messages into one block', () => {
    const messages = Array.from({ length: 10 }, () => ({ delivery: local, message: rnd.bytes(80) }));
    const blocks = buildTunnelBlocks(messages, rnd);
    expect(blocks).toHaveLength(1);
    const { entries } = parseBlock(blocks[0]);
    expect(entries.map((e) => e.fragment)).toEqual(messages.map((m) => m.message));
    expect(entries.every((e) => e.header.kind === 'first' && e.header.messageId === undefined)).toBe(true);
  });

  it('fills a block by fragmenting the message that does not fit', () => {
    const blocks = buildTunnelBlocks(
      [
        { delivery: local, message: rnd.bytes(500) },
        { delivery: local, message: rnd.bytes(900) },
      ],
      rnd,
    );
    expect(blocks).toHaveLength(2);
    const first = parseBlock(blocks[0]);
    expect(first.padding.length).toBe(0);
    expect(first.entries[1].header).toMatchObject({ kind: 'first', size: 1003 - 503 - 7 });
    expect(parseBlock(blocks[1]).entries[0].header).toMatchObject({ kind: 'follow-on', fragmentNumber: 1, last: true });
  });

  it('numbers follow-ons 1.., marks only the last, and uses one non-zero message id', () => {
    const blocks = buildTunnelBlocks([{ delivery: tunnel, message: rnd.bytes(5000) }], rnd);
    // 960 in the first block (1003 - 43), then 996 per block.
    expect(blocks).toHaveLength(6);
    const headers = blocks.map((b) => parseBlock(b).entries[0].header);
    expect(headers[0]).toMatchObject({ kind: 'first', delivery: tunnel, size: 960 });
    const id = headers[0].messageId;
    expect(id).toBeGreaterThan(0);
    headers.slice(1).forEach((h, i) => {
      expect(h).toMatchObject({ kind: 'follow-on', fragmentNumber: i + 1, last: i === 4, messageId: id });
    });
    expect(headers.slice(1, 5).every((h) => h.size === 996)).toBe(true);
  });

  it('leaves less padding than the largest header in every block but the last', () => {
    const sizes = [30, 1500, 200, 7000, 999, 1003, 16, 4000, 600, 2500];
    const deliveries: TunnelDelivery[] = [local, tunnel, { type: 'router', hash: rnd.bytes(32) }];
    const blocks = buildTunnelBlocks(
      sizes.map((n, i) => ({ delivery: deliveries[i % 3], message: rnd.bytes(n) })),
      rnd,
    );
    for (const b of blocks.slice(0, -1)) expect(parseBlock(b).padding.length).toBeLessThan(43);
  });

  it('carries the largest message in at most 64 fragments wherever it starts', () => {
    for (const before of [0, 1, 500, 955, 958, 990]) {
      const builder = new TunnelMessageBuilder({ random: rnd });
      if (before > 0) builder.add({ delivery: local, message: rnd.bytes(before) });
      const big = rnd.bytes(MAX_TUNNEL_MESSAGE_SIZE);
      builder.add({ delivery: tunnel, message: big });
      const blocks = builder.blocks();
      const fragments = blocks.flatMap((b) => parseBlock(b).entries).filter((e) => e.header.messageId !== undefined);
      expect(fragments.length).toBeLessThanOrEqual(64);
      const r = new TunnelReassembler({ clock: new ManualClock() });
      const got = blocks.flatMap((b) => r.receive(b));
      expect(got.at(-1)).toEqual({ delivery: tunnel, message: big });
    }
  });

  it('refuses oversize and empty messages and bad deliveries without changing its state', () => {
    const builder = new TunnelMessageBuilder({ random: rnd });
    builder.add({ delivery: local, message: rnd.bytes(100) });
    const tooBig = () => builder.add({ delivery: local, message: new Uint8Array(MAX_TUNNEL_MESSAGE_SIZE + 1) });
    expect(tooBig).toThrow(TunnelMessageTooLargeError);
    expect(() => builder.add({ delivery: local, message: new Uint8Array(0) })).toThrow(EncodeError);
    const badTunnel = { type: 'tunnel', tunnelId: 0, gateway: new Uint8Array(32) } as const;
    expect(() => builder.add({ delivery: badTunnel, message: rnd.bytes(2000) })).toThrow(EncodeError);
    const badRouter = { type: 'router', hash: new Uint8Array(20) } as const;
    expect(() => builder.add({ delivery: badRouter, message: rnd.bytes(20) })).toThrow(EncodeError);
    expect(builder.pendingBytes).toBe(103);
    expect(builder.readyBlocks).toBe(0);
    expect(builder.blocks()).toHaveLength(1);
  });

  it('blocks() hands over each block once, and nothing when nothing was added', () => {
    const builder = new TunnelMessageBuilder({ random: rnd });
    expect(builder.blocks()).toEqual([]);
    builder.add({ delivery: local, message: rnd.bytes(3000) });
    expect(builder.readyBlocks).toBe(3);
    expect(builder.blocks()).toHaveLength(4);
    expect(builder.blocks()).toEqual([]);
    expect(builder.pendingBytes).toBe(0);
  });

  it('uses message id 1, never 0, when the random source gives 0', () => {
    const blocks = buildTunnelBlocks([{ delivery: local, message: new Uint8Array(1500).fill(1) }], zeroRandom);
    expect(parseBlock(blocks[0]).entries[0].header.messageId).toBe(1);
  });
});
