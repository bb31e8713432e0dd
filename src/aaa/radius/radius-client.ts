/**
 * The RADIUS client transport (RFC 2865 section 2.5, retransmission hints): one UDP
 * socket per address family, an Identifier per outstanding request (so at most 256 in flight; the bound
 * is `maxOutstanding`), retransmission of the same bytes after `timeoutMs` up to `retries` times, then
 * failover to the next configured server (re-encoded: each server has its own secret, hence its own
 * hidden password and authenticators). A reply is used only when its Identifier matches an outstanding
 * request, it comes from the server that request was last sent to, its Code fits, and it verifies
 * (Response Authenticator; Message-Authenticator required on Access-* replies). Everything else is
 * counted and dropped.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { type Rng, systemRng } from '../../util/clock.js';
import { Counters } from '../../util/counters.js';
import { type Logger, silentLogger } from '../../util/log.js';
import {
  RADIUS_HEADER_LENGTH,
  type RadiusAttribute,
  RadiusCode,
  RadiusDecodeError,
  type RadiusPacket,
} from './packet.js';
import { RadiusVerifyError, signAccessRequest, signAccountingRequest, verifyResponse } from './signing.js';

export interface RadiusServerEndpoint {
  readonly address: string;
  /** RFC 2865 section 3: 1812. */
  readonly authPort: number;
  /** RFC 2866 section 3: 1813. */
  readonly acctPort: number;
  readonly secret: string;
}

export interface RadiusSocket {
  send(datagram: Buffer, port: number, address: string): void;
  close(): void;
}

/** Opens the socket for one family; `onMessage` gets every datagram it receives. */
export type RadiusSocketFactory = (
  family: 'udp4' | 'udp6',
  onMessage: (msg: Buffer, from: { readonly address: string; readonly port: number }) => void,
) => Promise<RadiusSocket>;

export interface RadiusClientOptions {
  readonly servers: readonly RadiusServerEndpoint[];
  /** Wait per transmission before retransmitting (default 3000 ms). */
  readonly timeoutMs?: number;
  /** Retransmissions to one server before failing over to the next (default 2). */
  readonly retries?: number;
  /** Requests in flight at once, at most 256 (one Identifier each); more are refused (default 256). */
  readonly maxOutstanding?: number;
  readonly rng?: Rng;
  readonly log?: Logger;
  readonly socketFactory?: RadiusSocketFactory;
}

/** One request: its service (port), Code, and its attributes as encoded for a given server. */
export interface RadiusExchange {
  readonly service: 'auth' | 'acct';
  readonly code: number;
  /** Called once per server tried: User-Password hiding depends on the secret and Request Authenticator. */
  attributes(ctx: {
    readonly secret: Buffer;
    readonly requestAuthenticator: Buffer;
  }): readonly RadiusAttribute[];
}

export type RadiusClientCounter =
  | 'sent'
  | 'retransmitted'
  | 'failover'
  | 'timeout'
  | 'busy'
  | 'answered'
  | 'malformed'
  | 'unknown-identifier'
  | 'unexpected-source'
  | 'unexpected-code'
  | 'bad-response-authenticator'
  | 'missing-message-authenticator'
  | 'bad-message-authenticator';

/** No server answered (after every retransmission to every server). */
export class RadiusTimeoutError extends Error {
  constructor(readonly tried: readonly string[]) {
    super(`no RADIUS answer from ${tried.join(', ')}`);
    this.name = 'RadiusTimeoutError';
  }
}

/** `maxOutstanding` requests are already in flight, or the client is closed. */
export class RadiusBusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RadiusBusyError';
  }
}

