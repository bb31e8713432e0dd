/**
 * Boots one guest with QEMU's TCG software emulation (this host's /dev/kvm cannot run a stock kernel)
 * inside the case's namespace and waits for it to power itself off. The guest's PID 1
 * (`scripts/interop/guest-init.sh`) runs the command file from the 9p share and writes `exit-code`
 * there; a guest that overruns its time is killed, which the result reports as `timedOut`.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GuestImage } from './guest-image.js';
import type { GuestLink } from './netns.js';
import { stop, track } from './processes.js';

export interface GuestBoot {
  image: GuestImage;
  ns: string;
  link: GuestLink;
  hostname: string;
  /** Directory shared with the guest as 9p tag `share`, mounted at /mnt/share; holds cmd.sh. */
  shareDir: string;
  serialLog: string;
  /** pcap of everything crossing the guest's NIC, written by QEMU itself (filter-dump). */
  nicPcap: string;
  timeoutMs: number;
  memoryMiB?: number;
}

export interface GuestRun {
  /** The command file's exit code as the guest recorded it; undefined when it never got that far. */
  exitCode: number | undefined;
  timedOut: boolean;
  qemuStatus: number | null;
  seconds: number;
}

/** Niceness for QEMU: the emulated CPU is one busy host thread; stay polite to other work on the box. */
const NICE = process.env.L2S_INTEROP_NICE ?? '10';

export function qemuArgs(g: GuestBoot): string[] {
  const append = [
    'console=ttyS0',
    'root=/dev/vda',
    'rw',
    'init=/sbin/l2s-init',
    'panic=-1',
    // The kernel calibrates the TSC against the PIT at boot; under TCG on a loaded host that has been
    // seen off by 20x, making guest time (every sleep and timeout inside) run 20x fast. HPET reads
    // QEMU's virtual clock, which follows the host's.
    'clocksource=hpet',
    'tsc=unstable',
    `l2s.ip=${g.link.ip}`,
    ...(g.link.gw ? [`l2s.gw=${g.link.gw}`] : []),
    `l2s.host=${g.hostname}`,
  ].join(' ');
  return [
    'qemu-system-x86_64',
    '-accel',
    'tcg',
    '-cpu',
    'max',
    '-smp',
    '1',
    '-m',
    String(g.memoryMiB ?? 384),
    '-nographic',
    '-nodefaults',
    '-no-reboot',
    '-serial',
    `file:${g.serialLog}`,
    '-kernel',
    g.image.kernel,
    '-initrd',
    g.image.initrd,
    '-append',
    append,
    // snapshot=on: the guest writes to a throw-away overlay, so guests can share the cached image.
    '-drive',
    `file=${g.image.rootfs},if=virtio,format=raw,snapshot=on`,
    '-netdev',
    g.link.netdev,
    '-device',
    `virtio-net-pci,netdev=n0,mac=${g.link.mac}`,
    '-object',
    `filter-dump,id=d0,netdev=n0,file=${g.nicPcap}`,
    '-fsdev',
    `local,id=fs0,path=${g.shareDir},security_model=none`,
    '-device',
    'virtio-9p-pci,fsdev=fs0,mount_tag=share',
  ];
}

export async function runGuest(g: GuestBoot): Promise<GuestRun> {
  const started = Date.now();
  const child = track(
    spawn('nice', ['-n', NICE, 'ip', 'netns', 'exec', g.ns, ...qemuArgs(g)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    }),
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 8192) stderr += d.toString();
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void stop(child, 'SIGKILL');
  }, g.timeoutMs);
  const qemuStatus = await new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });
  clearTimeout(timer);
  if (stderr.trim() !== '') {
    // QEMU's own complaints (bad option, missing tap) belong next to the serial log.
    writeFileSync(`${g.serialLog}.qemu-stderr`, stderr);
  }
  const codeFile = join(g.shareDir, 'exit-code');
  const exitCode = existsSync(codeFile)
    ? Number.parseInt(readFileSync(codeFile, 'utf8').trim(), 10)
    : undefined;
  return {
    exitCode: Number.isNaN(exitCode) ? undefined : exitCode,
    timedOut,
    qemuStatus,
    seconds: (Date.now() - started) / 1000,
  };
}
