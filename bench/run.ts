// `npm run bench`: one run, one report — a table on stdout and bench/results.json.
// Crypto rows put node:crypto beside @noble/* (the ratio is node/noble); codec rows are ours.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { benchCrypto } from './crypto.js';
import { benchData } from './data.js';
import { benchFetch, fetchTable } from './fetch.js';
import { benchI2np } from './i2np.js';
import { benchNtcp2 } from './ntcp2.js';
import { benchNtcp2Loopback } from './ntcp2-loopback.js';
import { benchSite, siteTable } from './site.js';
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

// `--only crypto,fetch` runs just those sections (keys: crypto data i2np ntcp2 ntcp2-loopback
// tunnel transit fetch site) and updates only them in bench/results.json.
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? new Set((process.argv[onlyAt + 1] ?? '').split(',').filter(Boolean)) : undefined;
const want = (key: string) => only === undefined || only.has(key);

const started = new Date();
const sectionDefs: [string, string, () => Promise<BenchRow[]>][] = [
  ['crypto', 'Crypto primitives: node:crypto vs @noble (ratio = node / noble)', benchCrypto],
  ['data', 'Common structures (src/router/data)', benchData],
  ['i2np', 'I2NP messages (src/router/i2np)', benchI2np],
  ['ntcp2', 'NTCP2 in memory (src/router/transport/ntcp2)', benchNtcp2],
  ['ntcp2-loopback', 'NTCP2 between two routers over TCP on 127.0.0.1', benchNtcp2Loopback],
  ['tunnel', 'Tunnel data path (src/router/tunnel)', benchTunnel],
  ['transit', 'Transit tunnels: relay, build handling, memory (src/router/tunnel)', benchTransit],
];
const sections: [string, BenchRow[]][] = [];
for (const [key, title, fn] of sectionDefs) if (want(key)) sections.push([title, await fn()]);
// Real routers (ours, then i2pd's in a namespace): minutes, so last.
const fetch = want('fetch') ? await benchFetch() : undefined;
const site = want('site') ? await benchSite() : undefined;
const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`;
console.log(`# anon bench — ${started.toISOString()} — ${machine}\n`);
for (const [title, rows] of sections) console.log(table(title, rows).join('\n'));
if (fetch) console.log(fetchTable(fetch).join('\n'));
if (site) console.log(siteTable(site).join('\n'));
const resultsUrl = new URL('../../bench/results.json', import.meta.url);
const previous = only && existsSync(resultsUrl) ? (JSON.parse(readFileSync(resultsUrl, 'utf8')) as { sections?: Record<string, BenchRow[]> }) : {};
writeFileSync(
  resultsUrl,
  JSON.stringify(
    {
      ...previous,
      date: started.toISOString(),
      machine,
      sections: { ...previous.sections, ...Object.fromEntries(sections) },
      ...(fetch && { fetch }),
      ...(site && { site }),
    },
    null,
    2,
  ) + '\n',
);
console.log('written: bench/results.json');
