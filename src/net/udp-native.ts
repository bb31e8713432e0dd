/**
 * A UDP socket through the native edge, for the data path on port 4500 (RFC 3948) and for IKE: IP_PKTINFO
 * tells which local address each datagram was sent to even on a wildcard socket (so one socket per port
 * serves every local address, present and future), replies can be pinned to that address, datagrams are
 * read with recvmmsg in batches on the main loop, and sends can be queued into a preallocated arena and
 * flushed with one sendmmsg. No allocation per datagram in either direction.
 *
 * `udp.ts` (Node's dgram, one socket per local address) remains the fallback where the addon is missing.
 */

import { Counters } from '../util/counters.js';
import type { Logger } from '../util/log.js';
import { silentLogger } from '../util/log.js';
import { intToIpv4, ipv4ToInt } from './ipv4-address.js';
import { loadNative, type NativePacketPort, PortMode } from './native.js';

export type NativeUdpDropReason = 'oversize' | 'read-error' | 'send-error';

/**
 * One datagram: `buf[offset..offset+length)`, from `src`:`srcPort`, sent to our local address `local`
 * (all addresses host-order integers; `intToIpv4` for text). The view is reused after the call returns.
 */
export type NativeUdpHandler = (
  buf: Buffer,
  offset: number,
  length: number,
  src: number,
  srcPort: number,
  local: number,
) => void;

export interface NativeUdpOptions {
  /** Local address to bind (default every address, 0.0.0.0). */
  address?: string;
  /** Datagrams per read and per send batch (default 64). */
  batch?: number;
  /**
   * Largest datagram accepted (default 16384: an MTU-sized ESP packet, or an IKE message with certificates
   * reassembled from fragments); larger ones are counted as oversize.
   */
  maxDatagram?: number;
  logger?: Logger;
  /** Called after each received batch (flush queued sends here). */
  onBatchEnd?: () => void;
}

function addr(a: number | string): number {
  return typeof a === 'number' ? a : ipv4ToInt(a);
}

export class NativeUdpSocket {
  readonly counters = new Counters<NativeUdpDropReason>();
  rxPackets = 0;
  txPackets = 0;
  private queued = 0;
  private closed = false;

  private constructor(
    /** The bound port (the kernel's choice when 0 was asked). */
    readonly port: number,
    readonly address: string,
    private readonly native: NativePacketPort,
    private readonly logger: Logger,
  ) {}

  /** Binds and starts receiving; throws the native error (EADDRINUSE, EACCES, …) with its `code`. */
  static open(port: number, onDatagram: NativeUdpHandler, opts: NativeUdpOptions = {}): NativeUdpSocket {
    const native = loadNative();
    const address = opts.address ?? '0.0.0.0';
    const bound = native.openUdp(ipv4ToInt(address), port);
    let self: NativeUdpSocket | undefined;
    let np: NativePacketPort;
    try {
      np = new native.PacketPort(
        bound.fd,
        opts.batch ?? 64,
        opts.maxDatagram ?? 16384,
        PortMode.udp,
        (count) => {
          self!.deliver(count, onDatagram);
          opts.onBatchEnd?.();
        },
      );
    } catch (err) {
      native.closeFd(bound.fd);
      throw err;
    }
    const logger = (opts.logger ?? silentLogger).child({ udp: `${address}:${bound.port}` });
    self = new NativeUdpSocket(bound.port, address, np, logger);
    np.start();
    return self;
  }

  private deliver(count: number, handler: NativeUdpHandler): void {
    if (count < 0) {
      this.counters.count('read-error');
      this.logger.debug({ errno: count }, 'udp read failed');
      return;
    }
    const { buffer, lengths, sources, sourcePorts, destinations, slot } = this.native;
    for (let i = 0; i < count; i++) {
      const len = lengths[i];
      if (len > slot) {
        this.counters.count('oversize');
        continue;
      }
      this.rxPackets++;
      try {
        handler(buffer, i * slot, len, sources[i], sourcePorts[i], destinations[i]);
      } catch (err) {
        // A handler bug must not stop the loop for every other session (DEVELOPERS.md).
        this.logger.error({ err }, 'udp datagram handler threw');
      }
    }
  }

  /** Sends one datagram now; `src` pins the source address (0 or omitted: the kernel's choice). */
  send(
    buf: Uint8Array,
    offset: number,
    length: number,
    dst: number | string,
    dstPort: number,
    src: number | string = 0,
  ): boolean {
    const n = this.native.sendTo(buf, offset, length, addr(dst), addr(src), dstPort);
    if (n >= 0) {
      this.txPackets++;
      return true;
    }
    this.counters.count('send-error');
    this.logger.debug(
      { errno: n, dst: typeof dst === 'number' ? intToIpv4(dst) : dst, dstPort },
      'udp send failed',
    );
    return false;
  }

  /** The send arena: write the next datagram at `sendBuffer[sendOffset…]`, then `commit` it. */
  get sendBuffer(): Buffer {
    return this.native.sendBuffer;
  }

  get sendOffset(): number {
    return this.queued * this.native.slot;
  }

  /** Largest datagram the send arena holds. */
  get maxDatagram(): number {
    return this.native.slot;
  }

  /** Queues the datagram just written at `sendOffset`; flushes by itself when the arena is full. */
  commit(length: number, dst: number, dstPort: number, src = 0): void {
    const i = this.queued;
    const np = this.native;
    np.sendLengths[i] = length;
    np.sendAddresses[i] = dst;
    np.sendPorts[i] = dstPort;
    np.sendSources[i] = src;
    this.queued = i + 1;
    if (this.queued === np.batch) this.flush();
  }

  /** Copies a datagram into the send arena and queues it (for callers that built it elsewhere). */
  enqueue(buf: Buffer, offset: number, length: number, dst: number, dstPort: number, src = 0): boolean {
    if (length > this.native.slot) {
      this.counters.count('send-error');
      return false;
    }
    buf.copy(this.native.sendBuffer, this.sendOffset, offset, offset + length);
    this.commit(length, dst, dstPort, src);
    return true;
  }

  /** Sends everything queued in one sendmmsg; returns how many datagrams went. */
  flush(): number {
    const count = this.queued;
    if (count === 0) return 0;
    this.queued = 0;
    const n = this.native.flush(count);
    const sent = Math.max(0, n);
    this.txPackets += sent;
    if (sent < count) {
      this.counters.count('send-error', count - sent);
      this.logger.debug({ errno: n < 0 ? n : undefined, dropped: count - sent }, 'udp batch send incomplete');
    }
    return sent;
  }

  unref(): void {
    this.native.unref();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queued = 0;
    this.native.close();
  }
}
