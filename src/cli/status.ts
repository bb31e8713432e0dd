/**
 * `l2tpsec status [--json] [--control PATH]`: the running server's sessions, read over its control
 * socket. A table for people; with --json the snapshot itself (each session carrying its user name).
 */
import type { Command } from 'commander';
import { DEFAULT_CONTROL_SOCKET } from '../server/config.js';
import { queryStatus, type StatusSnapshot } from '../server/control-socket.js';

export function register(program: Command): void {
  program
    .command('status')
    .description("show the running server's sessions (read over its local control socket)")
    .option('--json', 'print machine-readable JSON', false)
    .option('--control <path>', `control socket (default: $L2TPSEC_CONTROL or ${DEFAULT_CONTROL_SOCKET})`)
    .action(async (opts: { json: boolean; control?: string }) => {
      const path = opts.control ?? process.env.L2TPSEC_CONTROL ?? DEFAULT_CONTROL_SOCKET;
      const snap = await queryStatus(path);
      process.stdout.write(opts.json ? `${JSON.stringify(snap, null, 2)}\n` : formatStatusTable(snap));
    });
}

export function formatDuration(seconds: number): string {
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const hms = `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  return d > 0 ? `${d}d ${hms}` : hms;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** The human-readable table. */
export function formatStatusTable(snap: StatusSnapshot): string {
  const lines: string[] = [];
  const pool = snap.pool ? `, pool ${snap.pool.leased} leased / ${snap.pool.available} free` : '';
  lines.push(
    `l2tpsec ${snap.version} (pid ${snap.pid}), up ${formatDuration(snap.uptimeSeconds)}, ` +
      `${snap.sessions.length} session${snap.sessions.length === 1 ? '' : 's'}${pool}`,
  );
  if (snap.sessions.length > 0) {
    const header = ['USER', 'PEER', 'ADDRESS', 'CLIENT', 'UPTIME', 'IN', 'OUT', 'SPI IN/OUT'];
    const rows = snap.sessions.map((s) => [
      s.user,
      `${s.peer.address}:${s.peer.port}${s.encapsulation === 'esp' ? ' (esp)' : ''}`,
      s.assignedAddress,
      s.clientFamily,
      formatDuration(s.uptimeSeconds),
      formatBytes(s.bytesIn),
      formatBytes(s.bytesOut),
      `${s.spis.inbound}/${s.spis.outbound}`,
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const fmt = (r: string[]) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd();
    lines.push('', fmt(header), ...rows.map(fmt));
  }
  return `${lines.join('\n')}\n`;
}
