/**
 * The local control socket: a unix stream socket (default /run/l2tpsec/control.sock, mode 0600, since the
 * answer names users and addresses) over which `l2tpsec status` asks the running server for a snapshot.
 * The protocol is one line in, one JSON document out, then the server closes:
 * - "status\n" → the JSON of a `StatusSnapshot`;
 * - "disconnect TARGET\n" → ends every session whose user name or assigned address is TARGET (LCP
 *   Terminate-Request, then the L2TP CDN) and answers with a `DisconnectResult`.
 * Errors are `{"error": "…"}`. Requests are capped in size and time.
 */
import { chmodSync, mkdirSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { Logger } from '../util/log.js';
import { silentLogger } from '../util/log.js';

/** One PPP session over L2TP over IPsec, as `status` shows it. */
export interface SessionStatus {
  readonly user: string;
  /** The client's outer address and port (after NAT: the NAT's). */
  readonly peer: { readonly address: string; readonly port: number };
  /** The inner address leased from the pool. */
  readonly assignedAddress: string;
  /** Guessed from IKE vendor IDs and the L2TP Host Name / Vendor Name AVPs: windows, macos, ios, android, linux, … */
  readonly clientFamily: string;
  /** When the session came up (ISO 8601). */
  readonly establishedAt: string;
  readonly uptimeSeconds: number;
  /** Inner (tunnelled IP) traffic. */
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly packetsIn: number;
  readonly packetsOut: number;
  /** ESP SPIs as 8 hex digits: inbound (ours) and outbound (the peer's). */
  readonly spis: { readonly inbound: string; readonly outbound: string };
  /** UDP encapsulation on 4500 (RFC 3948) or raw ESP. */
  readonly encapsulation: 'udp' | 'esp';
  /** Further per-session facts a layer wants to show (cipher suite, L2TP tunnel/session ids, …). */
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

export interface StatusSnapshot {
  readonly version: string;
  readonly pid: number;
  readonly startedAt: string;
  readonly uptimeSeconds: number;
  readonly sessions: readonly SessionStatus[];
  /** Per layer, per reason: the same `Counters` the logs and tests read. */
  readonly counters: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly pool?: { readonly size: number; readonly available: number; readonly leased: number };
  /** Gauges of what exists right now (IKE SAs, ESP SAs, L2TP tunnels and sessions, PPP sessions, peers). */
  readonly live?: Readonly<Record<string, number>>;
}

export type StatusProvider = () => StatusSnapshot;

/** What `disconnect` ended: each session's user and address, as `status` showed them. */
export interface DisconnectResult {
  readonly disconnected: ReadonlyArray<{ readonly user: string; readonly assignedAddress: string }>;
}

/** The server side of the socket's commands. */
export interface ControlCommands {
  status: StatusProvider;
  /** Ends the sessions of a user name or an assigned address; absent = the command is refused. */
  disconnect?: (target: string) => DisconnectResult;
}

const MAX_REQUEST = 1024;
const REQUEST_TIMEOUT_MS = 5000;

export class ControlSocketInUseError extends Error {
  constructor(readonly path: string) {
    super(`another l2tpsec server is answering on ${path}`);
    this.name = 'ControlSocketInUseError';
  }
}

export class ControlSocket {
  private constructor(
    private readonly server: Server,
    readonly path: string,
  ) {}

  /**
   * Listens on `path` (creating its directory), replacing a stale socket file left by a dead server but
   * refusing to steal one that still answers.
   */
  static async listen(
    path: string,
    commands: StatusProvider | ControlCommands,
    logger: Logger = silentLogger,
  ): Promise<ControlSocket> {
    const handlers: ControlCommands = typeof commands === 'function' ? { status: commands } : commands;
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    if (await answers(path)) throw new ControlSocketInUseError(path);
    try {
      unlinkSync(path);
    } catch {
      // no stale socket
    }
    const server = createServer((conn) => serve(conn, handlers, logger));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    chmodSync(path, 0o600);
    server.on('error', (err) => logger.warn({ err }, 'control socket error'));
    server.unref();
    return new ControlSocket(server, path);
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()));
    try {
      unlinkSync(this.path);
    } catch {
      // already gone
    }
  }
}

function serve(conn: Socket, handlers: ControlCommands, logger: Logger): void {
  let request = '';
  conn.setTimeout(REQUEST_TIMEOUT_MS, () => conn.destroy());
  conn.on('error', () => {});
  conn.on('data', (chunk) => {
    request += chunk.toString('utf8');
    if (request.length > MAX_REQUEST) {
      conn.end(`${JSON.stringify({ error: 'request too long' })}\n`);
      return;
    }
    const nl = request.indexOf('\n');
    if (nl < 0) return;
    conn.removeAllListeners('data');
    conn.end(`${answer(request.slice(0, nl).trim(), handlers, logger)}\n`);
  });
}

/** One command line → one JSON answer. */
function answer(line: string, handlers: ControlCommands, logger: Logger): string {
  const [command, ...args] = line.split(/\s+/);
  try {
    if (command === 'status' && args.length === 0) return JSON.stringify(handlers.status());
    if (command === 'disconnect' && handlers.disconnect !== undefined) {
      if (args.length !== 1) return JSON.stringify({ error: 'usage: disconnect <user or address>' });
      const result = handlers.disconnect(args[0]);
      logger.info({ target: args[0], sessions: result.disconnected.length }, 'disconnect requested');
      return JSON.stringify(result);
    }
  } catch (err) {
    logger.error({ err, command }, 'control command failed');
    return JSON.stringify({ error: command === 'status' ? 'status snapshot failed' : `${command} failed` });
  }
  const known = handlers.disconnect === undefined ? 'status' : 'status, disconnect';
  return JSON.stringify({ error: `unknown command '${line.slice(0, 40)}' (known: ${known})` });
}

/** Whether a server answers on `path` (a connect succeeds). */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export class ControlQueryError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'ControlQueryError';
  }
}

/** Asks the server on `path` for its status. */
export function queryStatus(path: string, timeoutMs = 5000): Promise<StatusSnapshot> {
  return query<StatusSnapshot>(path, 'status', timeoutMs);
}

/** Asks the server on `path` to end the sessions of a user name or an assigned address. */
export function requestDisconnect(path: string, target: string, timeoutMs = 5000): Promise<DisconnectResult> {
  if (target === '' || /\s/.test(target)) {
    return Promise.reject(new ControlQueryError(`not a user name or address: '${target}'`, path));
  }
  return query<DisconnectResult>(path, `disconnect ${target}`, timeoutMs);
}

function query<T>(path: string, line: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    let data = '';
    const fail = (msg: string) => {
      s.destroy();
      reject(new ControlQueryError(msg, path));
    };
    s.setTimeout(timeoutMs, () => fail(`no answer from ${path} within ${timeoutMs} ms`));
    s.once('connect', () => s.write(`${line}\n`));
    s.on('data', (c) => {
      data += c.toString('utf8');
    });
    s.once('error', (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'ENOENT' || err.code === 'ECONNREFUSED'
          ? `no l2tpsec server is running (nothing answers on ${path})`
          : err.code === 'EACCES'
            ? `permission denied on ${path} (run as root)`
            : `${path}: ${err.message}`;
      fail(why);
    });
    s.once('end', () => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(data);
      } catch {
        fail(`malformed answer from ${path}`);
        return;
      }
      const obj = parsed as { error?: string };
      if (typeof obj === 'object' && obj !== null && typeof obj.error === 'string') {
        fail(`server: ${obj.error}`);
        return;
      }
      resolve(parsed as T);
    });
  });
}
