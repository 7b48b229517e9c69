// An embedded router of ours (from dist/, build first) for the streaming interop test: it runs
// inside the i2pd test network's namespace, publishes a destination that serves HTTP over
// incoming streams (node's http.Server fed with I2pStreams), and fetches from other sites over
// outgoing streams when told to on stdin. One JSON object per line on stdout:
//   {"event":"ready","b32":...,"sha256":{"/1k.bin":...,"/10m.bin":...},"hops":N,"ms":{...}}
//   {"event":"fetched","id":...,"status":200,"bytes":N,"sha256":...,"connectMs":..,"ttfbMs":..,"totalMs":..}
//   {"event":"error","id":...,"message":...}
// stdin: {"cmd":"fetch","id":1,"b32":"xxx.b32.i2p","path":"/1k.bin"} | {"cmd":"stop"}
// Usage: node stream-site.mjs HOME HOST PORT NETID RESEED_DIR HOPS
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { createInterface } from 'node:readline';
import { parseB32Address } from '../../dist/src/router/data/b32.js';
import { createLogger } from '../../dist/src/router/log.js';
import { Router } from '../../dist/src/router/router.js';

const [home, host, port, netId, reseed, hopsArg] = process.argv.slice(2);
const hops = Number(hopsArg ?? 3);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const t0 = Date.now();
const ms = {};
const log = createLogger((line) => process.stderr.write(line + '\n'), { level: process.env.ANON_LOG_LEVEL ?? 'warn' });

const router = await Router.open({
  home,
  reseed,
  log,
  config: { netId: Number(netId), testnet: true, sharedKBps: 8192, ntcp2: { host, port: Number(port) }, httpProxy: { enabled: false }, sam: { enabled: false } },
});
let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  await router.stop({ graceful: false }).catch(() => undefined);
  process.exit(code);
}
process.on('SIGTERM', () => void stop(0));
process.on('SIGINT', () => void stop(0));

async function until(what, cond, timeoutMs, stepMs = 250) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`timed out waiting for ${what}`);
}

try {
  await router.start();
  const ex = router.tunnels.exploratory;
  await until('exploratory tunnels', () => ex.inbound.length > 0 && ex.outbound.length > 0, 120_000);
  ms.exploratory = Date.now() - t0;
  const side = { length: hops, quantity: 2, variance: 0 };
  const dest = router.destinations.create(undefined, { inbound: side, outbound: side, publish: true });

  const bodies = { '/1k.bin': randomBytes(1024), '/10m.bin': randomBytes(10 * 1024 * 1024) };
  const sha256 = Object.fromEntries(Object.entries(bodies).map(([k, v]) => [k, createHash('sha256').update(v).digest('hex')]));
  const server = http.createServer((req, res) => {
    const body = bodies[req.url ?? ''];
    if (!body) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
    res.end(body);
  });
  dest.streams.listen((s) => {
    s.on('error', () => undefined);
    server.emit('connection', s);
  });
  await until('our LeaseSet stored with a floodfill', () => dest.counters.confirmed >= 1, 180_000);
  ms.published = Date.now() - t0;
  out({ event: 'ready', b32: dest.b32, sha256, hops, ms, tunnels: dest.tunnelCounts() });

  const fetchOne = async (id, b32, path) => {
    const start = Date.now();
    const hash = parseB32Address(b32);
    // The LeaseSet lookup on its own, so the report can tell it from the SYN round trip.
    await dest.resolve(hash);
    const lookupMs = Date.now() - start;
    let stream;
    for (let attempt = 1; ; attempt++) {
      try {
        stream = await dest.streams.connect(hash, { toPort: 80, timeoutMs: 60_000 });
        break;
      } catch (e) {
        if (attempt >= 5) throw e;
        await new Promise((r) => setTimeout(r, 2_000));
      }
    }
    const connectMs = Date.now() - start;
    return new Promise((resolve, reject) => {
      const hashOf = createHash('sha256');
      let bytes = 0;
      let ttfbMs;
      const req = http.request({ createConnection: () => stream, path, method: 'GET', headers: { host: b32, connection: 'close' } }, (res) => {
        res.on('data', (c) => {
          if (ttfbMs === undefined) ttfbMs = Date.now() - start;
          bytes += c.length;
          hashOf.update(c);
        });
        res.on('end', () => {
          const totalMs = Date.now() - start;
          stream.end();
          resolve({ event: 'fetched', id, status: res.statusCode, bytes, sha256: hashOf.digest('hex'), lookupMs, connectMs, ttfbMs, totalMs, mbPerS: bytes / 1e6 / ((totalMs - (ttfbMs ?? 0)) / 1000 || 1) });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  };

  for await (const line of createInterface({ input: process.stdin })) {
    let cmd;
    try {
      cmd = JSON.parse(line);
    } catch {
      continue;
    }
    if (cmd.cmd === 'stop') break;
    if (cmd.cmd === 'fetch') {
      fetchOne(cmd.id, cmd.b32, cmd.path).then(out, (e) => out({ event: 'error', id: cmd.id, message: String(e?.message ?? e), code: e?.code }));
    }
    if (cmd.cmd === 'counters') out({ event: 'counters', id: cmd.id, streams: dest.streams.counters, dest: dest.counters });
  }
  await stop(0);
} catch (e) {
  out({ event: 'error', message: String(e?.stack ?? e) });
  await stop(1);
}
