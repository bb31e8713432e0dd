/**
 * Two network namespaces joined by one veth pair, for `l2tpsec bench e2e`: uniquely named
 * (`l2s-bench-<side>-<pid>`), the processes started in them tracked by pid, and everything removed by
 * `destroy()` (also at process exit as a last resort). Traffic only ever flows between these namespaces.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';

export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs argv to completion; resolves with its exit code (never rejects). */
export function exec(
  argv: readonly string[],
  timeoutMs = 60_000,
  env?: NodeJS.ProcessEnv,
): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(
      argv[0],
      argv.slice(1),
      { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 << 20, env },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr: err && !stderr ? err.message : stderr });
      },
    );
  });
}

export async function mustExec(
  argv: readonly string[],
  timeoutMs?: number,
  env?: NodeJS.ProcessEnv,
): Promise<string> {
  const r = await exec(argv, timeoutMs, env);
  if (r.code !== 0)
    throw new Error(`${argv.join(' ')} failed (${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

export interface PairSpec {
  /** Short word in the namespace names. */
  readonly purpose: string;
  /** Outer addresses of the two ends, with prefix (e.g. 198.18.3.1/24). */
  readonly left: string;
  readonly right: string;
}

export class NamespacePair {
  readonly left: string;
  readonly right: string;
  private readonly children = new Set<ChildProcess>();
  private created: string[] = [];
  private readonly onExit = () => this.destroySync();

  constructor(spec: PairSpec) {
    this.left = `l2s-bench-${spec.purpose}-l-${process.pid}`;
    this.right = `l2s-bench-${spec.purpose}-r-${process.pid}`;
    process.once('exit', this.onExit);
  }

  /** Creates both namespaces and the veth between them (`eth0` on each side), up and addressed. */
  async create(spec: PairSpec): Promise<void> {
    for (const ns of [this.left, this.right]) {
      await mustExec(['ip', 'netns', 'add', ns]);
      this.created.push(ns);
      await mustExec(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    }
    await mustExec([
      'ip',
      'link',
      'add',
      'eth0',
      'netns',
      this.left,
      'type',
      'veth',
      'peer',
      'name',
      'eth0',
      'netns',
      this.right,
    ]);
    for (const [ns, cidr] of [
      [this.left, spec.left],
      [this.right, spec.right],
    ] as const) {
      await mustExec(['ip', '-n', ns, 'addr', 'add', cidr, 'dev', 'eth0']);
      await mustExec(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
    }
  }

  /** Runs a command inside `ns`. */
  exec(
    ns: string,
    argv: readonly string[],
    timeoutMs?: number,
    env?: NodeJS.ProcessEnv,
  ): Promise<ExecResult> {
    return exec(['ip', 'netns', 'exec', ns, ...argv], timeoutMs, env);
  }

  /** Starts a command inside `ns` (stdout and stderr piped); ended at destroy() if still running. */
  spawn(ns: string, argv: readonly string[], env?: NodeJS.ProcessEnv): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], env });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** SIGTERM to every process still running (by pid), SIGKILL after 5 s, then the namespaces go. */
  async destroy(): Promise<void> {
    await Promise.all(
      [...this.children].map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            const t = setTimeout(() => c.kill('SIGKILL'), 5000);
            c.once('exit', () => {
              clearTimeout(t);
              resolve();
            });
            c.kill('SIGTERM');
          }),
      ),
    );
    this.destroySync();
  }

  private destroySync(): void {
    for (const c of this.children) c.kill('SIGKILL');
    this.children.clear();
    for (const ns of this.created.splice(0)) {
      try {
        const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split(/\s+/);
        // Anything left inside was started by this benchmark (a grandchild that outlived its parent).
        for (const pid of pids) if (/^\d+$/.test(pid)) process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
    process.removeListener('exit', this.onExit);
  }
}

/** Lines of a child's stream, as they arrive. */
export function collectLines(
  child: ChildProcess,
  stream: 'stdout' | 'stderr',
  into: string[],
  onLine?: () => void,
): void {
  let rest = '';
  child[stream]?.setEncoding('utf8');
  child[stream]?.on('data', (chunk: string) => {
    rest += chunk;
    let nl = rest.indexOf('\n');
    while (nl >= 0) {
      into.push(rest.slice(0, nl));
      rest = rest.slice(nl + 1);
      nl = rest.indexOf('\n');
    }
    onLine?.();
  });
}

/** Polls `probe` every `intervalMs` until it returns a value, or throws `what` after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  what: string,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export interface IperfResult {
  readonly seconds: number;
  readonly receivedMbps: number;
  readonly sentMbps: number;
  readonly retransmits: number;
}

/**
 * iperf3 TCP, one stream: the server (`-s -1`, one test then exit) in `serverNs` bound to `serverAddress`,
 * the client in `clientNs` (bound to `clientAddress` when given).
 */
export async function iperf3Tcp(
  pair: NamespacePair,
  serverNs: string,
  serverAddress: string,
  clientNs: string,
  seconds: number,
  clientAddress?: string,
): Promise<IperfResult> {
  const srv = pair.spawn(serverNs, ['iperf3', '-s', '-1', '-B', serverAddress]);
  try {
    // iperf3's banner is block-buffered into a pipe: wait for its listening socket instead.
    await waitFor(
      async () => {
        if (srv.exitCode !== null) throw new Error('iperf3 server exited at start');
        const r = await pair.exec(serverNs, ['ss', '-Htln', 'sport', '=', ':5201']);
        return r.stdout.trim() !== '' ? true : undefined;
      },
      10_000,
      'the iperf3 server',
    );
    const argv = ['iperf3', '-c', serverAddress, '-t', String(seconds), '-J'];
    if (clientAddress !== undefined) argv.push('-B', clientAddress);
    const r = await pair.exec(clientNs, argv, (seconds + 30) * 1000);
    if (r.code !== 0) throw new Error(`iperf3 failed (${r.code}): ${r.stderr || r.stdout.slice(0, 400)}`);
    const j = JSON.parse(r.stdout) as {
      end: {
        sum_sent: { bits_per_second: number; retransmits?: number; seconds: number };
        sum_received: { bits_per_second: number };
      };
    };
    return {
      seconds: j.end.sum_sent.seconds,
      sentMbps: j.end.sum_sent.bits_per_second / 1e6,
      receivedMbps: j.end.sum_received.bits_per_second / 1e6,
      retransmits: j.end.sum_sent.retransmits ?? 0,
    };
  } finally {
    if (srv.exitCode === null && srv.signalCode === null) srv.kill('SIGTERM');
  }
}
