/**
 * `npm run interop [-- [--list] [--reference] [--include-pending] [CASE...]]`: runs the interop matrix one case at a time (each guest is one
 * emulated CPU; the host has two) and prints one line per case: name, PASS/FAIL/PENDING, seconds, failing
 * stage. Exit status 0 only when every case that ran passed. Where QEMU cannot run (not root, no QEMU, no
 * image) it says so loudly and fails: the suite never passes by not running.
 */
import { execFileSync } from 'node:child_process';
import { CASES, SELFTEST, SELFTEST_NAT, SERVER_CASES } from './cases.js';
import { ensureGuestImage, type GuestImage } from './guest-image.js';
import { type CaseResult, runCase } from './harness.js';
import { isRoot } from './netns.js';

function line(name: string, verdict: string, seconds: string, rest: string): string {
  return `${name.padEnd(24)} ${verdict.padEnd(7)} ${seconds.padStart(7)}  ${rest}`;
}

function prerequisites(): string | undefined {
  if (!isRoot()) return 'not root: the suite needs network namespaces and taps';
  for (const tool of ['qemu-system-x86_64', 'dumpcap', 'ip']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} not found (run ./scripts/test-env.sh)`;
    }
  }
  return undefined;
}

async function main(argv: readonly string[]): Promise<number> {
  const list = argv.includes('--list');
  const reference = argv.includes('--reference');
  // --include-pending: try the pending cases anyway (e.g. against a server that is not declared ready).
  const includePending = argv.includes('--include-pending');
  const names = argv.filter((a) => !a.startsWith('--'));
  // --reference: the server cases against strongSwan + xl2tpd + pppd in a guest (bridge cases only).
  const all = reference ? [SELFTEST, SELFTEST_NAT, ...SERVER_CASES] : CASES;
  const unknown = names.filter((n) => !all.some((c) => c.name === n));
  if (unknown.length > 0) {
    process.stderr.write(`interop: unknown case(s) ${unknown.join(', ')}; --list shows them\n`);
    return 2;
  }
  const selected = all.filter((c) => names.length === 0 || names.includes(c.name));
  if (list) {
    for (const c of selected)
      process.stdout.write(`${c.name.padEnd(24)} ${c.pending ? '(pending) ' : ''}${c.summary}\n`);
    return 0;
  }
  const missing = prerequisites();
  if (missing !== undefined) {
    process.stderr.write(`\n*** interop: CANNOT RUN: ${missing}. Counting as FAILED. ***\n\n`);
    return 1;
  }
  let image: GuestImage;
  try {
    image = ensureGuestImage();
  } catch (err) {
    process.stderr.write(`\n*** interop: CANNOT BUILD THE GUEST IMAGE: ${(err as Error).message} ***\n\n`);
    return 1;
  }
  process.stdout.write(`guest image ${image.dir} (kernel ${image.kernelVersion})\n`);
  let passed = 0;
  let failed = 0;
  let pending = 0;
  for (const c of selected) {
    if (c.pending !== undefined && !includePending) {
      pending++;
      process.stdout.write(`${line(c.name, 'PENDING', '-', c.pending)}\n`);
      continue;
    }
    if (reference && c.server && c.network !== 'bridge') {
      pending++;
      process.stdout.write(`${line(c.name, 'N/A', '-', 'the reference server runs on the bridge only')}\n`);
      continue;
    }
    const r: CaseResult = await runCase(c, { image, reference });
    if (r.pass) passed++;
    else failed++;
    const rest = r.pass ? '' : `${r.stage ?? '?'}: ${r.detail}  [${r.artifacts}]`;
    process.stdout.write(`${line(c.name, r.pass ? 'PASS' : 'FAIL', `${r.seconds.toFixed(1)}s`, rest)}\n`);
  }
  process.stdout.write(`\n${passed} passed, ${failed} failed, ${pending} pending\n`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`interop: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
