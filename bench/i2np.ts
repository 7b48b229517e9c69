// I2NP codecs: whole messages (header + checksum + body) through encodeMessage/decodeMessage,
// time-boxed loops of about 300 ms each.
import { randomBytes } from 'node:crypto';
import {
  decodeMessage,
  encodeMessage,
  gunzipRouterInfo,
  gzipRouterInfo,
  I2npType,
  StoreType,
  type I2npMessage,
} from '../src/router/i2np/index.js';
import type { BenchRow } from './types.js';
import { oursRow as row } from './measure.js';




/** Compressible like a real RouterInfo (keys are random, option text is not): ~700 bytes of gzip. */
function routerInfoLike(): Uint8Array {
  const text = new TextEncoder().encode(
    'caps=XfR;netId=2;router.version=0.9.65;host=127.0.0.1;port=12345;s=' + 'A'.repeat(44) + ';i=' + 'B'.repeat(24) + ';v=2;',
  );
  const out = new Uint8Array(1000);
  out.set(randomBytes(640), 0);
  for (let i = 640; i < out.length; i++) out[i] = text[(i - 640) % text.length];
  return out;
}

export async function benchI2np(): Promise<BenchRow[]> {
  const expiration = Date.now() + 60_000;
  const tunnelData: I2npMessage = {
    type: I2npType.TunnelData,
    msgId: 0x12345678,
    expiration,
    tunnelId: 0xabcdef01,
    data: new Uint8Array(randomBytes(1024)),
  };
  const gz = gzipRouterInfo(routerInfoLike());
  const store: I2npMessage = {
    type: I2npType.DatabaseStore,
    msgId: 1,
    expiration,
    key: new Uint8Array(randomBytes(32)),
    storeType: StoreType.RouterInfo,
    reply: { token: 42, tunnelId: 7, gateway: new Uint8Array(randomBytes(32)) },
    data: gz,
  };
  const lookup: I2npMessage = {
    type: I2npType.DatabaseLookup,
    msgId: 2,
    expiration,
    key: new Uint8Array(randomBytes(32)),
    from: new Uint8Array(randomBytes(32)),
    lookupType: 'leaseset',
    replyTunnelId: 99,
    excludedPeers: Array.from({ length: 7 }, () => new Uint8Array(randomBytes(32))),
    encryption: { kind: 'ecies', replyKey: new Uint8Array(randomBytes(32)), replyTag: new Uint8Array(randomBytes(8)) },
  };

  const sizeOf = (m: I2npMessage) => encodeMessage(m, 'standard').length;
  const roundTrip = (m: I2npMessage) => () => {
    decodeMessage(encodeMessage(m, 'standard'), 'standard');
  };
  return [
    row('i2np TunnelData encode+decode (standard header)', sizeOf(tunnelData), roundTrip(tunnelData)),
    row('i2np DatabaseStore RouterInfo (~700 B gzip) encode+decode', sizeOf(store), roundTrip(store)),
    row('gunzipRouterInfo (~700 B gzip, bounded)', gz.length, () => {
      gunzipRouterInfo(gz);
    }),
    row('i2np DatabaseLookup (ECIES reply, 7 excluded) encode+decode', sizeOf(lookup), roundTrip(lookup)),
  ];
}
