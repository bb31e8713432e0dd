/**
 * The IKEv1 engine: dispatches each datagram to its exchange (Main Mode, Quick Mode, informational),
 * answers repeats, refuses what it must, and exposes the owner's requests (initiate, Quick Mode, delete,
 * traffic seen). A pure state machine per docs/architecture.md: `receive`/`tick`/requests in, actions out,
 * `deadline()` for the owner's one timer. The table and the timers live in sa-table.ts and timers.ts.
 */
import type { Millis } from '../util/clock.js';
import { Counters } from '../util/counters.js';
import type { Logger } from '../util/log.js';
import type { Endpoint, IkeAction } from './actions.js';
import { respondAm1, respondAm3 } from './aggressive-mode.js';
import { ExchangeType, HeaderFlag, NotifyType } from './codec/constants.js';
import { IkeNotifyError } from './codec/errors.js';
import { decodeHeader, type IsakmpHeader } from './codec/header.js';
import { decodeMessage } from './codec/message.js';
import { type IkeConfig, type IkeConfigInput, resolveConfig } from './config.js';
import { type EngineContext, type IkeCounter, sendTo } from './context.js';
import type { IkeSa } from './ike-sa.js';
import {
  deleteEspPayload,
  deleteIkePayload,
  notifyPayload,
  receiveInformational,
  sendClearNotify,
  sendInformational,
} from './informational.js';
import { initiateMm1, initiatorMm2, initiatorMm4, initiatorMm6 } from './main-mode-initiator.js';
import { respondMm1, respondMm3, respondMm5 } from './main-mode-responder.js';
import { initiateQm1, initiatorQm2 } from './quick-mode-initiator.js';
import { respondQm1, respondQm3 } from './quick-mode-responder.js';
import { IkeSaTable } from './sa-table.js';
import { armRekey, nextDeadline, tickSa } from './timers.js';

const ZERO_COOKIE = Buffer.alloc(8);
const MAX_EXCHANGES_PER_SA = 16;

export interface IkeSaSummary {
  readonly id: string;
  readonly role: 'initiator' | 'responder';
  readonly state: string;
  readonly peer: Endpoint;
  readonly local: Endpoint;
  readonly suite: string | undefined;
  readonly natT: boolean;
  readonly children: readonly { spiIn: number; spiOut: number }[];
}

export class IkeEngine {
  readonly counters = new Counters<IkeCounter>();
  readonly cfg: IkeConfig;
  private readonly log: Logger;
  private readonly table: IkeSaTable;

  constructor(config: IkeConfigInput) {
    this.cfg = resolveConfig(config);
    this.log = this.cfg.log;
    this.table = new IkeSaTable(this.cfg);
  }

  /** Made once: an event's context differs only in `out` and `now` (see ctx). */
  private readonly allocateSpi = (): Buffer => this.table.allocateSpi();
  private readonly allocateMessageId = (sa: IkeSa): number => {
    for (;;) {
      const m = this.cfg.rng(4).readUInt32BE(0);
      if (m !== 0 && !sa.exchanges.has(m)) return m;
    }
  };

  private ctx(now: Millis): EngineContext {
    return {
      cfg: this.cfg,
      counters: this.counters,
      log: this.log,
      out: [],
      now,
      allocateSpi: this.allocateSpi,
      allocateMessageId: this.allocateMessageId,
    };
  }

  // ------------------------------------------------------------------------------------------- requests

  /** Starts Main Mode towards `peer` (initiator role). Quick Mode follows when `autoQuickMode`. */
  initiate(peer: Endpoint, local: Endpoint, now: Millis): { ikeSaId: string; actions: readonly IkeAction[] } {
    const ctx = this.ctx(now);
    const sa = initiateMm1(ctx, peer, local);
    sa.origin = { peer, local };
    this.table.addInitiator(sa);
    return { ikeSaId: sa.id, actions: ctx.out };
  }

