/**
 * The real outer edge of an endpoint: UDP 500 and 4500 (RFC 3947, RFC 3948), optionally UDP 1701 for the
 * test-only plain-L2TP switch, and raw ESP (IP protocol 50) where the process may open it. Datagrams go to
 * the endpoint's inbound path; the endpoint's sends come back here.
 *
 * The native sockets (src/net/udp-native.ts: IP_PKTINFO, recvmmsg, synchronous sendto) are preferred: one
 * wildcard socket per port knows which local address each datagram reached, and a send never holds on to
 * the caller's buffer. Where the addon is missing, Node's dgram (src/net/udp.ts, a socket per local
 * address) serves, copying each send because dgram may queue it.
 */

import type { OuterAddress, OuterTransport } from '../endpoint/links.js';
import type { InboundPath } from '../endpoint/receive.js';
import { intToIpv4, ipv4ToInt } from '../net/ipv4-address.js';
import { NativeAddonMissingError } from '../net/native.js';
import { RawEsp } from '../net/raw-esp.js';
import { UdpEndpoints } from '../net/udp.js';
import { NativeUdpSocket } from '../net/udp-native.js';
import type { Logger } from '../util/log.js';

const NATT_PORT = 4500;
const NAT_KEEPALIVE = 0xff;

export interface OuterTransportOptions {
  /** Ports to bind (default 500 and 4500). */
  readonly ports?: readonly number[];
  /** Bind only these addresses (default: every local address). */
  readonly listen?: readonly string[] | undefined;
  readonly rawEsp: boolean;
  readonly log: Logger;
}

export class RealOuterTransport implements OuterTransport {
  private readonly native = new Map<number, NativeUdpSocket>();
  private dgram: UdpEndpoints | undefined;
  private raw: RawEsp | undefined;
  private inbound: InboundPath | undefined;
  /** Text → host-order address for sends (the endpoint names peers by text; the socket wants integers). */
  private readonly addressInts = new Map<string, number>();
  private flushScheduled = false;
  private readonly flushNow = () => {
    this.flushScheduled = false;
    this.flush();
  };

  private constructor() {}

  /** Binds every port; throws (EADDRINUSE, EACCES, …) when one cannot be bound. */
  static async open(opts: OuterTransportOptions): Promise<RealOuterTransport> {
    const t = new RealOuterTransport();
    const ports = opts.ports ?? [500, NATT_PORT];
    const listen = opts.listen;
    let nativeOk = listen === undefined || listen.length === 1;
    if (nativeOk) {
      try {
        for (const port of ports) {
          const address = listen?.[0];
          const sock = NativeUdpSocket.open(
            port,
            (buf, off, len, src, srcPort, local) => t.receive(buf, off, len, src, srcPort, local, port),
            {
              address,
              logger: opts.log,
            },
          );
          t.native.set(port, sock);
        }
      } catch (err) {
        for (const s of t.native.values()) s.close();
        t.native.clear();
        if (!(err instanceof NativeAddonMissingError)) throw err;
        nativeOk = false;
        opts.log.warn({ err: err.message }, 'native UDP unavailable: using node:dgram');
      }
    }
    if (!nativeOk) {
      t.dgram = new UdpEndpoints(
        (msg, remote, local) => {
          t.inbound?.datagram(msg, 0, msg.length, { address: remote.address, port: remote.port }, local);
        },
        { ports, listen, logger: opts.log },
      );
      await t.dgram.start();
    }
    if (opts.rawEsp) {
      const r = RawEsp.tryOpen((buf, off, len) => t.inbound?.esp(buf, off, len), { logger: opts.log });
      t.raw = r.esp;
    }
    return t;
  }

  /** Starts delivering to `inbound` (datagrams before this are dropped). */
  attach(inbound: InboundPath): void {
    this.inbound = inbound;
  }

  get rawEspAvailable(): boolean {
    return this.raw !== undefined;
  }

  private receive(
    buf: Buffer,
    off: number,
    len: number,
    src: number,
    srcPort: number,
    local: number,
    port: number,
  ): void {
    const inbound = this.inbound;
    if (inbound === undefined) return;
    // The hot case first, without building address objects: ESP on 4500 (RFC 3948 section 2.2: neither a
    // keep-alive octet nor the non-ESP marker).
    if (port === NATT_PORT && len > 4 && buf.readUInt32BE(off) !== 0) {
      inbound.esp(buf, off, len);
      return;
    }
    if (port === NATT_PORT && len === 1 && buf[off] === NAT_KEEPALIVE) {
      inbound.datagram(buf, off, len, { address: '', port: srcPort }, { address: '', port });
      return;
    }
    inbound.datagram(
      buf,
      off,
      len,
      { address: intToIpv4(src), port: srcPort },
      { address: intToIpv4(local), port },
    );
  }

  send(local: OuterAddress, remote: OuterAddress, buf: Buffer, offset: number, length: number): void {
    if (remote.port === 0) {
      this.raw?.send(buf, offset, length, remote.address, local.address);
      return;
    }
    const sock = this.native.get(local.port);
    if (sock !== undefined) {
      // Queued into the socket's send arena (a copy), and sent with one sendmmsg per batch once the current
      // receive batch or timer callback is done: one native crossing per batch, not per datagram.
      const src = local.address === '0.0.0.0' || local.address === '' ? 0 : this.toInt(local.address);
      if (!sock.enqueue(buf, offset, length, this.toInt(remote.address), remote.port, src)) return;
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        queueMicrotask(this.flushNow);
      }
      return;
    }
    // dgram may queue the datagram past this call: give it its own copy.
    this.dgram?.send(local, remote, Buffer.from(buf.subarray(offset, offset + length)));
  }

  /** Sends every queued datagram now. */
  flush(): void {
    for (const s of this.native.values()) s.flush();
  }

  private toInt(address: string): number {
    let n = this.addressInts.get(address);
    if (n === undefined) {
      n = ipv4ToInt(address);
      // Bounded: peers come and go; a full cache simply starts again.
      if (this.addressInts.size >= 4096) this.addressInts.clear();
      this.addressInts.set(address, n);
    }
    return n;
  }

  close(): void {
    this.flush();
    for (const s of this.native.values()) s.close();
    this.native.clear();
    void this.dgram?.close();
    this.raw?.close();
  }
}
