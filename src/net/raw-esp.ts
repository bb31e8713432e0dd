/**
 * ESP straight over IP (protocol 50, RFC 4303 section 2) for clients that are not behind NAT (issue 3).
 * Optional at run time: without privilege (or without the addon) `RawEsp.tryOpen` says why and returns
 * undefined, and the server carries on with UDP 4500 alone (IKE then forces UDP encapsulation).
 *
 * A raw IPv4 socket receives the whole datagram, IPv4 header included (raw(7)), so each packet also tells
 * which local address it arrived on; on send the kernel writes the header.
 */

import { Counters } from '../util/counters.js';
import type { Logger } from '../util/log.js';
import { silentLogger } from '../util/log.js';
import { intToIpv4, ipv4ToInt, readIpv4 } from './ipv4-address.js';
import { loadNative, type NativePacketPort, PortMode } from './native.js';

export type RawEspDropReason = 'truncated' | 'bad-ipv4-header' | 'oversize' | 'read-error' | 'send-error';

/**
 * One ESP packet: `buf[offset..offset+length)` is the ESP header onwards (SPI first); `src` and `dst` are
 * the outer IPv4 addresses as host-order integers (`intToIpv4` for text). The view is reused after return.
 */
export type RawEspHandler = (buf: Buffer, offset: number, length: number, src: number, dst: number) => void;

export interface RawEspOptions {
  batch?: number;
  logger?: Logger;
  /** Called after each batch has been handed to the handler. */
  onBatchEnd?: () => void;
}

/** Why raw ESP is unavailable, for the start-up log line. */
export interface RawEspUnavailable {
  reason: string;
  code?: string;
}

const MAX_DATAGRAM = 65535;

export class RawEsp {
  readonly counters = new Counters<RawEspDropReason>();
  rxPackets = 0;
  txPackets = 0;
  private closed = false;

  private constructor(
    private readonly port: NativePacketPort,
    private readonly logger: Logger,
  ) {}

  /** Opens the socket and starts receiving; throws the native error (code EPERM without privilege). */
  static open(onPacket: RawEspHandler, opts: RawEspOptions = {}): RawEsp {
    const native = loadNative();
    const fd = native.openRawEsp();
    let self: RawEsp | undefined;
    let port: NativePacketPort;
    try {
      port = new native.PacketPort(fd, opts.batch ?? 32, MAX_DATAGRAM, PortMode.raw, (count) => {
        self!.deliver(count, onPacket);
        opts.onBatchEnd?.();
      });
    } catch (err) {
      native.closeFd(fd);
      throw err;
    }
    self = new RawEsp(port, opts.logger ?? silentLogger);
    port.start();
    return self;
  }

  /** Like `open`, but reports unavailability instead of throwing (raw ESP is optional). */
  static tryOpen(
    onPacket: RawEspHandler,
    opts: RawEspOptions = {},
  ): { esp: RawEsp; unavailable?: undefined } | { esp?: undefined; unavailable: RawEspUnavailable } {
    try {
      return { esp: RawEsp.open(onPacket, opts) };
    } catch (err) {
      const e = err as Error & { code?: string };
      const unavailable: RawEspUnavailable = { reason: e.message, code: e.code };
      (opts.logger ?? silentLogger).warn(
        unavailable,
        'raw ESP (IP protocol 50) unavailable; clients must use UDP encapsulation on port 4500',
      );
      return { unavailable };
    }
  }

  private deliver(count: number, onPacket: RawEspHandler): void {
    if (count < 0) {
      this.counters.count('read-error');
      this.logger.debug({ errno: count }, 'raw ESP read failed');
      return;
    }
    const { buffer: buf, lengths, sources, slot } = this.port;
    for (let i = 0; i < count; i++) {
      const off = i * slot;
      const len = lengths[i];
      if (len > slot) {
        this.counters.count('oversize');
        continue;
      }
      // RFC 791 section 3.1: version 4, IHL ≥ 5 words, total length within what was read.
      const ihl = (buf[off] & 15) * 4;
      if (len < 20 || buf[off] >> 4 !== 4 || ihl < 20 || ihl > len) {
        this.counters.count('bad-ipv4-header');
        continue;
      }
      const total = (buf[off + 2] << 8) | buf[off + 3];
      const end = Math.min(total, len);
      if (end - ihl < 8) {
        this.counters.count('truncated');
        continue;
      }
      this.rxPackets++;
      try {
        onPacket(buf, off + ihl, end - ihl, sources[i], readIpv4(buf, off + 16));
      } catch (err) {
        this.logger.error({ err }, 'raw ESP packet handler threw');
      }
    }
  }

  /**
   * Sends one ESP packet (SPI onwards) to `dst`, from `src` when given (the local address the peer knows
   * us by; otherwise the kernel picks by route). Addresses as text or host-order integers.
   */
  send(
    buf: Uint8Array,
    offset: number,
    length: number,
    dst: number | string,
    src: number | string = 0,
  ): boolean {
    const d = typeof dst === 'number' ? dst : ipv4ToInt(dst);
    const s = typeof src === 'number' ? src : ipv4ToInt(src);
    const n = this.port.sendTo(buf, offset, length, d, s);
    if (n >= 0) {
      this.txPackets++;
      return true;
    }
    this.counters.count('send-error');
    this.logger.debug({ errno: n, dst: intToIpv4(d) }, 'raw ESP send failed');
    return false;
  }

  unref(): void {
    this.port.unref();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.port.close();
  }
}
