// Runs inside the i2pd test network's namespace (started through i2pd-testnet.sh exec): our SAM
// client backend (dist/, built with `npx tsc -p tsconfig.build.json`) against two i2pd SAM
// bridges. Prints one JSON line per step on stdout; the test reads and checks them.
//   node garlic-sam-interop.mjs '{"samA":port,"samB":port,"eepsite":"x.b32.i2p","lookup":false}'
import { createHash, randomBytes } from 'node:crypto';
import { SamBackend } from '../../dist/src/apps/garlic/sam-client.js';

const cfg = JSON.parse(process.argv[2]);
const t0 = Date.now();
const out = (step, data) => process.stdout.write(JSON.stringify({ step, at: Date.now() - t0, ...data }) + '\n');
const sha = (b) => createHash('sha256').update(b).digest('hex');
// Outbound tunnels shorter than inbound ones and one inbound more: i2pd 2.45.1 publishes a LeaseSet only
// when its inbound set changes while an outbound tunnel exists (its "LeaseSet race"), so the
// outbound side should be ready before the last inbound tunnel is.
const tunnels = { inbound: { length: 2, quantity: 3 }, outbound: { length: 1, quantity: 2 } };

async function readAll(stream) {
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  return Buffer.concat(chunks);
}

/** i2pd 2.45 may publish a new session's LeaseSet late (its LeaseSet race): retry for a while. */
async function retry(what, fn, ms) {
  const until = Date.now() + ms;
  let last;
  for (let i = 0; Date.now() < until; i++) {
    try {
      return await fn();
    } catch (e) {
      last = e;
      out('retry', { what, attempt: i + 1, code: e.code, error: e.message });
      await new Promise((r) => setTimeout(r, 3_000));
    }
  }
  throw last;
}

