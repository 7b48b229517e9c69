import { ed25519Generate, x25519Generate } from '../../../src/router/crypto/index.js';
import {
  createRouterIdentity,
  encodeRouterInfo,
  ntcp2Address,
  routerInfoHash,
  signRouterInfo,
  type RouterAddress,
} from '../../../src/router/data/index.js';
import { seededRandom, type RandomSource } from '../../../src/router/runtime/index.js';
import {
  Ntcp2Initiator,
  Ntcp2Responder,
  ReplayCache,
  type Ntcp2InitiatorOptions,
  type Ntcp2ResponderOptions,
} from '../../../src/router/transport/ntcp2/index.js';

export const NET_ID = 99;
export const T0 = 1_750_000_000_000;

/** A router as the handshake sees it: identity keys, NTCP2 static key and IV, a signer for its RouterInfo. */
export interface TestRouter {
  hash: Uint8Array;
  ntcp2: { privateKey: Uint8Array; publicKey: Uint8Array };
  iv: Uint8Array;
  /** A freshly signed RouterInfo, published at `published` (default: now). */
  routerInfo(published: number, opts?: { s?: Uint8Array; netId?: string; addresses?: RouterAddress[] }): Uint8Array;
}

export function makeRouter(random: RandomSource): TestRouter {
  const sig = ed25519Generate();
  const enc = x25519Generate();
  const ntcp2 = x25519Generate();
  const iv = random.bytes(16);
  const identity = createRouterIdentity(enc.publicKey, sig.publicKey);
  return {
    hash: routerInfoHash({ identity, published: 0, addresses: [], options: new Map() }),
    ntcp2,
    iv,
    routerInfo(published, opts = {}) {
      const addresses = opts.addresses ?? [ntcp2Address({ host: '127.0.0.1', port: 12345, s: opts.s ?? ntcp2.publicKey, i: iv })];
      const ri = signRouterInfo(
        {
          identity,
          published,
          addresses,
          options: new Map([
            ['caps', 'NR'],
            ['netId', opts.netId ?? String(NET_ID)],
            ['router.version', '0.9.59'],
          ]),
        },
        sig.privateKey,
      );
      return encodeRouterInfo(ri);
    },
  };
}

/** A clock the test moves by hand. */
export class TestClock {
  constructor(public t = T0) {}
  now = (): number => this.t;
}

export interface Pair {
  alice: TestRouter;
  bob: TestRouter;
  aliceClock: TestClock;
  bobClock: TestClock;
  replayCache: ReplayCache;
  initiator(over?: Partial<Ntcp2InitiatorOptions>): Ntcp2Initiator;
  responder(over?: Partial<Ntcp2ResponderOptions>): Ntcp2Responder;
}

export function makePair(seed = 'ntcp2'): Pair {
  const random = seededRandom(seed);
  const alice = makeRouter(random.fork('alice'));
  const bob = makeRouter(random.fork('bob'));
  const aliceClock = new TestClock();
  const bobClock = new TestClock();
  const replayCache = new ReplayCache({ now: bobClock.now });
  let n = 0;
  return {
    alice,
    bob,
    aliceClock,
    bobClock,
    replayCache,
    initiator: (over = {}) =>
      new Ntcp2Initiator({
        staticPrivateKey: alice.ntcp2.privateKey,
        staticPublicKey: alice.ntcp2.publicKey,
        routerInfo: () => alice.routerInfo(aliceClock.now()),
        peer: { routerHash: bob.hash, staticKey: bob.ntcp2.publicKey, iv: bob.iv },
        netId: NET_ID,
        now: aliceClock.now,
        random: random.fork(`initiator ${n++}`),
        ...over,
      }),
    responder: (over = {}) =>
      new Ntcp2Responder({
        staticPrivateKey: bob.ntcp2.privateKey,
        staticPublicKey: bob.ntcp2.publicKey,
        routerHash: bob.hash,
        iv: bob.iv,
        netId: NET_ID,
        now: bobClock.now,
        random: random.fork(`responder ${n++}`),
        replayCache,
        ...over,
      }),
  };
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Feeds `bytes` one at a time, collecting everything the state machine returns. */
export function feedBytewise<S extends { send?: Uint8Array[]; error?: unknown; done?: unknown }>(
  receive: (b: Uint8Array) => S,
  bytes: Uint8Array,
): S[] {
  const steps: S[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const s = receive(bytes.subarray(i, i + 1));
    if (s.send || s.error || s.done) steps.push(s);
  }
  return steps;
}
