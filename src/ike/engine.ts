/**
 * The IKEv1 engine: the table of ISAKMP SAs keyed by both cookies (never by address alone, so several
 * clients behind one NAT stay apart), dispatch of each datagram to its exchange, the half-open limits, and
 * every timer (retransmission, half-open expiry, lifetimes, DPD). A pure state machine per
 * docs/architecture.md: `receive`/`tick`/requests in, actions out, `deadline()` for the owner's one timer.
 */
import type { Millis } from '../util/clock.js';
import { Counters } from '../util/counters.js';
import type { Logger } from '../util/log.js';
import type { Endpoint, IkeAction, IkeSaDownAction } from './actions.js';
import { ExchangeType, HeaderFlag, NotifyType, PayloadType, ProtocolId } from './codec/constants.js';
import { IkeNotifyError } from './codec/errors.js';
import { type IsakmpHeader, decodeHeader } from './codec/header.js';
import { decodeMessage } from './codec/message.js';
import type { NotifyPayload } from './codec/notification.js';
import { type IkeConfig, type IkeConfigInput, resolveConfig } from './config.js';
import { type EngineContext, type IkeCounter, sendTo } from './context.js';
import { type ChildSa, type IkeSa, ikeSaKey } from './ike-sa.js';
import {
  deleteEspPayload,
  deleteIkePayload,
  dpdData,
  dpdSequence,
  notifyPayload,
  openInformational,
  sendClearNotify,
  sendInformational,
} from './informational.js';
import { initiateMm1, initiatorMm2, initiatorMm4, initiatorMm6, respondMm1, respondMm3, respondMm5 } from './main-mode.js';
import { initiateQm1, initiatorQm2, respondQm1, respondQm3 } from './quick-mode.js';

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
  private readonly byKey = new Map<string, IkeSa>();
  private readonly byId = new Map<string, IkeSa>();
  /** Responder half-open SAs by initiator cookie and source, to answer a repeated MM1. */
  private readonly byMm1 = new Map<string, IkeSa>();
  /** Initiator SAs awaiting MM2 (responder cookie still unknown), by initiator cookie. */
  private readonly awaitingMm2 = new Map<string, IkeSa>();
  private readonly halfOpenBySource = new Map<string, number>();
  private halfOpenTotal = 0;
  private readonly childBySpiIn = new Map<number, IkeSa>();
  private readonly spisInUse = new Set<number>();

  constructor(config: IkeConfigInput) {
    this.cfg = resolveConfig(config);
    this.log = this.cfg.log;
  }

  private ctx(now: Millis, out: IkeAction[] = []): EngineContext {
    return {
      cfg: this.cfg,
      counters: this.counters,
      log: this.log,
      out,
      now,
      allocateSpi: () => this.allocateSpi(),
      allocateMessageId: (sa) => {
        for (;;) {
          const m = this.cfg.rng(4).readUInt32BE(0);
          if (m !== 0 && !sa.exchanges.has(m)) return m;
        }
      },
    };
  }

  private allocateSpi(): Buffer {
    for (;;) {
      const b = this.cfg.rng(4);
      const v = b.readUInt32BE(0);
      if (v >= 256 && !this.spisInUse.has(v)) {
        this.spisInUse.add(v);
        return b;
      }
    }
  }

  // ------------------------------------------------------------------------------------------- requests

  /** Starts Main Mode towards `peer` (initiator role). Quick Mode follows when `autoQuickMode`. */
  initiate(peer: Endpoint, local: Endpoint, now: Millis): { ikeSaId: string; actions: readonly IkeAction[] } {
    const ctx = this.ctx(now);
    const sa = initiateMm1(ctx, peer, local);
    this.awaitingMm2.set(sa.ckyI.toString('hex'), sa);
    this.byId.set(sa.id, sa);
    return { ikeSaId: sa.id, actions: ctx.out };
  }

  /** A new Quick Mode on an established IKE SA (initiator; also rekeys). */
  startQuickMode(ikeSaId: string, now: Millis): readonly IkeAction[] {
    const sa = this.byId.get(ikeSaId);
    if (!sa || sa.state !== 'established') return [];
    const ctx = this.ctx(now);
    initiateQm1(ctx, sa);
    return ctx.out;
  }

  /** Deletes an IKE SA and its children, telling the peer (RFC 2408 section 4.8). */
  deleteIkeSa(ikeSaId: string, now: Millis): readonly IkeAction[] {
    const sa = this.byId.get(ikeSaId);
    if (!sa) return [];
    const ctx = this.ctx(now);
    if (sa.children.length > 0) sendInformational(ctx, sa, [deleteEspPayload(sa.children.map((c) => c.params.spiIn))]);
    sendInformational(ctx, sa, [deleteIkePayload(sa)]);
    this.removeChildren(ctx, sa, sa.children.slice(), 'local');
    this.removeSa(ctx, sa, 'local');
    return ctx.out;
  }

  /** Deletes one child SA pair by its inbound SPI, telling the peer. */
  deleteChildSa(spiIn: number, now: Millis): readonly IkeAction[] {
    const sa = this.childBySpiIn.get(spiIn);
    if (!sa) return [];
    const ctx = this.ctx(now);
    const child = sa.children.find((c) => c.params.spiIn === spiIn)!;
    sendInformational(ctx, sa, [deleteEspPayload([spiIn])]);
    this.removeChildren(ctx, sa, [child], 'local');
    return ctx.out;
  }

  /**
   * ESP saw authenticated traffic on `spiIn`: the peer is alive (no DPD needed), and once traffic has
   * moved to a rekeyed SA the older SAs with the same selectors are deleted (issue 4: responder rekey).
   */
  noteInboundTraffic(spiIn: number, now: Millis): readonly IkeAction[] {
    const sa = this.childBySpiIn.get(spiIn);
    if (!sa) return [];
    sa.lastHeard = now;
    const child = sa.children.find((c) => c.params.spiIn === spiIn)!;
    child.lastTraffic = now;
    const older: { sa: IkeSa; child: ChildSa }[] = [];
    for (const other of this.byKey.values()) {
      if (!samePeer(other, sa)) continue;
      for (const c of other.children) {
        if (c !== child && c.createdAt < child.createdAt && sameSelectors(c, child)) older.push({ sa: other, child: c });
      }
    }
    if (older.length === 0) return [];
    const ctx = this.ctx(now);
    for (const o of older) {
      sendInformational(ctx, o.sa, [deleteEspPayload([o.child.params.spiIn])]);
      this.removeChildren(ctx, o.sa, [o.child], 'rekeyed');
    }
    return ctx.out;
  }

  ikeSas(): IkeSaSummary[] {
    return [...this.byId.values()].map((sa) => ({
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

  get halfOpen(): number {
    return this.halfOpenTotal;
  }

  // ------------------------------------------------------------------------------------------- timers

  /** The next time `tick` has work, or undefined when nothing is pending. */
  deadline(): Millis | undefined {
    let next: Millis | undefined;
    const at = (t: Millis | undefined) => {
      if (t !== undefined && (next === undefined || t < next)) next = t;
    };
    for (const sa of this.byId.values()) {
      at(sa.expiresAt);
      at(sa.retransmitAt);
      for (const ex of sa.exchanges.values()) {
        at(ex.retransmitAt);
        at(ex.expiresAt);
      }
      for (const c of sa.children) at(c.expiresAt);
      if (sa.state === 'established' && sa.dpdEnabled) {
        at(sa.dpdOutstanding ? sa.dpdOutstanding.sentAt + this.cfg.dpdRetryMs : sa.lastHeard + this.cfg.dpdIdleMs);
      }
    }
    return next;
  }

  tick(now: Millis): readonly IkeAction[] {
    const ctx = this.ctx(now);
    for (const sa of [...this.byId.values()]) this.tickSa(ctx, sa);
    return ctx.out;
  }

  private tickSa(ctx: EngineContext, sa: IkeSa): void {
    const now = ctx.now;
    if (sa.state !== 'established') {
      if (now >= sa.expiresAt) {
        this.counters.count(sa.role === 'initiator' ? 'initiator-gave-up' : 'half-open-timeout');
        this.removeSa(ctx, sa, 'failed');
        return;
      }
      if (sa.retransmitAt !== undefined && now >= sa.retransmitAt && sa.lastSent) {
        if (sa.tries >= this.cfg.retransmitTries) {
          this.counters.count('initiator-gave-up');
          this.removeSa(ctx, sa, 'failed');
          return;
        }
        this.counters.count('retransmit');
        sa.tries++;
        sa.retransmitWait *= 2;
        sa.retransmitAt = now + sa.retransmitWait;
        sendTo(ctx, sa, sa.lastSent);
      }
      return;
    }
    if (now >= sa.expiresAt) {
      sendInformational(ctx, sa, [deleteIkePayload(sa)]);
      this.adoptOrDeleteChildren(ctx, sa);
      this.removeSa(ctx, sa, 'expired');
      return;
    }
    for (const ex of [...sa.exchanges.values()]) {
      if (ex.retransmitAt !== undefined && now >= ex.retransmitAt && ex.lastSent) {
        if (ex.tries >= this.cfg.retransmitTries) {
          this.counters.count(ex.role === 'initiator' ? 'initiator-gave-up' : 'responder-gave-up');
          sa.exchanges.delete(ex.messageId);
          this.spisInUse.delete(ex.spiIn.readUInt32BE(0));
          continue;
        }
        this.counters.count('retransmit');
        ex.tries++;
        ex.retransmitWait *= 2;
        ex.retransmitAt = now + ex.retransmitWait;
        sendTo(ctx, sa, ex.lastSent);
      }
      if (now >= ex.expiresAt) {
        sa.exchanges.delete(ex.messageId);
        if (ex.state !== 'done') this.spisInUse.delete(ex.spiIn.readUInt32BE(0));
      }
    }
    const expired = sa.children.filter((c) => now >= c.expiresAt);
    if (expired.length > 0) {
      sendInformational(ctx, sa, [deleteEspPayload(expired.map((c) => c.params.spiIn))]);
      this.removeChildren(ctx, sa, expired, 'expired');
    }
    if (sa.dpdEnabled) this.dpd(ctx, sa);
  }

  /** RFC 3706 section 5: probe a quiet peer; after `dpdTries` unanswered probes it is dead. */
  private dpd(ctx: EngineContext, sa: IkeSa): void {
    const now = ctx.now;
    const o = sa.dpdOutstanding;
    if (o) {
      if (now < o.sentAt + this.cfg.dpdRetryMs) return;
      if (o.tries >= this.cfg.dpdTries) {
        this.counters.count('peer-dead');
        ctx.out.push({ type: 'peer-dead', ikeSaId: sa.id, peer: sa.peer });
        this.removeChildren(ctx, sa, sa.children.slice(), 'peer-dead');
        this.removeSa(ctx, sa, 'peer-dead');
        return;
      }
    } else if (now < sa.lastHeard + this.cfg.dpdIdleMs) {
      return;
    }
    // Each probe carries the next sequence number (RFC 3706 section 7).
    sa.dpdSeq = sa.dpdSeq === 0 ? this.cfg.rng(4).readUInt32BE(0) & 0x7fffffff : sa.dpdSeq + 1;
    sa.dpdOutstanding = { seq: sa.dpdSeq, sentAt: now, tries: (o?.tries ?? 0) + 1 };
    this.counters.count('dpd-sent');
    sendInformational(ctx, sa, [notifyPayload(sa, NotifyType.DpdRUThere, dpdData(sa.dpdSeq))]);
  }

  // ------------------------------------------------------------------------------------------- receive

  /**
   * One ISAKMP datagram (non-ESP marker already removed) from `from` to our `local` endpoint. Never
   * throws: bad input is counted and dropped or answered with a notify.
   */
  receive(datagram: Buffer, from: Endpoint, local: Endpoint, now: Millis): readonly IkeAction[] {
    const ctx = this.ctx(now);
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
          this.informational(ctx, header, datagram, from);
          break;
        case ExchangeType.Aggressive:
          this.counters.count('aggressive-refused');
          if (header.responderCookie.equals(ZERO_COOKIE)) {
            sendClearNotify(ctx, from, local, header.initiatorCookie, ZERO_COOKIE, NotifyType.NoProposalChosen);
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

  private mainMode(ctx: EngineContext, header: IsakmpHeader, raw: Buffer, from: Endpoint, local: Endpoint): void {
    if (header.responderCookie.equals(ZERO_COOKIE)) {
      this.mm1(ctx, header, raw, from, local);
      return;
    }
    let sa = this.byKey.get(ikeSaKey(header.initiatorCookie, header.responderCookie));
    if (!sa) {
      const waiting = this.awaitingMm2.get(header.initiatorCookie.toString('hex'));
      if (waiting && waiting.state === 'mm1') sa = waiting;
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
        else if (sa.state === 'mm4' && encrypted) {
          respondMm5(ctx, sa, header, raw, from, local);
          this.established(ctx, sa);
        } else this.counters.count('unexpected-message');
        return;
      }
      if (sa.state === 'mm1' && !encrypted) {
        initiatorMm2(ctx, sa, header, decodeMessage(raw).chain);
        this.awaitingMm2.delete(sa.ckyI.toString('hex'));
        this.byKey.set(sa.key, sa);
      } else if (sa.state === 'mm3' && !encrypted) initiatorMm4(ctx, sa, decodeMessage(raw).chain);
      else if (sa.state === 'mm5' && encrypted) {
        initiatorMm6(ctx, sa, header, raw);
        this.established(ctx, sa);
        if (this.cfg.autoQuickMode) initiateQm1(ctx, sa);
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
    const existing = this.byMm1.get(mm1Key);
    if (existing) {
      this.counters.count('duplicate');
      if (existing.state === 'mm2' && existing.firstReceived?.equals(raw) && existing.lastSent) {
        sendTo(ctx, existing, existing.lastSent);
      }
      return;
    }
    if ((this.halfOpenBySource.get(from.address) ?? 0) >= this.cfg.halfOpenPerSource) {
      this.counters.count('half-open-source-limit');
      return;
    }
    if (this.halfOpenTotal >= this.cfg.halfOpenTotal && !this.evictHalfOpen(ctx)) {
      this.counters.count('half-open-limit');
      return;
    }
    let sa: IkeSa;
    try {
      const msg = decodeMessage(raw);
      sa = respondMm1(ctx, header, raw, msg.chain, msg.body, from, local);
    } catch (err) {
      if (!(err instanceof IkeNotifyError)) throw err;
      this.counters.count(err.notify === NotifyType.NoProposalChosen ? 'no-proposal-chosen' : 'malformed');
      this.log.info({ peer: from.address, notify: err.notify, reason: err.message }, 'MM1 refused');
      sendClearNotify(ctx, from, local, header.initiatorCookie, ZERO_COOKIE, err.notify);
      return;
    }
    while (this.byId.has(sa.id)) sa.ckyR = this.cfg.rng(8);
    this.byKey.set(sa.key, sa);
    this.byId.set(sa.id, sa);
    this.byMm1.set(mm1Key, sa);
    sa.mm1Key = mm1Key;
    sa.halfOpen = true;
    sa.halfOpenSource = from.address;
    this.halfOpenTotal++;
    this.halfOpenBySource.set(from.address, (this.halfOpenBySource.get(from.address) ?? 0) + 1);
  }

  /**
   * Under an MM1 flood the oldest SA still waiting for MM3 makes room: a real client answers MM2 within a
   * round trip and so moves out of reach, while spoofed sources never do.
   */
  private evictHalfOpen(ctx: EngineContext): boolean {
    for (const sa of this.byKey.values()) {
      if (sa.role === 'responder' && sa.state === 'mm2') {
        this.counters.count('half-open-evicted');
        this.removeSa(ctx, sa, undefined);
        return true;
      }
    }
    return false;
  }

  private failMainMode(ctx: EngineContext, sa: IkeSa, err: IkeNotifyError): void {
    const counter: IkeCounter =
      err.notify === NotifyType.AuthenticationFailed
        ? 'authentication-failed'
        : err.notify === NotifyType.InvalidKeyInformation
          ? 'invalid-key-information'
          : 'malformed';
    this.counters.count(counter);
    this.log.info({ ike: sa.id, notify: err.notify, reason: err.message }, 'Main Mode failed');
    sendClearNotify(ctx, sa.peer, sa.local, sa.ckyI, sa.ckyR, err.notify);
    this.removeSa(ctx, sa, 'failed', err.notify);
  }

  private established(ctx: EngineContext, sa: IkeSa): void {
    this.clearHalfOpen(sa);
    if (!sa.initialContact) return;
    // RFC 2407 section 4.6.3.3: the peer has no other SAs with us; drop what we still hold for it.
    for (const other of [...this.byKey.values()]) {
      if (other === sa || other.peer.address !== sa.peer.address) continue;
      const samePort = other.peer.port === sa.peer.port;
      const sameId = other.peerId !== undefined && sa.peerId !== undefined && other.peerId.data.equals(sa.peerId.data);
      if (!samePort && !sameId) continue;
      this.removeChildren(ctx, other, other.children.slice(), 'initial-contact');
      this.removeSa(ctx, other, 'initial-contact');
    }
  }

  private quickMode(ctx: EngineContext, header: IsakmpHeader, raw: Buffer): void {
    const sa = this.byKey.get(ikeSaKey(header.initiatorCookie, header.responderCookie));
    if (!sa || sa.state !== 'established' || header.messageId === 0 || !(header.flags & HeaderFlag.Encryption)) {
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
        this.indexChildren(sa);
      } else if (ex.role === 'initiator' && ex.state === 'qm1') {
        initiatorQm2(ctx, sa, ex, header, raw);
        this.indexChildren(sa);
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
      this.counters.count(err.notify === NotifyType.NoProposalChosen ? 'no-proposal-chosen' : 'invalid-id-information');
      this.log.info({ ike: sa.id, notify: err.notify, reason: err.message }, 'Quick Mode refused');
      sa.exchanges.delete(header.messageId);
      sendInformational(ctx, sa, [notifyPayload(sa, err.notify)]);
    }
  }

  private informational(ctx: EngineContext, header: IsakmpHeader, raw: Buffer, from: Endpoint): void {
    const sa = this.byKey.get(ikeSaKey(header.initiatorCookie, header.responderCookie)) ??
      this.awaitingMm2.get(header.initiatorCookie.toString('hex'));
    if (!(header.flags & HeaderFlag.Encryption)) {
      const msg = decodeMessage(raw);
      const n = msg.chain.payloads.find((p): p is NotifyPayload => p.type === PayloadType.N);
      this.counters.count('notify-received');
      this.log.info({ peer: from.address, notify: n?.notifyType }, 'unauthenticated notify');
      // Only an initiator still in Main Mode acts on it (the responder's refusal of our proposal or key).
      if (sa && sa.role === 'initiator' && sa.state !== 'established' && n && n.notifyType < 16384) {
        this.removeSa(ctx, sa, 'failed', n.notifyType);
      }
      return;
    }
    if (!sa || sa.state !== 'established') {
      this.counters.count('unknown-sa');
      return;
    }
    let content: ReturnType<typeof openInformational>;
    try {
      content = openInformational(sa, header, raw);
    } catch {
      this.counters.count('bad-hash');
      return;
    }
    sa.lastHeard = ctx.now;
    for (const n of content.notifies) this.onNotify(ctx, sa, n);
    for (const d of content.deletes) {
      if (d.protocolId === ProtocolId.ESP && d.spiSize === 4) {
        const outs = new Set(d.spis.map((s) => s.readUInt32BE(0)));
        this.removeChildren(ctx, sa, sa.children.filter((c) => outs.has(c.params.spiOut)), 'peer-delete');
      } else if (d.protocolId === ProtocolId.ISAKMP && d.spis.some((s) => s.equals(Buffer.concat([sa.ckyI, sa.ckyR])))) {
        this.adoptOrDeleteChildren(ctx, sa);
        this.removeSa(ctx, sa, 'peer-delete');
        return;
      }
    }
  }

  private onNotify(ctx: EngineContext, sa: IkeSa, n: NotifyPayload): void {
    this.counters.count('notify-received');
    if (n.notifyType === NotifyType.DpdRUThere) {
      const seq = dpdSequence(n);
      if (seq !== undefined) sendInformational(ctx, sa, [notifyPayload(sa, NotifyType.DpdRUThereAck, dpdData(seq))]);
    } else if (n.notifyType === NotifyType.DpdRUThereAck) {
      if (sa.dpdOutstanding && dpdSequence(n) === sa.dpdOutstanding.seq) {
        this.counters.count('dpd-ack');
        sa.dpdOutstanding = undefined;
      }
    } else if (n.notifyType === NotifyType.InitialContact) {
      sa.initialContact = true;
      this.established(ctx, sa);
    } else {
      this.log.info({ ike: sa.id, notify: n.notifyType }, 'notify from peer');
    }
  }

  /** A peer deleting its ISAKMP SA after a phase-1 rekey keeps its ESP SAs: a newer IKE SA adopts them. */
  private adoptOrDeleteChildren(ctx: EngineContext, sa: IkeSa): void {
    const heir = [...this.byKey.values()].find((o) => o !== sa && o.state === 'established' && samePeer(o, sa));
    if (heir) {
      heir.children.push(...sa.children);
      for (const c of sa.children) this.childBySpiIn.set(c.params.spiIn, heir);
      sa.children.length = 0;
    } else {
      this.removeChildren(ctx, sa, sa.children.slice(), 'peer-delete');
    }
  }

  private indexChildren(sa: IkeSa): void {
    for (const c of sa.children) this.childBySpiIn.set(c.params.spiIn, sa);
  }

  private removeChildren(
    ctx: EngineContext,
    sa: IkeSa,
    children: readonly ChildSa[],
    reason: 'peer-delete' | 'expired' | 'rekeyed' | 'initial-contact' | 'peer-dead' | 'local',
  ): void {
    for (const c of children) {
      const i = sa.children.indexOf(c);
      if (i < 0) continue;
      sa.children.splice(i, 1);
      this.childBySpiIn.delete(c.params.spiIn);
      this.spisInUse.delete(c.params.spiIn);
      ctx.out.push({ type: 'delete-sa', ikeSaId: sa.id, spiIn: c.params.spiIn, spiOut: c.params.spiOut, reason });
    }
  }

  private clearHalfOpen(sa: IkeSa): void {
    if (!sa.halfOpen) return;
    sa.halfOpen = false;
    this.halfOpenTotal--;
    const src = sa.halfOpenSource ?? sa.peer.address;
    const n = (this.halfOpenBySource.get(src) ?? 1) - 1;
    if (n <= 0) this.halfOpenBySource.delete(src);
    else this.halfOpenBySource.set(src, n);
  }

  /** Forgets an IKE SA (its children must already be gone or adopted). */
  private removeSa(ctx: EngineContext, sa: IkeSa, reason: IkeSaDownAction['reason'] | undefined, notify?: number): void {
    this.clearHalfOpen(sa);
    for (const ex of sa.exchanges.values()) if (!ex.installed && ex.state !== 'done') this.spisInUse.delete(ex.spiIn.readUInt32BE(0));
    for (const c of sa.children) {
      this.childBySpiIn.delete(c.params.spiIn);
      this.spisInUse.delete(c.params.spiIn);
    }
    sa.state = 'deleted';
    this.byKey.delete(sa.key);
    this.byId.delete(sa.id);
    this.awaitingMm2.delete(sa.ckyI.toString('hex'));
    if (sa.mm1Key) this.byMm1.delete(sa.mm1Key);
    const wasUp = sa.establishedAt !== undefined;
    if (reason && (wasUp || sa.role === 'initiator')) {
      ctx.out.push(notify === undefined ? { type: 'ike-sa-down', ikeSaId: sa.id, reason } : { type: 'ike-sa-down', ikeSaId: sa.id, reason, notify });
    }
  }
}

function samePeer(a: IkeSa, b: IkeSa): boolean {
  return a.peer.address === b.peer.address && a.peer.port === b.peer.port;
}

function sameSelectors(a: ChildSa, b: ChildSa): boolean {
  const s = (c: ChildSa) => JSON.stringify([c.params.localSelector, c.params.remoteSelector]);
  return s(a) === s(b);
}
