/**
 * The sessions (calls) of one tunnel: the incoming-call state machines of RFC 2661 section 7.4.1 (LAC:
 * ICRQ → ICRP → ICCN) and 7.4.2 (LNS: ICRQ → ICRP, ICCN), CDN in both directions (section 6.14), the
 * outgoing-call messages refused (section 6.7 to 6.9), and half-open session expiry. Control messages go
 * out through the tunnel's reliable channel via `CallHost.send`.
 */
import type { Millis } from '../util/clock.js';
import type { L2tpAction, TeardownReason } from './actions.js';
import type { ResultCodeValue } from './avp-values.js';
import { CdnResult, ErrorCode, FRAMING_SYNC, MessageType } from './constants.js';
import type { ControlMessage } from './message.js';
import { L2tpSession } from './session.js';
import type { TunnelContext } from './tunnel.js';

export interface CallHost {
  readonly ctx: TunnelContext;
  readonly tunnelId: number;
  readonly peer: string;
  readonly role: 'lns' | 'lac';
  peerTunnelId(): number;
  /** Sends a control message with `headerSessionId` (the peer's Session ID) in its header. */
  send(out: L2tpAction[], headerSessionId: number, msg: ControlMessage, now: Millis): void;
}

/** Connect speed we report in ICCN (section 4.4.5); nothing reads it on a virtual link. */
const CONNECT_SPEED = 100_000_000;

export class IncomingCalls {
  readonly sessions = new Map<number, L2tpSession>();
  private callSerial = 0;

  constructor(private readonly host: CallHost) {}

  /** A session-related message on an established tunnel; `sid` is the header Session ID (ours). */
  handle(out: L2tpAction[], sid: number, m: ControlMessage, now: Millis): void {
    switch (m.type) {
      case MessageType.ICRQ:
        this.onIcrq(out, m, now);
        return;
      case MessageType.ICRP:
        this.onIcrp(out, sid, m, now);
        return;
      case MessageType.ICCN:
        this.onIccn(sid, m, out);
        return;
      case MessageType.CDN:
        this.onCdn(out, sid, m);
        return;
      case MessageType.OCRQ:
        // We place no outgoing calls (section 6.7): refuse as a permanent lack of facilities.
        this.sendCdn(out, m.assignedSessionId ?? 0, 0, { result: CdnResult.PermanentNoFacilities }, now);
        return;
      case MessageType.OCRP:
        this.sendCdn(out, m.assignedSessionId ?? 0, 0, invalidSession('OCRP for no OCRQ'), now);
        return;
      default:
        // WEN and SLI carry line statistics for PPP over a real line; OCCN answers an OCRQ we never send.
        if (!this.sessions.has(sid)) this.host.ctx.counters.count('unknown-session');
        else if (m.type === MessageType.OCCN) this.host.ctx.counters.count('unexpected-message');
    }
  }

  /** A session-scoped protocol error (section 4.1): CDN to the peer's session, ours goes down. */
  protocolError(
    out: L2tpAction[],
    result: ResultCodeValue,
    m: ControlMessage,
    sid: number,
    now: Millis,
  ): void {
    const s = this.sessions.get(sid);
    const peerSid = s?.peerSessionId || m.assignedSessionId || 0;
    this.sendCdn(out, peerSid, s?.sessionId ?? 0, result, now);
    if (s) this.down(out, s, 'error', result);
  }

  private onIcrq(out: L2tpAction[], m: ControlMessage, now: Millis): void {
    const peerSid = m.assignedSessionId!;
    if (this.host.role !== 'lns') {
      this.sendCdn(out, peerSid, 0, { result: CdnResult.PermanentNoFacilities }, now);
      return;
    }
    if (this.sessions.size >= this.host.ctx.cfg.maxSessionsPerTunnel) {
      this.host.ctx.counters.count('session-limit');
      const result = { result: CdnResult.TemporaryNoFacilities, error: ErrorCode.InsufficientResources };
      this.sendCdn(out, peerSid, 0, result, now);
      return;
    }
    const s = new L2tpSession(this.host.tunnelId, this.newSessionId(), 'lns', now);
    s.peerSessionId = peerSid;
    this.sessions.set(s.sessionId, s);
    this.host.send(out, peerSid, { type: MessageType.ICRP, assignedSessionId: s.sessionId }, now);
  }

  private onIcrp(out: L2tpAction[], sid: number, m: ControlMessage, now: Millis): void {
    const s = this.sessions.get(sid);
    if (s?.state !== 'wait-reply') {
      this.host.ctx.counters.count('unknown-session');
      this.sendCdn(out, m.assignedSessionId!, 0, invalidSession('ICRP for no ICRQ'), now);
      return;
    }
    s.peerSessionId = m.assignedSessionId!;
    const seq = this.host.ctx.cfg.requireDataSequencing;
    const iccn: ControlMessage = {
      type: MessageType.ICCN,
      txConnectSpeed: CONNECT_SPEED,
      framingType: FRAMING_SYNC,
      sequencingRequired: seq ? true : undefined,
    };
    this.host.send(out, s.peerSessionId, iccn, now);
    // Sequencing Required binds both directions of the data channel (section 4.4.6).
    s.sendSequenced = seq;
    this.up(out, s);
  }

