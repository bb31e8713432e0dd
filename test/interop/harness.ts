/**
 * Runs one interop case end to end: a fresh namespace (bridge + taps, or slirp NAT), a host-side capture,
 * the server when the case has one, each guest booted with its command file on a 9p share, then the
 * verdict per guest. Everything a case produced stays in `test-results/interop/<case>/`; namespaces and
 * processes are gone afterwards whether the case passed, failed or threw.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Capture, startCapture } from './capture.js';
import {
  type ClientSpec,
  ipsecConf,
  ipsecSecrets,
  pppOptions,
  strongswanDropIn,
  xl2tpdConf,
} from './client-config.js';
import { decryptScript, parseXfrmState, type XfrmEspState } from './esp-keys.js';
import { ensureGuestImage, type GuestImage } from './guest-image.js';
import { clientScript, SHARE, type Stage, selfTestScript } from './guest-script.js';
import { type Ikev1Key, pairIkev1Keys, parseCharonKa } from './ike-keys.js';
import { createTestNetwork, type GuestLink, type NetworkKind, type TestNetwork } from './netns.js';
import { type Expectation, judge, readGuestOutcome } from './outcome.js';
import { artifactDir } from './paths.js';
import { type GuestRun, runGuest } from './qemu.js';
import { bootReferenceServer, REFERENCE_SERVER_ADDR, type ReferenceServer } from './reference-server.js';
import { type RunningServer, type ServerSpec, startServer } from './server.js';

export type GuestPlan =
  | { role: 'selftest'; expect: Expectation }
  | { role: 'client'; client: Omit<ClientSpec, 'server'>; expect: Expectation };

export interface InteropCase {
  name: string;
  /** What the case proves, one line (printed by `npm run interop -- --list`). */
  summary: string;
  network: NetworkKind;
  /** The guests of the case, booted at the same time. */
  guests: readonly GuestPlan[];
  /** The l2tpsec server's settings; undefined for cases that need no server (the self-test). */
  server?: ServerSpec;
  /** Why the case cannot run yet; a pending case is listed, never run, never counted as passing. */
  pending?: string;
  /** Limit per guest from power-on to power-off (default DEFAULT_CASE_TIMEOUT_S). */
  timeoutSeconds?: number;
  /**
   * Checks of the server's own state once every guest has finished, before the server stops (e.g. case 9:
   * "the server frees everything"). Each returns undefined when satisfied, else what is wrong.
   */
  serverChecks?: readonly ServerCheck[];
  /** What the host-side capture must (or must not) hold, as Wireshark display filters. */
  capture?: readonly CaptureExpectation[];
}

export interface CaptureExpectation {
  filter: string;
  present: boolean;
  /** Why, in the words of the case (printed when it does not hold). */
  because: string;
}

export interface ServerCheck {
  name: string;
  run(ctx: { net: TestNetwork; dir: string }): Promise<string | undefined>;
}

export interface GuestResult {
  index: number;
  pass: boolean;
  stage: Stage | undefined;
  detail: string;
  seconds: number;
  timedOut: boolean;
}

export interface CaseResult {
  name: string;
  pass: boolean;
  seconds: number;
  /** The first failing stage over all guests (IKE / L2TP / PPP / data, or setup for the harness). */
  stage: Stage | undefined;
  detail: string;
  artifacts: string;
  guests: GuestResult[];
}

export interface RunOptions {
  /** Replaces `startServer` (e.g. to run another server implementation against the same cases). */
  startServer?: (spec: ServerSpec, net: TestNetwork, dir: string) => Promise<RunningServer>;
  image?: GuestImage;
  /**
   * Run against the reference server (strongSwan + xl2tpd + pppd in a guest of its own) instead of
   * `l2tpsec server`. Bridge cases only.
   */
  reference?: boolean;
}

/**
 * A connecting case needs 25-45 s on an idle host; TCG at nice 10 on a busy 2-core host has been seen
 * taking 4x that. The limit only bounds a hung guest, so it is generous.
 */
export const DEFAULT_CASE_TIMEOUT_S = 300;

/** Dropped on each client's share when a guest-hosted server is ready. */
const READY_FILE = 'server-ready';

const SELFTEST_STAGES: readonly Stage[] = ['setup', 'data', 'esp'];

