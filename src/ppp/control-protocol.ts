/**
 * One control protocol run by the RFC 1661 automaton: the restart timer and counter (section 4.6), the
 * Max-Configure / Max-Terminate / Max-Failure limits, the packet formats of section 5, and the mapping from
 * received packets to the automaton's events. What the options mean is left to a `Negotiator` (LCP, IPCP,
 * IPv6CP each supply one); LCP adds its own codes by overriding `receiveExtension`.
 */
import type { Millis } from '../util/clock.js';
import { Counters } from '../util/counters.js';
import type { Logger } from '../util/log.js';
import { type FsmAction, type FsmEvent, type FsmState, restartTimerRuns, transition } from './automaton.js';
import { countDrop } from './drop-log.js';
import type { Negotiator } from './negotiator.js';
import {
  CP_HEADER_LENGTH,
  type CpOption,
  type CpPacket,
  decodeCpPacket,
  decodeOptions,
  encodeCpPacket,
  encodeOptions,
  PppDecodeError,
} from './packet.js';
import { CP_CODE } from './protocol.js';

export type { Negotiator, ReplyOutcome, Verdict } from './negotiator.js';

/** RFC 1661 section 4.6 defaults: 3 s restart, 10 requests, 2 terminates, 5 Naks before Rejects. */
export interface CpLimits {
  readonly restartMs: Millis;
  readonly maxConfigure: number;
  readonly maxTerminate: number;
  readonly maxFailure: number;
}

export const DEFAULT_CP_LIMITS: CpLimits = {
  restartMs: 3000,
  maxConfigure: 10,
  maxTerminate: 2,
  maxFailure: 5,
};

export type CpAction =
  | { readonly type: 'send'; readonly protocol: number; readonly packet: Buffer }
  | { readonly type: 'layer-up' }
  | { readonly type: 'layer-down' }
  | { readonly type: 'layer-started' }
  | { readonly type: 'layer-finished'; readonly reason: string }
  /** LCP only: the peer's Protocol-Reject names `protocol` (RFC 1661 section 5.7). */
  | { readonly type: 'protocol-rejected'; readonly protocol: number };

export type CpDropReason =
  | 'short-packet'
  | 'bad-length'
  | 'bad-option-length'
  | 'illegal-event'
  | 'stale-reply'
  | 'bad-ack'
  | 'bad-nak'
  | 'bad-reject'
  | 'bad-code-reject';

/** What a received packet contributes to the actions of its event. */
interface EventContext {
  readonly peerId?: number;
  readonly response?: Buffer;
  readonly rejected?: Buffer;
  readonly echoReply?: Buffer;
  readonly retransmit?: boolean;
}

const NEGOTIATING: ReadonlySet<FsmState> = new Set(['req-sent', 'ack-rcvd', 'ack-sent', 'opened']);

export class ControlProtocol {
  protected fsmState: FsmState = 'initial';
  private restartCount = 0;
  private restartAt: Millis | undefined;
  private nextId = 1;
  private requestId = -1;
  private requestOptions: Buffer = Buffer.alloc(0);
  private requestPacket: Buffer | undefined;
  /** Set once a valid Ack/Nak/Reject answered the outstanding request: later ones are stale. */
  private requestAnswered = true;
  private naksSent = 0;
  private naksReceived = 0;
  /** The peer's Configure-Request we acknowledged last (Identifier and options), to spot its repeats. */
  private lastAcked: { readonly id: number; readonly options: Buffer } | undefined;
  private finishReason = '';
  readonly counters = new Counters<CpDropReason>();

  constructor(
    readonly protocol: number,
    readonly name: string,
    protected readonly negotiator: Negotiator,
    protected readonly limits: CpLimits = DEFAULT_CP_LIMITS,
    protected readonly log?: Logger,
  ) {}

  get state(): FsmState {
    return this.fsmState;
  }

  /** The reason the layer closed or failed, for `layer-finished` and the session's `down`. */
  get reason(): string {
    return this.finishReason;
  }

