// Adds up the vitest and Playwright JSON reports and the checks (typecheck, lint, build) and
// prints one plain closing line, "N passed, N failed, N skipped". Exits 1 when anything failed
// or when a report is missing (a runner that crashed counts as a failure, never as a pass).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, checksPassed, checksFailed] = process.argv.slice(2);
let passed = Number(checksPassed);
let failed = Number(checksFailed);
let skipped = 0;

for (const name of ['unit', 'integration']) {
  const file = join(dir, `${name}.json`);
  if (!existsSync(file)) {
    console.log(`${name}: no report (the runner did not finish)`);
    failed += 1;
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + r.numTodoTests;
  // A test file that failed to load has no tests but must still count.
  failed += r.testResults.filter((f) => f.status === 'failed' && f.assertionResults.length === 0).length;
  console.log(`${name}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);
}

const e2eFile = join(dir, 'e2e.json');
if (!existsSync(e2eFile)) {
  console.log('e2e: no report (the runner did not finish)');
  failed += 1;
} else {
  const s = JSON.parse(readFileSync(e2eFile, 'utf8')).stats;
  passed += s.expected + s.flaky;
  failed += s.unexpected;
  skipped += s.skipped;
  if ((s.errors ?? []).length) failed += 1;
  console.log(`e2e: ${s.expected} passed, ${s.unexpected} failed, ${s.flaky} flaky, ${s.skipped} skipped`);
}

console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed === 0 ? 0 : 1);
