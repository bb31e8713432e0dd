/**
 * The TUN device (linux Documentation/networking/tuntap.rst): IFF_TUN | IFF_NO_PI, so every read and write
 * is exactly one IPv4 packet with no prefix. Packets are read in batches on the main loop by the native
 * packet port and handed to `onPacket` one by one as (buffer, offset, length) views into a reused buffer:
 * valid only during the call, copied by whoever keeps them.
 */

import { Counters } from '../util/counters.js';
import type { Logger } from '../util/log.js';
import { silentLogger } from '../util/log.js';
import { ip } from './ip-command.js';
import { loadNative, type NativePacketPort, PortMode } from './native.js';

export type TunDropReason = 'write-queue-full' | 'write-error' | 'read-error' | 'read-empty';

/** Called per packet read from the TUN; `buf` is reused after the call returns. */
export type TunPacketHandler = (buf: Buffer, offset: number, length: number) => void;

export interface TunOpenOptions {
  /** Interface name, or a pattern such as "l2tpsec%d"; default "l2tpsec%d". */
  name?: string;
  /** Packets read per readable event (default 64). */
  batch?: number;
  /** Largest packet read (default 65535: a TUN never delivers more than its MTU, which may change). */
  maxPacket?: number;
  logger?: Logger;
  /** Called after each batch has been handed to `onPacket` (to flush work batched per read). */
  onBatchEnd?: () => void;
}

export interface TunAddressOptions {
  /** Our address on the point-to-point link, e.g. the server's tunnel address 192.168.42.1. */
  address: string;
  /** The far end (a client's address) for a /32 point-to-point link; omit for a subnet. */
  peer?: string;
  /** Prefix length of `address` when no peer is given (default 32). */
  prefixLength?: number;
  /** MTU (default 1400: issue 7's inner MTU for AES-CBC/SHA1 over NAT-T on a 1500-byte link). */
  mtu?: number;
  /** Extra routes (CIDR) through this interface, e.g. the client pool. */
  routes?: readonly string[];
  /** Transmit queue length in packets (default 1000). */
  txQueueLength?: number;
  /** Run the `ip` commands in this network namespace (the interface must already be there). */
  netns?: string;
}

export const DEFAULT_TUN_MTU = 1400;

const MAX_READ_ERRORS_IN_A_ROW = 1000;

export class Tun {
  readonly counters = new Counters<TunDropReason>();
  rxPackets = 0;
  rxBytes = 0;
  txPackets = 0;
  txBytes = 0;
  private queued = 0;
  private readErrorsInARow = 0;
  private closed = false;

  private constructor(
    /** The kernel's name for the interface (a "%d" pattern resolved). */
    readonly name: string,
    private readonly port: NativePacketPort,
    private readonly logger: Logger,
  ) {}

  /** Opens a new TUN interface and starts reading; `onPacket` sees every packet the kernel routes to it. */
  static open(onPacket: TunPacketHandler, opts: TunOpenOptions = {}): Tun {
    const native = loadNative();
    const logger = opts.logger ?? silentLogger;
    const { fd, name } = native.openTun(opts.name ?? 'l2tpsec%d');
    let tun: Tun | undefined;
    let port: NativePacketPort;
    try {
      port = new native.PacketPort(fd, opts.batch ?? 64, opts.maxPacket ?? 65535, PortMode.tun, (count) => {
        tun!.deliver(count, onPacket);
        opts.onBatchEnd?.();
      });
    } catch (err) {
      native.closeFd(fd);
      throw err;
    }
    tun = new Tun(name, port, logger.child({ tun: name }));
    port.start();
    return tun;
  }

