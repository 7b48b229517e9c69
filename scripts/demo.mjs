// `npm run demo`: what anon can do today, end to end, as a user would run it. It starts a
// private network of 6 routers on loopback (their own network id), waits until every router
// has found every other over NTCP2 (each learned the others from its reseed and from the
// RouterInfos exchanged in handshakes), then until every router has built its exploratory
// tunnels through the others (ECIES ShortTunnelBuild) and tested them, builds 20 more 3-hop
// tunnels from router 1 and sends a tunnel test through each, prints a short timeline and the
// network's status, and stops everything it started. No i2pd, no network beyond 127.0.0.0/8.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { callControl } from '../dist/src/router/api/control/client.js';

const ROUTERS = 6;
const bin = fileURLToPath(new URL('../bin/anon-router.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'anon-demo-'));
const t0 = Date.now();
const at = () => `${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s`;
const cli = (...args) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

let code = 0;
try {
  console.log(`${at()}  starting a private network of ${ROUTERS} routers in ${dir}`);
  const up = cli('testnet', 'up', '--routers', String(ROUTERS), '--dir', dir, '--json');
  if (up.status !== 0) throw new Error(`testnet up failed: ${up.stderr.trim() || up.stdout.trim()}`);
  const manifest = JSON.parse(up.stdout);
  console.log(`${at()}  ${ROUTERS} routers up (network id ${manifest.netId}), each bootstrapped from the ones before it`);

  let status;
  let meshed = false;
  for (let i = 0; i < 120 && !meshed; i++) {
    status = JSON.parse(cli('testnet', 'status', '--dir', dir, '--json').stdout);
    meshed = status.routers.every((r) => r.status && r.status.peers.known === ROUTERS - 1 && r.status.peers.connected === ROUTERS - 1);
    if (!meshed) await new Promise((r) => setTimeout(r, 500));
  }
  if (!meshed) throw new Error('the routers did not all find each other within 60 s');
  console.log(`${at()}  every router knows and is connected to the other ${ROUTERS - 1} (NTCP2 sessions, RouterInfos verified)`);

  let tunneled = false;
  for (let i = 0; i < 120 && !tunneled; i++) {
    status = JSON.parse(cli('testnet', 'status', '--dir', dir, '--json').stdout);
    tunneled = status.routers.every((r) => r.status && r.status.tunnels.inbound >= 1 && r.status.tunnels.outbound >= 1 && r.status.tunnels.tests.ok >= 1);
    if (!tunneled) await new Promise((r) => setTimeout(r, 500));
  }
  if (!tunneled) throw new Error('the routers did not all build and test their tunnels within 60 s');
  console.log(`${at()}  every router built its exploratory tunnels through the others and a DeliveryStatus went out and back through them`);
  const first = status.routers[0];
  const trial = await callControl(join(first.home, 'router', 'control.sock'), 'tunnels.trial', { count: 20, hops: 3, concurrency: 4 }, { timeoutMs: 120_000 });
  const ms = [...trial.buildMs].sort((a, b) => a - b);
  console.log(`${at()}  router 1 built ${trial.succeeded} of ${trial.attempted} three-hop tunnels (median ${ms[Math.floor(ms.length / 2)] ?? '-'} ms); ${trial.testsOk} passed a tunnel test`);
  if (trial.succeeded === 0) throw new Error('no tunnel was built');
  console.log('');
  console.log(cli('testnet', 'status', '--dir', dir).stdout.trimEnd());
  console.log('');
} catch (e) {
  console.error(`demo: ${e.message}`);
  code = 1;
} finally {
  const down = cli('testnet', 'down', '--dir', dir);
  console.log(`${at()}  ${down.status === 0 ? 'stopped every router' : `stopping failed: ${down.stderr.trim()}`}`);
  if (down.status !== 0) code = 1;
  else rmSync(dir, { recursive: true, force: true });
}
process.exit(code);
