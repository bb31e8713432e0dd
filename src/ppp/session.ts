/**
 * One PPP link over an L2TP session, in either role, through the phases of RFC 1661 section 3.2:
 * Establish (LCP) → Authenticate (PAP / CHAP-MD5 / MS-CHAPv2) → Network (IPCP, IPv6CP) → Terminate.
 * Server: authenticator plus address assignment; client: authenticating peer that takes what IPCP Naks.
 * Pure like every protocol machine here: frames and timer events in, actions out; the owner runs the
 * (asynchronous) user lookup for a `verify` action and hands the answer back through `verified`.
 */
import type { AuthResult, UserAttributes } from '../aaa/authenticator.js';
import type { Millis } from '../util/clock.js';
import { Counters } from '../util/counters.js';
import type { AuthAction, AuthenticatorRole, PeerRole } from './auth-action.js';
import { createAuthRole } from './auth-roles.js';
import type { FsmState } from './automaton.js';
import { ControlProtocol, type CpAction, DEFAULT_CP_LIMITS } from './control-protocol.js';
import { countDrop } from './drop-log.js';
import { encodePppFrame, FULL_FRAMING, PppFrameView, type PppFraming, parsePppFrame } from './frame.js';
import { IpcpOptions } from './ipcp.js';
import { Ipv6cpOptions, linkLocalAddress } from './ipv6cp.js';
import { Lcp } from './lcp.js';
import { PPP_PROTOCOL } from './protocol.js';
import type { PppAction, PppConfig, PppDropReason, PppPhase } from './session-types.js';

export type {
  AddressSource,
  PppAction,
  PppClientConfig,
  PppConfig,
  PppDropReason,
  PppPhase,
  PppServerConfig,
} from './session-types.js';

export class PppSession {
  readonly counters = new Counters<PppDropReason>();
  readonly lcp: Lcp;
  readonly ipcp: ControlProtocol;
  readonly ipv6cp: ControlProtocol | undefined;
  private readonly ipcpOptions: IpcpOptions;
  private readonly ipv6cpOptions: Ipv6cpOptions | undefined;
  private currentPhase: PppPhase = 'dead';
  private auth: AuthenticatorRole | PeerRole | undefined;
  private authDeadline: Millis | undefined;
  private verifyToken = 0;
  private pendingVerify: number | undefined;
  private authenticatedUser: string | undefined;
  private attributes: UserAttributes = {};
  private peerAddress: { address: string; pooled: boolean } | undefined;
  private upSent = false;
  private downSent = false;
  private finishedSent = false;
  /** `lowerDown` was called: the L2TP session is gone. */
  private lowerLayerGone = false;
  private readonly view = new PppFrameView();

  constructor(private readonly config: PppConfig) {
    const limits = config.limits ?? DEFAULT_CP_LIMITS;
    this.lcp = new Lcp({
      role: config.role === 'server' ? 'authenticator' : 'peer',
      mru: config.mru,
      authMethods: config.authMethods,
      echoIntervalMs: config.echoIntervalMs,
      echoFailures: config.echoFailures,
      limits,
      rng: config.rng,
      log: config.log,
    });
    this.ipcpOptions = new IpcpOptions(
      config.role === 'server'
        ? {
            role: 'server',
            localAddress: config.localAddress,
            dns: config.dns,
            wins: config.wins,
            assignPeerAddress: () => this.assignPeerAddress(),
          }
        : { role: 'client', requestDns: config.requestDns ?? true },
    );
    this.ipcp = new ControlProtocol(PPP_PROTOCOL.IPCP, 'IPCP', this.ipcpOptions, limits, config.log);
    if (config.ipv6) {
      this.ipv6cpOptions = new Ipv6cpOptions(config.rng);
      this.ipv6cp = new ControlProtocol(
        PPP_PROTOCOL.IPV6CP,
        'IPv6CP',
        this.ipv6cpOptions,
        limits,
        config.log,
      );
    }
  }

  get phase(): PppPhase {
    return this.currentPhase;
  }

  get user(): string | undefined {
    return this.authenticatedUser;
  }

  /** How the data path frames what it sends to this peer. */
  get framing(): PppFraming {
    return FULL_FRAMING;
  }

  /** The lower layer (the L2TP session) is up: start LCP (RFC 1661 section 3.3). */
  start(now: Millis): PppAction[] {
    this.currentPhase = 'establish';
    const out: PppAction[] = [];
    this.lcpActions(this.lcp.up(now), now, out);
    this.lcpActions(this.lcp.open(now), now, out);
    return out;
  }