  /** A new Quick Mode on an established IKE SA (initiator; also rekeys). */
  startQuickMode(ikeSaId: string, now: Millis): readonly IkeAction[] {
    const sa = this.table.byId.get(ikeSaId);
    if (sa?.state !== 'established') return [];
    const ctx = this.ctx(now);
    initiateQm1(ctx, sa);
    return ctx.out;
  }

  /** Deletes an IKE SA and its children, telling the peer (RFC 2408 section 4.8). */
  deleteIkeSa(ikeSaId: string, now: Millis, opts: { keepChildren?: boolean } = {}): readonly IkeAction[] {
    const sa = this.table.byId.get(ikeSaId);
    if (!sa) return [];
    const ctx = this.ctx(now);
    if (opts.keepChildren) {
      // After a phase-1 rekey only the old ISAKMP SA goes; a newer IKE SA to the same peer adopts the ESP SAs.
      sendInformational(ctx, sa, [deleteIkePayload(sa)]);
      this.table.adoptOrDeleteChildren(ctx, sa, 'local');
      this.table.removeSa(ctx, sa, 'local');
      return ctx.out;
    }
    if (sa.children.length > 0)
      sendInformational(ctx, sa, [deleteEspPayload(sa.children.map((c) => c.params.spiIn))]);
    sendInformational(ctx, sa, [deleteIkePayload(sa)]);
    this.table.removeChildren(ctx, sa, sa.children.slice(), 'local');
    this.table.removeSa(ctx, sa, 'local');
    return ctx.out;
  }

  /** Deletes one child SA pair by its inbound SPI, telling the peer. */
  deleteChildSa(spiIn: number, now: Millis): readonly IkeAction[] {
    const sa = this.table.childBySpiIn.get(spiIn);
    const child = sa?.children.find((c) => c.params.spiIn === spiIn);
    if (!sa || !child) return [];
    const ctx = this.ctx(now);
    sendInformational(ctx, sa, [deleteEspPayload([spiIn])]);
    this.table.removeChildren(ctx, sa, [child], 'local');
    return ctx.out;
  }

  /**
   * ESP saw authenticated traffic on `spiIn`: the peer is alive (no DPD needed), and once traffic has
   * moved to a rekeyed SA the older SAs with the same selectors are deleted (issue 4: responder rekey).
   */
  noteInboundTraffic(spiIn: number, now: Millis): readonly IkeAction[] {
    const sa = this.table.childBySpiIn.get(spiIn);
    const child = sa?.children.find((c) => c.params.spiIn === spiIn);
    if (!sa || !child) return [];
    sa.lastHeard = now;
    child.lastTraffic = now;
    // Only the first packet on an SA can mean "traffic has moved": later calls stay O(1) for the data path.
    if (child.trafficSeen) return [];
    child.trafficSeen = true;
    const ctx = this.ctx(now);
    this.table.retireOlderSiblings(ctx, sa, child, (o, c) => {
      sendInformational(ctx, o, [deleteEspPayload([c.params.spiIn])]);
    });
    return ctx.out;
  }

  ikeSas(): IkeSaSummary[] {
    return [...this.table.byId.values()].map((sa) => ({
      id: sa.id,
      role: sa.role,
      state: sa.state,
      peer: sa.peer,
      local: sa.local,
      suite: sa.suite ? sa.suiteName() : undefined,
      natT: sa.encapsulate,
      children: sa.children.map((c) => ({ spiIn: c.params.spiIn, spiOut: c.params.spiOut })),
    }));
  }

  /** Responder SAs not yet authenticated (bounded by halfOpenTotal / halfOpenPerSource). */
  get halfOpen(): number {
    return this.table.halfOpenTotal;
  }

  // ------------------------------------------------------------------------------------------- timers

  /** The next time `tick` has work, or undefined when nothing is pending. */
  deadline(): Millis | undefined {
    let next: Millis | undefined;
    for (const sa of this.table.byId.values()) {
      const d = nextDeadline(this.cfg, sa);
      if (d !== undefined && (next === undefined || d < next)) next = d;
    }
    return next;
  }

