/**
 * The real `l2tpsec` CLI as separate processes inside the end-to-end namespaces (issue 7): `server` in the
 * server's namespace, `connect` in a client's, `status --json` over the server's control socket. Each
 * process's stdout and stderr are kept line by line (pino writes JSON to stderr; `connect --json` writes its
 * events to stdout), so a test can wait for a line and show everything a process said when it fails.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { DisconnectResult, StatusSnapshot } from '../../../src/server/control-socket.js';
import type { Topology } from '../../server/support/topology.js';
import { run } from '../../support/netns.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const CLI = resolve(ROOT, 'bin/l2tpsec.js');

/** Why the compiled CLI cannot run (dist/ not built), or undefined. */
export function cliUnavailable(): string | undefined {
  return existsSync(resolve(ROOT, 'dist/src/cli/main.js'))
    ? undefined
    : 'dist/ is not built: run `npx tsc -p tsconfig.build.json` (npm ci does it through `prepare`)';
}

export interface LineRecord {
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
  /** The line parsed as JSON, when it is JSON. */
  readonly json: Record<string, unknown> | undefined;
}

/** One CLI process and everything it printed. */
export class CliProcess {
  readonly lines: LineRecord[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: Array<() => void> = [];

  constructor(
    readonly label: string,
    readonly child: ChildProcess,
  ) {
    for (const stream of ['stdout', 'stderr'] as const) {
      let rest = '';
      child[stream]?.setEncoding('utf8');
      child[stream]?.on('data', (chunk: string) => {
        rest += chunk;
        let nl = rest.indexOf('\n');
        while (nl >= 0) {
          this.push(stream, rest.slice(0, nl));
          rest = rest.slice(nl + 1);
          nl = rest.indexOf('\n');
        }
      });
      child[stream]?.on('end', () => {
        if (rest !== '') this.push(stream, rest);
        rest = '';
      });
    }
    this.exited = new Promise((resolveExit) => {
      child.once('close', (code, signal) => {
        this.notify();
        resolveExit({ code, signal });
      });
    });
  }

  private push(stream: 'stdout' | 'stderr', text: string): void {
    let json: Record<string, unknown> | undefined;
    if (text.startsWith('{')) {
      try {
        json = JSON.parse(text) as Record<string, unknown>;
      } catch {
        json = undefined;
      }
    }
    this.lines.push({ stream, text, json });
    this.notify();
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The first line (from the start) matching `pred`; rejects after `timeoutMs` or when the process ends. */
  async waitForLine(pred: (l: LineRecord) => boolean, timeoutMs: number, what: string): Promise<LineRecord> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.lines.find(pred);
      if (hit !== undefined) return hit;
      if (!this.running) throw new Error(`${this.label} ended before ${what}:\n${this.transcript()}`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`${this.label}: no ${what} within ${timeoutMs} ms:\n${this.transcript()}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** `connect --json` events on stdout. */
  event(name: string): Record<string, unknown> | undefined {
    return this.lines.find((l) => l.stream === 'stdout' && l.json?.event === name)?.json;
  }

  waitForEvent(name: string, timeoutMs: number): Promise<LineRecord> {
    return this.waitForLine(
      (l) => l.stream === 'stdout' && l.json?.event === name,
      timeoutMs,
      `event "${name}"`,
    );
  }

  /** pino lines whose msg contains `text`. */
  logged(text: string): LineRecord[] {
    return this.lines.filter((l) => typeof l.json?.msg === 'string' && l.json.msg.includes(text));
  }

  transcript(last = 60): string {
    return this.lines
      .slice(-last)
      .map((l) => `  [${this.label} ${l.stream}] ${l.text}`)
      .join('\n');
  }

  /** SIGTERM (by pid) and the exit status. */
  async terminate(timeoutMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

export interface ServerUsers {
  readonly psk: string;
  /** The first is VPN_USER/VPN_PASSWORD, the rest VPN_ADDL_USERS/VPN_ADDL_PASSWORDS. */
  readonly users: ReadonlyArray<{ readonly name: string; readonly password: string }>;
}

/** Starts `l2tpsec server` in the topology's server namespace; resolves once it listens. */
export async function startServer(
  topo: Topology,
  users: ServerUsers,
  controlPath: string,
  extraArgs: readonly string[] = [],
): Promise<CliProcess> {
  const [first, ...more] = users.users;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    VPN_IPSEC_PSK: users.psk,
    VPN_USER: first.name,
    VPN_PASSWORD: first.password,
    ...(more.length > 0
      ? {
          VPN_ADDL_USERS: more.map((u) => u.name).join(' '),
          VPN_ADDL_PASSWORDS: more.map((u) => u.password).join(' '),
        }
      : {}),
  };
  const child = topo.spawn(
    topo.server.netns,
    process.execPath,
    [CLI, 'server', '--control', controlPath, ...extraArgs],
    {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const p = new CliProcess('server', child);
  await p.waitForLine(
    (l) => l.json?.msg === 'l2tpsec server listening on UDP 500 and 4500',
    20_000,
    'listening',
  );
  return p;
}

export interface ConnectArgs {
  readonly server: string;
  readonly psk: string;
  readonly user: string;
  readonly password: string;
  readonly routes?: readonly string[];
  readonly timeoutSeconds?: number;
  /** Further `connect` flags (e.g. --cert/--key/--ca). */
  readonly extraArgs?: readonly string[];
}

/** Starts `l2tpsec connect --json` in client `index`'s namespace (does not wait). */
export function startClient(
  topo: Topology,
  index: number,
  a: ConnectArgs,
  label = `client${index}`,
): CliProcess {
  const args = [
    CLI,
    'connect',
    '--server',
    a.server,
    '--psk',
    a.psk,
    '--user',
    a.user,
    '--password',
    a.password,
    '--json',
    '--timeout',
    String(a.timeoutSeconds ?? 20),
  ];
  for (const r of a.routes ?? []) args.push('--route', r);
  args.push(...(a.extraArgs ?? []));
  const child = topo.spawn(topo.clients[index].netns, process.execPath, args, {
    env: { PATH: process.env.PATH },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new CliProcess(label, child);
}

/** `l2tpsec status --json --control PATH`, parsed. */
export async function queryStatusCli(controlPath: string): Promise<StatusSnapshot> {
  const r = await run([process.execPath, CLI, 'status', '--json', '--control', controlPath], {
    timeoutMs: 10_000,
  });
  if (r.code !== 0) throw new Error(`l2tpsec status failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as StatusSnapshot;
}

/** `l2tpsec disconnect <target> --json` against the server's control socket. */
export async function disconnectCli(
  controlPath: string,
  target: string,
): Promise<{ code: number | null; result: DisconnectResult }> {
  const r = await run([process.execPath, CLI, 'disconnect', target, '--json', '--control', controlPath], {
    timeoutMs: 10_000,
  });
  if (r.stdout === '') throw new Error(`l2tpsec disconnect failed (${r.code}): ${r.stderr}`);
  return { code: r.code, result: JSON.parse(r.stdout) as DisconnectResult };
}

/** What is alive on the server right now (src/server/server.ts `liveState`, `live` in the snapshot). */
export function live(s: StatusSnapshot): Record<string, number> {
  return { ...(s.live ?? {}) };
}

/** Polls `check` until it returns true (or throws the last failure after `timeoutMs`). */
export async function eventually<T>(
  probe: () => Promise<T>,
  check: (v: T) => boolean,
  timeoutMs: number,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (check(v) || Date.now() >= deadline) return v;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** The interfaces of a namespace (names only). */
export async function links(topo: Topology, ns: string): Promise<string[]> {
  const out = await topo.exec(ns, 'ip', ['-o', 'link', 'show']);
  return out
    .split('\n')
    .map((l) => /^\d+:\s+([^:@]+)/.exec(l)?.[1])
    .filter((n): n is string => n !== undefined);
}

/**
 * iperf3 TCP, one stream, from a client's namespace to the host behind the server; returns the receiver's
 * Mbit/s. The server side (`-s -1`) runs in the host's namespace and ends after that one test.
 */
export async function iperf3(
  topo: Topology,
  clientNs: string,
  target: string,
  seconds: number,
): Promise<{ sentMbps: number; receivedMbps: number; retransmits: number }> {
  const srv = topo.spawn(topo.host.netns, 'iperf3', ['-s', '-1', '-B', target]);
  try {
    // Its stdout is block-buffered into a pipe: wait for the listening socket instead of its banner.
    const listening = await eventually(
      () => topo.exec(topo.host.ns, 'ss', ['-Htln', 'sport', '=', ':5201']),
      (out) => out.trim() !== '' || srv.exitCode !== null,
      10_000,
      100,
    );
    if (listening.trim() === '') throw new Error('iperf3 server did not start');
    const r = await run(
      ['ip', 'netns', 'exec', clientNs, 'iperf3', '-c', target, '-t', String(seconds), '-J'],
      {
        timeoutMs: (seconds + 20) * 1000,
      },
    );
    if (r.code !== 0)
      throw new Error(`iperf3 client failed (${r.code}): ${r.stderr || r.stdout.slice(0, 500)}`);
    const j = JSON.parse(r.stdout) as {
      end: {
        sum_sent: { bits_per_second: number; retransmits?: number };
        sum_received: { bits_per_second: number };
      };
    };
    return {
      sentMbps: j.end.sum_sent.bits_per_second / 1e6,
      receivedMbps: j.end.sum_received.bits_per_second / 1e6,
      retransmits: j.end.sum_sent.retransmits ?? 0,
    };
  } finally {
    if (srv.exitCode === null && srv.signalCode === null) srv.kill('SIGTERM');
  }
}

/**
 * Waits (up to 5 s) until the server behind `control` holds no session, IKE SA, ESP SA or PPP session, then
 * asserts that nothing at all remains: no session, no lease, no IKE SA (half-open included), no ESP SA, no
 * PPP or L2TP session, no peer. The L2TP tunnel record alone may linger 31 s (RFC 2661 section 5.7), so it
 * is not checked. Returns the snapshot for further checks.
 */
export async function expectServerHoldsNothing(control: string): Promise<StatusSnapshot> {
  const snap = await eventually(
    () => queryStatusCli(control),
    (s) =>
      s.sessions.length === 0 && live(s).ikeSas === 0 && live(s).espSas === 0 && live(s).pppSessions === 0,
    5000,
  );
  expect(snap.sessions).toEqual([]);
  expect(snap.pool).toMatchObject({ leased: 0 });
  expect(live(snap)).toMatchObject({
    ikeSas: 0,
    ikeHalfOpen: 0,
    espSas: 0,
    pppSessions: 0,
    peers: 0,
    l2tpSessions: 0,
  });
  return snap;
}
