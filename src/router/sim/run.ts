// `npm run sim -- --routers 1000 [--adversary 0.05,0.1,0.2] [--floodfills N] [--destinations N]
//   [--lookups N] [--minutes M] [--offline F] [--seed S] [--out FILE]`: one simulation, a table on stdout, JSON in a file
// (bench/sim-results.json unless --out). Progress goes to stderr.
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { formatReport } from './report.js';
import { runSimulation, type SimulationOptions } from './scenario.js';

function int(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[0-9]+$/.test(v)) throw new RangeError(`--${name} must be a whole number, got "${v}"`);
  return Number(v);
}

function minutes(v: string): number {
  const m = Number(v);
  if (v.trim() === '' || !Number.isFinite(m) || m < 0) throw new RangeError(`--minutes must be a number >= 0, got "${v}"`);
  return Math.round(m * 60_000);
}

function fractions(v: string | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  const list = v.split(',').map((s) => s.trim());
  const out = list.map((s) => {
    const f = Number(s);
    if (s === '' || !Number.isFinite(f) || f < 0 || f > 1) throw new RangeError(`--adversary takes fractions in [0, 1] separated by commas, got "${v}"`);
    return f;
  });
  // 0 is always shown: the baseline where the share must be 0.
  return [...new Set([0, ...out])].sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      routers: { type: 'string', default: '100' },
      adversary: { type: 'string' },
      floodfills: { type: 'string' },
      destinations: { type: 'string' },
      lookups: { type: 'string' },
      minutes: { type: 'string' },
      offline: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
    },
    strict: true,
  });
  const lookups = int('lookups', values.lookups);
  const opts: SimulationOptions = {
    routers: int('routers', values.routers)!,
    ...(values.floodfills !== undefined && { floodfills: int('floodfills', values.floodfills) }),
    ...(values.destinations !== undefined && { destinations: int('destinations', values.destinations) }),
    ...(lookups !== undefined && { routerInfoLookups: lookups, leaseSetLookups: lookups }),
    ...(values.seed !== undefined && { seed: values.seed }),
    ...(values.minutes !== undefined && { steadyMs: minutes(values.minutes) }),
    ...(values.offline !== undefined && { offline: Number(values.offline) }),
    ...(values.adversary !== undefined && { adversary: fractions(values.adversary) }),
    onPhase: (phase, detail) => process.stderr.write(`[sim] ${phase}: ${Object.entries(detail).map(([k, v]) => `${k}=${v}`).join(' ')}\n`),
  };
  const started = new Date();
  const report = await runSimulation(opts);
  const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`;
  console.log(`# anon sim — ${started.toISOString()} — ${machine}\n`);
  console.log(formatReport(report));
  const out = values.out ?? new URL('../../../../bench/sim-results.json', import.meta.url).pathname;
  writeFileSync(out, JSON.stringify({ date: started.toISOString(), machine, ...report }, null, 2) + '\n');
  console.log(`written to ${out}`);
}

main().catch((e: unknown) => {
  process.stderr.write(`sim: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
