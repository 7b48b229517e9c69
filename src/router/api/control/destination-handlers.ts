import { b32FromHash, decodeKeysAndCert, i2pBase64Decode, i2pBase64Encode, keysAndCertHash, encodeKeysAndCert } from '../../data/index.js';
import { base32Decode } from '../../data/base32.js';
import type { Destinations } from '../../client/destinations.js';
import { decodeDestinationKeys } from '../../client/destination-keys.js';
import type { LocalDestination } from '../../client/destination.js';
import { DatagramEndpoint, type ReceivedDatagram } from '../../client/datagrams.js';

/** Datagrams kept per destination for `dest.datagrams` (oldest dropped first). */
const KEEP_DATAGRAMS = 4096;

interface Served {
  dest: LocalDestination;
  datagrams: DatagramEndpoint;
  received: (ReceivedDatagram & { at: number; seq: number })[];
  seq: number;
}

/**
 * Control methods for the router's own destinations (used by tests and tools until SAM serves
 * applications): create one, list them, send and receive datagrams.
 */
export function destinationControlHandlers(destinations: Destinations, now: () => number): Record<string, (params: unknown) => Promise<unknown>> {
  const served = new Map<string, Served>();
  const find = (p: { b32?: unknown }): Served => {
    if (typeof p.b32 !== 'string') throw new Error('params.b32: one of our destinations (its .b32.i2p address)');
    const s = served.get(p.b32.endsWith('.b32.i2p') ? p.b32 : `${p.b32}.b32.i2p`);
    if (!s) throw new Error(`no destination ${p.b32} here`);
    return s;
  };
  const summary = (s: Served) => ({
    b32: s.dest.b32,
    hash: i2pBase64Encode(s.dest.hash),
    destination: i2pBase64Encode(encodeKeysAndCert(s.dest.keys.privateKeys.destination)),
    tunnels: s.dest.tunnelCounts(),
    leaseSet: s.dest.leaseSet ? { published: s.dest.leaseSet.published, leases: s.dest.leaseSet.leases.length } : null,
    counters: { ...s.dest.counters },
    datagrams: { ...s.datagrams.counters },
    garlic: s.dest.garlicStats() ?? null,
  });
  return {
    'dest.create': async (params) => {
      const p = (params ?? {}) as { hops?: unknown; quantity?: unknown; publish?: unknown; ratchetThreshold?: unknown; keys?: unknown };
      // Persistent destinations bring their keys (base64 of our keys file); without, a transient one.
      const keys = typeof p.keys === 'string' ? decodeDestinationKeys(new Uint8Array(Buffer.from(p.keys, 'base64'))) : undefined;
      const threshold = typeof p.ratchetThreshold === 'number' && Number.isInteger(p.ratchetThreshold) && p.ratchetThreshold >= 1 && p.ratchetThreshold <= 65533 ? p.ratchetThreshold : undefined;
      const hops = typeof p.hops === 'number' && Number.isInteger(p.hops) && p.hops >= 0 && p.hops <= 7 ? p.hops : 3;
      const quantity = typeof p.quantity === 'number' && Number.isInteger(p.quantity) && p.quantity >= 1 && p.quantity <= 16 ? p.quantity : 2;
      const dest = destinations.create(keys, { inbound: { length: hops, quantity, variance: 0 }, outbound: { length: hops, quantity, variance: 0 }, publish: p.publish !== false }, threshold === undefined ? {} : { ratchetThreshold: threshold });
      // The same keys twice: the destination that already runs.
      const existing = served.get(dest.b32);
      if (existing) return summary(existing);
      const s: Served = { dest, datagrams: new DatagramEndpoint(dest), received: [], seq: 0 };
      s.datagrams.onDatagram((d) => {
        s.received.push({ ...d, at: now(), seq: ++s.seq });
        if (s.received.length > KEEP_DATAGRAMS) s.received.shift();
      });
      served.set(dest.b32, s);
      return summary(s);
    },
    'dest.list': async () => [...served.values()].map(summary),
    'dest.status': async (params) => summary(find((params ?? {}) as { b32?: unknown })),
    'dest.session': async (params) => {
      const p = (params ?? {}) as { b32?: unknown; with?: unknown };
      const s = find(p);
      if (typeof p.with !== 'string') throw new Error('params.with: a .b32.i2p address or a base64 destination');
      const info = s.dest.sessionWith(targetHash(p.with)) as Record<string, unknown> | undefined;
      if (!info) return null;
      const { remoteStaticKey: _k, ...rest } = info;
      return rest;
    },
    'dest.remove': async (params) => {
      const s = find((params ?? {}) as { b32?: unknown });
      s.datagrams.close();
      served.delete(s.dest.b32);
      return { removed: destinations.remove(s.dest.hash) };
    },
    'dest.sendDatagram': async (params) => {
      const p = (params ?? {}) as { b32?: unknown; to?: unknown; payload?: unknown; raw?: unknown; fromPort?: unknown; toPort?: unknown };
      const s = find(p);
      if (typeof p.to !== 'string') throw new Error('params.to: a .b32.i2p address or a base64 destination');
      if (typeof p.payload !== 'string') throw new Error('params.payload: base64 (standard alphabet)');
      const port = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65535 ? v : 0);
      const started = now();
      await s.datagrams.send(targetHash(p.to), new Uint8Array(Buffer.from(p.payload, 'base64')), { kind: p.raw === true ? 'raw' : 'repliable', fromPort: port(p.fromPort), toPort: port(p.toPort) });
      return { sent: true, ms: now() - started };
    },
    'dest.datagrams': async (params) => {
      const p = (params ?? {}) as { b32?: unknown; after?: unknown };
      const s = find(p);
      const after = typeof p.after === 'number' ? p.after : 0;
      return s.received
        .filter((d) => d.seq > after)
        .map((d) => ({
          seq: d.seq,
          at: d.at,
          kind: d.kind,
          from: d.from ? i2pBase64Encode(encodeKeysAndCert(d.from)) : undefined,
          fromB32: d.fromHash ? b32FromHash(d.fromHash) : undefined,
          fromPort: d.fromPort,
          toPort: d.toPort,
          payload: Buffer.from(d.payload).toString('base64'),
        }));
    },
  };
}

/** A .b32.i2p address or a full base64 destination, to the destination hash. */
function targetHash(to: string): Uint8Array {
  const m = /^([a-z2-7]{52})\.b32\.i2p$/.exec(to.toLowerCase());
  if (m) return base32Decode(m[1]);
  return keysAndCertHash(decodeKeysAndCert(i2pBase64Decode(to, 'to')));
}