  tick(now: Millis): readonly IkeAction[] {
    const ctx = this.ctx(now);
    for (const sa of [...this.table.byId.values()]) {
      try {
        tickSa(ctx, this.table, sa);
      } catch (err) {
        // A timer must never take the owner's loop down; the SA is dropped rather than retried forever.
        this.log.error({ err: (err as Error).message, ike: sa.id }, 'IKE timer failed');
        this.table.removeSa(ctx, sa, 'failed');
      }
    }
    return ctx.out;
  }

  // ------------------------------------------------------------------------------------------- receive

  /**
   * One ISAKMP datagram (non-ESP marker already removed) from `from` to our `local` endpoint. Never
   * throws: bad input is counted and dropped or answered with a notify.
   */
  receive(datagram: Buffer, from: Endpoint, local: Endpoint, now: Millis): readonly IkeAction[] {
    const ctx = this.ctx(now);
    if (datagram.length === 1 && datagram[0] === 0xff) {
      // RFC 3948 section 2.3: a NAT keep-alive that reached us on the IKE path.
      this.counters.count('nat-keepalive');
      return ctx.out;
    }
    let header: IsakmpHeader;
    try {
      header = decodeHeader(datagram);
    } catch {
      this.counters.count('malformed');
      return ctx.out;
    }
    try {
      switch (header.exchangeType) {
        case ExchangeType.IdentityProtection:
          this.mainMode(ctx, header, datagram, from, local);
          break;
        case ExchangeType.QuickMode:
          this.quickMode(ctx, header, datagram);
          break;
        case ExchangeType.Informational:
          receiveInformational(ctx, this.table, header, datagram, from);
          break;
        case ExchangeType.Aggressive:
          if (this.cfg.aggressiveMode) {
            this.mainMode(ctx, header, datagram, from, local);
            break;
          }
          // Off by default (issue 4): its message 2 hands out a PSK hash for offline cracking.
          this.counters.count('aggressive-refused');
          if (header.responderCookie.equals(ZERO_COOKIE)) {
            sendClearNotify(
              ctx,
              from,
              local,
              header.initiatorCookie,
              ZERO_COOKIE,
              NotifyType.NoProposalChosen,
            );
          }
          break;
        default:
          this.counters.count('unsupported-exchange');
      }
    } catch (err) {
      this.counters.count('malformed');
      this.log.debug({ err: (err as Error).message, peer: from.address }, 'dropped ISAKMP message');
    }
    return ctx.out;
  }

  private mainMode(
    ctx: EngineContext,
    header: IsakmpHeader,
    raw: Buffer,
    from: Endpoint,
    local: Endpoint,
  ): void {
    if (header.responderCookie.equals(ZERO_COOKIE)) {
      this.mm1(ctx, header, raw, from, local);
      return;
    }
    let sa = this.table.find(header.initiatorCookie, header.responderCookie);
    if (sa && sa.exchangeType !== header.exchangeType) {
      this.counters.count('unexpected-message');
      return;
    }
    if (!sa) {
      const waiting = this.table.awaitingMm2.get(header.initiatorCookie.toString('hex'));
      if (waiting?.state === 'mm1') sa = waiting;
    }
    if (!sa) {
      this.counters.count('unknown-sa');
      return;
    }
    if (sa.lastReceived?.equals(raw)) {
      this.counters.count('duplicate');
      // RFC 2408 section 5: the responder answers an exact repeat with its last message.
      if (sa.role === 'responder' && sa.lastSent) sendTo(ctx, sa, sa.lastSent);
      return;
    }
    const encrypted = (header.flags & HeaderFlag.Encryption) !== 0;
    try {
      if (sa.role === 'responder') {
        if (sa.state === 'mm2' && !encrypted) respondMm3(ctx, sa, raw, decodeMessage(raw).chain);
        else if (sa.state === 'am2') {
          respondAm3(ctx, sa, header, raw, from, local);
          this.established(ctx, sa);
        } else if (sa.state === 'mm4' && encrypted) {
          respondMm5(ctx, sa, header, raw, from, local);
          this.established(ctx, sa);
        } else this.counters.count('unexpected-message');
        return;
      }
      if (sa.state === 'mm1' && !encrypted) {
        initiatorMm2(ctx, sa, header, decodeMessage(raw).chain);
        this.table.keyInitiator(sa);
      } else if (sa.state === 'mm3' && !encrypted) initiatorMm4(ctx, sa, decodeMessage(raw).chain);
      else if (sa.state === 'mm5' && encrypted) {
        initiatorMm6(ctx, sa, header, raw);
        this.established(ctx, sa);
        armRekey(this.cfg, sa, ctx.now);
        if (sa.rekeyOf !== undefined) this.completeRekey(ctx, sa);
        else if (this.cfg.autoQuickMode) initiateQm1(ctx, sa);
        return;
      } else {
        this.counters.count('unexpected-message');
        return;
      }
      sa.lastReceived = raw;
    } catch (err) {
      if (!(err instanceof IkeNotifyError)) throw err;
      this.failMainMode(ctx, sa, err);
    }
  }

