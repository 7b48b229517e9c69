// Crypto primitives: our node:crypto facade beside @noble/*, same inputs, time-boxed loops.
import { randomBytes } from 'node:crypto';
import { cbc } from '@noble/ciphers/aes.js';
import { chacha20 as nobleChacha20, chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519, x25519 as nobleX25519 } from '@noble/curves/ed25519.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import {
  aes256CbcEncrypt,
  chacha20,
  chacha20Poly1305Encrypt,
  ed25519Generate,
  ed25519Sign,
  ed25519Verify,
  elligator2Encode,
  elligator2Generate,
  hmacSha256,
  SipHashLengthMask,
  sha256,
  sipHashKeyWords,
  siphash24Words,
  x25519,
  x25519Generate,
} from '../src/router/crypto/index.js';
import type { BenchRow } from './types.js';

const ROW_MS = 300;
const MAX_ITERATIONS = 5_000_000;

/** Runs `fn` in batches until ROW_MS has passed (or MAX_ITERATIONS), after a short warm-up. */
function measure(name: string, impl: BenchRow['impl'], fn: () => unknown, bytes?: number): BenchRow {
  for (let i = 0; i < 10; i++) fn();
  let iterations = 0;
  let batch = 1;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(ROW_MS) * 1_000_000n;
  let now = start;
  while (now < deadline && iterations < MAX_ITERATIONS) {
    for (let i = 0; i < batch; i++) fn();
    iterations += batch;
    if (batch < 1024) batch *= 2;
    now = process.hrtime.bigint();
  }
  const seconds = Number(now - start) / 1e9;
  const opsPerSec = iterations / seconds;
  const row: BenchRow = { name, impl, opsPerSec };
  if (bytes !== undefined) row.mbPerSec = (opsPerSec * bytes) / 1e6;
  return row;
}

/** Yields between rows so a caller's event loop is never held for more than one row. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function benchCrypto(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const key = new Uint8Array(randomBytes(32));
  const iv = new Uint8Array(randomBytes(16));
  const nonce = new Uint8Array(randomBytes(12));
  const kib = new Uint8Array(randomBytes(1024));
  const kib64 = new Uint8Array(randomBytes(65536));
  const small = new Uint8Array(randomBytes(64));

  const cases: [string, BenchRow['impl'], () => unknown, number?][] = [
    ['AES-256-CBC 1 KiB', 'node', () => aes256CbcEncrypt(key, iv, kib), 1024],
    ['AES-256-CBC 1 KiB', 'noble', () => cbc(key, iv, { disablePadding: true }).encrypt(kib), 1024],
    ['ChaCha20-Poly1305 1 KiB', 'node', () => chacha20Poly1305Encrypt(key, nonce, kib), 1024],
    ['ChaCha20-Poly1305 1 KiB', 'noble', () => chacha20poly1305(key, nonce).encrypt(kib), 1024],
    ['ChaCha20-Poly1305 64 KiB', 'node', () => chacha20Poly1305Encrypt(key, nonce, kib64), 65536],
    ['ChaCha20-Poly1305 64 KiB', 'noble', () => chacha20poly1305(key, nonce).encrypt(kib64), 65536],
    ['ChaCha20 1 KiB', 'node', () => chacha20(key, nonce, kib), 1024],
    ['ChaCha20 1 KiB', 'noble', () => nobleChacha20(key, nonce, kib), 1024],
    ['SHA-256 1 KiB', 'node', () => sha256(kib), 1024],
    ['SHA-256 1 KiB', 'noble', () => nobleSha256(kib), 1024],
    ['HMAC-SHA256 64 B', 'node', () => hmacSha256(key, small), 64],
    ['HMAC-SHA256 64 B', 'noble', () => hmac(nobleSha256, key, small), 64],
  ];

  const a = x25519Generate();
  const b = x25519Generate();
  cases.push(
    ['X25519 DH', 'node', () => x25519(a.privateKey, b.publicKey)],
    ['X25519 DH', 'noble', () => nobleX25519.getSharedSecret(a.privateKey, b.publicKey)],
  );

  const ed = ed25519Generate();
  const msg = kib.subarray(0, 256);
  const sig = ed25519Sign(ed.privateKey, msg);
  cases.push(
    ['Ed25519 sign', 'node', () => ed25519Sign(ed.privateKey, msg)],
    ['Ed25519 sign', 'noble', () => ed25519.sign(msg, ed.privateKey)],
    ['Ed25519 verify', 'node', () => ed25519Verify(ed.publicKey, msg, sig)],
    ['Ed25519 verify', 'noble', () => ed25519.verify(sig, msg, ed.publicKey, { zip215: false })],
  );

  const encodable = elligator2Generate().publicKey;
  cases.push(['Elligator2 inverse', 'ours', () => elligator2Encode(encodable)]);

  const sipKey = sipHashKeyWords(key.subarray(0, 16));
  const eight = kib.subarray(0, 8);
  const mask = new SipHashLengthMask(key.subarray(0, 16), eight);
  cases.push(
    ['SipHash-2-4 8 B', 'ours', () => siphash24Words(sipKey, eight), 8],
    ['SipHash length mask', 'ours', () => mask.next()],
  );

  for (const [name, impl, fn, bytes] of cases) {
    rows.push(measure(name, impl, fn, bytes));
    await tick();
  }
  return rows;
}
