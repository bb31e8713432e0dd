/**
 * One control connection (RFC 2661 section 7.2 tunnel state machines, section 7.4 incoming-call session
 * state machines) in either role: the LNS answers SCCRQ and ICRQ, the LAC sends them. Messages arrive
 * already decoded, in order, from the reliable channel; everything the tunnel wants done comes back as
 * actions.
 */

import type { Millis, Rng } from '../util/clock.js';
import type { Counters } from '../util/counters.js';
import type { Logger } from '../util/log.js';
import type { L2tpAction, TeardownReason } from './actions.js';
import { challengeResponse, checkChallengeResponse } from './auth.js';
import type { ResultCodeValue } from './avp-values.js';
import { IncomingCalls } from './calls.js';
import type { L2tpConfig } from './config.js';
import {
  DEFAULT_RECEIVE_WINDOW,
  ErrorCode,
  FRAMING_ASYNC,
  FRAMING_SYNC,
  isSessionMessage,
  MessageType,
  messageTypeName,
  StopCcnResult,
} from './constants.js';
import type { L2tpCounter } from './counters.js';
import type { L2tpProtocolError } from './errors.js';
import type { DecodedControl } from './header.js';
import { type ControlMessage, type DecodedMessage, encodeMessage, type HideOptions } from './message.js';
import { ReliableChannel } from './reliable.js';
import type { L2tpSession } from './session.js';

export type TunnelState = 'idle' | 'wait-ctl-reply' | 'wait-ctl-conn' | 'established' | 'closing' | 'closed';

export interface TunnelContext {
  readonly cfg: L2tpConfig;
  readonly rng: Rng;
  readonly counters: Counters<L2tpCounter>;
  readonly log: Logger;
}

interface Delivered {
  readonly sessionId: number;
  readonly decoded: DecodedMessage;
}

export class L2tpTunnel {
  state: TunnelState;
  peerTunnelId = 0;
  peerHostName = '';
  private readonly calls: IncomingCalls;
  private readonly channel: ReliableChannel<Delivered>;
  private readonly hide: HideOptions | undefined;
  private ourChallenge: Buffer | undefined;
  private lastHeard: Millis;
  private closeAt: Millis | undefined;
  private weClosed = false;

  constructor(
    private readonly ctx: TunnelContext,
    readonly tunnelId: number,
    readonly peer: string,
    readonly role: 'lns' | 'lac',
    private readonly createdAt: Millis,
  ) {
    this.state = role === 'lns' ? 'idle' : 'wait-ctl-reply';
    this.lastHeard = createdAt;
    this.channel = new ReliableChannel(ctx.cfg.receiveWindow, ctx.cfg.retransmit);
    this.hide = ctx.cfg.hideAvps && ctx.cfg.secret ? { secret: ctx.cfg.secret, rng: ctx.rng } : undefined;
    this.calls = new IncomingCalls({
      ctx,
      tunnelId,
      peer,
      role,
      peerTunnelId: () => this.peerTunnelId,
      send: (out, sid, msg, t) => this.send(out, sid, msg, t),
    });
  }

  /** This tunnel's sessions by our Session ID (the data path looks them up here). */
  get sessions(): ReadonlyMap<number, L2tpSession> {
    return this.calls.sessions;
  }

  /** LAC: opens an incoming-call session (section 7.4.1); ICRQ goes out once the tunnel is up. */
  openSession(now: Millis): { sessionId: number; actions: L2tpAction[] } {
    return this.calls.open(now, this.state === 'established');
  }

  /** Ends a session with CDN (default result: administrative, section 4.4.2). */
  closeSession(sessionId: number, now: Millis, result?: ResultCodeValue): L2tpAction[] {
    const out: L2tpAction[] = [];
    if (this.state === 'established') this.calls.close(out, sessionId, now, result);
    return out;
  }

  get established(): boolean {
    return this.state === 'established';
  }

