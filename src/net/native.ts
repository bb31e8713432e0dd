/**
 * The native edge (native/l2tpsec_net.cc, built by node-gyp at `npm ci`): the TUN ioctl and the raw ESP
 * socket, which Node has no API for, and a packet port that polls an fd on the main loop (uv_poll) and
 * hands JS one batch per readable event (issue 7: no thread-pool round trip per packet).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * One fd polled on the main thread. The port owns the fd from construction on. Each batch lands in
 * `buffer`: packet i at offset `i * slot`, `lengths[i]` bytes long (for a raw socket, `sources[i]` is the
 * sender's IPv4 address as a host-order integer, and a length above `slot` means the datagram was cut).
 */
export interface NativePacketPort {
  readonly fd: number;
  readonly batch: number;
  readonly slot: number;
  readonly buffer: Buffer;
  readonly lengths: Int32Array;
  readonly sources: Uint32Array;
  start(): void;
  stop(): void;
  /** Bytes written, or -errno (-11 EAGAIN when the kernel queue is full). */
  write(buf: Uint8Array, offset: number, length: number): number;
  /** Bytes sent, or -errno. Addresses are host-order IPv4 integers; `src` 0 lets the kernel choose. */
  sendTo(buf: Uint8Array, offset: number, length: number, dst: number, src: number): number;
  ref(): void;
  unref(): void;
  close(): void;
}

export interface NativeAddon {
  openTun(name: string): { fd: number; name: string };
  openRawEsp(): number;
  closeFd(fd: number): number;
  PacketPort: new (
    fd: number,
    batch: number,
    slot: number,
    raw: boolean,
    /** Called once per batch with the packet count, or with -errno when a read failed. */
    onBatch: (count: number) => void,
  ) => NativePacketPort;
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