  /** Administrative close: LCP Terminate-Request, then `finished` once acknowledged or timed out. */
  close(now: Millis, reason: string): PppAction[] {
    const out: PppAction[] = [];
    this.lcpActions(this.lcp.close(now, reason), now, out);
    return out;
  }

  /** The L2TP session is gone: no more frames either way. */
  lowerDown(now: Millis, reason = 'lower layer down'): PppAction[] {
    const out: PppAction[] = [];
    // The reason first, and no Close: LCP's Down event below is not a renegotiation (RFC 1661 section 4.3).
    this.lowerLayerGone = true;
    this.emitDown(reason, out);
    this.lcpActions(this.lcp.down(now), now, out);
    this.emitFinished(reason, out);
    return out;
  }

  deadline(): Millis | undefined {
    let d: Millis | undefined;
    const consider = (t: Millis | undefined) => {
      if (t !== undefined && (d === undefined || t < d)) d = t;
    };
    consider(this.lcp.deadline());
    consider(this.auth?.deadline());
    consider(this.authDeadline);
    consider(this.ipcp.deadline());
    consider(this.ipv6cp?.deadline());
    return d;
  }

  tick(now: Millis): PppAction[] {
    const out: PppAction[] = [];
    this.lcpActions(this.lcp.tick(now), now, out);
    if (this.auth) this.authActions(this.auth.tick(now), now, out);
    if (this.authDeadline !== undefined && now >= this.authDeadline && this.currentPhase === 'authenticate') {
      this.authDeadline = undefined;
      const method = this.auth?.method ?? 'pap';
      this.authActions([{ type: 'auth-failure', method, reason: 'authentication timed out' }], now, out);
    }
    this.ncpActions(this.ipcp, this.ipcp.tick(now), now, out);
    if (this.ipv6cp) this.ncpActions(this.ipv6cp, this.ipv6cp.tick(now), now, out);
    return out;
  }

  /** The answer to the `verify` action carrying `token`; stale answers are ignored. */
  verified(token: number, result: AuthResult, now: Millis): PppAction[] {
    if (token !== this.pendingVerify || !this.auth || !('verified' in this.auth)) return [];
    this.pendingVerify = undefined;
    const out: PppAction[] = [];
    this.authActions(this.auth.verified(result, now), now, out);
    return out;
  }

  /** A PPP frame from the L2TP session (with or without FF 03). */
  receive(frame: Uint8Array, now: Millis): PppAction[] {
    const view = this.view;
    if (!parsePppFrame(frame, 0, frame.length, view)) {
      this.drop('malformed-frame');
      return [];
    }
    const protocol = view.protocol;
    const info = Buffer.from(frame.buffer, frame.byteOffset + view.offset, frame.length - view.offset);
    const out: PppAction[] = [];
    if (protocol === PPP_PROTOCOL.LCP) {
      this.lcpActions(this.lcp.receive(info, now), now, out);
      return out;
    }
    // Section 3.4: nothing but LCP before LCP is Opened.
    if (this.lcp.state !== 'opened') {
      this.drop('not-in-phase');
      return out;
    }
    switch (protocol) {
      case PPP_PROTOCOL.PAP:
      case PPP_PROTOCOL.CHAP: {
        const expected = this.auth?.method === 'pap' ? PPP_PROTOCOL.PAP : PPP_PROTOCOL.CHAP;
        if (!this.auth || protocol !== expected) {
          this.drop('auth-not-running');
          return out;
        }
        this.authActions(this.auth.receive(info, now), now, out);
        return out;
      }
      case PPP_PROTOCOL.IPCP:
        if (this.currentPhase !== 'network') this.drop('not-in-phase');
        else this.ncpActions(this.ipcp, this.ipcp.receive(info, now), now, out);
        return out;
      case PPP_PROTOCOL.IPV6CP:
        if (!this.ipv6cp) break;
        if (this.currentPhase !== 'network') this.drop('not-in-phase');
        else this.ncpActions(this.ipv6cp, this.ipv6cp.receive(info, now), now, out);
        return out;
      case PPP_PROTOCOL.IPV4:
      case PPP_PROTOCOL.IPV6: {
        const ncp = protocol === PPP_PROTOCOL.IPV4 ? this.ipcp : this.ipv6cp;
        if (ncp?.state === 'opened') out.push({ type: 'data', protocol, packet: info });
        else if (ncp) this.drop('data-before-network');
        else break;
        return out;
      }
    }
    // Section 5.7: every other protocol (CCP included) is one we do not run.
    this.drop('protocol-rejected');
    this.lcpActions(this.lcp.protocolReject(protocol, info), now, out);
    return out;
  }

