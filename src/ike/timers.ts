/**
 * The IKE engine's timers: initiator retransmission with back-off, the responder's QM2 repeat, half-open
 * and exchange expiry, SA lifetimes, the initiator's phase-1 rekey, and DPD (RFC 3706 section 5: probe a
 * quiet peer, declare it dead after `dpdTries` unanswered probes, and clear everything above it).
 */
import type { Millis } from '../util/clock.js';
import { NotifyType } from './codec/constants.js';
import type { IkeConfig } from './config.js';
import { type EngineContext, sendTo } from './context.js';
import type { IkeSa } from './ike-sa.js';
import {
  deleteEspPayload,
  deleteIkePayload,
  dpdData,
  notifyPayload,
  sendInformational,
} from './informational.js';
import { initiateMm1 } from './main-mode-initiator.js';
import type { IkeSaTable } from './sa-table.js';

export function nextDeadline(cfg: IkeConfig, sa: IkeSa): Millis | undefined {
  let next: Millis | undefined;
  const at = (t: Millis | undefined) => {
    if (t !== undefined && (next === undefined || t < next)) next = t;
  };
  at(sa.expiresAt);
  at(sa.retransmitAt);
  if (sa.rekeyedBy === undefined) at(sa.rekeyAt);
  for (const ex of sa.exchanges.values()) {
    at(ex.retransmitAt);
    at(ex.expiresAt);
  }
  for (const c of sa.children) at(c.expiresAt);
  at(sa.keepaliveAt);
  if (sa.state === 'established' && sa.dpdEnabled) {
    at(sa.dpdOutstanding ? sa.dpdOutstanding.sentAt + cfg.dpdRetryMs : sa.lastHeard + cfg.dpdIdleMs);
  }
  return next;
}

export function tickSa(ctx: EngineContext, table: IkeSaTable, sa: IkeSa): void {
  const { now, cfg } = ctx;
  if (sa.state !== 'established') {
    if (now >= sa.expiresAt) {
      ctx.counters.count(sa.role === 'initiator' ? 'initiator-gave-up' : 'half-open-timeout');
      table.removeSa(ctx, sa, 'failed');
      return;
    }
    if (sa.retransmitAt !== undefined && now >= sa.retransmitAt && sa.lastSent) {
      if (sa.tries >= cfg.retransmitTries) {
        ctx.counters.count('initiator-gave-up');
        table.removeSa(ctx, sa, 'failed');
        return;
      }
      ctx.counters.count('retransmit');
      sa.tries++;
      sa.retransmitWait *= 2;
      sa.retransmitAt = now + sa.retransmitWait;
      sendTo(ctx, sa, sa.lastSent);
    }
    return;
  }
  if (now >= sa.expiresAt) {
    sendInformational(ctx, sa, [deleteIkePayload(sa)]);
    table.adoptOrDeleteChildren(ctx, sa, 'expired');
    table.removeSa(ctx, sa, 'expired');
    return;
  }
  if (sa.rekeyAt !== undefined && now >= sa.rekeyAt && sa.rekeyedBy === undefined) startRekey(ctx, table, sa);
  for (const ex of [...sa.exchanges.values()]) {
    if (ex.retransmitAt !== undefined && now >= ex.retransmitAt && ex.lastSent) {
      if (ex.tries >= cfg.retransmitTries) {
        ctx.counters.count(ex.role === 'initiator' ? 'initiator-gave-up' : 'responder-gave-up');
        sa.exchanges.delete(ex.messageId);
        table.releaseSpi(ex.spiIn);
        if (ex.role === 'initiator') ctx.out.push({ type: 'child-sa-failed', ikeSaId: sa.id });
        continue;
      }
      ctx.counters.count('retransmit');
      ex.tries++;
      ex.retransmitWait *= 2;
      ex.retransmitAt = now + ex.retransmitWait;
      sendTo(ctx, sa, ex.lastSent);
    }
    if (now >= ex.expiresAt) {
      sa.exchanges.delete(ex.messageId);
      if (ex.state !== 'done') table.releaseSpi(ex.spiIn);
    }
  }
  const expired = sa.children.filter((c) => now >= c.expiresAt);
  if (expired.length > 0) {
    sendInformational(ctx, sa, [deleteEspPayload(expired.map((c) => c.params.spiIn))]);
    table.removeChildren(ctx, sa, expired, 'expired');
  }
  if (sa.keepaliveAt !== undefined && now >= sa.keepaliveAt) {
    sa.keepaliveAt = now + cfg.natKeepaliveMs;
    ctx.out.push({ type: 'send', to: sa.peer, from: sa.local, data: NAT_KEEPALIVE, nonEspMarker: false });
  }
  if (sa.dpdEnabled) dpd(ctx, table, sa);
}