/** Fills a guest's share: the command file and, for a client, its configuration under etc/. */
function prepareShare(
  plan: GuestPlan,
  net: TestNetwork,
  link: GuestLink,
  share: string,
  serverAddr: string,
  waitForFile: string | undefined,
): void {
  mkdirSync(share, { recursive: true });
  if (plan.role === 'selftest') {
    // Bridge: the server's address on br0. Slirp: the host alias 10.0.2.2 (127.0.0.1 in the namespace).
    writeFileSync(join(share, 'cmd.sh'), selfTestScript(net.serverAddr, link.ip.split('/')[0]));
    return;
  }
  const client: ClientSpec = { ...plan.client, server: serverAddr };
  const etc = join(share, 'etc');
  mkdirSync(etc, { recursive: true });
  writeFileSync(join(etc, 'ipsec.conf'), ipsecConf(client));
  writeFileSync(join(etc, 'ipsec.secrets'), ipsecSecrets(client));
  writeFileSync(join(etc, 'strongswan-interop.conf'), strongswanDropIn(`${SHARE}/charon.log`));
  writeFileSync(join(etc, 'xl2tpd.conf'), xl2tpdConf(client, '/etc/ppp/options.l2tpd.client'));
  writeFileSync(join(etc, 'options.l2tpd.client'), pppOptions(client, `${SHARE}/pppd.log`));
  writeFileSync(join(share, 'cmd.sh'), clientScript(client, { waitForFile }));
}

function failure(c: InteropCase, started: number, dir: string, err: unknown): CaseResult {
  return {
    name: c.name,
    pass: false,
    seconds: (Date.now() - started) / 1000,
    stage: 'setup',
    detail: err instanceof Error ? err.message : String(err),
    artifacts: dir,
    guests: [],
  };
}

