/**
 * Reads what a guest left on its share and judges it against what the case expects. Kept free of
 * processes and namespaces so it is tested directly on fixture directories.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STAGE_EXIT, type Stage } from './guest-script.js';

export interface GuestOutcome {
  /** The command file's exit code; undefined when the guest never recorded one (crash, timeout). */
  exitCode: number | undefined;
  /** Stages in the order the guest reported them. */
  stages: { stage: Stage; ok: boolean }[];
  /** The stage that failed: the one reported as failing, else the one after the last success. */
  failedStage: Stage | undefined;
  /** ppp0's own and peer address, when PPP came up. */
  pppLocal: string | undefined;
  pppPeer: string | undefined;
}

const ORDER: readonly Stage[] = ['setup', 'IKE', 'L2TP', 'PPP', 'data', 'esp'];
const CLIENT_ORDER: readonly Stage[] = ['setup', 'IKE', 'L2TP', 'PPP', 'data'];

function readIf(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

/** `stageOrder` is the sequence the command file runs (the self-test has only setup and data). */
export function readGuestOutcome(
  shareDir: string,
  stageOrder: readonly Stage[] = CLIENT_ORDER,
): GuestOutcome {
  const codeText = readIf(join(shareDir, 'exit-code'))?.trim();
  const parsed = codeText === undefined ? Number.NaN : Number.parseInt(codeText, 10);
  const exitCode = Number.isNaN(parsed) ? undefined : parsed;
  const stages: GuestOutcome['stages'] = [];
  for (const line of (readIf(join(shareDir, 'stages')) ?? '').split('\n')) {
    const [name, verdict] = line.trim().split(/\s+/);
    if ((ORDER as readonly string[]).includes(name) && (verdict === 'ok' || verdict === 'fail')) {
      stages.push({ stage: name as Stage, ok: verdict === 'ok' });
    }
  }
  let failedStage: Stage | undefined = stages.find((s) => !s.ok)?.stage;
  if (failedStage === undefined && exitCode !== 0) {
    // Killed or crashed mid-way: blame the first stage that never reported success.
    const passed = new Set(stages.filter((s) => s.ok).map((s) => s.stage));
    failedStage = stageOrder.find((s) => !passed.has(s)) ?? stageFromExit(exitCode);
  }
  const addr = readIf(join(shareDir, 'ppp0-addr.txt')) ?? '';
  const m = /inet (\d+\.\d+\.\d+\.\d+) peer (\d+\.\d+\.\d+\.\d+)/.exec(addr);
  return { exitCode, stages, failedStage, pppLocal: m?.[1], pppPeer: m?.[2] };
}

function stageFromExit(code: number | undefined): Stage | undefined {
  return (Object.keys(STAGE_EXIT) as Stage[]).find((s) => STAGE_EXIT[s] === code);
}

/** An IPv4 CIDR membership test (for "ppp0 has an address from the pool"). */
export function inCidr(addr: string, cidr: string): boolean {
  const [net, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  const toInt = (a: string): number => a.split('.').reduce((n, o) => (n << 8) | Number(o), 0) >>> 0;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return (toInt(addr) & mask) >>> 0 === (toInt(net) & mask) >>> 0;
}

/** What a case expects of each guest. */
export type Expectation =
  /** Every stage of the command file passed (the self-test). */
  | { kind: 'completes' }
  /** A client: every stage passed and ppp0's address is in the server's pool. */
  | { kind: 'connects'; pool: string }
  | {
      kind: 'fails';
      stage: Stage;
      /** Evidence the failure is the intended one: a file on the share and a pattern it must contain. */
      evidence?: { file: string; pattern: RegExp };
    };

export interface Verdict {
  pass: boolean;
  /** The failing stage (or the stage where an expected failure did not happen as expected). */
  stage: Stage | undefined;
  detail: string;
}

export function judge(o: GuestOutcome, expect: Expectation, shareDir: string): Verdict {
  if (expect.kind === 'completes' || expect.kind === 'connects') {
    if (o.exitCode !== 0 || o.failedStage !== undefined) {
      return { pass: false, stage: o.failedStage, detail: `exit ${o.exitCode ?? 'none'}` };
    }
    if (expect.kind === 'completes') {
      return { pass: true, stage: undefined, detail: o.stages.map((s) => `${s.stage} ok`).join(', ') };
    }
    if (o.pppLocal === undefined || !inCidr(o.pppLocal, expect.pool)) {
      return {
        pass: false,
        stage: 'PPP',
        detail: `ppp0 address ${o.pppLocal ?? 'none'} not in ${expect.pool}`,
      };
    }
    return { pass: true, stage: undefined, detail: `ppp0 ${o.pppLocal} peer ${o.pppPeer}` };
  }
  if (o.failedStage !== expect.stage) {
    return {
      pass: false,
      stage: o.failedStage,
      detail: `expected failure at ${expect.stage}, got ${o.failedStage ?? 'success'}`,
    };
  }
  if (expect.evidence) {
    const text = readIf(join(shareDir, expect.evidence.file)) ?? '';
    if (!expect.evidence.pattern.test(text)) {
      return {
        pass: false,
        stage: o.failedStage,
        detail: `${expect.evidence.file} lacks ${String(expect.evidence.pattern)}`,
      };
    }
  }
  return { pass: true, stage: o.failedStage, detail: `failed at ${expect.stage} as expected` };
}
