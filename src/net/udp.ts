/**
 * The UDP endpoints of the server: IKE on port 500 and IKE + UDP-encapsulated ESP on 4500 (RFC 3947,
 * RFC 3948). Node's dgram has no IP_PKTINFO, so a socket bound to the wildcard cannot tell which local
 * address a datagram arrived on, and a reply could leave from another one (breaking the peer's IKE SA and
 * NAT mapping). So: one socket per local address and port, each datagram delivered with the local
 * endpoint it arrived on, replies sent from that same socket. By default every local IPv4 address is
 * bound and the set is rescanned to follow address changes; `listen` pins an explicit list.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { Counters } from '../util/counters.js';
import type { Logger } from '../util/log.js';
import { silentLogger } from '../util/log.js';

export interface UdpEndpoint {
  readonly address: string;
  readonly port: number;
}

/** One datagram; `local` is the (reused, frozen) endpoint of the socket it arrived on. */
export type UdpDatagramHandler = (msg: Buffer, remote: RemoteInfo, local: UdpEndpoint) => void;

export type UdpDropReason = 'send-error' | 'no-socket' | 'socket-error' | 'bind-failed';

export const IKE_PORT = 500;
export const NATT_PORT = 4500;

export interface UdpEndpointsOptions {
  /** Ports bound on every address (default [500, 4500]; 0 picks a free port, for tests). */
  ports?: readonly number[];
  /** Explicit local addresses (`--listen`); when absent, every local IPv4 address, followed over time. */
  listen?: readonly string[];
  /** How often to look for added or removed local addresses (default 5000 ms; 0 disables). */
  rescanIntervalMs?: number;
  /** Socket receive/send buffer size in bytes (default 4 MiB; the kernel caps it at rmem_max). */
  bufferBytes?: number;
  logger?: Logger;
  /** The current local IPv4 addresses (default: from os.networkInterfaces()); injectable for tests. */
  localAddresses?: () => string[];
}

interface Bound {
  socket: Socket;
  local: UdpEndpoint;
}

/** Every IPv4 address configured on this host's (this namespace's) interfaces, loopback included. */
export function localIpv4Addresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4') out.push(a.address);
  }
  return out;
}

export class UdpEndpoints {
  readonly counters = new Counters<UdpDropReason>();
  /** Keyed by "address|index in ports" (so two port-0 entries are two sockets). */
  private readonly sockets = new Map<string, Bound>();
  /** Keyed by "address:actual port", for `send`. */
  private readonly byLocal = new Map<string, Bound>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly ports: readonly number[];
  private readonly logger: Logger;

  constructor(
    private readonly onDatagram: UdpDatagramHandler,
    private readonly opts: UdpEndpointsOptions = {},
  ) {
    this.ports = opts.ports ?? [IKE_PORT, NATT_PORT];
    this.logger = opts.logger ?? silentLogger;
  }

  /**
   * Binds every address × port. With an explicit `listen` list any failure throws (the operator asked for
   * that address); otherwise failures are logged and retried at the next rescan, and start() throws only
   * when nothing at all could be bound.
   */
  async start(): Promise<void> {
    const explicit = this.opts.listen !== undefined;
    const failures = await this.sync();
    if (explicit && failures.length > 0) {
      await this.close();
      throw failures[0];
    }
    if (this.sockets.size === 0) {
      await this.close();
      throw failures[0] ?? new Error('no local IPv4 address to listen on');
    }
    const interval = this.opts.rescanIntervalMs ?? 5000;
    if (!explicit && interval > 0) {
      this.timer = setInterval(() => void this.sync(), interval);
      this.timer.unref();
    }
  }

  /** The endpoints currently bound (actual ports). */
  endpoints(): UdpEndpoint[] {
    return [...this.sockets.values()].map((b) => b.local);
  }

  /** Sends from the socket bound to `local`; false (counted) when there is none or sending failed. */
  send(local: UdpEndpoint, remote: UdpEndpoint, buf: Uint8Array, offset = 0, length = buf.length): boolean {
    const b = this.byLocal.get(`${local.address}:${local.port}`);
    if (!b) {
      this.counters.count('no-socket');
      return false;
    }
    try {
      b.socket.send(buf, offset, length, remote.port, remote.address);
      return true;
    } catch (err) {
      this.counters.count('send-error');
      this.logger.debug({ err, remote }, 'udp send failed');
      return false;
    }
  }

  /** Re-reads the local addresses now: binds new ones, closes sockets of vanished ones. */
  async sync(): Promise<Error[]> {
    if (this.closed) return [];
    const wanted = new Set(this.opts.listen ?? (this.opts.localAddresses ?? localIpv4Addresses)());
    const failures: Error[] = [];
    for (const [key, b] of this.sockets) {
      if (!wanted.has(b.local.address)) {
        this.logger.info({ local: b.local }, 'local address gone; closing its socket');
        this.drop(key, b);
        b.socket.close();
      }
    }
    const pending: Promise<void>[] = [];
    for (const address of wanted) {
      for (const [i, port] of this.ports.entries()) {
        const key = `${address}|${i}`;
        if (this.sockets.has(key)) continue;
        pending.push(
          this.bind(address, port).then(
            (b) => {
              if (this.closed) {
                b.socket.close();
                return;
              }
              this.sockets.set(key, b);
              this.byLocal.set(`${b.local.address}:${b.local.port}`, b);
              this.logger.info({ local: b.local }, 'listening');
            },
            (err: Error) => {
              this.counters.count('bind-failed');
              this.logger.warn({ address, port, err: err.message }, 'cannot bind');
              failures.push(err);
            },
          ),
        );
      }
    }
    await Promise.all(pending);
    return failures;
  }

  private bind(address: string, port: number): Promise<Bound> {
    return new Promise((resolve, reject) => {
      const socket = createSocket({ type: 'udp4', reuseAddr: false });
      const onError = (err: Error) => {
        socket.close();
        reject(err);
      };
      socket.once('error', onError);
      socket.bind({ address, port, exclusive: true }, () => {
        socket.off('error', onError);
        const size = this.opts.bufferBytes ?? 4 * 1024 * 1024;
        try {
          socket.setRecvBufferSize(size);
          socket.setSendBufferSize(size);
        } catch {
          // capped by the kernel: only headroom is lost
        }
        const local: UdpEndpoint = Object.freeze({ address, port: socket.address().port });
        const bound: Bound = { socket, local };
        socket.on('message', (msg, rinfo) => {
          try {
            this.onDatagram(msg, rinfo, local);
          } catch (err) {
            // A handler bug must not take the socket (and every other session) down.
            this.logger.error({ err, local }, 'udp datagram handler threw');
          }
        });
        socket.on('error', (err) => {
          this.counters.count('socket-error');
          this.logger.debug({ err, local }, 'udp socket error');
        });
        resolve(bound);
      });
    });
  }

  private drop(key: string, b: Bound): void {
    this.sockets.delete(key);
    this.byLocal.delete(`${b.local.address}:${b.local.port}`);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    const all = [...this.sockets.entries()];
    this.sockets.clear();
    this.byLocal.clear();
    await Promise.all(all.map(([, b]) => new Promise<void>((r) => b.socket.close(() => r()))));
  }
}