interface Pending {
  readonly id: number;
  readonly exchange: RadiusExchange;
  readonly resolve: (p: RadiusPacket) => void;
  readonly reject: (e: Error) => void;
  readonly tried: string[];
  /** Servers still to try after the current one, in order. */
  readonly queue: number[];
  serverIndex: number;
  address: string;
  port: number;
  secret: Buffer;
  requestAuthenticator: Buffer;
  bytes: Buffer;
  transmissions: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

const udpSocketFactory: RadiusSocketFactory = (family, onMessage) =>
  new Promise((resolve, reject) => {
    const s: Socket = createSocket(family);
    s.on('message', (msg, rinfo) => onMessage(msg, rinfo));
    s.once('error', reject);
    s.bind(0, () => {
      s.off('error', reject);
      // Send errors (ICMP unreachable surfacing as ECONNREFUSED) are not fatal: the timer retries.
      s.on('error', () => {});
      resolve({
        send: (d, port, address) => s.send(d, port, address, () => {}),
        close: () => s.close(),
      });
    });
  });

export class RadiusClient {
  readonly counters = new Counters<RadiusClientCounter>();
  private readonly pending = new Map<number, Pending>();
  private readonly sockets = new Map<'udp4' | 'udp6', RadiusSocket>();
  private readonly secrets: Buffer[];
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly maxOutstanding: number;
  private readonly rng: Rng;
  private readonly log: Logger;
  private nextId: number;
  /** The server that answered last: where the next request starts. */
  private preferred = 0;
  private closed = false;
  private lastDropLog = 0;

  private constructor(
    private readonly servers: readonly RadiusServerEndpoint[],
    opts: RadiusClientOptions,
  ) {
    this.secrets = servers.map((s) => Buffer.from(s.secret, 'utf8'));
    this.timeoutMs = opts.timeoutMs ?? 3000;
    this.retries = opts.retries ?? 2;
    this.maxOutstanding = Math.min(256, Math.max(1, opts.maxOutstanding ?? 256));
    this.rng = opts.rng ?? systemRng;
    this.log = opts.log ?? silentLogger;
    this.nextId = this.rng(1)[0];
  }

  static async open(opts: RadiusClientOptions): Promise<RadiusClient> {
    if (opts.servers.length === 0) throw new RangeError('RADIUS needs at least one server');
    const client = new RadiusClient(opts.servers, opts);
    const factory = opts.socketFactory ?? udpSocketFactory;
    const families = new Set(opts.servers.map((s): 'udp4' | 'udp6' => (isIPv6(s.address) ? 'udp6' : 'udp4')));
    try {
      for (const f of families) client.sockets.set(f, await factory(f, (m, from) => client.receive(m, from)));
    } catch (err) {
      for (const s of client.sockets.values()) s.close();
      throw err;
    }
    return client;
  }

  get outstanding(): number {
    return this.pending.size;
  }

  /** Sends the request and resolves with the verified reply; rejects with RadiusTimeoutError/BusyError. */
  exchange(exchange: RadiusExchange): Promise<RadiusPacket> {
    if (this.closed) return Promise.reject(new RadiusBusyError('RADIUS client closed'));
    const id = this.allocateId();
    if (id === undefined) {
      this.counters.count('busy');
      return Promise.reject(new RadiusBusyError(`${this.pending.size} RADIUS requests already outstanding`));
    }
    return new Promise<RadiusPacket>((resolve, reject) => {
      const order: number[] = [];
      for (let i = 0; i < this.servers.length; i++) order.push((this.preferred + i) % this.servers.length);
      const first = order.shift() ?? 0;
      const p: Pending = {
        id,
        exchange,
        resolve,
        reject,
        tried: [],
        queue: order,
        serverIndex: first,
        address: '',
        port: 0,
        secret: this.secrets[first],
        requestAuthenticator: Buffer.alloc(16),
        bytes: Buffer.alloc(0),
        transmissions: 0,
        timer: undefined,
      };
      this.pending.set(id, p);
      this.startServer(p, first);
    });
  }

