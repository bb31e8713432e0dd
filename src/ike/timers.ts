/**
 * The IKE engine's timers: initiator retransmission with back-off, the responder's QM2 repeat, half-open
 * and exchange expiry, SA lifetimes, and DPD (RFC 3706 section 5: probe a quiet peer, declare it dead
 * after `dpdTries` unanswered probes, and clear everything above it).
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
import type { IkeSaTable } from './sa-table.js';

export function nextDeadline(cfg: IkeConfig, sa: IkeSa): Millis | undefined {
  let next: Millis | undefined;
  const at = (t: Millis | undefined) => {
    if (t !== undefined && (next === undefined || t < next)) next = t;
  };
  at(sa.expiresAt);
  at(sa.retransmitAt);
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
    table.adoptOrDeleteChildren(ctx, sa);
    table.removeSa(ctx, sa, 'expired');
    return;
  }
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