const b32Of = (dest) => base32(createHash('sha256').update(Buffer.from(dest.replace(/-/g, '+').replace(/~/g, '/'), 'base64')).digest());
function base32(buf) {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = 0, value = 0, out = '';
  for (const byte of buf) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

async function floodfillLeaseSets() {
  const pages = await Promise.all(cfg.consoles.map((port) => fetch(`http://127.0.0.1:${port}/?page=leasesets`).then((r) => r.text()).catch(() => '')));
  return pages.join('\n');
}

async function published(sessions, backends, kindsOf) {
  for (let round = 1; round <= 3; round++) {
    const until = Date.now() + 45_000;
    let missing = [];
    while (Date.now() < until) {
      const page = await floodfillLeaseSets();
      missing = sessions
        .map((s, i) => [i, Object.entries({ stream: s.destination, repliable: s.datagramDestination, raw: s.rawDestination }).filter(([k, d]) => kindsOf[i].includes(k) && !page.includes(b32Of(d))).map(([k]) => k)])
        .filter(([, kinds]) => kinds.length > 0);
      if (missing.length === 0) {
        out('leasesets', { round, published: true });
        return sessions;
      }
      await new Promise((r) => setTimeout(r, 2_000));
    }
    out('leasesets', { round, published: false, missing });
    for (const [i] of missing) {
      await sessions[i].close();
      sessions[i] = await backends[i].openSession({ name: i === 0 ? 'a' : 'b', tunnels, datagrams: true });
    }
  }
  return sessions;
}

const backends = [];
try {
  const a = await SamBackend.connect({ address: `127.0.0.1:${cfg.samA}` });
  // B's router has its address book on (see the test): B takes streams with STREAM ACCEPT.
  const b = await SamBackend.connect({ address: `127.0.0.1:${cfg.samB}`, listenMode: 'accept' });
  backends.push(a, b);
  out('hello', { versionA: a.version, versionB: b.version, descriptionA: a.description });

  let [sa, sb] = await Promise.all([a.openSession({ name: 'a', tunnels, datagrams: true }), b.openSession({ name: 'b', tunnels, datagrams: true })]);
  // i2pd 2.45.1 sometimes never publishes a new destination's LeaseSet (its "LeaseSet race",
  // see i2pd-testnet.sh): wait until the floodfills hold A's three, reopening A if they do not
  // show up. B always speaks first, and its LeaseSets ride along with what it sends.
  [sa, sb] = await published([sa, sb], [a, b], [['stream', 'repliable', 'raw'], ['stream']]);
  out('sessions', { a: sa.b32, b: sb.b32, aDatagram: sa.datagramDestination !== sa.destination, aRaw: sa.rawDestination !== sa.destination, distinctKinds: new Set([sa.destination, sa.datagramDestination, sa.rawDestination]).size });

  // Session A listens; each stream: read everything, answer with the hash of what came, then 96 KiB.
  const fromA = randomBytes(96 * 1024);
  const served = [];
  await sa.listen({}, (s) => {
    const chunks = [];
    let got = 0;
    s.on('data', (c) => {
      chunks.push(c);
      got += c.length;
      if (got === 256 * 1024) {
        const all = Buffer.concat(chunks);
        served.push({ bytes: all.length, sha: sha(all), remoteB32: s.remoteB32, remotePort: s.remotePort, localPort: s.localPort });
        s.write(Buffer.from(sha(all) + '\n'));
        s.end(fromA);
      }
    });
    s.on('error', (e) => out('serve-error', { error: e.message }));
  });
  out('listening', {});

  const fromB = randomBytes(256 * 1024);
  const c0 = Date.now();
  // i2pd's SAM tears the whole stream down when its client half-closes: B writes, never ends,
  // and reads until A (which knows the size) has answered and closed.
  const exchange = async () => {
    // By full destination: router N-1 has the address book this needs in i2pd 2.45.
    const stream = await sb.connect(sa.destination, { timeoutMs: 60_000 });
    const connectMs = Date.now() - c0;
    stream.write(fromB);
    const reply = await readAll(stream);
    if (reply.length === 0) throw Object.assign(new Error('the stream closed without an answer'), { code: 'EMPTY' });
    return { stream, reply, connectMs };
  };
  const { stream, reply, connectMs } = await retry('stream B → A', exchange, 180_000);
  const nl = reply.indexOf(0x0a);
  out('stream', {
    connectMs,
    totalMs: Date.now() - c0,
    sentSha: sha(fromB),
    echoedSha: reply.subarray(0, nl).toString(),
    receivedBytes: reply.length - nl - 1,
    receivedSha: sha(reply.subarray(nl + 1)),
    expectedSha: sha(fromA),
    served,
    remoteB32: stream.remoteB32,
  });

  // The other way: A connects to B's b32, B takes the stream from its pool of STREAM ACCEPTs.
  const accepted = [];
  await sb.listen({}, (s) => {
    accepted.push({ remoteB32: s.remoteB32, remoteDestination: s.remoteDestinationBase64 });
    const chunks = [];
    s.on('data', (c) => {
      chunks.push(c);
      if (Buffer.concat(chunks).length === 4096) s.end(sha(Buffer.concat(chunks)));
    });
    s.on('error', () => undefined);
  });
  const a0 = Date.now();
  const toB = randomBytes(4096);
  const acceptReply = await retry(
    'stream A → B (ACCEPT)',
    async () => {
      const s = await sa.connect(sb.b32, { timeoutMs: 60_000 });
      s.write(toB);
      const r = await readAll(s);
      if (r.length === 0) throw new Error('the stream closed without an answer');
      return r.toString();
    },
    150_000,
  );
  out('accept', { ms: Date.now() - a0, reply: acceptReply, expected: sha(toB), accepted, expectedFrom: sa.destination, expectedFromB32: sa.b32 });

  // Datagrams: a repliable one B → A (A answers to its verified sender), raw B → A's raw destination.
  const gotA = [];
  const gotB = [];
  sa.onDatagram((d) => {
    gotA.push(d);
    if (d.kind === 'repliable' && d.from) sa.sendDatagram(d.from, Buffer.concat([Buffer.from('re:'), Buffer.from(d.payload)])).catch((e) => out('reply-error', { error: e.message }));
  });
  sb.onDatagram((d) => gotB.push(d));
  let portsRefused;
  try {
    await sb.sendDatagram(sa.datagramDestination, Buffer.from('with-ports'), { fromPort: 1234, toPort: 5678 });
    portsRefused = null;
  } catch (e) {
    portsRefused = e.code;
  }
  const d0 = Date.now();
  const repliable = await retry(
    'repliable datagram B → A and its answer',
    async () => {
      await sb.sendDatagram(sa.datagramDestination, Buffer.from('dg-hello'), { kind: 'repliable' });
      for (let i = 0; i < 50; i++) {
        const back = gotB.find((d) => Buffer.from(d.payload).toString() === 're:dg-hello');
        if (back) return back;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error('no answer yet');
    },
    150_000,
  );
  const atA = gotA.find((d) => d.kind === 'repliable' && Buffer.from(d.payload).toString() === 'dg-hello');
  out('repliable', {
    ms: Date.now() - d0,
    atA: atA && { from: atA.from, fromB32: atA.fromB32, fromPort: atA.fromPort, toPort: atA.toPort },
    expectedFrom: sb.datagramDestination,
    back: { kind: repliable.kind, from: repliable.from, fromPort: repliable.fromPort, toPort: repliable.toPort },
    expectedBackFrom: sa.datagramDestination,
    portsRefused,
  });
  const r0 = Date.now();
  const rawPayload = randomBytes(1000);
  const raw = await retry(
    'raw datagram B → A',
    async () => {
      await sb.sendDatagram(sa.rawDestination, rawPayload, { kind: 'raw' });
      for (let i = 0; i < 50; i++) {
        const got = gotA.find((d) => d.kind === 'raw' && Buffer.from(d.payload).equals(rawPayload));
        if (got) return got;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error('not arrived yet');
    },
    120_000,
  );
  out('raw', { ms: Date.now() - r0, from: raw.from ?? null, fromPort: raw.fromPort, toPort: raw.toPort, sha: sha(raw.payload), expectedSha: sha(rawPayload) });

  // The i2pd eepsite's /1k.bin over a stream of ours, as a browser would ask for it.
  const e0 = Date.now();
  const body = await retry(
    'GET /1k.bin from the i2pd eepsite',
    async () => {
      const s = await sb.connect(cfg.eepsite, { timeoutMs: 60_000 });
      // No half-close (see above): the server closes after its HTTP/1.0 answer.
      s.write(`GET /1k.bin HTTP/1.0\r\nHost: ${cfg.eepsite}\r\n\r\n`);
      const body = await readAll(s);
      if (body.length === 0) throw new Error('empty answer');
      return body;
    },
    150_000,
  );
  const headEnd = body.indexOf('\r\n\r\n');
  out('eepsite', { ms: Date.now() - e0, status: body.subarray(0, body.indexOf('\r\n')).toString(), bodyBytes: body.length - headEnd - 4, sha: sha(body.subarray(headEnd + 4)) });

  {
    const l0 = Date.now();
    const found = await sb.lookup(sa.b32);
    let missing;
    try {
      await sb.lookup(`${'a'.repeat(52)}.b32.i2p`);
      missing = 'found';
    } catch (e) {
      missing = e.code;
    }
    out('lookup', { ms: Date.now() - l0, found, expected: sa.destination, missing });
  }

  await Promise.all([sa.close(), sb.close()]);
  out('done', { closed: sa.closed && sb.closed });
} catch (e) {
  out('error', { code: e.code, error: e.message, stack: e.stack });
  process.exitCode = 1;
} finally {
  await Promise.all(backends.map((b) => b.close()));
  setTimeout(() => process.exit(), 500).unref();
}
