/**
 * Interface set-up through iproute2's `ip` (issue 7: running `ip` at start-up is acceptable). Only at
 * start-up and teardown, never per packet.
 */
import { execFileSync } from 'node:child_process';

export class IpCommandError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly stderr: string,
  ) {
    super(`ip ${args.join(' ')}: ${stderr.trim() || 'failed'}`);
    this.name = 'IpCommandError';
  }
}

/** Runs `ip [-n netns] args…` synchronously; returns stdout, throws IpCommandError with ip's message. */
export function ip(args: readonly string[], netns?: string): string {
  const full = netns ? ['-n', netns, ...args] : [...args];
  try {
    return execFileSync('ip', full, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: string | Buffer; message: string };
    throw new IpCommandError(full, e.stderr ? String(e.stderr) : e.message);
  }
}