const NAT_KEEPALIVE = Buffer.from([0xff]);

function dpd(ctx: EngineContext, table: IkeSaTable, sa: IkeSa): void {
  const { now, cfg } = ctx;
  const o = sa.dpdOutstanding;
  if (o) {
    if (now < o.sentAt + cfg.dpdRetryMs) return;
    if (o.tries >= cfg.dpdTries) {
      ctx.counters.count('peer-dead');
      ctx.out.push({ type: 'peer-dead', ikeSaId: sa.id, peer: sa.peer });
      table.removeChildren(ctx, sa, sa.children.slice(), 'peer-dead');
      table.removeSa(ctx, sa, 'peer-dead');
      return;
    }
  } else if (now < sa.lastHeard + cfg.dpdIdleMs) {
    return;
  }
  // RFC 3706 section 7: a random starting sequence number, then one more per probe.
  sa.dpdSeq = sa.dpdSeq === 0 ? cfg.rng(4).readUInt32BE(0) & 0x7fffffff : sa.dpdSeq + 1;
  sa.dpdOutstanding = { seq: sa.dpdSeq, sentAt: now, tries: (o?.tries ?? 0) + 1 };
  ctx.counters.count('dpd-sent');
  sendInformational(ctx, sa, [notifyPayload(sa, NotifyType.DpdRUThere, dpdData(sa.dpdSeq))]);
}

/**
 * The soft point of an initiator's IKE SA (RFC 2409 section 5 leaves the timing to policy; strongSwan and
 * racoon rekey at a margin before expiry): `ikeRekeyShare` of the lifetime less a random part of
 * `ikeRekeyJitterShare` of it, never sooner than `ikeRekeyMinMs`; none when that is past the expiry.
 */
export function armRekey(cfg: IkeConfig, sa: IkeSa, now: Millis): void {
  sa.rekeyAt = undefined;
  if (!cfg.ikeRekey || sa.role !== 'initiator' || sa.state !== 'established') return;
  const life = sa.expiresAt - now;
  const jitter = cfg.ikeRekeyJitterShare * life * (cfg.rng(2).readUInt16BE(0) / 0x10000);
  const at = now + Math.max(cfg.ikeRekeyMinMs, Math.floor(life * cfg.ikeRekeyShare - jitter));
  if (at < sa.expiresAt) sa.rekeyAt = at;
}

/** A rekey attempt failed: try again later while attempts and time remain, else let the SA expire. */
export function retryRekey(cfg: IkeConfig, sa: IkeSa, now: Millis): void {
  sa.rekeyAt = undefined;
  if (sa.state !== 'established' || sa.rekeyTries >= cfg.ikeRekeyTries) return;
  const left = sa.expiresAt - now;
  // Below a second there is no time for six messages: the SA expires as without rekeying.
  if (left < 1000) return;
  sa.rekeyAt = now + Math.min(cfg.ikeRekeyRetryMs, Math.floor(left / 2));
}

/**
 * Starts a fresh Main Mode to the same peer from the same local endpoint (as first dialled: port 500, or
 * 4500 directly, with the same proposals, PSK and NAT-T handling). The old SA serves until the new one is
 * up (engine.ts completes the rekey); the attempt ends no later than the old SA.
 */
function startRekey(ctx: EngineContext, table: IkeSaTable, old: IkeSa): void {
  old.rekeyAt = undefined;
  old.rekeyTries++;
  const origin = old.origin ?? { peer: old.peer, local: old.local };
  const next = initiateMm1(ctx, origin.peer, origin.local);
  next.origin = origin;
  next.rekeyOf = old.id;
  next.expiresAt = Math.min(next.expiresAt, old.expiresAt);
  old.rekeyedBy = next.id;
  table.addInitiator(next);
  ctx.counters.count('ike-rekey-started');
  ctx.log.info({ ike: old.id, next: next.id, attempt: old.rekeyTries }, 'phase-1 rekey started');
}
