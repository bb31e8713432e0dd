/**
 * Host-side packet capture with dumpcap (shipped with tshark) inside the case's namespace. The capture
 * is known to be running once the pcap file header is on disk, so no packet of the case is missed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, openSync, statSync } from 'node:fs';
import { stop, track } from './processes.js';

export interface Capture {
  file: string;
  stop(): Promise<void>;
}

export async function startCapture(
  ns: string,
  iface: string,
  file: string,
  logFile: string,
): Promise<Capture> {
  const log = openSync(logFile, 'w');
  const child: ChildProcess = track(
    spawn('ip', ['netns', 'exec', ns, 'dumpcap', '-q', '-P', '-i', iface, '-w', file], {
      stdio: ['ignore', log, log],
    }),
  );
  const deadline = Date.now() + 10_000;
  while (!(existsSync(file) && statSync(file).size >= 24)) {
    if (child.exitCode !== null)
      throw new Error(`dumpcap on ${iface} exited ${child.exitCode} (see ${logFile})`);
    if (Date.now() > deadline) {
      await stop(child, 'SIGKILL');
      throw new Error(`dumpcap on ${iface} did not start within 10 s (see ${logFile})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    file,
    // SIGINT makes dumpcap flush and close the file cleanly.
    stop: () => stop(child, 'SIGINT', 3000),
  };
}