  private deliver(count: number, onPacket: TunPacketHandler): void {
    const port = this.port;
    if (count < 0) {
      this.counters.count('read-error');
      this.logger.debug({ errno: count }, 'tun read failed');
      // The poll is level-triggered: an fd that fails for good (interface deleted under us) would spin.
      if (++this.readErrorsInARow >= MAX_READ_ERRORS_IN_A_ROW) {
        this.logger.error({ errno: count }, 'tun keeps failing; stopped reading');
        port.stop();
      }
      return;
    }
    this.readErrorsInARow = 0;
    const slot = port.slot;
    const lengths = port.lengths;
    const buf = port.buffer;
    for (let i = 0; i < count; i++) {
      const len = lengths[i];
      if (len <= 0) {
        this.counters.count('read-empty');
        continue;
      }
      this.rxPackets++;
      this.rxBytes += len;
      try {
        onPacket(buf, i * slot, len);
      } catch (err) {
        // A handler bug must not stop the loop for every other session (DEVELOPERS.md).
        this.logger.error({ err }, 'tun packet handler threw');
      }
    }
  }

  /** Writes one IPv4 packet into the kernel; false (counted) when dropped. */
  write(buf: Uint8Array, offset: number, length: number): boolean {
    const n = this.port.write(buf, offset, length);
    if (n >= 0) {
      this.txPackets++;
      this.txBytes += length;
      return true;
    }
    this.counters.count(n === -11 ? 'write-queue-full' : 'write-error');
    return false;
  }

  /**
   * The write arena, for batching: put the next packet at `sendBuffer[sendOffset…]` (e.g. decrypt straight
   * into it), `commit(length)` it, and `flush()` at the end of the batch (one native call for all).
   */
  get sendBuffer(): Buffer {
    return this.port.sendBuffer;
  }

  get sendOffset(): number {
    return this.queued * this.port.slot;
  }

  /** Largest packet the write arena holds (the read slot size). */
  get maxPacket(): number {
    return this.port.slot;
  }

  /** Queues the packet written at `sendOffset`; flushes by itself when the arena is full. */
  commit(length: number): void {
    this.port.sendLengths[this.queued] = length;
    this.txBytes += length;
    this.queued++;
    if (this.queued === this.port.batch) this.flush();
  }

  /** Writes every queued packet into the kernel; returns how many it took (the rest are counted). */
  flush(): number {
    const count = this.queued;
    if (count === 0) return 0;
    this.queued = 0;
    const n = this.port.flush(count);
    const written = Math.max(0, n);
    this.txPackets += written;
    if (written < count) this.counters.count(n === -11 ? 'write-queue-full' : 'write-error', count - written);
    return written;
  }

  /** Assigns the address, MTU and routes and sets the link up, with `ip`. */
  configure(opts: TunAddressOptions): void {
    configureInterface(this.name, opts);
  }

  /** Lets the process exit while the TUN is open (tests, benchmarks). */
  unref(): void {
    this.port.unref();
  }

  /** Stops reading and closes the fd; the kernel removes the (non-persistent) interface. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.port.close();
  }
}

/** `ip addr add`, `ip link set mtu … txqueuelen … up`, `ip route replace` for a point-to-point interface. */
export function configureInterface(name: string, opts: TunAddressOptions): void {
  const ns = opts.netns;
  const local = opts.peer
    ? [opts.address, 'peer', opts.peer]
    : [`${opts.address}/${opts.prefixLength ?? 32}`];
  ip(['addr', 'add', ...local, 'dev', name], ns);
  // No IPv6 link-local address: the kernel then sends no router solicitations or MLD reports into a
  // tunnel that carries IPv4 only (IPv6CP is off by default).
  ip(['link', 'set', 'dev', name, 'addrgenmode', 'none'], ns);
  ip(
    [
      'link',
      'set',
      'dev',
      name,
      'mtu',
      String(opts.mtu ?? DEFAULT_TUN_MTU),
      'txqueuelen',
      String(opts.txQueueLength ?? 1000),
      'up',
    ],
    ns,
  );
  for (const route of opts.routes ?? []) ip(['route', 'replace', route, 'dev', name], ns);
}
