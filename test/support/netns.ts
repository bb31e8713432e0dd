/**
 * Network namespaces for system tests: uniquely named (`l2s-<purpose>-<pid>-<n>`), joined by veth pairs
 * with addresses, commands run inside them, and everything torn down by `NetnsLab.cleanup()` — which also
 * ends the processes the lab started there — even when a test failed halfway. Only addresses inside the
 * namespaces a lab created ever carry traffic.
 */
import { type ChildProcess, execFile, execFileSync, type SpawnOptions, spawn } from 'node:child_process';

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Why a namespace test cannot run here, or undefined when it can. Under CI=true a skip is a failure. */
export function netnsUnavailable(): string | undefined {
  if (!isRoot) return 'needs root (network namespaces)';
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
  } catch {
    return 'needs iproute2 (`ip`)';
  }
  return undefined;
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs argv to completion; never rejects on a non-zero exit (the caller reads `code`). */
export function run(argv: readonly string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}) {
  return new Promise<RunResult>((resolve) => {
    execFile(
      argv[0],
      argv.slice(1),
      { encoding: 'utf8', timeout: opts.timeoutMs ?? 60_000, env: opts.env, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr: err && !stderr ? err.message : stderr });
      },
    );
  });
}

async function must(argv: readonly string[]): Promise<string> {
  const r = await run(argv);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

let serial = 0;

/** A namespace name unique to this process and call (≤ 30 characters; netns names have no 15-char limit). */
export function uniqueNetnsName(purpose: string): string {
  serial++;
  return `l2s-${purpose.slice(0, 10)}-${process.pid}-${serial}`;
}

export class Netns {
  constructor(
    readonly name: string,
    private readonly lab: NetnsLab,
  ) {}

  /** `ip netns exec` gives the command its own mount namespace too (with /sys of this network namespace). */
  exec(argv: readonly string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}) {
    return run(['ip', 'netns', 'exec', this.name, ...argv], opts);
  }

  /** Starts argv in the background inside the namespace; the lab ends it at cleanup if still running. */
  spawn(argv: readonly string[], opts: SpawnOptions = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.name, ...argv], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...opts,
    });
    this.lab.track(child);
    return child;
  }
}

export interface VethEnd {
  readonly ns: Netns;
  /** Interface name inside its namespace (created there directly, so it cannot clash with the host's). */
  readonly ifname: string;
  /** Address with prefix, e.g. `198.18.0.1/24`. */
  readonly cidr: string;
}

/** Owns the namespaces and background processes of one test file. */
export class NetnsLab {
  private readonly namespaces: string[] = [];
  private readonly children = new Set<ChildProcess>();
  private readonly onExit = () => this.cleanupSync();

  constructor() {
    // Last resort when the test process dies without running afterAll.
    process.once('exit', this.onExit);
  }

  async addNetns(purpose: string): Promise<Netns> {
    const name = uniqueNetnsName(purpose);
    await must(['ip', 'netns', 'add', name]);
    this.namespaces.push(name);
    await must(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
    return new Netns(name, this);
  }

  /** A veth pair between two namespaces, both ends addressed and up. */
  async addVeth(a: VethEnd, b: VethEnd): Promise<void> {
    await must([
      'ip',
      'link',
      'add',
      a.ifname,
      'netns',
      a.ns.name,
      'type',
      'veth',
      'peer',
      'name',
      b.ifname,
      'netns',
      b.ns.name,
    ]);
    for (const end of [a, b]) {
      await must(['ip', '-n', end.ns.name, 'addr', 'add', end.cidr, 'dev', end.ifname]);
      await must(['ip', '-n', end.ns.name, 'link', 'set', end.ifname, 'up']);
    }
  }

  track(child: ChildProcess): void {
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
  }

  /** Ends the lab's processes (by their pid: SIGTERM, then SIGKILL) and deletes its namespaces. */
  async cleanup(): Promise<void> {
    const exits = [...this.children].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          const timer = setTimeout(() => {
            c.kill('SIGKILL');
          }, 3000);
          c.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          c.kill('SIGTERM');
        }),
    );
    await Promise.all(exits);
    this.cleanupSync();
  }

  private cleanupSync(): void {
    for (const c of this.children) c.kill('SIGKILL');
    this.children.clear();
    for (const name of this.namespaces.splice(0)) {
      // Anything still inside (a grandchild that outlived its parent) was started by this lab.
      try {
        const pids = execFileSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).split(/\s+/);
        for (const pid of pids) if (/^\d+$/.test(pid)) process.kill(Number(pid), 'SIGKILL');
      } catch {
        // namespace already gone or process already ended
      }
      try {
        execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
    process.removeListener('exit', this.onExit);
  }
}