  up(now: Millis): CpAction[] {
    return this.run('up', now);
  }

  down(now: Millis): CpAction[] {
    return this.run('down', now);
  }

  open(now: Millis): CpAction[] {
    return this.run('open', now);
  }

  close(now: Millis, reason: string): CpAction[] {
    if (this.fsmState !== 'closing' && this.fsmState !== 'stopping') this.finishReason = reason;
    return this.run('close', now);
  }

  /** The peer sent an LCP Protocol-Reject naming this protocol: catastrophic for it (RXJ-). */
  protocolRejected(now: Millis): CpAction[] {
    this.finishReason = 'protocol-rejected';
    return this.run('rxj-', now);
  }

  deadline(): Millis | undefined {
    return this.restartAt;
  }

  tick(now: Millis): CpAction[] {
    if (this.restartAt === undefined || now < this.restartAt) return [];
    this.restartAt = undefined;
    if (this.restartCount > 0) return this.run('to+', now, { retransmit: true });
    if (NEGOTIATING.has(this.fsmState)) this.finishReason = `${this.name}: no response (Max-Configure)`;
    return this.run('to-', now);
  }

  receive(data: Uint8Array, now: Millis): CpAction[] {
    let p: CpPacket;
    try {
      p = decodeCpPacket(data);
    } catch (e) {
      if (e instanceof PppDecodeError) {
        this.drop(e.reason);
        return [];
      }
      throw e;
    }
    switch (p.code) {
      case CP_CODE.CONFIGURE_REQUEST:
        return this.receiveConfigureRequest(p, now);
      case CP_CODE.CONFIGURE_ACK:
        return this.receiveConfigureAck(p, now);
      case CP_CODE.CONFIGURE_NAK:
      case CP_CODE.CONFIGURE_REJECT:
        return this.receiveNakOrReject(p, now);
      case CP_CODE.TERMINATE_REQUEST:
        if (this.fsmState !== 'closing' && this.fsmState !== 'stopping')
          this.finishReason = 'peer-terminated';
        return this.run('rtr', now, { peerId: p.id });
      case CP_CODE.TERMINATE_ACK:
        return this.run('rta', now);
      case CP_CODE.CODE_REJECT:
        return this.receiveCodeReject(p, now);
      default: {
        const handled = this.receiveExtension(p, now);
        if (handled) return handled;
        // Section 5.6: the rejected packet goes back without its padding.
        const rejected = Buffer.from(data.subarray(0, CP_HEADER_LENGTH + p.data.length));
        return this.run('ruc', now, { rejected });
      }
    }
  }

  /** Codes beyond 1–7 (LCP's 8–13). Returning undefined makes the code unknown: RUC, Code-Reject. */
  protected receiveExtension(_p: CpPacket, _now: Millis): CpAction[] | undefined {
    return undefined;
  }

  /** A Code-Reject for a code outside 1–7 is survivable (RXJ+); the subclass learns which. */
  protected codeRejected(_code: number): void {}

  /** The largest packet the peer accepts, to truncate Code-Reject/Protocol-Reject (section 5.6). */
  protected peerMaxPacket(): number {
    return 1500;
  }

  protected drop(reason: CpDropReason): void {
    countDrop(this.counters, reason, this.log, this.name);
  }

  protected nextIdentifier(): number {
    const id = this.nextId;
    this.nextId = (this.nextId + 1) & 0xff;
    return id;
  }

  protected packet(code: number, id: number, data: Buffer): CpAction {
    return { type: 'send', protocol: this.protocol, packet: encodeCpPacket({ code, id, data }) };
  }