  private mm1(ctx: EngineContext, header: IsakmpHeader, raw: Buffer, from: Endpoint, local: Endpoint): void {
    if (header.flags & HeaderFlag.Encryption || header.messageId !== 0) {
      this.counters.count('malformed');
      return;
    }
    const mm1Key = `${header.initiatorCookie.toString('hex')}|${from.address}|${from.port}`;
    const existing = this.table.byMm1.get(mm1Key);
    if (existing) {
      this.counters.count('duplicate');
      if (
        (existing.state === 'mm2' || existing.state === 'am2') &&
        existing.firstReceived?.equals(raw) &&
        existing.lastSent
      ) {
        sendTo(ctx, existing, existing.lastSent);
      }
      return;
    }
    if (this.table.sourceFull(from.address)) {
      this.counters.count('half-open-source-limit');
      return;
    }
    if (this.table.halfOpenTotal >= this.cfg.halfOpenTotal && !this.table.evictHalfOpen(ctx)) {
      this.counters.count('half-open-limit');
      return;
    }
    let sa: IkeSa;
    try {
      const msg = decodeMessage(raw);
      sa =
        header.exchangeType === ExchangeType.Aggressive
          ? respondAm1(ctx, header, raw, msg.chain, msg.body, from, local)
          : respondMm1(ctx, header, raw, msg.chain, msg.body, from, local);
    } catch (err) {
      if (!(err instanceof IkeNotifyError)) throw err;
      this.counters.count(err.notify === NotifyType.NoProposalChosen ? 'no-proposal-chosen' : 'malformed');
      this.log.info({ peer: from.address, notify: err.notify, reason: err.message }, 'MM1 refused');
      sendClearNotify(ctx, from, local, header.initiatorCookie, ZERO_COOKIE, err.notify);
      return;
    }
    this.table.addResponder(sa, mm1Key, from.address);
  }

  private failMainMode(ctx: EngineContext, sa: IkeSa, err: IkeNotifyError): void {
    this.counters.count(MAIN_MODE_FAILURE_COUNTERS.get(err.notify) ?? 'malformed');
    this.log.info({ ike: sa.id, notify: err.notify, reason: err.message }, 'Main Mode failed');
    sendClearNotify(ctx, sa.peer, sa.local, sa.ckyI, sa.ckyR, err.notify);
    this.table.removeSa(ctx, sa, 'failed', err.notify);
  }

  private established(ctx: EngineContext, sa: IkeSa): void {
    this.table.clearHalfOpen(sa);
    if (sa.initialContact) this.table.initialContact(ctx, sa);
  }