  private drop(reason: PppDropReason): void {
    countDrop(this.counters, reason, this.config.log, 'PPP');
  }

  private send(protocol: number, packet: Buffer, out: PppAction[]): void {
    out.push({ type: 'send', protocol, frame: encodePppFrame(protocol, packet) });
  }

  private lcpActions(actions: readonly CpAction[], now: Millis, out: PppAction[]): void {
    for (const a of actions) {
      switch (a.type) {
        case 'send':
          this.send(a.protocol, a.packet, out);
          break;
        case 'layer-up':
          this.linkUp(now, out);
          break;
        case 'layer-down':
          // A renegotiation of an Opened link ends this session: the data path must not outlive LCP.
          this.emitDown(this.lcp.reason || 'LCP renegotiation', out);
          this.stopUpperLayers(now, out);
          if (!this.lowerLayerGone && this.lcp.state !== 'closing' && this.lcp.state !== 'stopping') {
            this.lcpActions(this.lcp.close(now, 'LCP renegotiation not supported'), now, out);
          }
          break;
        case 'layer-finished':
          this.currentPhase = 'dead';
          this.stopUpperLayers(now, out);
          this.emitDown(a.reason, out);
          this.emitFinished(a.reason, out);
          break;
        case 'protocol-rejected':
          if (a.protocol === PPP_PROTOCOL.IPCP)
            this.ncpActions(this.ipcp, this.ipcp.protocolRejected(now), now, out);
          else if (a.protocol === PPP_PROTOCOL.IPV6CP && this.ipv6cp) {
            this.ncpActions(this.ipv6cp, this.ipv6cp.protocolRejected(now), now, out);
          }
          break;
        case 'layer-started':
          break;
      }
    }
  }

  /** LCP is Opened: authenticate if either side asked for it (section 3.5), else go to Network. */
  private linkUp(now: Millis, out: PppAction[]): void {
    const method = this.lcp.negotiated.auth;
    if (method === undefined) {
      if (this.config.role === 'server' && (this.config.authMethods ?? ['mschapv2']).length > 0) {
        this.lcpActions(this.lcp.close(now, 'no authentication method agreed'), now, out);
        return;
      }
      this.networkUp(now, out);
      return;
    }
    this.currentPhase = 'authenticate';
    this.authDeadline = now + (this.config.authTimeoutMs ?? 30_000);
    this.auth = createAuthRole(this.config, method);
    this.authActions(this.auth.start(now), now, out);
  }

  private authActions(actions: readonly AuthAction[], now: Millis, out: PppAction[]): void {
    for (const a of actions) {
      switch (a.type) {
        case 'send':
          this.send(a.protocol, a.packet, out);
          break;
        case 'verify':
          this.pendingVerify = ++this.verifyToken;
          out.push({ type: 'verify', token: this.pendingVerify, request: a.request });
          break;
        case 'auth-success':
          if (this.currentPhase !== 'authenticate') break;
          this.authDeadline = undefined;
          this.authenticatedUser = a.user;
          this.attributes = a.attributes;
          this.networkUp(now, out);
          break;
        case 'auth-failure': {
          if (this.currentPhase !== 'authenticate') break;
          this.authDeadline = undefined;
          this.currentPhase = 'terminate';
          out.push({
            type: 'auth-failed',
            method: a.method,
            ...(a.user !== undefined ? { user: a.user } : {}),
            reason: a.reason,
          });
          this.lcpActions(this.lcp.close(now, `authentication failed: ${a.reason}`), now, out);
          break;
        }
      }
    }
  }

  private networkUp(now: Millis, out: PppAction[]): void {
    this.currentPhase = 'network';
    this.ncpActions(this.ipcp, this.ipcp.up(now), now, out);
    this.ncpActions(this.ipcp, this.ipcp.open(now), now, out);
    if (this.ipv6cp) {
      this.ncpActions(this.ipv6cp, this.ipv6cp.up(now), now, out);
      this.ncpActions(this.ipv6cp, this.ipv6cp.open(now), now, out);
    }
  }