  /** LAC: sends SCCRQ (section 7.2.1: idle → wait-ctl-reply). */
  start(now: Millis): L2tpAction[] {
    const out: L2tpAction[] = [];
    if (this.ctx.cfg.secret) this.ourChallenge = this.ctx.rng(16);
    this.send(out, 0, { type: MessageType.SCCRQ, ...this.identity(), challenge: this.ourChallenge }, now);
    return out;
  }

  private identity(): Omit<ControlMessage, 'type'> {
    const cfg = this.ctx.cfg;
    return {
      protocolVersion: { version: 1, revision: 0 },
      framingCapabilities: FRAMING_SYNC | FRAMING_ASYNC,
      bearerCapabilities: 0,
      firmwareRevision: 0x0100,
      hostName: cfg.hostName,
      vendorName: cfg.vendorName,
      assignedTunnelId: this.tunnelId,
      receiveWindowSize: cfg.receiveWindow,
    };
  }

  private send(out: L2tpAction[], sessionId: number, msg: ControlMessage, now: Millis): void {
    this.emit(out, this.channel.send(sessionId, encodeMessage(msg, this.hide), now));
  }

  private emit(out: L2tpAction[], datagrams: readonly Buffer[]): void {
    for (const data of datagrams) {
      this.ctx.counters.count('tx-control');
      out.push({ type: 'send', peer: this.peer, data });
    }
  }

  /** A control message (`decoded` undefined for a ZLB) whose header named this tunnel. */
  receive(h: DecodedControl, decoded: DecodedMessage | undefined, now: Millis): L2tpAction[] {
    const out: L2tpAction[] = [];
    if (this.state === 'closed') {
      this.ctx.counters.count('closing');
      return out;
    }
    this.lastHeard = now;
    const r = this.channel.receive(h, decoded && { sessionId: h.sessionId, decoded }, now);
    this.emit(out, r.send);
    if (r.duplicate) this.ctx.counters.count('duplicate');
    if (r.outOfWindow) this.ctx.counters.count('out-of-window');
    for (const d of r.deliver) this.handle(out, d, now);
    const ack = this.channel.flushAck();
    if (ack) this.emit(out, [ack]);
    if (this.state === 'closing' && this.weClosed && this.channel.idle()) this.state = 'closed';
    return out;
  }

  private handle(out: L2tpAction[], { sessionId, decoded }: Delivered, now: Millis): void {
    const m = decoded.message;
    if (decoded.skippedAvps > 0) this.ctx.counters.count('unknown-optional-avp', decoded.skippedAvps);
    if (decoded.ignore) {
      this.ctx.counters.count('ignored-message');
      return;
    }
    if (this.state === 'closing' || this.state === 'closed') {
      this.ctx.counters.count('closing');
      return;
    }
    if (decoded.error) {
      this.ctx.counters.count('protocol-error');
      this.ctx.log.debug(
        { peer: this.peer, tunnel: this.tunnelId, err: decoded.error.message },
        'l2tp protocol error',
      );
      this.protocolError(out, decoded.error, m, sessionId, now);
      return;
    }
    if (m.type === MessageType.StopCCN) {
      this.peerStopped(out, m, now);
      return;
    }
    if (m.type === MessageType.HELLO) return;
    if (
      this.state !== 'established' &&
      (isSessionMessage(m.type) || m.type !== this.expectedSetupMessage())
    ) {
      this.stop(
        out,
        { result: StopCcnResult.FsmError, message: `${messageTypeName(m.type)} in ${this.state}` },
        'error',
        now,
      );
      return;
    }
    if (this.state === 'established' && !isSessionMessage(m.type)) {
      // A setup message on an established tunnel: duplicates never get here (the channel drops them), so
      // this is a confused peer; ignoring it keeps the tunnel rather than letting a stray message reset it.
      this.ctx.counters.count('unexpected-message');
      return;
    }
    switch (m.type) {
      case MessageType.SCCRQ:
        this.onSccrq(out, m, now);
        return;
      case MessageType.SCCRP:
        this.onSccrp(out, m, now);
        return;
      case MessageType.SCCCN:
        this.onScccn(out, m, now);
        return;
      default:
        this.calls.handle(out, sessionId, m, now);
    }
  }

