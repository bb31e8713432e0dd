/**
 * The guest image built by `scripts/interop/build-guest.sh` (cached under `.cache/interop/guest-<hash>/`).
 * Calling the script is cheap when the image exists: it hashes its inputs and prints the cached path.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

export interface GuestImage {
  dir: string;
  kernel: string;
  initrd: string;
  rootfs: string;
  kernelVersion: string;
  /** Seconds the build took when it ran (read back from the cache). */
  buildSeconds: number;
}

/** Builds the image if needed (root, network to the host's Debian mirror) and returns its paths. */
export function ensureGuestImage(): GuestImage {
  const out = execFileSync(join(repoRoot(), 'scripts/interop/build-guest.sh'), {
    cwd: repoRoot(),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const dir = out.trim().split('\n').pop() ?? '';
  const image: GuestImage = {
    dir,
    kernel: join(dir, 'vmlinuz'),
    initrd: join(dir, 'initrd.img'),
    rootfs: join(dir, 'rootfs.img'),
    kernelVersion: readFileSync(join(dir, 'KVER'), 'utf8').trim(),
    buildSeconds: Number(readFileSync(join(dir, 'build-seconds'), 'utf8')),
  };
  for (const f of [image.kernel, image.initrd, image.rootfs]) {
    if (!existsSync(f)) throw new Error(`interop: guest image incomplete, missing ${f}`);
  }
  return image;
}