  private ncpActions(
    ncp: ControlProtocol,
    actions: readonly CpAction[],
    now: Millis,
    out: PppAction[],
  ): void {
    for (const a of actions) {
      switch (a.type) {
        case 'send':
          // Once LCP is leaving, NCP replies would only trail its Terminate-Request.
          if (this.lcp.state === 'opened') this.send(a.protocol, a.packet, out);
          break;
        case 'layer-up':
          if (ncp === this.ipcp) this.ipv4Up(now, out);
          else if (this.ipv6cpOptions) {
            const n = this.ipv6cpOptions.negotiated;
            out.push({
              type: 'ipv6-up',
              localLinkLocal: linkLocalAddress(n.localInterfaceId),
              peerLinkLocal: linkLocalAddress(n.peerInterfaceId),
            });
          }
          break;
        case 'layer-down':
        case 'layer-finished':
          // RFC 1661 section 4.1, Opened + RCR: a Configure-Request after Opened (most often the peer
          // repeating one whose Configure-Ack was lost) renegotiates the NCP: This-Layer-Down, then Up once
          // it opens again. The link and its addresses stay, as in pppd; only an NCP that gives up or is
          // terminated ends the session.
          if (a.type === 'layer-down' && isNegotiating(ncp.state)) break;
          // IPCP carries the session: when it goes, so does the link. IPv6CP failing leaves IPv4 running.
          if (ncp === this.ipcp && this.currentPhase === 'network') {
            const reason = this.ipcp.reason || 'IPCP down';
            this.emitDown(reason, out);
            this.lcpActions(this.lcp.close(now, reason), now, out);
          }
          break;
        default:
          break;
      }
    }
  }

  private ipv4Up(now: Millis, out: PppAction[]): void {
    const n = this.ipcpOptions.negotiated;
    if (n.localAddress === '0.0.0.0' || n.peerAddress === '0.0.0.0') {
      this.lcpActions(this.lcp.close(now, 'IPCP ended without addresses'), now, out);
      return;
    }
    if (this.upSent) return;
    this.upSent = true;
    out.push({
      type: 'up',
      user: this.authenticatedUser,
      attributes: this.attributes,
      localAddress: n.localAddress,
      peerAddress: n.peerAddress,
      dns: n.dns,
      wins: n.wins,
      mtu: this.lcp.negotiated.peerMru,
    });
  }

  private assignPeerAddress(): string | undefined {
    if (this.peerAddress) return this.peerAddress.address;
    if (this.config.role !== 'server') return undefined;
    const fixed = this.attributes.staticAddress;
    if (fixed !== undefined) {
      this.peerAddress = { address: fixed, pooled: false };
      return fixed;
    }
    const pooled = this.config.addresses.allocate(this.authenticatedUser ?? '');
    if (pooled !== undefined) this.peerAddress = { address: pooled, pooled: true };
    return pooled;
  }

  private stopUpperLayers(now: Millis, out: PppAction[]): void {
    if (this.currentPhase !== 'dead') this.currentPhase = 'terminate';
    this.auth = undefined;
    this.authDeadline = undefined;
    this.pendingVerify = undefined;
    // The NCPs' own notifications are moot once LCP is leaving; only their sends matter (none in Down).
    const quiet: PppAction[] = [];
    this.ncpActions(this.ipcp, this.ipcp.down(now), now, quiet);
    if (this.ipv6cp) this.ncpActions(this.ipv6cp, this.ipv6cp.down(now), now, quiet);
    for (const a of quiet) if (a.type === 'send') out.push(a);
  }

  private emitDown(reason: string, out: PppAction[]): void {
    if (this.downSent) return;
    this.downSent = true;
    if (this.peerAddress?.pooled && this.config.role === 'server') {
      this.config.addresses.release(this.peerAddress.address);
    }
    this.peerAddress = undefined;
    out.push({ type: 'down', reason });
  }

  private emitFinished(reason: string, out: PppAction[]): void {
    if (this.finishedSent) return;
    this.finishedSent = true;
    this.currentPhase = 'dead';
    out.push({ type: 'finished', reason });
  }
}

/** The NCP is (re)negotiating options rather than leaving (RFC 1661 section 4.2 states 6–8). */
function isNegotiating(state: FsmState): boolean {
  return state === 'req-sent' || state === 'ack-rcvd' || state === 'ack-sent';
}