  private expectedSetupMessage(): number {
    if (this.state === 'idle') return MessageType.SCCRQ;
    if (this.state === 'wait-ctl-reply') return MessageType.SCCRP;
    return MessageType.SCCCN;
  }

  private protocolError(
    out: L2tpAction[],
    err: L2tpProtocolError,
    m: ControlMessage,
    headerSessionId: number,
    now: Millis,
  ): void {
    const result: ResultCodeValue = { result: err.resultCode, error: err.errorCode, message: err.message };
    if (m.type === MessageType.SCCRQ || m.type === MessageType.SCCRP) this.learnPeer(m, now);
    if (err.scope === 'session' && this.state === 'established') {
      this.calls.protocolError(out, result, m, headerSessionId, now);
      return;
    }
    this.stop(out, result, 'error', now);
  }

  private learnPeer(m: ControlMessage, now: Millis): void {
    if (m.assignedTunnelId !== undefined) this.peerTunnelId = this.channel.peerTunnelId = m.assignedTunnelId;
    if (m.hostName !== undefined) this.peerHostName = m.hostName;
    this.channel.setPeerWindow(m.receiveWindowSize ?? DEFAULT_RECEIVE_WINDOW, now);
  }

  /** Checks what SCCRQ and SCCRP share; returns the StopCCN result when the peer must be refused. */
  private checkPeer(m: ControlMessage): ResultCodeValue | undefined {
    const v = m.protocolVersion!;
    if (v.version !== 1 || v.revision !== 0) {
      return {
        result: StopCcnResult.UnsupportedVersion,
        error: 0,
        message: `version ${v.version}.${v.revision}`,
      };
    }
    if (m.assignedTunnelId === 0) return { result: StopCcnResult.GeneralError, error: ErrorCode.BadValue };
    if (m.challenge && !this.ctx.cfg.secret) {
      return { result: StopCcnResult.NotAuthorized, message: 'challenged but no tunnel secret configured' };
    }
    return undefined;
  }

  /** LNS, idle → wait-ctl-conn (section 7.2.1). */
  private onSccrq(out: L2tpAction[], m: ControlMessage, now: Millis): void {
    this.learnPeer(m, now);
    const refusal = this.checkPeer(m);
    if (refusal) {
      this.stop(out, refusal, 'error', now);
      return;
    }
    const secret = this.ctx.cfg.secret;
    if (secret) this.ourChallenge = this.ctx.rng(16);
    this.state = 'wait-ctl-conn';
    this.send(
      out,
      0,
      {
        type: MessageType.SCCRP,
        ...this.identity(),
        challenge: this.ourChallenge,
        challengeResponse:
          m.challenge && secret ? challengeResponse(MessageType.SCCRP, secret, m.challenge) : undefined,
      },
      now,
    );
  }

  /** LAC, wait-ctl-reply → established (section 7.2.1). */
  private onSccrp(out: L2tpAction[], m: ControlMessage, now: Millis): void {
    this.learnPeer(m, now);
    const refusal = this.checkPeer(m) ?? this.checkResponse(MessageType.SCCRP, m);
    if (refusal) {
      this.stop(out, refusal, 'error', now);
      return;
    }
    const secret = this.ctx.cfg.secret;
    const response =
      m.challenge && secret ? challengeResponse(MessageType.SCCCN, secret, m.challenge) : undefined;
    this.send(out, 0, { type: MessageType.SCCCN, challengeResponse: response }, now);
    this.up(out, now);
  }

  /** LNS, wait-ctl-conn → established. */
  private onScccn(out: L2tpAction[], m: ControlMessage, now: Millis): void {
    const refusal = this.checkResponse(MessageType.SCCCN, m);
    if (refusal) {
      this.stop(out, refusal, 'error', now);
      return;
    }
    this.up(out, now);
  }

