/**
 * Every long-running process the suite starts (QEMU, packet captures, the server) is registered here, so
 * that a failing case, a timeout or an interrupted run ends exactly those processes, by pid, and no
 * others. Namespaces are registered too and deleted after their processes are gone.
 */
import { type ChildProcess, execFileSync } from 'node:child_process';

const children = new Set<ChildProcess>();
const namespaces = new Set<string>();
let hooked = false;

export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  hookExit();
  return child;
}

export function trackNamespace(name: string): void {
  namespaces.add(name);
  hookExit();
}

export function untrackNamespace(name: string): void {
  namespaces.delete(name);
}

/** Waits for a child to exit, killing it with SIGKILL after `graceMs` if a gentler signal did not work. */
export async function stop(
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 3000,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Synchronous last resort: kill what is left and delete namespaces (process exit, SIGINT, SIGTERM). */
export function killAllTracked(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
  for (const ns of namespaces) {
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
  namespaces.clear();
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', killAllTracked);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      killAllTracked();
      process.exit(130);
    });
  }
}
