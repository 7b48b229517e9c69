// NTCP2 without sockets: full in-memory handshakes (both sides, RouterInfo verification
// included) and the data phase (seal + open of 16 KiB frames), time-boxed about 500 ms each.
import { ed25519Generate, x25519Generate } from '../src/router/crypto/index.js';
import {
  createRouterIdentity,
  encodeRouterInfo,
  ntcp2Address,
  routerInfoHash,
  signRouterInfo,
} from '../src/router/data/index.js';
import { cryptoRandom } from '../src/router/runtime/index.js';
import {
  FrameReader,
  FrameSealer,
  Ntcp2Initiator,
  Ntcp2Responder,
  ReplayCache,
  type Ntcp2Block,
} from '../src/router/transport/ntcp2/index.js';
import type { BenchRow } from './types.js';
import { measureOps } from './measure.js';

const measure = (op: () => void): number => measureOps(op, BUDGET_MS, 4).opsPerSec;

const BUDGET_MS = 500;
const NET_ID = 99;


function router() {
  const sig = ed25519Generate();
  const identity = createRouterIdentity(x25519Generate().publicKey, sig.publicKey);
  const ntcp2 = x25519Generate();
  const iv = cryptoRandom.bytes(16);
  const routerInfo = encodeRouterInfo(
    signRouterInfo(
      {
        identity,
        published: Date.now(),
        addresses: [ntcp2Address({ host: '127.0.0.1', port: 12345, s: ntcp2.publicKey, i: iv })],
        options: new Map([
          ['caps', 'NR'],
          ['netId', String(NET_ID)],
          ['router.version', '0.9.59'],
        ]),
      },
      sig.privateKey,
    ),
  );
  return { hash: routerInfoHash({ identity, published: 0, addresses: [], options: new Map() }), ntcp2, iv, routerInfo };
}

export async function benchNtcp2(): Promise<BenchRow[]> {
  const alice = router();
  const bob = router();
  const now = () => Date.now();
  const replayCache = new ReplayCache({ now });
  const handshake = (): void => {
    const a = new Ntcp2Initiator({
      staticPrivateKey: alice.ntcp2.privateKey,
      staticPublicKey: alice.ntcp2.publicKey,
      routerInfo: () => alice.routerInfo,
      peer: { routerHash: bob.hash, staticKey: bob.ntcp2.publicKey, iv: bob.iv },
      netId: NET_ID,
      now,
      random: cryptoRandom,
    });
    const b = new Ntcp2Responder({
      staticPrivateKey: bob.ntcp2.privateKey,
      staticPublicKey: bob.ntcp2.publicKey,
      routerHash: bob.hash,
      iv: bob.iv,
      netId: NET_ID,
      now,
      random: cryptoRandom,
      replayCache,
    });
    const s1 = b.receive(a.start());
    const s2 = a.receive(s1.send![0]);
    const s3 = b.receive(s2.send![0]);
    if (!s3.done) throw new Error(`bench handshake failed: ${s3.error?.message}`);
  };
  const handshakesPerSec = measure(handshake);

  const key = cryptoRandom.bytes(32);
  const sip = cryptoRandom.bytes(16);
  const iv = cryptoRandom.bytes(8);
  const sealer = new FrameSealer(key, sip, iv);
  const reader = new FrameReader(key, sip, iv);
  const FRAME = 16 * 1024;
  const blocks: Ntcp2Block[] = [{ kind: 'i2np', message: cryptoRandom.bytes(FRAME - 3) }];
  const frameOps = measure(() => {
    const r = reader.push(sealer.seal(blocks));
    if (r.frames.length !== 1) throw new Error('bench frame lost');
  });
  return [
    { name: 'ntcp2 handshake (both sides, in memory)', impl: 'ours', opsPerSec: handshakesPerSec },
    { name: 'ntcp2 data frame 16 KiB seal+open', impl: 'ours', opsPerSec: frameOps, mbPerSec: (frameOps * FRAME) / 1e6 },
  ];
}
