#!/usr/bin/env node
// The project's test command: lint, type-check, then every vitest suite; ends with the plain summary line
// `N passed, N failed` (CI reads it) and a non-zero exit on any failure. Extra arguments go to vitest.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';

const extra = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;

function step(name, cmd, args) {
  process.stdout.write(`\n== ${name}: ${cmd} ${args.join(' ')}\n`);
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status === 0) passed++;
  else {
    failed++;
    process.stdout.write(`== ${name} FAILED (exit ${r.status ?? r.signal})\n`);
  }
}

step('lint', 'npx', ['biome', 'check', '.']);
step('typecheck', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']);

mkdirSync('test-results', { recursive: true });
const out = 'test-results/vitest.json';
rmSync(out, { force: true });
const vitest = spawnSync(
  'npx',
  ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...extra],
  { stdio: 'inherit' },
);
try {
  const report = JSON.parse(readFileSync(out, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + report.numTodoTests;
  // A suite that failed to load reports no tests: count it as a failure, never as silence.
  for (const suite of report.testResults ?? []) {
    if (suite.status === 'failed' && (suite.assertionResults ?? []).length === 0) failed++;
  }
  if (report.numTotalTests === 0) failed++;
} catch (err) {
  process.stdout.write(`== vitest wrote no report (${err.message}); exit ${vitest.status}\n`);
  failed++;
}
if (vitest.status !== 0 && failed === 0) failed++;

// The interop suite (issue 8): real Linux clients in QEMU guests against `l2tpsec server`, one line per
// case. Each case counts as one test; a pending case counts as a failure under CI (nothing passes by not
// running). L2TPSEC_SKIP_INTEROP=1 leaves it out of a quick local run (never under CI).
if (process.env.L2TPSEC_SKIP_INTEROP === '1' && process.env.CI !== 'true') {
  process.stdout.write('\n== interop: skipped (L2TPSEC_SKIP_INTEROP=1)\n');
} else {
  process.stdout.write('\n== interop: npm run interop\n');
  const interop = spawnSync('npm', ['run', '--silent', 'interop'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  process.stdout.write(interop.stdout ?? '');
  const m = /^(\d+) passed, (\d+) failed, (\d+) pending$/m.exec(interop.stdout ?? '');
  if (m === null) {
    process.stdout.write(`== interop printed no summary (exit ${interop.status}): counted as a failure\n`);
    failed++;
  } else {
    passed += Number(m[1]);
    failed += Number(m[2]);
    skipped += Number(m[3]);
    if (interop.status !== 0 && Number(m[2]) === 0) failed++;
  }
}
if (process.env.CI === 'true' && skipped > 0) {
  // Under CI a skipped system test is a failure (DEVELOPERS.md): nothing may pass by not running.
  process.stdout.write(`== ${skipped} test(s) skipped under CI=true: counted as failures\n`);
  failed += skipped;
}
process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(failed === 0 ? 0 : 1);