export async function runCase(c: InteropCase, opts: RunOptions = {}): Promise<CaseResult> {
  const started = Date.now();
  const dir = artifactDir(c.name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let net: TestNetwork | undefined;
  let capture: Capture | undefined;
  let server: RunningServer | undefined;
  let reference: ReferenceServer | undefined;
  const runs: GuestRun[] = [];
  const timeoutMs = (c.timeoutSeconds ?? DEFAULT_CASE_TIMEOUT_S) * 1000;
  const useReference = !!opts.reference && !!c.server;
  const serverProblems: string[] = [];
  try {
    if (useReference && c.network !== 'bridge') {
      throw new Error('the reference server runs on the bridge network only');
    }
    const image = opts.image ?? ensureGuestImage();
    net = createTestNetwork({
      name: c.name,
      kind: c.network,
      guests: c.guests.length + (useReference ? 1 : 0),
      behind: !!c.server && !useReference,
    });
    capture = await startCapture(
      net.ns,
      net.captureInterface,
      join(dir, 'host.pcap'),
      join(dir, 'dumpcap.log'),
    );
    let serverAddr = net.serverAddr;
    if (c.server && useReference) {
      const link = { ...net.guest(c.guests.length), ip: `${REFERENCE_SERVER_ADDR}/24` };
      mkdirSync(join(dir, 'lns'));
      reference = bootReferenceServer(
        {
          image,
          ns: net.ns,
          link,
          hostname: 'lns',
          shareDir: join(dir, 'lns'),
          serialLog: join(dir, 'lns.serial.log'),
          nicPcap: join(dir, 'lns.nic.pcap'),
          timeoutMs: timeoutMs + 120_000,
        },
        c.server,
      );
      serverAddr = REFERENCE_SERVER_ADDR;
    } else if (c.server) {
      server = await (opts.startServer ?? startServer)(c.server, net, dir);
    }
    const shares = c.guests.map((_, i) => join(dir, `guest${i}`));
    const boots = c.guests.map((plan, i) => {
      const link = net!.guest(i);
      prepareShare(plan, net!, link, shares[i], serverAddr, reference ? READY_FILE : undefined);
      return runGuest({
        image,
        ns: net!.ns,
        link,
        hostname: `guest${i}`,
        shareDir: shares[i],
        serialLog: join(dir, `guest${i}.serial.log`),
        nicPcap: join(dir, `guest${i}.nic.pcap`),
        timeoutMs,
      });
    });
    if (reference) {
      // The clients boot meanwhile and wait on their share for the server's go-ahead.
      await reference.ready;
      for (const share of shares) writeFileSync(join(share, READY_FILE), '');
    }
    runs.push(...(await Promise.all(boots)));
    if (server) {
      for (const check of c.serverChecks ?? []) {
        const problem = await check.run({ net, dir });
        if (problem !== undefined) serverProblems.push(`server ${check.name}: ${problem}`);
      }
    }
  } catch (err) {
    return failure(c, started, dir, err);
  } finally {
    if (reference) await reference.stop().catch(() => undefined);
    await capture?.stop().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    net?.destroy();
  }

  const guests: GuestResult[] = c.guests.map((plan, i) => {
    const share = join(dir, `guest${i}`);
    const outcome = readGuestOutcome(share, plan.role === 'selftest' ? SELFTEST_STAGES : undefined);
    const verdict = judge(outcome, plan.expect, share);
    const run = runs[i];
    const detail = run.timedOut
      ? `timed out after ${run.seconds.toFixed(0)} s; ${verdict.detail}`
      : verdict.detail;
    return {
      index: i,
      pass: verdict.pass,
      stage: verdict.stage,
      detail,
      seconds: run.seconds,
      timedOut: run.timedOut,
    };
  });
  writeDecryptScript(dir, c.guests.length, !!reference);
  for (const e of c.capture ?? []) {
    const problem = checkCapture(join(dir, 'host.pcap'), e);
    if (problem !== undefined) serverProblems.push(problem);
  }
  const firstBad = guests.find((g) => !g.pass);
  const detail = firstBad
    ? `guest${firstBad.index}: ${firstBad.detail}`
    : guests.map((g) => g.detail).join('; ');
  const result: CaseResult = {
    name: c.name,
    pass: guests.length > 0 && firstBad === undefined && serverProblems.length === 0,
    seconds: (Date.now() - started) / 1000,
    stage: firstBad?.stage ?? guests.find((g) => g.stage !== undefined)?.stage,
    detail: serverProblems.length > 0 ? `${serverProblems.join('; ')}; ${detail}` : detail,
    artifacts: dir,
    guests,
  };
  writeFileSync(join(dir, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

/** Each client's IKEv1 Ka (from its charon.log) paired with its initiator cookie (from its own capture). */
function ikeKeys(dir: string, guestDirs: readonly string[]): Ikev1Key[] {
  const keys: Ikev1Key[] = [];
  for (const g of guestDirs) {
    const log = join(dir, g, 'charon.log');
    const pcap = join(dir, g, 'guest.pcap');
    if (!existsSync(log) || !existsSync(pcap)) continue;
    const kas = parseCharonKa(readFileSync(log, 'utf8'));
    if (kas.length === 0) continue;
    try {
      const out = execFileSync('tshark', ['-r', pcap, '-Y', 'isakmp', '-T', 'fields', '-e', 'isakmp.ispi'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      const cookies = [
        ...new Set(
          out
            .split('\n')
            .map((l) => l.trim())
            .filter((l) => l !== ''),
        ),
      ];
      keys.push(...pairIkev1Keys(cookies, kas));
    } catch {
      // a truncated capture: ESP decryption still works without the IKE keys
    }
  }
  return keys;
}

/** Counts the frames of `pcap` matching a display filter and compares with the expectation. */
function checkCapture(pcap: string, e: CaptureExpectation): string | undefined {
  let frames: number;
  try {
    const out = execFileSync('tshark', ['-r', pcap, '-Y', e.filter, '-T', 'fields', '-e', 'frame.number'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    frames = out.split('\n').filter((l) => l.trim() !== '').length;
  } catch (err) {
    return `capture: tshark failed on '${e.filter}': ${(err as Error).message}`;
  }
  if (e.present === frames > 0) return undefined;
  return `capture: ${frames} frame(s) match '${e.filter}', expected ${e.present ? 'some' : 'none'} (${e.because})`;
}

/** decrypt.sh next to the captures, from every guest's ESP keys (when any SA was installed). */
function writeDecryptScript(dir: string, guestCount: number, withServerGuest: boolean): void {
  const states: XfrmEspState[] = [];
  const guestDirs = Array.from({ length: guestCount }, (_, i) => `guest${i}`);
  // A client's SAs cover both directions; the server guest adds nothing new but covers a client crash.
  for (const g of withServerGuest ? [...guestDirs, 'lns'] : guestDirs) {
    const f = join(dir, g, 'xfrm-state.txt');
    if (existsSync(f)) states.push(...parseXfrmState(readFileSync(f, 'utf8')));
  }
  const unique = [...new Map(states.map((s) => [s.spi, s])).values()];
  if (unique.length === 0) return;
  try {
    writeFileSync(join(dir, 'decrypt.sh'), decryptScript(unique, ikeKeys(dir, guestDirs), 'host.pcap'), {
      mode: 0o755,
    });
  } catch (err) {
    writeFileSync(join(dir, 'decrypt.sh.error'), `${err instanceof Error ? err.message : String(err)}\n`);
  }
}