  private onIccn(sid: number, m: ControlMessage, out: L2tpAction[]): void {
    const s = this.sessions.get(sid);
    if (s?.state !== 'wait-connect') {
      this.host.ctx.counters.count('unknown-session');
      return;
    }
    if (m.sequencingRequired) s.sendSequenced = true;
    this.up(out, s);
  }

  private onCdn(out: L2tpAction[], sid: number, m: ControlMessage): void {
    let s = this.sessions.get(sid);
    // A CDN that answers our ICRQ before ICRP carries Session ID 0: match the peer's Assigned Session ID.
    if (!s && sid === 0)
      for (const c of this.sessions.values()) if (c.peerSessionId === m.assignedSessionId) s = c;
    if (!s) {
      this.host.ctx.counters.count('unknown-session');
      return;
    }
    this.down(out, s, 'peer', m.resultCode);
  }

  private up(out: L2tpAction[], s: L2tpSession): void {
    s.state = 'established';
    out.push({
      type: 'session-up',
      peer: this.host.peer,
      tunnelId: this.host.tunnelId,
      sessionId: s.sessionId,
      peerTunnelId: this.host.peerTunnelId(),
      peerSessionId: s.peerSessionId,
      sequencing: s.sendSequenced,
    });
  }

  private down(out: L2tpAction[], s: L2tpSession, reason: TeardownReason, result?: ResultCodeValue): void {
    const wasUp = s.state === 'established';
    s.state = 'closed';
    this.sessions.delete(s.sessionId);
    if (!wasUp && reason === 'tunnel') return;
    const { peer, tunnelId } = this.host;
    out.push({ type: 'session-down', peer, tunnelId, sessionId: s.sessionId, reason, result });
  }

  private sendCdn(
    out: L2tpAction[],
    peerSid: number,
    ourSid: number,
    result: ResultCodeValue,
    now: Millis,
  ): void {
    this.host.send(
      out,
      peerSid,
      { type: MessageType.CDN, resultCode: result, assignedSessionId: ourSid },
      now,
    );
  }

  /** A random Session ID, non-zero and unused in this tunnel. */
  private newSessionId(): number {
    for (;;) {
      const id = this.host.ctx.rng(2).readUInt16BE(0);
      if (id !== 0 && !this.sessions.has(id)) return id;
    }
  }

  private sendIcrq(out: L2tpAction[], s: L2tpSession, now: Millis): void {
    this.callSerial = (this.callSerial + 1) >>> 0;
    const msg = { type: MessageType.ICRQ, assignedSessionId: s.sessionId, callSerialNumber: this.callSerial };
    this.host.send(out, 0, msg, now);
  }

  /** The tunnel came up: ICRQ for every session the owner opened before (LAC). */
  tunnelUp(out: L2tpAction[], now: Millis): void {
    for (const s of this.sessions.values()) if (s.state === 'wait-reply') this.sendIcrq(out, s, now);
  }

  /** LAC: opens an incoming-call session; ICRQ goes out now if the tunnel is up, else on `tunnelUp`. */
  open(now: Millis, tunnelUp: boolean): { sessionId: number; actions: L2tpAction[] } {
    const out: L2tpAction[] = [];
    const s = new L2tpSession(this.host.tunnelId, this.newSessionId(), 'lac', now);
    this.sessions.set(s.sessionId, s);
    if (tunnelUp) this.sendIcrq(out, s, now);
    return { sessionId: s.sessionId, actions: out };
  }

  /** Ends a session with CDN (default result: administrative, section 4.4.2). */
  close(out: L2tpAction[], sessionId: number, now: Millis, result?: ResultCodeValue): void {
    const s = this.sessions.get(sessionId);
    if (!s) return;
    this.sendCdn(out, s.peerSessionId, s.sessionId, result ?? { result: CdnResult.Administrative }, now);
    this.down(out, s, 'local', result);
  }

  /** The tunnel went away: every session with it, no CDN (section 5.7: StopCCN clears all calls). */
  dropAll(out: L2tpAction[]): void {
    for (const s of [...this.sessions.values()]) this.down(out, s, 'tunnel');
  }

  /** Sessions not established within the half-open limit: CDN "not established in time" (result 10). */
  expire(out: L2tpAction[], now: Millis): void {
    const limit = this.host.ctx.cfg.halfOpenTimeout;
    for (const s of [...this.sessions.values()]) {
      if (!s.established && now >= s.createdAt + limit) {
        this.sendCdn(out, s.peerSessionId, s.sessionId, { result: CdnResult.Timeout }, now);
        this.down(out, s, 'timeout');
      }
    }
  }

  nextExpiry(): Millis | undefined {
    let d: Millis | undefined;
    for (const s of this.sessions.values()) {
      const t = s.createdAt + this.host.ctx.cfg.halfOpenTimeout;
      if (!s.established && (d === undefined || t < d)) d = t;
    }
    return d;
  }
}

function invalidSession(message: string): ResultCodeValue {
  return { result: CdnResult.GeneralError, error: ErrorCode.InvalidSessionId, message };
}
