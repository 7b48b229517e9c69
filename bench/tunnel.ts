// The tunnel data path (src/router/tunnel): what a relay does per message (one hop layer), what
// a gateway does (fragment and pack into 1 KiB blocks) and what an endpoint does (verify and
// reassemble). One core, time-boxed loops of about 300 ms each.
import { randomBytes } from 'node:crypto';
import { ManualClock } from '../src/router/runtime/clock.js';
import { cryptoRandom } from '../src/router/runtime/random.js';
import { buildTunnelBlocks, type TunnelPayloadMessage } from '../src/router/tunnel/fragmenter.js';
import { HopLayer, outboundPreprocess } from '../src/router/tunnel/layer-crypto.js';
import { TunnelReassembler } from '../src/router/tunnel/reassembler.js';
import type { TunnelDelivery } from '../src/router/tunnel/types.js';
import type { BenchRow } from './types.js';
import { oursRow as row } from './measure.js';




const bytes = (n: number) => new Uint8Array(randomBytes(n));
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function benchTunnel(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const layer = () => new HopLayer({ layerKey: bytes(32), ivKey: bytes(32) });
  const hop = layer();
  const block = bytes(1024);
  rows.push(row('tunnel hop relay (HopLayer.encrypt, 1 KiB block)', 1024, () => hop.encrypt(block)));
  await tick();

  const hops = [layer(), layer(), layer()];
  rows.push(row('tunnel outbound preprocess, 3 hops (1 KiB block)', 1024, () => outboundPreprocess(block, hops)));
  await tick();

  // A mix like a client's traffic: small acks and lookups, streaming-sized garlic, a RouterInfo store.
  const deliveries: TunnelDelivery[] = [
    { type: 'local' },
    { type: 'router', hash: bytes(32) },
    { type: 'tunnel', tunnelId: 123456, gateway: bytes(32) },
  ];
  const messages: TunnelPayloadMessage[] = [60, 200, 1100, 1900, 700, 4200, 90, 16000].map((n, i) => ({
    delivery: deliveries[i % deliveries.length],
    message: bytes(n),
  }));
  const payloadBytes = messages.reduce((s, m) => s + m.message.length, 0);
  rows.push(
    row('tunnel gateway fragment (8 mixed messages, MB/s of messages)', payloadBytes, () => {
      buildTunnelBlocks(messages, cryptoRandom);
    }),
  );
  await tick();

  const blocks = buildTunnelBlocks(messages, cryptoRandom);
  const clock = new ManualClock();
  rows.push(
    row('tunnel endpoint reassemble (same mix, MB/s of messages)', payloadBytes, () => {
      // A fresh reassembler per round: one remembers finished message ids and would ignore a replay.
      const r = new TunnelReassembler({ clock });
      for (const b of blocks) r.receive(b);
    }),
  );
  return rows;
}
