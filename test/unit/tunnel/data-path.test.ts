import { cbc, ecb } from '@noble/ciphers/aes.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Aes256Key, CryptoError } from '../../../src/router/crypto/index.js';
import { decodeMessage, encodeMessage, I2npType } from '../../../src/router/i2np/index.js';
import { ManualClock } from '../../../src/router/runtime/clock.js';
import { SeededRandom } from '../../../src/router/runtime/random.js';
import { TunnelMessageBuilder } from '../../../src/router/tunnel/fragmenter.js';
import { HopLayer, inboundEndpointDecrypt, outboundPreprocess } from '../../../src/router/tunnel/layer-crypto.js';
import { checkTunnelBlock, TunnelReassembler } from '../../../src/router/tunnel/reassembler.js';
import type { LayerKeys, TunnelDelivery } from '../../../src/router/tunnel/types.js';

const rnd = new SeededRandom('tunnel data path');
const keys = (r = rnd): LayerKeys => ({ layerKey: r.bytes(32), ivKey: r.bytes(32) });
const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const block = fc.uint8Array({ minLength: 1024, maxLength: 1024 });

/** The participant operation written out with @noble/ciphers, block by block from the spec. */
function nobleEncrypt(k: LayerKeys, data: Uint8Array): Uint8Array {
  const iv1 = ecb(k.ivKey, { disablePadding: true }).encrypt(data.subarray(0, 16));
  const body = cbc(k.layerKey, iv1, { disablePadding: true }).encrypt(data.subarray(16));
  const iv2 = ecb(k.ivKey, { disablePadding: true }).encrypt(iv1);
  const out = new Uint8Array(1024);
  out.set(iv2, 0);
  out.set(body, 16);
  return out;
}

/** Cleartext blocks carrying real I2NP messages (standard header), some fragmented. */
function cleartextBlocks(r: SeededRandom, delivery: TunnelDelivery): { blocks: Uint8Array[]; messages: Uint8Array[] } {
  const messages = [40, 900, 3000].map((n, i) =>
    encodeMessage({ type: I2npType.Data, msgId: 1000 + i, expiration: 1_700_000_000_000, data: r.bytes(n) }, 'standard'),
  );
  const builder = new TunnelMessageBuilder({ random: r });
  for (const message of messages) builder.add({ delivery, message });
  return { blocks: builder.blocks(), messages };
}

describe('HopLayer', () => {
  it('decrypt is the inverse of encrypt, and encrypt changes the IV and every data block', () => {
    fc.assert(
      fc.property(bytes32, bytes32, block, (layerKey, ivKey, data) => {
        const hop = new HopLayer({ layerKey, ivKey });
        const work = data.slice();
        hop.encrypt(work);
        for (let b = 0; b < 1024; b += 16) expect(work.subarray(b, b + 16)).not.toEqual(data.subarray(b, b + 16));
        hop.decrypt(work);
        expect(work).toEqual(data);
        hop.decrypt(work);
        hop.encrypt(work);
        expect(work).toEqual(data);
      }),
      { numRuns: 200 },
    );
  });

  it('matches the participant operation built from @noble/ciphers ECB and CBC (differential)', () => {
    for (let i = 0; i < 300; i++) {
      const k = keys();
      const hop = new HopLayer(k);
      const data = rnd.bytes(1024);
      const expected = nobleEncrypt(k, data);
      const work = data.slice();
      hop.encrypt(work);
      expect(work).toEqual(expected);
      // The cached contexts must not carry state from one message to the next.
      const again = data.slice();
      hop.encrypt(again);
      expect(again).toEqual(expected);
      hop.decrypt(work);
      expect(work).toEqual(data);
    }
  });

  it('works on a block that is a view into a larger buffer (a TunnelData payload)', () => {
    const k = keys();
    const payload = rnd.bytes(4 + 1024);
    const expected = nobleEncrypt(k, payload.subarray(4));
    const tunnelId = payload.slice(0, 4);
    new HopLayer(k).encrypt(payload.subarray(4));
    expect(payload.subarray(4)).toEqual(expected);
    expect(payload.subarray(0, 4)).toEqual(tunnelId);
  });

  it('rejects anything but 1024 bytes and keys of the wrong size with CryptoError', () => {
    const hop = new HopLayer(keys());
    for (const n of [0, 16, 1008, 1023, 1028]) {
      expect(() => hop.encrypt(new Uint8Array(n))).toThrow(CryptoError);
      expect(() => hop.decrypt(new Uint8Array(n))).toThrow(CryptoError);
    }
    expect(() => new HopLayer({ layerKey: new Uint8Array(16), ivKey: new Uint8Array(32) })).toThrow(CryptoError);
    expect(() => new HopLayer({ layerKey: new Uint8Array(32), ivKey: new Uint8Array(31) })).toThrow(CryptoError);
  });
});