  /**
   * Our phase-1 rekey is up: the new SA is marked as a replacement in its `ike-sa-up` (the owner must not
   * see a new connection), takes over the old SA's ESP SAs, and the old ISAKMP SA alone is deleted (RFC 2408
   * section 4.8 DELETE with protocol ISAKMP; the ESP SAs live on, as strongSwan and racoon do).
   */
  private completeRekey(ctx: EngineContext, sa: IkeSa): void {
    const oldId = sa.rekeyOf!;
    const i = ctx.out.findIndex((a) => a.type === 'ike-sa-up' && a.ikeSaId === sa.id);
    const up = ctx.out[i];
    if (up?.type === 'ike-sa-up') ctx.out[i] = { ...up, rekeyOf: oldId };
    const old = this.table.byId.get(oldId);
    if (old === undefined || old.state !== 'established') return;
    old.rekeyedBy = undefined;
    old.rekeyAt = undefined;
    ctx.counters.count('ike-rekeyed');
    this.log.info({ ike: sa.id, old: old.id, children: old.children.length }, 'phase-1 rekeyed');
    // A Quick Mode of ours still waiting on the old SA (an ESP rekey) would die with it: run it again here.
    let requeued = 0;
    for (const ex of old.exchanges.values())
      if (ex.kind === 'quick' && ex.role === 'initiator' && ex.state === 'qm1') requeued++;
    sendInformational(ctx, old, [deleteIkePayload(old)]);
    this.table.adoptOrDeleteChildren(ctx, old, 'local', sa);
    this.table.removeSa(ctx, old, 'rekeyed');
    for (let k = 0; k < requeued; k++) initiateQm1(ctx, sa);
  }

  private quickMode(ctx: EngineContext, header: IsakmpHeader, raw: Buffer): void {
    const sa = this.table.find(header.initiatorCookie, header.responderCookie);
    if (sa?.state !== 'established' || header.messageId === 0 || !(header.flags & HeaderFlag.Encryption)) {
      this.counters.count(sa ? 'unexpected-message' : 'unknown-sa');
      return;
    }
    const ex = sa.exchanges.get(header.messageId);
    if (ex?.lastReceived?.equals(raw)) {
      this.counters.count('duplicate');
      if (ex.lastSent) sendTo(ctx, sa, ex.lastSent);
      return;
    }
    try {
      if (!ex) {
        if (sa.exchanges.size >= MAX_EXCHANGES_PER_SA) {
          this.counters.count('unexpected-message');
          return;
        }
        const created = respondQm1(ctx, sa, header, raw);
        sa.exchanges.set(created.messageId, created);
      } else if (ex.role === 'responder' && ex.state === 'qm2') {
        respondQm3(ctx, sa, ex, header, raw);
        this.table.indexChildren(sa);
      } else if (ex.role === 'initiator' && ex.state === 'qm1') {
        initiatorQm2(ctx, sa, ex, header, raw);
        this.table.indexChildren(sa);
      } else {
        this.counters.count('unexpected-message');
        return;
      }
      sa.lastHeard = ctx.now;
    } catch (err) {
      if (!(err instanceof IkeNotifyError)) throw err;
      if (err.notify === NotifyType.InvalidHashInformation || err.notify === NotifyType.PayloadMalformed) {
        // Unauthenticated or undecryptable: nothing to answer, nothing kept.
        this.counters.count('bad-hash');
        return;
      }
      this.counters.count(
        err.notify === NotifyType.NoProposalChosen ? 'no-proposal-chosen' : 'invalid-id-information',
      );
      this.log.info({ ike: sa.id, notify: err.notify, reason: err.message }, 'Quick Mode refused');
      if (!ex) sa.exchanges.delete(header.messageId);
      sendInformational(ctx, sa, [notifyPayload(sa, err.notify)]);
    }
  }
}

/** How a failed Main Mode is counted, by the notify it answers with (RFC 2408 section 3.14.1). */
const MAIN_MODE_FAILURE_COUNTERS: ReadonlyMap<number, IkeCounter> = new Map<number, IkeCounter>([
  [NotifyType.AuthenticationFailed, 'authentication-failed'],
  [NotifyType.InvalidKeyInformation, 'invalid-key-information'],
  [NotifyType.InvalidCertificate, 'invalid-certificate'],
  [NotifyType.InvalidSignature, 'invalid-signature'],
  [NotifyType.CertTypeUnsupported, 'cert-type-unsupported'],
  [NotifyType.CertificateUnavailable, 'certificate-unavailable'],
]);
