import { chacha20 as nobleChacha20, chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 as nobleX25519 } from '@noble/curves/ed25519.js';
import { hkdf as nobleHkdf } from '@noble/hashes/hkdf.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { x25519, x25519Generate } from '../../../src/router/crypto/index.js';
import { DecodeError, EncodeError } from '../../../src/router/data/errors.js';
import { noiseNState } from '../../../src/router/garlic/router-garlic.js';
import { SeededRandom, type RandomSource } from '../../../src/router/runtime/index.js';
import {
  BuildRecordDecryptor,
  BuildRecordError,
  createLongBuildRecords,
  createShortBuildRecords,
  decryptLongReplies,
  decryptShortReplies,
  deriveShortHopKeys,
  encryptLongReplyInPlace,
  encryptShortReplyInPlace,
  fakeRecordFor,
  LONG_RECORD_LENGTH,
  SHORT_RECORD_LENGTH,
  type LongHopSpec,
  type ShortHopSpec,
  LAYER_COUNTER,
} from '../../../src/router/tunnel/build-crypto.js';
import {
  decodeLongBuildReply,
  decodeShortBuildReply,
  encodeLongBuildReply,
  encodeShortBuildReply,
} from '../../../src/router/tunnel/build-reply.js';
import {
  decodeLongBuildRequest,
  decodeShortBuildRequest,
  encodeLongBuildRequest,
  encodeShortBuildRequest,
} from '../../../src/router/tunnel/build-request.js';
import type { BuildReply, BuildRequest, HopRole, LongBuildRequest } from '../../../src/router/tunnel/types.js';

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const tunnelId = fc.integer({ min: 1, max: 0xffffffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const role = fc.constantFrom<HopRole>('participant', 'ibgw', 'obep');

/** Options that fit: at most `maxEntries` entries of at most 4 + 8 + 4 bytes each. */
function options(maxEntries: number): fc.Arbitrary<Record<string, string>> {
  return fc
    .array(fc.tuple(fc.string({ minLength: 1, maxLength: 4 }), fc.string({ maxLength: 8 })), { maxLength: maxEntries })
    .map((entries) => {
      const out: Record<string, string> = {};
      for (const [k, v] of entries) if (k !== '__proto__') out[k] = v;
      return out;
    });
}

const shortRequest: fc.Arbitrary<BuildRequest> = fc.record({
  receiveTunnelId: tunnelId,
  nextTunnelId: tunnelId,
  nextIdent: bytes32,
  role,
  layerEncryption: fc.integer({ min: 0, max: 255 }),
  requestTimeMinutes: u32,
  expirationSeconds: u32,
  nextMessageId: u32,
  options: options(6), // ≤ 2 + 6 × 16 = 98 bytes
});

const longRequest: fc.Arbitrary<LongBuildRequest> = fc.record({
  receiveTunnelId: tunnelId,
  nextTunnelId: tunnelId,
  nextIdent: bytes32,
  role,
  layerEncryption: fc.constant(0),
  requestTimeMinutes: u32,
  expirationSeconds: u32,
  nextMessageId: u32,
  options: options(18),
  layerKey: bytes32,
  ivKey: bytes32,
  replyKey: bytes32,
  replyIv: fc.uint8Array({ minLength: 16, maxLength: 16 }),
});

const reply = (maxEntries: number): fc.Arbitrary<BuildReply> =>
  fc.record({ options: options(maxEntries), reply: fc.integer({ min: 0, max: 255 }) });

const seedArb = fc.string({ minLength: 1, maxLength: 8 });

function sampleRequest(over: Partial<BuildRequest> = {}): BuildRequest {
  return {
    receiveTunnelId: 0x01020304,
    nextTunnelId: 0x0a0b0c0d,
    nextIdent: new Uint8Array(32).fill(0xee),
    role: 'participant',
    layerEncryption: 0,
    requestTimeMinutes: 29_000_000,
    expirationSeconds: 600,
    nextMessageId: 0xdeadbeef,
    options: {},
    ...over,
  };
}

function sampleLong(random: RandomSource, over: Partial<LongBuildRequest> = {}): LongBuildRequest {
  return {
    ...sampleRequest(),
    layerKey: random.bytes(32),
    ivKey: random.bytes(32),
    replyKey: random.bytes(32),
    replyIv: random.bytes(16),
    ...over,
  };
}

describe('short build request codec', () => {
  it('round-trips (fast-check)', () => {
    fc.assert(
      fc.property(shortRequest, seedArb, (req, seed) => {
        const enc = encodeShortBuildRequest(req, new SeededRandom(seed));
        expect(enc.length).toBe(154);
        expect(decodeShortBuildRequest(enc)).toEqual(req);
      }),
      { numRuns: 300 },
    );
  });

  it('puts each field at the spec offset and pads with random bytes', () => {
    const req = sampleRequest({ role: 'obep', layerEncryption: 0, options: { m: '100' } });
    const a = encodeShortBuildRequest(req, new SeededRandom('a'));
    const b = encodeShortBuildRequest(req, new SeededRandom('b'));
    expect([...a.subarray(0, 8)]).toEqual([1, 2, 3, 4, 0x0a, 0x0b, 0x0c, 0x0d]);
    expect(a.subarray(8, 40).every((x) => x === 0xee)).toBe(true);
    expect(a[40]).toBe(0x40); // OBEP bit
    expect([a[41], a[42], a[43]]).toEqual([0, 0, 0]);
    expect(new DataView(a.buffer).getUint32(44)).toBe(29_000_000);
    expect(new DataView(a.buffer).getUint32(48)).toBe(600);
    expect(new DataView(a.buffer).getUint32(52)).toBe(0xdeadbeef);
    // Mapping "m=100;": size 8, then 1 'm' '=' 3 '100' ';'
    expect([...a.subarray(56, 65)]).toEqual([0, 8, 1, 0x6d, 0x3d, 3, 0x31, 0x30, 0x30]);
    expect(a[65]).toBe(0x3b);
    expect(a.subarray(0, 66)).toEqual(b.subarray(0, 66));
    expect(a.subarray(66)).not.toEqual(b.subarray(66));
    expect(decodeShortBuildRequest(a)).toEqual(decodeShortBuildRequest(b));
  });

  it('flags: bit 7 is the IBGW, bit 6 the OBEP; reserved bits are ignored; both set is refused', () => {
    const enc = encodeShortBuildRequest(sampleRequest({ role: 'ibgw' }), new SeededRandom('f'));
    expect(enc[40]).toBe(0x80);
    enc[40] = 0x80 | 0x3f;
    enc[41] = 0xff;
    expect(decodeShortBuildRequest(enc).role).toBe('ibgw');
    enc[40] = 0x00 | 0x01;
    expect(decodeShortBuildRequest(enc).role).toBe('participant');
    enc[40] = 0xc0;
    expect(() => decodeShortBuildRequest(enc)).toThrow(DecodeError);
  });

  it('refuses zero tunnel ids on both sides of the codec', () => {
    const enc = encodeShortBuildRequest(sampleRequest(), new SeededRandom('z'));
    const noReceive = enc.slice();
    noReceive.fill(0, 0, 4);
    expect(() => decodeShortBuildRequest(noReceive)).toThrow(/receiveTunnelId/);
    const noNext = enc.slice();
    noNext.fill(0, 4, 8);
    expect(() => decodeShortBuildRequest(noNext)).toThrow(/nextTunnelId/);
    const r = new SeededRandom('z');
    expect(() => encodeShortBuildRequest(sampleRequest({ receiveTunnelId: 0 }), r)).toThrow(EncodeError);
    expect(() => encodeShortBuildRequest(sampleRequest({ nextTunnelId: 0 }), r)).toThrow(EncodeError);
  });

  it('the options Mapping is limited to 98 bytes with its length', () => {
    const r = new SeededRandom('o');
    // Key "k", value of 91: entry 1+1+1+1+91+1 = 96, with the size 98.
    const fits = encodeShortBuildRequest(sampleRequest({ options: { k: 'v'.repeat(91) } }), r);
    expect(decodeShortBuildRequest(fits).options).toEqual({ k: 'v'.repeat(91) });
    expect(() => encodeShortBuildRequest(sampleRequest({ options: { k: 'v'.repeat(92) } }), r)).toThrow(EncodeError);
    const overflow = fits.slice();
    overflow[57] = 99; // Mapping length 99: runs past the record
    expect(() => decodeShortBuildRequest(overflow)).toThrow(DecodeError);
  });

  it('accepts options in any key order but refuses duplicates', () => {
    const enc = encodeShortBuildRequest(sampleRequest(), new SeededRandom('u'));
    // "r=2;m=1;" unsorted
    enc.set([0, 12, 1, 0x72, 0x3d, 1, 0x32, 0x3b, 1, 0x6d, 0x3d, 1, 0x31, 0x3b], 56);
    expect(decodeShortBuildRequest(enc).options).toEqual({ m: '1', r: '2' });
    enc.set([1, 0x72], 64); // second key also "r"
    expect(() => decodeShortBuildRequest(enc)).toThrow(/duplicate/);
  });

  it('refuses the wrong length', () => {
    expect(() => decodeShortBuildRequest(new Uint8Array(153))).toThrow(DecodeError);
    expect(() => decodeShortBuildRequest(new Uint8Array(155))).toThrow(DecodeError);
  });
});

describe('long build request codec', () => {
  it('round-trips (fast-check)', () => {
    fc.assert(
      fc.property(longRequest, seedArb, (req, seed) => {
        const enc = encodeLongBuildRequest(req, new SeededRandom(seed));
        expect(enc.length).toBe(464);
        expect(decodeLongBuildRequest(enc)).toEqual(req);
      }),
      { numRuns: 200 },
    );
  });

  it('puts the keys, flags and times at the spec offsets', () => {
    const r = new SeededRandom('long');
    const req = sampleLong(r, { role: 'ibgw' });
    const enc = encodeLongBuildRequest(req, r);
    expect(enc.subarray(40, 72)).toEqual(req.layerKey);
    expect(enc.subarray(72, 104)).toEqual(req.ivKey);
    expect(enc.subarray(104, 136)).toEqual(req.replyKey);
    expect(enc.subarray(136, 152)).toEqual(req.replyIv);
    expect([enc[152], enc[153], enc[154], enc[155]]).toEqual([0x80, 0, 0, 0]);
    const v = new DataView(enc.buffer);
    expect([v.getUint32(156), v.getUint32(160), v.getUint32(164)]).toEqual([29_000_000, 600, 0xdeadbeef]);
    expect([enc[168], enc[169]]).toEqual([0, 0]);
  });

  it('has no layer encryption field: only AES (0) encodes', () => {
    const r = new SeededRandom('l');
    expect(() => encodeLongBuildRequest(sampleLong(r, { layerEncryption: 1 }), r)).toThrow(EncodeError);
  });

  it('options up to 296 bytes with the length', () => {
    const r = new SeededRandom('lo');
    // 2 + (255 + 5) + (29 + 5) = 296
    const fits = encodeLongBuildRequest(sampleLong(r, { options: { k: 'v'.repeat(255), l: 'w'.repeat(29) } }), r);
    expect(decodeLongBuildRequest(fits).options.l).toBe('w'.repeat(29));
    expect(() => encodeLongBuildRequest(sampleLong(r, { options: { k: 'v'.repeat(255), l: 'w'.repeat(30) } }), r)).toThrow(EncodeError);
  });
});

describe('build reply codecs', () => {
  it('short: round-trips; 202 bytes, reply byte at 201', () => {
    fc.assert(
      fc.property(reply(12), seedArb, (rep, seed) => {
        const enc = encodeShortBuildReply(rep, new SeededRandom(seed));
        expect(enc.length).toBe(202);
        expect(enc[201]).toBe(rep.reply);
        expect(decodeShortBuildReply(enc)).toEqual(rep);
      }),
      { numRuns: 300 },
    );
  });

  it('long: round-trips; 512 bytes, reply byte at 511', () => {
    fc.assert(
      fc.property(reply(31), seedArb, (rep, seed) => {
        const enc = encodeLongBuildReply(rep, new SeededRandom(seed));
        expect(enc.length).toBe(512);
        expect(enc[511]).toBe(rep.reply);
        expect(decodeLongBuildReply(enc)).toEqual(rep);
      }),
      { numRuns: 200 },
    );
  });

  it('the Mapping may not reach the reply byte', () => {
    const r = new SeededRandom('rb');
    // entry 1+1+1+1+n+1 = n+5; 2 + n + 5 = 201 → n = 194
    const full = encodeShortBuildReply({ options: { b: 'x'.repeat(194) }, reply: 30 }, r);
    expect(decodeShortBuildReply(full)).toEqual({ options: { b: 'x'.repeat(194) }, reply: 30 });
    expect(() => encodeShortBuildReply({ options: { b: 'x'.repeat(195) }, reply: 30 }, r)).toThrow(EncodeError);
    const over = full.slice();
    over[1] += 1; // one byte longer: would swallow the reply byte
    expect(() => decodeShortBuildReply(over)).toThrow(DecodeError);
    expect(() => encodeShortBuildReply({ options: {}, reply: 256 }, r)).toThrow(EncodeError);
  });
});

// ---------------------------------------------------------------------------------------------

interface Router {
  hash: Uint8Array;
  privateKey: Uint8Array;
  publicKey: Uint8Array;
  decryptor: BuildRecordDecryptor;
}

function makeRouter(random: RandomSource): Router {
  const { privateKey, publicKey } = x25519Generate();
  const hash = random.bytes(32);
  return { hash, privateKey, publicKey, decryptor: new BuildRecordDecryptor({ hash, staticPrivateKey: privateKey, staticPublicKey: publicKey }) };
}

/** A random permutation's first k entries: distinct slots in 0..total-1. */
function randomSlots(random: RandomSource, total: number, k: number): number[] {
  const all = Array.from({ length: total }, (_, i) => i);
  for (let i = total - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all.slice(0, k);
}

function roles(n: number, inbound: boolean): HopRole[] {
  return Array.from({ length: n }, (_, i) => (inbound ? (i === 0 ? 'ibgw' : 'participant') : i === n - 1 ? 'obep' : 'participant'));
}

function requestsFor(routers: Router[], hopRoles: HopRole[], random: RandomSource): BuildRequest[] {
  return routers.map((_, i) => ({
    ...sampleRequest(),
    receiveTunnelId: 1 + random.int(0xfffffffe),
    nextTunnelId: 1 + random.int(0xfffffffe),
    nextIdent: i + 1 < routers.length ? routers[i + 1].hash : random.bytes(32),
    role: hopRoles[i],
    nextMessageId: random.int(0x100000000),
    options: i === 0 ? { m: '50', r: '200' } : ({} as Record<string, string>),
  }));
}

const snapshot = (records: readonly Uint8Array[]): Uint8Array[] => records.map((r) => r.slice());

function simulateShort(n: number, total: number, codes: number[], inbound: boolean, seed: string) {
  const random = new SeededRandom(seed);
  const routers = Array.from({ length: n }, () => makeRouter(random));
  const creator = makeRouter(random);
  const slotsAll = randomSlots(random, total, n + 1);
  const slots = slotsAll.slice(0, n);
  const requests = requestsFor(routers, roles(n, inbound), random);
  const hops: ShortHopSpec[] = routers.map((r, i) => ({ hash: r.hash, publicKey: r.publicKey, request: requests[i] }));
  const built = createShortBuildRecords(hops, slots, total, random, inbound ? { creator: { hash: creator.hash, slot: slotsAll[n] } } : {});
  let records = built.records;
  expect(records).toHaveLength(total);
  for (const rec of records) expect(rec.length).toBe(SHORT_RECORD_LENGTH);
  for (let i = 0; i < n; i++) {
    const index = routers[i].decryptor.findRecord(records);
    expect(index).toBe(slots[i]);
    const { request, keys } = routers[i].decryptor.decryptShort(records[index]);
    expect(request).toEqual(requests[i]);
    expect(keys).toEqual(built.hopKeys[i]);
    const before = snapshot(records);
    const passed = records.slice();
    encryptShortReplyInPlace(passed, index, keys, { options: codes[i] === 0 ? { b: '123' } : {}, reply: codes[i] }, random);
    expect(records).toEqual(before); // the arrays handed in are untouched
    records = passed;
  }
  return { random, routers, creator, slots, slotsAll, built, records };
}

describe('short build records end to end', () => {
  for (const [label, n, total, inbound] of [
    ['3-hop outbound, 4 records', 3, 4, false],
    ['3-hop inbound, 8 records', 3, 8, true],
    ['1-hop outbound, 4 records', 1, 4, false],
    ['1-hop inbound, 4 records', 1, 4, true],
    ['7-hop outbound, 8 records', 7, 8, false],
  ] as const) {
    it(`${label}: every hop finds and opens its record; the creator reads every reply`, () => {
      for (const seed of ['s1', 's2', 's3']) {
        const codes = Array.from({ length: n }, (_, i) => ((i + seed.length) % 2 === 0 ? 0 : 30));
        const sim = simulateShort(n, total, codes, inbound, `${label}/${seed}`);
        const input = snapshot(sim.records);
        const replies = decryptShortReplies(sim.records, sim.slots, sim.built.hopKeys);
        expect(sim.records).toEqual(input); // not mutated
        expect(replies.map((r) => r.reply)).toEqual(codes);
        replies.forEach((r, i) => expect(r.options).toEqual(codes[i] === 0 ? { b: '123' } : {}));
        if (inbound) {
          // The creator's fake record comes back as created: our prefix, a real key.
          expect(sim.built.creatorRecord).toBeDefined();
          expect(sim.records[sim.slotsAll[n]]).toEqual(sim.built.creatorRecord);
          expect(sim.creator.decryptor.findRecord(sim.records)).toBe(sim.slotsAll[n]);
          expect(sim.records[sim.slotsAll[n]][47] & 0x80).toBe(0);
        } else {
          expect(sim.built.creatorRecord).toBeUndefined();
        }
      }
    });
  }

  it('the OBEP derives the garlic reply key and tag, with its own IV-key step; the others do not', () => {
    const sim = simulateShort(3, 4, [0, 0, 0], false, 'obep');
    const [k0, , obep] = sim.built.hopKeys;
    expect(k0.garlicReplyKey).toBeUndefined();
    expect(obep.garlicReplyKey?.length).toBe(32);
    expect(obep.garlicReplyTag?.length).toBe(8);
    // The same (ck, h) as a participant would give a different IV key: the extra HKDF step.
    const ck = new Uint8Array(32).fill(7);
    const h = new Uint8Array(32).fill(9);
    const asObep = deriveShortHopKeys(ck, h, 'obep');
    const asParticipant = deriveShortHopKeys(ck, h, 'participant');
    const asIbgw = deriveShortHopKeys(ck, h, 'ibgw');
    expect(asObep.replyKey).toEqual(asParticipant.replyKey);
    expect(asObep.layerKey).toEqual(asParticipant.layerKey);
    expect(asObep.ivKey).not.toEqual(asParticipant.ivKey);
    expect(asIbgw).toEqual(asParticipant);
  });

  it('the KDF chain matches an independent HKDF (noble) including the OBEP steps', () => {
    const ck = new Uint8Array(32).map((_, i) => i);
    const h = new Uint8Array(32).fill(3);
    const H = (salt: Uint8Array, info: string) => nobleHkdf(nobleSha256, new Uint8Array(0), salt, new TextEncoder().encode(info), 64);
    const a = H(ck, 'SMTunnelReplyKey');
    const b = H(a.slice(0, 32), 'SMTunnelLayerKey');
    expect(deriveShortHopKeys(ck, h, 'participant')).toEqual({ replyKey: a.slice(32), layerKey: b.slice(32), ivKey: b.slice(0, 32), h });
    const c = H(b.slice(0, 32), 'TunnelLayerIVKey');
    const d = H(c.slice(0, 32), 'RGarlicKeyAndTag');
    expect(deriveShortHopKeys(ck, h, 'obep')).toEqual({
      replyKey: a.slice(32),
      layerKey: b.slice(32),
      ivKey: c.slice(32),
      h,
      garlicReplyKey: d.slice(32),
      garlicReplyTag: d.slice(0, 8),
    });
  });

  it('a tampered request record fails at its hop with AUTH_FAILED', () => {
    const random = new SeededRandom('tamper-req');
    const routers = [makeRouter(random), makeRouter(random), makeRouter(random)];
    const requests = requestsFor(routers, roles(3, false), random);
    const slots = [2, 0, 3];
    for (let victim = 0; victim < 3; victim++) {
      for (const at of [20, 47, 100, 217]) {
        const built = createShortBuildRecords(
          routers.map((r, i) => ({ hash: r.hash, publicKey: r.publicKey, request: requests[i] })),
          slots,
          4,
          random,
        );
        let records = built.records;
        for (let i = 0; i < 3; i++) {
          if (i === victim) {
            records[slots[i]] = records[slots[i]].slice();
            records[slots[i]][at] ^= at === 47 ? 0x80 : 0x01;
            const err = captureError(() => routers[i].decryptor.decryptShort(records[slots[i]]));
            expect(err).toBeInstanceOf(BuildRecordError);
            // Flipping the key's top bit is caught before the DH; anything else at the AEAD.
            expect((err as BuildRecordError).reason).toBe(at === 47 ? 'BAD_RECORD' : 'AUTH_FAILED');
            break;
          }
          const { keys } = routers[i].decryptor.decryptShort(records[slots[i]]);
          const next = records.slice();
          encryptShortReplyInPlace(next, slots[i], keys, { options: {}, reply: 0 }, random);
          records = next;
        }
      }
    }
  });

  it("a tampered reply fails with AUTH_FAILED naming the hop; other hops' layers do not mask it", () => {
    const sim = simulateShort(3, 5, [0, 30, 0], false, 'tamper-reply');
    for (let i = 0; i < 3; i++) {
      for (const at of [0, 100, 201, 217]) {
        const records = sim.records.slice();
        records[sim.slots[i]] = records[sim.slots[i]].slice();
        records[sim.slots[i]][at] ^= 0x80;
        const err = captureError(() => decryptShortReplies(records, sim.slots, sim.built.hopKeys));
        expect(err).toBeInstanceOf(BuildRecordError);
        expect((err as BuildRecordError).reason).toBe('AUTH_FAILED');
        expect((err as BuildRecordError).hop).toBe(i);
      }
    }
    // Swapping two hops' replies breaks both (the nonce is the record index).
    const swapped = sim.records.slice();
    [swapped[sim.slots[0]], swapped[sim.slots[1]]] = [swapped[sim.slots[1]], swapped[sim.slots[0]]];
    expect(() => decryptShortReplies(swapped, sim.slots, sim.built.hopKeys)).toThrow(BuildRecordError);
  });

  it('a record for another router is NOT_FOR_US; our prefix under another key is AUTH_FAILED', () => {
    const random = new SeededRandom('wrong');
    const alice = makeRouter(random);
    const mallory = makeRouter(random);
    const built = createShortBuildRecords([{ hash: alice.hash, publicKey: alice.publicKey, request: sampleRequest() }], [1], 4, random);
    const rec = built.records[1];
    expect(mallory.decryptor.findRecord(built.records)).toBe(-1);
    expect(reasonOf(() => mallory.decryptor.decryptShort(rec))).toBe('NOT_FOR_US');
    const impostor = new BuildRecordDecryptor({ hash: alice.hash, staticPrivateKey: mallory.privateKey, staticPublicKey: mallory.publicKey });
    expect(impostor.findRecord(built.records)).toBe(1);
    expect(reasonOf(() => impostor.decryptShort(rec))).toBe('AUTH_FAILED');
    expect(reasonOf(() => alice.decryptor.decryptShort(rec.subarray(0, 217)))).toBe('BAD_RECORD');
    expect(reasonOf(() => alice.decryptor.decryptLong(rec))).toBe('BAD_RECORD');
    // Fake records carry the prefix but open for nobody.
    const fake = fakeRecordFor(alice.hash, random);
    expect(alice.decryptor.findRecord([fake])).toBe(0);
    expect(reasonOf(() => alice.decryptor.decryptShort(fake))).toBe('AUTH_FAILED');
  });

  it('an authentic record with both role bits is BAD_RECORD (with the DecodeError as cause)', () => {
    const random = new SeededRandom('both');
    const bob = makeRouter(random);
    const cleartext = encodeShortBuildRequest(sampleRequest(), random);
    cleartext[40] = 0xc0;
    const rec = referenceSeal(bob.hash, bob.publicKey, cleartext, random.bytes(32)).record;
    const err = captureError(() => bob.decryptor.decryptShort(rec));
    expect(err).toBeInstanceOf(BuildRecordError);
    expect((err as BuildRecordError).reason).toBe('BAD_RECORD');
    expect((err as BuildRecordError).cause).toBeInstanceOf(DecodeError);
  });

  it('refuses a key pair that does not match, and bad layouts', () => {
    const random = new SeededRandom('args');
    const a = x25519Generate();
    const b = x25519Generate();
    expect(() => new BuildRecordDecryptor({ hash: random.bytes(32), staticPrivateKey: a.privateKey, staticPublicKey: b.publicKey })).toThrow();
    const bob = makeRouter(random);
    const hop = { hash: bob.hash, publicKey: bob.publicKey, request: sampleRequest() };
    expect(() => createShortBuildRecords([hop], [4], 4, random)).toThrow(EncodeError);
    expect(() => createShortBuildRecords([hop, hop], [1, 1], 4, random)).toThrow(EncodeError);
    expect(() => createShortBuildRecords([hop], [0], 9, random)).toThrow(EncodeError);
    expect(() => createShortBuildRecords([hop], [0], 4, random, { creator: { hash: bob.hash, slot: 0 } })).toThrow(EncodeError);
    expect(() => createShortBuildRecords([{ ...hop, request: sampleRequest({ nextTunnelId: 0 }) }], [0], 4, random)).toThrow(
      /hops\[0\]\.request\.nextTunnelId/,
    );
  });
});

// ---------------------------------------------------------------------------------------------

function simulateLong(n: number, total: number, codes: number[], inbound: boolean, seed: string) {
  const random = new SeededRandom(seed);
  const routers = Array.from({ length: n }, () => makeRouter(random));
  const creator = makeRouter(random);
  const slotsAll = randomSlots(random, total, n + 1);
  const slots = slotsAll.slice(0, n);
  const requests: LongBuildRequest[] = requestsFor(routers, roles(n, inbound), random).map((r) => ({
    ...r,
    layerEncryption: 0,
    layerKey: random.bytes(32),
    ivKey: random.bytes(32),
    replyKey: random.bytes(32),
    replyIv: random.bytes(16),
  }));
  const hops: LongHopSpec[] = routers.map((r, i) => ({ hash: r.hash, publicKey: r.publicKey, request: requests[i] }));
  const built = createLongBuildRecords(hops, slots, total, random, inbound ? { creator: { hash: creator.hash, slot: slotsAll[n] } } : {});
  let records = built.records;
  for (const rec of records) expect(rec.length).toBe(LONG_RECORD_LENGTH);
  for (let i = 0; i < n; i++) {
    const index = routers[i].decryptor.findRecord(records);
    expect(index).toBe(slots[i]);
    const { request, keys } = routers[i].decryptor.decryptLong(records[index]);
    expect(request).toEqual(requests[i]);
    expect(keys).toEqual(built.hopKeys[i]);
    const passed = records.slice();
    encryptLongReplyInPlace(passed, index, request, keys, { options: {}, reply: codes[i] }, random);
    records = passed;
  }
  return { slots, slotsAll, requests, built, records };
}

describe('long (VariableTunnelBuild) records end to end', () => {
  for (const [n, total, inbound] of [
    [3, 4, false],
    [3, 8, true],
    [1, 4, false],
    [1, 5, true],
  ] as const) {
    it(`${n}-hop ${inbound ? 'inbound' : 'outbound'}, ${total} records`, () => {
      for (const seed of ['l1', 'l2']) {
        const codes = Array.from({ length: n }, (_, i) => (i === 1 ? 30 : 0));
        const sim = simulateLong(n, total, codes, inbound, `${n}/${total}/${seed}`);
        const input = snapshot(sim.records);
        const replies = decryptLongReplies(sim.records, sim.slots, sim.built.hopKeys, sim.requests);
        expect(sim.records).toEqual(input);
        expect(replies.map((r) => r.reply)).toEqual(codes);
        if (inbound) expect(sim.records[sim.slotsAll[n]]).toEqual(sim.built.creatorRecord);
      }
    });
  }

  it('a tampered long reply is AUTH_FAILED for its hop', () => {
    const sim = simulateLong(3, 4, [0, 0, 0], false, 'lt');
    for (let i = 0; i < 3; i++) {
      const records = sim.records.slice();
      records[sim.slots[i]] = records[sim.slots[i]].slice();
      records[sim.slots[i]][300] ^= 1;
      const err = captureError(() => decryptLongReplies(records, sim.slots, sim.built.hopKeys, sim.requests));
      expect((err as BuildRecordError).reason).toBe('AUTH_FAILED');
      expect((err as BuildRecordError).hop).toBe(i);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// An independent hop and creator: @noble for X25519, SHA-256, HKDF and ChaCha20(-Poly1305).

const NAME = new TextEncoder().encode('Noise_N_25519_ChaChaPoly_SHA256');
const CK0 = new Uint8Array(32);
CK0.set(NAME);
const H0 = nobleSha256(CK0);
const nonceOf = (i: number) => {
  const n = new Uint8Array(12);
  n[4] = i;
  return n;
};

function referenceSeal(hash: Uint8Array, hepk: Uint8Array, cleartext: Uint8Array, sesk: Uint8Array) {
  const sepk = nobleX25519.getPublicKey(sesk);
  let h = nobleSha256(concat(nobleSha256(concat(H0, hepk)), sepk));
  const kd = nobleHkdf(nobleSha256, nobleX25519.getSharedSecret(sesk, hepk), CK0, new Uint8Array(0), 64);
  const ct = chacha20poly1305(kd.slice(32), new Uint8Array(12), h).encrypt(cleartext);
  h = nobleSha256(concat(h, ct));
  return { record: concat(hash.subarray(0, 16), sepk, ct), ck: kd.slice(0, 32), h };
}

function referenceOpen(hesk: Uint8Array, hepk: Uint8Array, record: Uint8Array) {
  const sepk = record.subarray(16, 48);
  let h = nobleSha256(concat(nobleSha256(concat(H0, hepk)), sepk));
  const kd = nobleHkdf(nobleSha256, nobleX25519.getSharedSecret(hesk, sepk), CK0, new Uint8Array(0), 64);
  const ct = record.subarray(48);
  const cleartext = chacha20poly1305(kd.slice(32), new Uint8Array(12), h).decrypt(ct);
  h = nobleSha256(concat(h, ct));
  return { cleartext, ck: kd.slice(0, 32), h };
}

describe('differential against @noble', () => {
  it('our creator seals what a noble hop opens; noble layers and AEAD match our hop reply', () => {
    const random = new SeededRandom('diff');
    const bob = makeRouter(random);
    const req = sampleRequest({ role: 'obep', options: { r: '500' } });
    const slot = 2;
    const built = createShortBuildRecords([{ hash: bob.hash, publicKey: bob.publicKey, request: req }], [slot], 5, random);
    const ref = referenceOpen(bob.privateKey, bob.publicKey, built.records[slot]);
    expect(decodeShortBuildRequest(ref.cleartext)).toEqual(req);
    expect(deriveShortHopKeys(ref.ck, ref.h, 'obep')).toEqual(built.hopKeys[0]);

    // Our hop's reply against noble.
    const { keys } = bob.decryptor.decryptShort(built.records[slot]);
    const records = built.records.slice();
    encryptShortReplyInPlace(records, slot, keys, { options: { b: '42' }, reply: 0 }, random);
    for (let j = 0; j < 5; j++) {
      if (j === slot) {
        const opened = chacha20poly1305(keys.replyKey, nonceOf(j), ref.h).decrypt(records[j]);
        expect(decodeShortBuildReply(opened)).toEqual({ options: { b: '42' }, reply: 0 });
      } else {
        // Block counter 1 (i2pd's choice; the spec is silent): see LAYER_COUNTER.
        expect(records[j]).toEqual(nobleChacha20(keys.replyKey, nonceOf(j), built.records[j], undefined, LAYER_COUNTER));
      }
    }
  });

  it('our hop opens what a noble creator seals, and agrees with the garlic Noise N state', () => {
    const random = new SeededRandom('diff2');
    const bob = makeRouter(random);
    const req = sampleRequest({ role: 'ibgw' });
    const ref = referenceSeal(bob.hash, bob.publicKey, encodeShortBuildRequest(req, random), random.bytes(32));
    const out = bob.decryptor.decryptShort(ref.record);
    expect(out.request).toEqual(req);
    expect(out.keys).toEqual(deriveShortHopKeys(ref.ck, ref.h, 'ibgw'));
    expect(out.ephemeralKey).toEqual(ref.record.subarray(16, 48));
    // The router-garlic Noise N (SymmetricState) reaches the same ck and h.
    const s = noiseNState(bob.publicKey);
    s.mixHash(ref.record.subarray(16, 48));
    s.mixKey(x25519(bob.privateKey, ref.record.subarray(16, 48)));
    s.decryptAndHash(ref.record.subarray(48));
    expect(s.chainingKey).toEqual(ref.ck);
    expect(s.handshakeHash).toEqual(ref.h);
  });

  it('long records: noble opens our record, and our long reply is AEAD under ck with n = 0', () => {
    const random = new SeededRandom('diff3');
    const bob = makeRouter(random);
    const req = sampleLong(random);
    const built = createLongBuildRecords([{ hash: bob.hash, publicKey: bob.publicKey, request: req }], [0], 4, random);
    const ref = referenceOpen(bob.privateKey, bob.publicKey, built.records[0]);
    expect(decodeLongBuildRequest(ref.cleartext)).toEqual(req);
    expect(built.hopKeys[0]).toEqual({ replyKey: ref.ck, h: ref.h });
    const records = built.records.slice();
    encryptLongReplyInPlace(records, 0, req, built.hopKeys[0], { options: {}, reply: 30 }, random);
    expect(records[0].length).toBe(528);
    expect(decodeLongBuildReply(chacha20poly1305(ref.ck, new Uint8Array(12), ref.h).decrypt(records[0])).reply).toBe(30);
  });
});

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function captureError(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

function reasonOf(f: () => unknown): string {
  const e = captureError(f);
  expect(e).toBeInstanceOf(BuildRecordError);
  return (e as BuildRecordError).reason;
}
