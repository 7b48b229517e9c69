// Common-structure codecs: decode/encode/verify of a RouterInfo and a LeaseSet2 built from
// fresh keys (the same shape i2pd publishes: X25519 + Ed25519, one NTCP2 address).
import { ed25519Generate } from '../src/router/crypto/ed25519.js';
import { x25519Generate } from '../src/router/crypto/x25519.js';
import {
  createPrivateKeys,
  createRouterIdentity,
  decodeLeaseSet2,
  decodeRouterInfo,
  encodeLeaseSet2,
  encodeRouterInfo,
  ntcp2Address,
  signLeaseSet2,
  signRouterInfo,
  verifyRouterInfo,
} from '../src/router/data/index.js';
import type { BenchRow } from './types.js';

const ROW_MS = 300;
const MAX_ITERATIONS = 5_000_000;

/** Runs `fn` in batches until ROW_MS has passed (bounded by MAX_ITERATIONS), after a warm-up. */
function measure(name: string, bytesPerOp: number, fn: () => unknown): BenchRow {
  for (let i = 0; i < 50; i++) fn();
  let ops = 0;
  const start = process.hrtime.bigint();
  let elapsedMs = 0;
  while (elapsedMs < ROW_MS && ops < MAX_ITERATIONS) {
    for (let i = 0; i < 64; i++) fn();
    ops += 64;
    elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
  }
  const opsPerSec = (ops * 1000) / elapsedMs;
  return { name, impl: 'ours', opsPerSec, mbPerSec: (opsPerSec * bytesPerOp) / 1e6 };
}

function sampleRouterInfo() {
  const sig = ed25519Generate();
  const enc = x25519Generate();
  return signRouterInfo(
    {
      identity: createRouterIdentity(enc.publicKey, sig.publicKey),
      published: Date.now(),
      addresses: [ntcp2Address({ host: '198.18.0.1', port: 10010, s: enc.publicKey, i: new Uint8Array(16).fill(1) })],
      options: new Map([
        ['caps', 'NRf'],
        ['netId', '2'],
        ['netdb.knownLeaseSets', '12'],
        ['netdb.knownRouters', '3000'],
        ['router.version', '0.9.59'],
      ]),
    },
    sig.privateKey,
  );
}

function sampleLeaseSet2() {
  const keys = createPrivateKeys();
  const now = Math.floor(Date.now() / 1000);
  return signLeaseSet2(
    {
      destination: keys.destination,
      published: now,
      expires: 600,
      flags: 0,
      options: new Map(),
      encryptionKeys: [{ type: 4, key: x25519Generate().publicKey }],
      leases: Array.from({ length: 4 }, (_, i) => ({ gateway: new Uint8Array(32).fill(i), tunnelId: 1000 + i, endDate: now + 600 })),
    },
    keys.signingPrivateKey,
  );
}

export async function benchData(): Promise<BenchRow[]> {
  const ri = sampleRouterInfo();
  const riBytes = encodeRouterInfo(ri);
  const ls = sampleLeaseSet2();
  const lsBytes = encodeLeaseSet2(ls);
  return [
    measure('RouterInfo decode', riBytes.length, () => decodeRouterInfo(riBytes)),
    measure('RouterInfo encode', riBytes.length, () => encodeRouterInfo(ri)),
    measure('RouterInfo verify', riBytes.length, () => verifyRouterInfo(ri)),
    measure('LeaseSet2 decode', lsBytes.length, () => decodeLeaseSet2(lsBytes)),
    measure('LeaseSet2 encode', lsBytes.length, () => encodeLeaseSet2(ls)),
  ];
}
