// The whole test suite as CI and the README run it: build (the e2e tests run the real bins),
// vitest's projects one after the other (unit, then e2e, then interop: the later ones start
// router processes and i2pd networks, and sharing two cores with the unit tests made their
// timing flaky), then one closing line `N passed, N failed, N skipped` counted from vitest's JSON
// reports, because CI reads that line and not vitest's own summary. Arguments go to vitest as
// one run (e.g. a file filter).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

const dir = '.test-results';
const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit' }).status ?? 1;

if (!process.argv.includes('--no-build')) {
  const built = run('npm', ['run', 'build', '--silent']);
  if (built !== 0) {
    console.log('0 passed, 1 failed');
    process.exit(built);
  }
}
rmSync(dir, { recursive: true, force: true });
const vitestArgs = process.argv.slice(2).filter((a) => a !== '--no-build');
const runs = vitestArgs.length > 0 ? [{ name: 'all', args: vitestArgs }] : ['unit', 'e2e', 'interop'].map((p) => ({ name: p, args: ['--project', p] }));

let passed = 0;
let failed = 0;
let skipped = 0;
let worst = 0;
for (const r of runs) {
  const out = `${dir}/${r.name}.json`;
  const status = run('npx', ['vitest', 'run', ...r.args, `--outputFile.json=${out}`]);
  if (!existsSync(out)) {
    failed++;
    worst ||= status || 1;
    continue;
  }
  const report = JSON.parse(readFileSync(out, 'utf8'));
  passed += report.numPassedTests ?? 0;
  // A file that fails to load has no failed test but a failed suite: count it so it cannot pass.
  const failedTests = report.numFailedTests ?? 0;
  const f = failedTests > 0 ? failedTests : (report.numFailedTestSuites ?? 0);
  failed += f;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  if (status !== 0 || f > 0) worst ||= status || 1;
}
console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ''));
process.exit(worst);