  private receiveConfigureRequest(p: CpPacket, now: Millis): CpAction[] {
    let options: CpOption[];
    try {
      options = decodeOptions(p.data);
    } catch (e) {
      if (e instanceof PppDecodeError) {
        this.drop(e.reason);
        return [];
      }
      throw e;
    }
    if (this.fsmState !== 'stopped' && !NEGOTIATING.has(this.fsmState)) {
      return this.run('rcr+', now, { peerId: p.id });
    }
    // Opened, and the peer repeats (same Identifier, same options: RFC 1661 section 5.1's retransmission)
    // the request we acknowledged: our Configure-Ack was lost and it needs only that. The table's
    // tld/scr/sca (section 4.1) would take down every layer above, so on the unreliable L2TP data channel
    // (RFC 2661 section 5.4) one lost Ack would cost the session; answering the repeat keeps both ends Opened.
    const acked = this.lastAcked;
    if (
      this.fsmState === 'opened' &&
      acked !== undefined &&
      acked.id === p.id &&
      acked.options.equals(p.data)
    ) {
      this.log?.debug({ cp: this.name, id: p.id }, 'repeated Configure-Request: Configure-Ack again');
      return [this.packet(CP_CODE.CONFIGURE_ACK, p.id, acked.options)];
    }
    const verdict = this.negotiator.judgeRequest(options, this.naksSent >= this.limits.maxFailure);
    switch (verdict.kind) {
      case 'fail':
        return this.close(now, verdict.reason);
      case 'ack': {
        this.lastAcked = { id: p.id, options: Buffer.from(p.data) };
        const response = encodeCpPacket({ code: CP_CODE.CONFIGURE_ACK, id: p.id, data: p.data });
        return this.run('rcr+', now, { peerId: p.id, response });
      }
      case 'nak':
      case 'reject': {
        const code = verdict.kind === 'nak' ? CP_CODE.CONFIGURE_NAK : CP_CODE.CONFIGURE_REJECT;
        const response = encodeCpPacket({ code, id: p.id, data: encodeOptions(verdict.options) });
        return this.run('rcr-', now, { peerId: p.id, response });
      }
    }
  }

  /** Section 5.2: the Ack must answer the last request, with exactly its options. */
  private receiveConfigureAck(p: CpPacket, now: Millis): CpAction[] {
    if (NEGOTIATING.has(this.fsmState)) {
      if (p.id !== this.requestId || this.requestAnswered) {
        this.drop('stale-reply');
        return [];
      }
      if (!p.data.equals(this.requestOptions)) {
        this.drop('bad-ack');
        return [];
      }
      this.requestAnswered = true;
      this.naksReceived = 0;
    }
    return this.run('rca', now, { peerId: p.id });
  }

  private receiveNakOrReject(p: CpPacket, now: Millis): CpAction[] {
    if (!NEGOTIATING.has(this.fsmState)) return this.run('rcn', now, { peerId: p.id });
    if (p.id !== this.requestId || this.requestAnswered) {
      this.drop('stale-reply');
      return [];
    }
    const nak = p.code === CP_CODE.CONFIGURE_NAK;
    let options: CpOption[];
    try {
      options = decodeOptions(p.data);
    } catch {
      this.drop(nak ? 'bad-nak' : 'bad-reject');
      return [];
    }
    // A peer that keeps Nak'ing past Max-Failure is not converging: its Nak counts as a Reject of the
    // options it names, which ends the layer if one of them is one we cannot do without.
    if (nak) this.naksReceived++;
    const outcome =
      nak && this.naksReceived <= this.limits.maxFailure
        ? this.negotiator.applyNak(options)
        : this.negotiator.applyReject(options);
    if (outcome === 'invalid') {
      this.drop(nak ? 'bad-nak' : 'bad-reject');
      return [];
    }
    this.requestAnswered = true;
    if (outcome !== 'ok') return this.close(now, outcome.fail);
    return this.run('rcn', now, { peerId: p.id });
  }

  private receiveCodeReject(p: CpPacket, now: Millis): CpAction[] {
    if (p.data.length < 1) {
      this.drop('bad-code-reject');
      return [];
    }
    const code = p.data[0];
    if (code >= CP_CODE.CONFIGURE_REQUEST && code <= CP_CODE.CODE_REJECT) {
      this.finishReason = `${this.name}: peer rejected code ${code}`;
      return this.run('rxj-', now);
    }
    this.codeRejected(code);
    return this.run('rxj+', now);
  }

