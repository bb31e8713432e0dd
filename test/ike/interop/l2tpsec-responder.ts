/**
 * l2tpsec's IKEv1 dev responder (`dist/src/ike/dev-responder.js`, issue 4) run as a real process inside a
 * test namespace, the way a real peer meets it: UDP 500/4500 on one address. It prints one JSON line per
 * established IKE SA / CHILD_SA (`{"event":"child-sa",…}`); everything else it prints is kept for failure
 * messages.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Netns } from '../../support/netns.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const DEV_RESPONDER = join(REPO, 'dist/src/ike/dev-responder.js');
const DEV_RESPONDER_SRC = join(REPO, 'src/ike/dev-responder.ts');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** Whether the dev responder's source exists at all (the IKE engineer's deliverable). */
export function devResponderSourceExists(): boolean {
  return existsSync(DEV_RESPONDER_SRC);
}

/**
 * Builds dist/ when the compiled dev responder is missing or older than any source file. Others' files may
 * not type-check mid-work: emit anyway, and fail only if the responder itself did not come out.
 */
export function ensureDevResponderBuilt(): void {
  const fresh =
    existsSync(DEV_RESPONDER) && statSync(DEV_RESPONDER).mtimeMs >= newestMtime(join(REPO, 'src'));
  if (fresh) return;
  try {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json', '--noEmitOnError', 'false'], {
      cwd: REPO,
      stdio: 'ignore',
    });
  } catch {
    // type errors elsewhere: the emitted JavaScript is what counts
  }
  if (!existsSync(DEV_RESPONDER)) throw new Error(`build produced no ${DEV_RESPONDER}`);
}

export interface ResponderEvent {
  readonly event: string;
  readonly [key: string]: unknown;
}

export class L2tpsecResponder {
  readonly events: ResponderEvent[] = [];
  private output = '';
  private waiters: Array<() => void> = [];

  private constructor(
    readonly ns: Netns,
    readonly address: string,
    private readonly child: ReturnType<Netns['spawn']>,
  ) {
    let pending = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      this.output += chunk;
      pending += chunk;
      let nl = pending.indexOf('\n');
      while (nl >= 0) {
        this.line(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
        nl = pending.indexOf('\n');
      }
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.output += chunk;
    });
  }

  private line(text: string): void {
    const t = text.trim();
    if (!t.startsWith('{')) return;
    try {
      const v: unknown = JSON.parse(t);
      if (v && typeof v === 'object' && typeof (v as { event?: unknown }).event === 'string') {
        this.events.push(v as ResponderEvent);
        for (const w of this.waiters.splice(0)) w();
      }
    } catch {
      // a log line that merely starts with a brace
    }
  }

  /** Starts the responder in `ns` on `address`; resolves once UDP 500 and 4500 are bound there. */
  static async start(ns: Netns, address: string, psk: string, extraArgs: readonly string[] = []) {
    ensureDevResponderBuilt();
    const child = ns.spawn(
      [process.execPath, DEV_RESPONDER, '--address', address, '--psk', psk, ...extraArgs],
      {
        env: { ...process.env, L2TPSEC_LOG_LEVEL: process.env.L2TPSEC_LOG_LEVEL ?? 'debug' },
      },
    );
    const r = new L2tpsecResponder(ns, address, child);
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`dev responder exited (${child.exitCode ?? child.signalCode}):\n${r.output}`);
      }
      const ss = await ns.exec(['ss', '-Hnul']);
      if (ss.stdout.includes(`${address}:500 `) && ss.stdout.includes(`${address}:4500 `)) return r;
      if (Date.now() > deadline) {
        await r.stop();
        throw new Error(`dev responder did not bind ${address}:500/4500:\n${r.output}`);
      }
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Events named `event` (e.g. `child-sa`) seen so far. */
  eventsOf(event: string): ResponderEvent[] {
    return this.events.filter((e) => e.event === event);
  }

  /** Waits until `count` events named `event` have been printed, or the timeout passes. */
  async waitFor(event: string, count: number, timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.eventsOf(event).length < count) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((res) => {
        const timer = setTimeout(res, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          res();
        });
      });
    }
    return true;
  }

  /** Everything it printed (stdout and stderr), last `lines` lines. */
  outputTail(lines = 60): string {
    return this.output.split('\n').slice(-lines).join('\n');
  }

  async stop(): Promise<void> {
    const c = this.child;
    if (!this.alive) return;
    await new Promise<void>((done) => {
      const timer = setTimeout(() => c.kill('SIGKILL'), 3000);
      c.once('exit', () => {
        clearTimeout(timer);
        done();
      });
      c.kill('SIGTERM');
    });
  }
}
