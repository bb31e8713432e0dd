/**
 * The native edge (native/l2tpsec_net.cc, built by node-gyp at `npm ci`): the TUN ioctl and the raw ESP
 * socket, which Node has no API for, and a packet port that polls an fd on the main loop (uv_poll) and
 * hands JS one batch per readable event (issue 7: no thread-pool round trip per packet).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** How a packet port reads and writes its fd (native MODE_* constants). */
export const PortMode = { tun: 0, raw: 1, udp: 2 } as const;
export type PortMode = (typeof PortMode)[keyof typeof PortMode];

/**
 * One fd polled on the main thread; the port owns the fd from construction on.
 *
 * Receive: each batch lands in `buffer`, packet i at offset `i * slot`, `lengths[i]` bytes long (a length
 * above `slot` means the datagram was cut). For sockets, `sources[i]` is the sender's IPv4 address as a
 * host-order integer; for UDP also `sourcePorts[i]`, and `destinations[i]` the local address it was sent
 * to (IP_PKTINFO).
 *
 * Send: write packet i into `sendBuffer` at `i * slot`, set `sendLengths[i]` (and for sockets
 * `sendAddresses[i]`, `sendPorts[i]`, `sendSources[i]` — 0 lets the kernel choose the source), then
 * `flush(count)` sends them all in one call (sendmmsg; a write loop for a TUN).
 */
export interface NativePacketPort {
  readonly fd: number;
  readonly batch: number;
  readonly slot: number;
  readonly buffer: Buffer;
  readonly lengths: Int32Array;
  readonly sources: Uint32Array;
  readonly sourcePorts: Uint32Array;
  readonly destinations: Uint32Array;
  readonly sendBuffer: Buffer;
  readonly sendLengths: Int32Array;
  readonly sendAddresses: Uint32Array;
  readonly sendPorts: Uint32Array;
  readonly sendSources: Uint32Array;
  start(): void;
  stop(): void;
  /** Bytes written, or -errno (-11 EAGAIN when the kernel queue is full). */
  write(buf: Uint8Array, offset: number, length: number): number;
  /** Bytes sent, or -errno. Host-order IPv4 integers; `src` 0 lets the kernel choose; `port` for UDP. */
  sendTo(buf: Uint8Array, offset: number, length: number, dst: number, src: number, port?: number): number;
  /** Sends send-arena packets 0..count-1; returns how many went, or -errno if the first failed. */
  flush(count: number): number;
  ref(): void;
  unref(): void;
  close(): void;
}

export interface NativeAddon {
  openTun(name: string): { fd: number; name: string };
  openRawEsp(): number;
  /** A UDP socket with IP_PKTINFO bound to `address` (host-order integer, 0 = any) and `port` (0 = any). */
  openUdp(address: number, port: number): { fd: number; port: number };
  closeFd(fd: number): number;
  PacketPort: new (
    fd: number,
    batch: number,
    slot: number,
    mode: PortMode,
    /** Called once per batch with the packet count, or with -errno when a read failed. */
    onBatch: (count: number) => void,
  ) => NativePacketPort;
  /** ECDH through the system libcrypto.so.3 (native/l2tpsec_ecdh.cc; src/crypto/ecdh-native.ts wraps it). */
  ecdhAvailable(): boolean;
  /** x ‖ y of privateKey·G (RFC 5903 section 7). Throws RangeError for a key outside [1, n-1]. */
  ecdhPublic(group: 19 | 20 | 21, privateKey: Uint8Array): Buffer;
  /** The x coordinate of privateKey·peer (RFC 5903 section 9); undefined when peerXY is not a curve point. */
  ecdhSecret(group: 19 | 20 | 21, privateKey: Uint8Array, peerXY: Uint8Array): Buffer | undefined;
}

/** The system call failed: `code` is the errno name (EPERM, ENOENT, …). */
export interface NativeError extends Error {
  code: string;
  errno: number;
  syscall: string;
}

export class NativeAddonMissingError extends Error {
  constructor(detail: string) {
    super(`native addon not built (run \`npm ci\` or \`node native/build.mjs\`): ${detail}`);
    this.name = 'NativeAddonMissingError';
  }
}

let cached: NativeAddon | undefined;

/** Loads build/Release/l2tpsec_net.node, from src/ (tests) or dist/src/ (the CLI) alike. */
export function loadNative(): NativeAddon {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'build', 'Release', 'l2tpsec_net.node');
    if (existsSync(candidate)) {
      cached = createRequire(import.meta.url)(candidate) as NativeAddon;
      return cached;
    }
    dir = dirname(dir);
  }
  throw new NativeAddonMissingError('build/Release/l2tpsec_net.node not found');
}