  /** Applies `event`: one cell of the section 4.1 table, its actions executed in order. */
  protected run(event: FsmEvent, now: Millis, ctx: EventContext = {}): CpAction[] {
    const from = this.fsmState;
    const t = transition(from, event);
    if (!t) {
      this.drop('illegal-event');
      this.log?.debug({ cp: this.name, state: from, event }, 'event cannot occur in this state');
      return [];
    }
    const out: CpAction[] = [];
    this.fsmState = t.next;
    if (!restartTimerRuns(t.next)) this.restartAt = undefined;
    for (const a of t.actions) this.act(a, from, t.actions, now, ctx, out);
    if (from !== t.next) this.log?.debug({ cp: this.name, from, to: t.next, event }, 'state change');
    return out;
  }

  private act(
    a: FsmAction,
    from: FsmState,
    all: readonly FsmAction[],
    now: Millis,
    ctx: EventContext,
    out: CpAction[],
  ): void {
    switch (a) {
      case 'tlu':
        out.push({ type: 'layer-up' });
        return;
      case 'tld':
        out.push({ type: 'layer-down' });
        return;
      case 'tls':
        out.push({ type: 'layer-started' });
        return;
      case 'tlf':
        out.push({ type: 'layer-finished', reason: this.finishReason });
        return;
      case 'irc':
        this.restartCount = all.includes('str') ? this.limits.maxTerminate : this.limits.maxConfigure;
        if (all.includes('scr')) this.naksSent = 0;
        return;
      case 'zrc':
        this.restartCount = 0;
        this.restartAt = now + this.limits.restartMs;
        return;
      case 'scr':
        out.push(this.sendConfigureRequest(from, now, ctx.retransmit === true));
        return;
      case 'sca':
      case 'scn':
        if (a === 'sca') this.naksSent = 0;
        else if (ctx.response?.[0] === CP_CODE.CONFIGURE_NAK) this.naksSent++;
        if (ctx.response) out.push({ type: 'send', protocol: this.protocol, packet: ctx.response });
        return;
      case 'str': {
        this.restartCount--;
        this.restartAt = now + this.limits.restartMs;
        out.push(
          this.packet(CP_CODE.TERMINATE_REQUEST, this.nextIdentifier(), Buffer.from(this.finishReason)),
        );
        return;
      }
      case 'sta':
        out.push(this.packet(CP_CODE.TERMINATE_ACK, ctx.peerId ?? this.nextIdentifier(), Buffer.alloc(0)));
        return;
      case 'scj':
        if (ctx.rejected) {
          const room = Math.max(0, this.peerMaxPacket() - 4);
          out.push(this.packet(CP_CODE.CODE_REJECT, this.nextIdentifier(), ctx.rejected.subarray(0, room)));
        }
        return;
      case 'ser':
        if (ctx.echoReply) out.push({ type: 'send', protocol: this.protocol, packet: ctx.echoReply });
        return;
    }
  }

  private sendConfigureRequest(from: FsmState, now: Millis, retransmit: boolean): CpAction {
    this.restartCount--;
    this.restartAt = now + this.limits.restartMs;
    if (retransmit && this.requestPacket) {
      this.requestAnswered = false;
      return { type: 'send', protocol: this.protocol, packet: this.requestPacket };
    }
    // Section 5.1: a new Identifier whenever the content changes or the previous request was answered.
    if (from !== 'req-sent' && from !== 'ack-rcvd' && from !== 'ack-sent') {
      this.negotiator.resetRequest();
      this.naksReceived = 0;
    }
    this.requestId = this.nextIdentifier();
    this.requestOptions = encodeOptions(this.negotiator.buildRequest());
    this.requestAnswered = false;
    this.requestPacket = encodeCpPacket({
      code: CP_CODE.CONFIGURE_REQUEST,
      id: this.requestId,
      data: this.requestOptions,
    });
    return { type: 'send', protocol: this.protocol, packet: this.requestPacket };
  }
}
