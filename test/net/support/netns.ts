/**
 * Network namespace helpers for the edge tests: unique names (`l2s-<purpose>-<pid>`), deleted even on
 * failure by the caller's afterAll/finally. Only addresses inside namespaces we create are ever used.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Skip message for tests that need root; under CI=true a skip counts as a failure (scripts/test.mjs). */
export const NEEDS_ROOT = 'needs root (network namespaces, TUN, raw sockets)';

export function sh(cmd: string, args: readonly string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs `cmd args` inside namespace `ns` and returns stdout. */
export function nsExec(ns: string, cmd: string, args: readonly string[]): string {
  return sh('ip', ['netns', 'exec', ns, cmd, ...args]);
}

/** Starts `cmd args` in `ns` in the background. */
export function nsSpawn(ns: string, cmd: string, args: readonly string[]): ChildProcess {
  return spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

let serial = 0;

/** A fresh namespace name, unique per process and call: l2s-<purpose>-<pid>-<n> (≤ 30 chars). */
export function uniqueName(purpose: string): string {
  serial++;
  return `l2s-${purpose.slice(0, 8)}-${process.pid}-${serial}`;
}

/** Creates namespace `name` with its loopback up. */
export function createNetns(name: string): void {
  sh('ip', ['netns', 'add', name]);
  sh('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
}

/** Deletes the namespace (and so every interface in it); never throws. */
export function deleteNetns(name: string): void {
  try {
    sh('ip', ['netns', 'del', name]);
  } catch {
    // already gone
  }
}

export function sysctl(ns: string, key: string, value: string): void {
  nsExec(ns, 'sysctl', ['-q', '-w', `${key}=${value}`]);
}

/** Names of namespaces this process created that still exist (for leak checks). */
export function listNetns(): string[] {
  return sh('ip', ['netns', 'list'])
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n.length > 0);
}
