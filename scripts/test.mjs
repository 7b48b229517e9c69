// The whole test suite as CI and the README run it: build (the e2e tests run the real bins),
// vitest (unit, e2e, interop), then one closing line `N passed, N failed, N skipped` counted
// from vitest's JSON report, because CI reads that line and not vitest's own summary.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

const results = '.test-results/results.json';
const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit' }).status ?? 1;

if (!process.argv.includes('--no-build')) {
  const built = run('npm', ['run', 'build', '--silent']);
  if (built !== 0) {
    console.log('0 passed, 1 failed');
    process.exit(built);
  }
}
rmSync(results, { force: true });
const vitestArgs = process.argv.slice(2).filter((a) => a !== '--no-build');
const status = run('npx', ['vitest', 'run', ...vitestArgs]);

if (!existsSync(results)) {
  console.log('0 passed, 1 failed');
  process.exit(status || 1);
}
const report = JSON.parse(readFileSync(results, 'utf8'));
const passed = report.numPassedTests ?? 0;
// A file that fails to load has no failed test but a failed suite: count it so it cannot pass.
const failedTests = report.numFailedTests ?? 0;
const failed = failedTests > 0 ? failedTests : (report.numFailedTestSuites ?? 0);
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ''));
process.exit(status === 0 && failed === 0 ? 0 : status || 1);
