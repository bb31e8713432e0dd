/**
 * The local control socket: a unix stream socket (default /run/l2tpsec/control.sock, mode 0600, since the
 * answer names users and addresses) over which `l2tpsec status` asks the running server for a snapshot.
 * The protocol is one line in, one JSON document out: the client writes "status\n", the server answers
 * with the JSON of a `StatusSnapshot` and a newline, then closes. Requests are capped in size and time.
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
    status: StatusProvider,
    logger: Logger = silentLogger,
  ): Promise<ControlSocket> {
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    if (await answers(path)) throw new ControlSocketInUseError(path);
    try {
      unlinkSync(path);
    } catch {
      // no stale socket
    }
    const server = createServer((conn) => serve(conn, status, logger));
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

function serve(conn: Socket, status: StatusProvider, logger: Logger): void {
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
    const command = request.slice(0, nl).trim();
    conn.removeAllListeners('data');
    if (command !== 'status') {
      conn.end(`${JSON.stringify({ error: `unknown command '${command.slice(0, 40)}' (known: status)` })}\n`);
      return;
    }
    let body: string;
    try {
      body = JSON.stringify(status());
    } catch (err) {
      logger.error({ err }, 'status snapshot failed');
      body = JSON.stringify({ error: 'status snapshot failed' });
    }
    conn.end(`${body}\n`);
  });
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
  return new Promise((resolve, reject) => {
    const s = connect(path);
    let data = '';
    const fail = (msg: string) => {
      s.destroy();
      reject(new ControlQueryError(msg, path));
    };
    s.setTimeout(timeoutMs, () => fail(`no answer from ${path} within ${timeoutMs} ms`));
    s.once('connect', () => s.write('status\n'));
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
      resolve(parsed as StatusSnapshot);
    });
  });
}