describe('Aes256Key (cached contexts) against @noble/ciphers', () => {
  it('ECB and CBC in place match noble on random lengths, repeatedly on one key', () => {
    const key = rnd.bytes(32);
    const aes = new Aes256Key(key);
    for (let i = 0; i < 200; i++) {
      const data = rnd.bytes(16 * (i % 70));
      const iv = rnd.bytes(16);
      const e = data.slice();
      aes.ecbEncryptInPlace(e);
      expect(e).toEqual(ecb(key, { disablePadding: true }).encrypt(data));
      aes.ecbDecryptInPlace(e);
      expect(e).toEqual(data);
      const c = data.slice();
      aes.cbcEncryptInPlace(iv, c);
      expect(c).toEqual(cbc(key, iv, { disablePadding: true }).encrypt(data));
      aes.cbcDecryptInPlace(iv, c);
      expect(c).toEqual(data);
    }
  });

  it('CBC is right when the IV is a view of the data itself', () => {
    const key = rnd.bytes(32);
    const aes = new Aes256Key(key);
    const data = rnd.bytes(64);
    const expected = cbc(key, data.slice(0, 16), { disablePadding: true }).encrypt(data);
    const work = data.slice();
    aes.cbcEncryptInPlace(work.subarray(0, 16), work);
    expect(work).toEqual(expected);
    const ct = work.slice();
    aes.cbcDecryptInPlace(work.subarray(0, 16), work);
    expect(work).toEqual(cbc(key, ct.subarray(0, 16), { disablePadding: true }).decrypt(ct));
  });

  it('rejects partial blocks before touching a cached context', () => {
    const aes = new Aes256Key(new Uint8Array(32));
    expect(() => aes.ecbEncryptInPlace(new Uint8Array(15))).toThrow(CryptoError);
    expect(() => aes.cbcDecryptInPlace(new Uint8Array(16), new Uint8Array(17))).toThrow(CryptoError);
    expect(() => aes.cbcEncryptInPlace(new Uint8Array(12), new Uint8Array(16))).toThrow(CryptoError);
    const data = new Uint8Array(32).fill(7);
    const out = data.slice();
    aes.ecbEncryptInPlace(out);
    expect(out).toEqual(ecb(new Uint8Array(32), { disablePadding: true }).encrypt(data));
  });
});

describe('outbound tunnel: the creator pre-decrypts, every hop encrypts, the OBEP sees cleartext', () => {
  for (let n = 1; n <= 7; n++) {
    it(`${n} hop${n > 1 ? 's' : ''}`, () => {
      const r = rnd.fork(`outbound ${n}`);
      const hops = Array.from({ length: n }, () => new HopLayer(keys(r)));
      const delivery: TunnelDelivery = { type: 'router', hash: r.bytes(32) };
      const { blocks, messages } = cleartextBlocks(r, delivery);
      const reassembler = new TunnelReassembler({ clock: new ManualClock() });
      const received: Uint8Array[] = [];
      for (const clean of blocks) {
        const wire = clean.slice();
        outboundPreprocess(wire, hops);
        for (const hop of hops) {
          hop.encrypt(wire); // each hop in tunnel order, the OBEP last
          if (hop !== hops[n - 1]) expect(checkTunnelBlock(wire).ok).toBe(false);
        }
        expect(wire).toEqual(clean);
        expect(checkTunnelBlock(wire).ok).toBe(true);
        for (const m of reassembler.receive(wire)) {
          expect(m.delivery).toEqual(delivery);
          received.push(m.message);
        }
      }
      expect(received).toEqual(messages);
      expect(decodeMessage(received[2], 'standard')).toMatchObject({ type: I2npType.Data, msgId: 1002 });
    });
  }

  it('order matters: pre-decrypting first hop first does not give the cleartext', () => {
    const r = rnd.fork('outbound order');
    const hops = [new HopLayer(keys(r)), new HopLayer(keys(r)), new HopLayer(keys(r))];
    const clean = cleartextBlocks(r, { type: 'local' }).blocks[0];
    const wire = clean.slice();
    for (const hop of hops) hop.decrypt(wire); // the wrong order
    for (const hop of hops) hop.encrypt(wire);
    expect(wire).not.toEqual(clean);
    expect(checkTunnelBlock(wire).ok).toBe(false);
  });
});

describe('inbound tunnel: the IBGW builds and encrypts, every hop encrypts, the creator decrypts all', () => {
  for (let n = 1; n <= 7; n++) {
    it(`${n} hop${n > 1 ? 's' : ''} (IBGW included)`, () => {
      const r = rnd.fork(`inbound ${n}`);
      const hops = Array.from({ length: n }, () => new HopLayer(keys(r)));
      const { blocks, messages } = cleartextBlocks(r, { type: 'local' });
      const reassembler = new TunnelReassembler({ clock: new ManualClock() });
      const received: Uint8Array[] = [];
      for (const clean of blocks) {
        const wire = clean.slice();
        for (const hop of hops) hop.encrypt(wire); // hops[0] is the IBGW's own layer
        expect(checkTunnelBlock(wire).ok).toBe(false);
        inboundEndpointDecrypt(wire, hops);
        expect(wire).toEqual(clean);
        received.push(...reassembler.receive(wire).map((m) => m.message));
      }
      expect(received).toEqual(messages);
    });
  }

  it('order matters: undoing the IBGW layer first does not give the cleartext', () => {
    const r = rnd.fork('inbound order');
    const hops = [new HopLayer(keys(r)), new HopLayer(keys(r))];
    const clean = cleartextBlocks(r, { type: 'local' }).blocks[0];
    const wire = clean.slice();
    for (const hop of hops) hop.encrypt(wire);
    for (const hop of hops) hop.decrypt(wire); // the wrong order
    expect(wire).not.toEqual(clean);
  });
});
