/**
 * Admission and idle limits for sessions (issue 7's `limits` and `timeouts.idle`): how many sessions in
 * total, per IPsec peer and per user, and how long a session may carry no traffic. Pure checks over the
 * session table; the endpoint applies the verdicts (a CDN with result 4, RFC 2661 section 4.4.2, when a new
 * L2TP session is refused; LCP Terminate when a user is over the limit or idle).
 */
import type { Millis } from '../util/clock.js';
import type { VpnSession } from './session.js';
import type { SessionTable } from './session-table.js';

export interface SessionLimits {
  /** 0 = unlimited. */
  readonly maxSessions: number;
  readonly maxSessionsPerPeer: number;
  readonly maxSessionsPerUser: number;
  /** Close a session that carried no packet in either direction for this long; 0 = never. */
  readonly idleMs: Millis;
}

export const NO_LIMITS: SessionLimits = {
  maxSessions: 0,
  maxSessionsPerPeer: 0,
  maxSessionsPerUser: 0,
  idleMs: 0,
};

/** Why a new L2TP session from `peerKey` must be refused, or undefined to admit it. */
export function refuseNewSession(
  table: SessionTable,
  peerKey: string,
  limits: SessionLimits,
): string | undefined {
  if (limits.maxSessions > 0 && table.size >= limits.maxSessions)
    return `server full (${limits.maxSessions} sessions)`;
  if (limits.maxSessionsPerPeer > 0) {
    let n = 0;
    for (const s of table.all()) if (s.peerKey === peerKey) n++;
    if (n >= limits.maxSessionsPerPeer)
      return `too many sessions from this peer (${limits.maxSessionsPerPeer})`;
  }
  return undefined;
}

/** Why `session`, just authenticated as `user`, must be closed, or undefined to let it run. */
export function refuseUser(
  table: SessionTable,
  session: VpnSession,
  user: string,
  limits: SessionLimits,
): string | undefined {
  if (limits.maxSessionsPerUser === 0) return undefined;
  let n = 0;
  for (const s of table.all()) if (s !== session && s.ipUp && s.user === user) n++;
  return n >= limits.maxSessionsPerUser ? `user ${user} already has ${n} session(s)` : undefined;
}

/**
 * Idle detection without touching the data path: each check compares a session's packet counters with
 * those seen at the previous check, so the per-packet cost stays nil.
 */
export class IdleWatch {
  private readonly seen = new WeakMap<VpnSession, { packets: number; since: Millis }>();
  private next: Millis | undefined;

  constructor(private readonly idleMs: Millis) {}

  /** When the next check is due (undefined when idle timeouts are off or nothing is up). */
  deadline(table: SessionTable, now: Millis): Millis | undefined {
    if (this.idleMs === 0 || table.size === 0) return undefined;
    this.next ??= now + this.interval();
    return this.next;
  }

  /** The sessions idle for at least `idleMs`, when a check is due. */
  due(table: SessionTable, now: Millis): VpnSession[] {
    if (this.idleMs === 0 || this.next === undefined || now < this.next) return [];
    this.next = now + this.interval();
    const idle: VpnSession[] = [];
    for (const s of table.all()) {
      if (!s.ipUp) continue;
      const packets = s.packetsIn + s.packetsOut;
      const last = this.seen.get(s);
      if (last === undefined || last.packets !== packets) this.seen.set(s, { packets, since: now });
      else if (now - last.since >= this.idleMs) idle.push(s);
    }
    return idle;
  }

  private interval(): Millis {
    return Math.min(Math.max(this.idleMs / 4, 1000), 30_000);
  }
}
