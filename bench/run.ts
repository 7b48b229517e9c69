// `npm run bench`: one run, one report — a table on stdout and bench/results.json.
// Crypto rows put node:crypto beside @noble/* (the ratio is node/noble); codec rows are ours.
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { benchCrypto } from './crypto.js';
import { benchData } from './data.js';
import { benchI2np } from './i2np.js';
import { benchNtcp2 } from './ntcp2.js';
import { benchNtcp2Loopback } from './ntcp2-loopback.js';
import { benchTransit } from './transit.js';
import { benchTunnel } from './tunnel.js';
import type { BenchRow } from './types.js';

interface Line {
  name: string;
  node?: BenchRow;
  noble?: BenchRow;
  ours?: BenchRow;
}

function fmt(n: number | undefined, digits = 0): string {
  if (n === undefined) return '';
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(digits || 2);
}

function table(title: string, rows: BenchRow[]): string[] {
  const lines = new Map<string, Line>();
  for (const r of rows) {
    const line = lines.get(r.name) ?? { name: r.name };
    line[r.impl] = r;
    lines.set(r.name, line);
  }
  const out = [`## ${title}`, ''];
  const head = ['benchmark', 'impl', 'ops/s', 'MB/s', 'noble ops/s', 'noble MB/s', 'ratio', 'RSS +MB', 'heap +MB', 'KB each (RSS)'];
  const body: string[][] = [];
  for (const l of lines.values()) {
    const main = l.node ?? l.ours ?? l.noble!;
    const impl = l.node ? 'node:crypto' : l.ours ? 'ours' : 'noble';
    const ratio = l.node && l.noble ? `${(l.node.opsPerSec / l.noble.opsPerSec).toFixed(1)}x` : '';
    const mem = main.memory;
    body.push([
      l.name,
      impl,
      mem ? '' : fmt(main.opsPerSec),
      fmt(main.mbPerSec, 1),
      l.node && l.noble ? fmt(l.noble.opsPerSec) : '',
      l.node && l.noble ? fmt(l.noble.mbPerSec, 1) : '',
      ratio,
      mem ? fmt(mem.rssMB, 1) : '',
      mem ? fmt(mem.heapMB, 1) : '',
      mem ? fmt((mem.rssMB * 1024) / mem.items, 1) : '',
    ]);
  }
  // Codec sections have no noble counterpart, most no memory rows: drop the empty columns.
  const keep = head.map((_, i) => i < 4 || body.some((r) => r[i] !== ''));
  head.splice(0, head.length, ...head.filter((_, i) => keep[i]));
  for (const r of body) r.splice(0, r.length, ...r.filter((_, i) => keep[i]));
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const row = (cells: string[]) => '| ' + cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') + ' |';
  out.push(row(head), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const r of body) out.push(row(r));
  out.push('');
  return out;
}

const started = new Date();
const sections: [string, BenchRow[]][] = [
  ['Crypto primitives: node:crypto vs @noble (ratio = node / noble)', await benchCrypto()],
  ['Common structures (src/router/data)', await benchData()],
  ['I2NP messages (src/router/i2np)', await benchI2np()],
  ['NTCP2 in memory (src/router/transport/ntcp2)', await benchNtcp2()],
  ['NTCP2 between two routers over TCP on 127.0.0.1', await benchNtcp2Loopback()],
  ['Tunnel data path (src/router/tunnel)', await benchTunnel()],
  ['Transit tunnels: relay, build handling, memory (src/router/tunnel)', await benchTransit()],
];
const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`;
console.log(`# anon bench — ${started.toISOString()} — ${machine}\n`);
for (const [title, rows] of sections) console.log(table(title, rows).join('\n'));
writeFileSync(
  new URL('../../bench/results.json', import.meta.url),
  JSON.stringify({ date: started.toISOString(), machine, sections: Object.fromEntries(sections) }, null, 2) + '\n',
);
console.log('written: bench/results.json');