  /** Rejects everything outstanding and closes the sockets. */
  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new RadiusBusyError('RADIUS client closed'));
    }
    this.pending.clear();
    for (const s of this.sockets.values()) s.close();
    this.sockets.clear();
  }

  private allocateId(): number | undefined {
    if (this.pending.size >= this.maxOutstanding) return undefined;
    for (let i = 0; i < 256; i++) {
      const id = (this.nextId + i) & 0xff;
      if (!this.pending.has(id)) {
        this.nextId = (id + 1) & 0xff;
        return id;
      }
    }
    return undefined;
  }

  /** Encodes the request for server `index` (its secret, a fresh Request Authenticator) and sends it. */
  private startServer(p: Pending, index: number): void {
    const server = this.servers[index];
    const secret = this.secrets[index];
    p.serverIndex = index;
    p.secret = secret;
    p.address = server.address;
    p.port = p.exchange.service === 'auth' ? server.authPort : server.acctPort;
    p.transmissions = 0;
    p.tried.push(`${server.address}:${p.port}`);
    try {
      if (p.exchange.service === 'auth') {
        // RFC 2865 section 3: the Request Authenticator is unpredictable and unique over the secret's life.
        const requestAuthenticator = this.rng(16);
        p.requestAuthenticator = requestAuthenticator;
        p.bytes = signAccessRequest(
          {
            code: p.exchange.code,
            identifier: p.id,
            authenticator: requestAuthenticator,
            attributes: p.exchange.attributes({ secret, requestAuthenticator }),
          },
          secret,
        );
      } else {
        const zero = Buffer.alloc(16);
        p.bytes = signAccountingRequest(
          {
            code: p.exchange.code,
            identifier: p.id,
            authenticator: zero,
            attributes: p.exchange.attributes({ secret, requestAuthenticator: zero }),
          },
          secret,
        );
        p.requestAuthenticator = Buffer.from(p.bytes.subarray(4, 20));
      }
    } catch (err) {
      this.finish(p);
      p.reject(err as Error);
      return;
    }
    this.transmit(p);
  }

  private transmit(p: Pending): void {
    const socket = this.sockets.get(isIPv6(p.address) ? 'udp6' : 'udp4');
    p.transmissions++;
    this.counters.count(p.transmissions === 1 ? 'sent' : 'retransmitted');
    socket?.send(p.bytes, p.port, p.address);
    p.timer = setTimeout(() => this.expire(p), this.timeoutMs);
  }

  private expire(p: Pending): void {
    p.timer = undefined;
    if (this.pending.get(p.id) !== p) return;
    if (p.transmissions <= this.retries) {
      this.transmit(p);
      return;
    }
    const next = p.queue.shift();
    if (next !== undefined) {
      this.counters.count('failover');
      this.log.warn({ server: p.tried[p.tried.length - 1] }, 'RADIUS server not answering; failing over');
      this.startServer(p, next);
      return;
    }
    this.counters.count('timeout');
    this.finish(p);
    p.reject(new RadiusTimeoutError(p.tried));
  }

  private finish(p: Pending): void {
    clearTimeout(p.timer);
    p.timer = undefined;
    this.pending.delete(p.id);
  }

  private drop(reason: RadiusClientCounter, from: { address: string; port: number }): void {
    const total = this.counters.count(reason);
    // Rate-limited: a flood of forged replies must not flood the log (the counters keep the totals).
    const now = Date.now();
    if (now - this.lastDropLog < 1000) return;
    this.lastDropLog = now;
    this.log.debug({ reason, total, from: `${from.address}:${from.port}` }, 'RADIUS datagram dropped');
  }

  private receive(msg: Buffer, from: { readonly address: string; readonly port: number }): void {
    if (msg.length < RADIUS_HEADER_LENGTH) {
      this.drop('malformed', from);
      return;
    }
    const p = this.pending.get(msg[1]);
    if (p === undefined) {
      this.drop('unknown-identifier', from);
      return;
    }
    if (from.address !== p.address || from.port !== p.port) {
      this.drop('unexpected-source', from);
      return;
    }
    const code = msg[0];
    const fits =
      p.exchange.service === 'auth'
        ? code === RadiusCode.AccessAccept ||
          code === RadiusCode.AccessReject ||
          code === RadiusCode.AccessChallenge
        : code === RadiusCode.AccountingResponse;
    if (!fits) {
      this.drop('unexpected-code', from);
      return;
    }
    let reply: RadiusPacket;
    try {
      reply = verifyResponse(msg, p.requestAuthenticator, p.secret, {
        requireMessageAuthenticator: p.exchange.service === 'auth',
      });
    } catch (err) {
      if (err instanceof RadiusVerifyError) {
        this.drop(err.reason, from);
        return;
      }
      if (err instanceof RadiusDecodeError) {
        this.drop('malformed', from);
        return;
      }
      throw err;
    }
    this.counters.count('answered');
    this.preferred = p.serverIndex;
    this.finish(p);
    p.resolve(reply);
  }
}