  /** Section 5.1.1: when we challenged, the peer's response must match, or the tunnel is refused. */
  private checkResponse(type: number, m: ControlMessage): ResultCodeValue | undefined {
    const secret = this.ctx.cfg.secret;
    if (!secret || !this.ourChallenge) return undefined;
    if (checkChallengeResponse(type, secret, this.ourChallenge, m.challengeResponse)) return undefined;
    this.ctx.counters.count('auth-failure');
    return { result: StopCcnResult.NotAuthorized, message: 'challenge response missing or wrong' };
  }

  private up(out: L2tpAction[], now: Millis): void {
    this.state = 'established';
    out.push({
      type: 'tunnel-up',
      peer: this.peer,
      tunnelId: this.tunnelId,
      peerTunnelId: this.peerTunnelId,
      peerHostName: this.peerHostName,
    });
    this.calls.tunnelUp(out, now);
  }

  /** Ends the tunnel with StopCCN (default result: general request to clear). */
  close(now: Millis, result?: ResultCodeValue): L2tpAction[] {
    const out: L2tpAction[] = [];
    if (this.state !== 'closing' && this.state !== 'closed') {
      this.stop(out, result ?? { result: StopCcnResult.GeneralClear }, 'local', now);
    }
    return out;
  }

  /** Sends StopCCN and holds state until it is acknowledged (section 5.7). */
  private stop(out: L2tpAction[], result: ResultCodeValue, reason: TeardownReason, now: Millis): void {
    this.send(
      out,
      0,
      { type: MessageType.StopCCN, assignedTunnelId: this.tunnelId, resultCode: result },
      now,
    );
    this.teardown(out, reason, result, now);
    this.weClosed = true;
  }

  private peerStopped(out: L2tpAction[], m: ControlMessage, now: Millis): void {
    this.teardown(out, 'peer', m.resultCode, now);
  }

  private teardown(
    out: L2tpAction[],
    reason: TeardownReason,
    result: ResultCodeValue | undefined,
    now: Millis,
  ): void {
    this.calls.dropAll(out);
    const wasUp = this.state === 'established';
    this.state = 'closing';
    this.closeAt = now + this.ctx.cfg.closeHold;
    // The LNS owner only hears about tunnels it saw come up; the LAC owner asked for this one.
    if (wasUp || this.role === 'lac') {
      out.push({ type: 'tunnel-down', peer: this.peer, tunnelId: this.tunnelId, reason, result });
    }
  }

  deadline(): Millis | undefined {
    if (this.state === 'closed') return undefined;
    const cfg = this.ctx.cfg;
    let d = this.channel.deadline();
    const at = (t: Millis): void => {
      if (d === undefined || t < d) d = t;
    };
    if (this.state === 'closing') {
      at(this.closeAt!);
      return d;
    }
    if (this.state !== 'established') at(this.createdAt + cfg.halfOpenTimeout);
    else if (this.channel.idle()) at(this.lastHeard + cfg.helloInterval);
    const expiry = this.calls.nextExpiry();
    if (expiry !== undefined) at(expiry);
    return d;
  }

  tick(now: Millis): L2tpAction[] {
    const out: L2tpAction[] = [];
    if (this.state === 'closed') return out;
    const cfg = this.ctx.cfg;
    this.emit(out, this.channel.tick(now));
    if (this.state === 'closing') {
      if (now >= this.closeAt! || this.channel.failed) this.state = 'closed';
      return out;
    }
    if (this.channel.failed) {
      // Section 5.8: retransmissions exhausted means the peer is gone; every session goes with the tunnel.
      this.teardown(out, 'dead-peer', undefined, now);
      this.state = 'closed';
      return out;
    }
    if (this.state !== 'established') {
      if (now >= this.createdAt + cfg.halfOpenTimeout) {
        this.stop(
          out,
          { result: StopCcnResult.GeneralClear, message: 'half-open tunnel expired' },
          'timeout',
          now,
        );
      }
      return out;
    }
    this.calls.expire(out, now);
    if (this.channel.idle() && now >= this.lastHeard + cfg.helloInterval) {
      this.lastHeard = now;
      this.send(out, 0, { type: MessageType.HELLO }, now);
    }
    return out;
  }
}
