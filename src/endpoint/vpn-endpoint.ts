/**
 * One L2TP/IPsec endpoint: the control plane that owns the IKE engine, the ESP SA database, the L2TP
 * endpoint and every PPP session, applies the actions they return, and keeps the one timer; plus the two
 * directions of the data path (receive.ts, send.ts) that it feeds. The same class is the server (LNS,
 * IKE responder, PPP authenticator) and the built-in client (LAC, IKE initiator, PPP peer): the layers are
 * the same, only their roles differ. Sockets and the TUN are injected (links.ts), so a test can run a
 * client/server pair in one process.
 */
import type { Authenticator, AuthResult } from '../aaa/authenticator.js';
import type { EspSa } from '../esp/sa.js';
import { SaDatabase, type SaEvent } from '../esp/sa-database.js';
import type { ChildSaParams, IkeAction } from '../ike/actions.js';
import type { IkeConfigInput } from '../ike/config.js';
import { IkeEngine } from '../ike/engine.js';
import type { L2tpAction } from '../l2tp/actions.js';
import type { L2tpConfig } from '../l2tp/config.js';
import { CdnResult } from '../l2tp/constants.js';
import { L2tpEndpoint } from '../l2tp/endpoint.js';
import { ipv4ToInt } from '../net/ipv4-address.js';
import type { PppAction, PppClientConfig, PppServerConfig } from '../ppp/session.js';
import { PppSession } from '../ppp/session.js';
import { type Clock, type Millis, type Rng, systemClock, systemRng } from '../util/clock.js';
import { Counters } from '../util/counters.js';
import { type Logger, silentLogger } from '../util/log.js';
import { espSaPair } from './child-sa.js';
import type { DataPathContext, DataPathCounter } from './datapath-context.js';
import type { InnerDevice, OuterAddress, OuterTransport } from './links.js';
import { PeerLink, peerLinkKey } from './peer-link.js';
import { InboundPath } from './receive.js';
import { OutboundPath } from './send.js';
import { VpnSession } from './session.js';
import { IdleWatch, NO_LIMITS, refuseNewSession, refuseUser, type SessionLimits } from './session-limits.js';
import { SessionTable } from './session-table.js';
import { DeadlineTimer, earliest } from './timers.js';

const NON_ESP_MARKER = Buffer.alloc(4);
/** How often inbound ESP is reported to IKE (DPD liveness, rekey cut-over). */
const LIVENESS_INTERVAL_MS = 1000;

/** What an embedding (server, client, tests) hears about. */
export type EndpointEvent =
  | { type: 'ike-up'; ikeSaId: string; peer: OuterAddress; clientFamily: string; suite: string }
  | { type: 'ike-down'; ikeSaId: string; reason: string; notify?: number | undefined }
  /** Our phase-1 rekey finished: `ikeSaId` replaced `oldIkeSaId`; the ESP SAs and sessions carry on. */
  | { type: 'ike-rekeyed'; ikeSaId: string; oldIkeSaId: string; suite: string }
  /** A phase-1 rekey attempt failed (retried while time remains; the old IKE SA still serves). */
  | { type: 'ike-rekey-failed'; ikeSaId: string; reason: string; notify?: number | undefined }
  | { type: 'sa-installed'; params: ChildSaParams }
  /** An initiator's Quick Mode got no SA: refused by the peer (its notify type) or unanswered. */
  | { type: 'child-sa-failed'; ikeSaId: string; notify?: number | undefined }
  | {
      type: 'session-up';
      session: VpnSession;
      user: string;
      localAddress: string;
      peerAddress: string;
      dns: readonly string[];
    }
  | { type: 'session-down'; session: VpnSession; reason: string }
  | { type: 'auth-failed'; user: string | undefined; method: string; reason: string }
  | { type: 'tunnel-down'; peer: string; reason: string };

/** Server-only pieces: who may log in and where their addresses come from. */
export interface ServerRole {
  readonly role: 'server';
  readonly authenticator: Authenticator;
  readonly ppp: Omit<PppServerConfig, 'role' | 'rng' | 'log'>;
}

export interface ClientRole {
  readonly role: 'client';
  readonly ppp: Omit<PppClientConfig, 'role' | 'rng' | 'log'>;
}

export interface VpnEndpointOptions {
  readonly roleConfig: ServerRole | ClientRole;
  readonly ike: IkeConfigInput;
  readonly l2tp?: Partial<L2tpConfig>;
  readonly transport: OuterTransport;
  readonly device?: InnerDevice;
  /** TCP MSS ceiling (0 = off); default 1360 (MTU 1400 − 40). */
  readonly mssClamp?: number;
  readonly allowPlainL2tp?: boolean;
  /** Session admission and idle limits (server role); default none. */
  readonly limits?: SessionLimits;
  readonly clock?: Clock;
  readonly rng?: Rng;
  readonly log?: Logger;
  readonly onEvent?: (e: EndpointEvent) => void;
}

export class VpnEndpoint implements DataPathContext {
  readonly role: 'server' | 'client';
  readonly sad: SaDatabase;
  readonly sessions = new SessionTable();
  readonly peers = new Map<string, PeerLink>();
  readonly transport: OuterTransport;
  device: InnerDevice | undefined;
  readonly counters = new Counters<DataPathCounter>();
  readonly mssClamp: number;
  readonly allowPlainL2tp: boolean;
  readonly ikePort: number;
  readonly nattPort: number;
  clientSession: VpnSession | undefined;

  readonly ike: IkeEngine;
  readonly l2tp: L2tpEndpoint;
  readonly inbound: InboundPath;
  readonly outbound: OutboundPath;
  private readonly clock: Clock;
  private readonly rng: Rng;
  private readonly log: Logger;
  private readonly timer: DeadlineTimer;
  private readonly roleConfig: ServerRole | ClientRole;
  private readonly onEvent: (e: EndpointEvent) => void;
  private readonly limits: SessionLimits;
  private readonly espLog: Logger;
  private readonly idle: IdleWatch;
  /** Client: the peer we dialled, until its L2TP tunnel is asked for. */
  private dialling: string | undefined;
  private closing = false;

  constructor(opts: VpnEndpointOptions) {
    this.roleConfig = opts.roleConfig;
    this.role = opts.roleConfig.role;
    this.clock = opts.clock ?? systemClock;
    this.rng = opts.rng ?? systemRng;
    this.log = opts.log ?? silentLogger;
    this.transport = opts.transport;
    this.device = opts.device;
    this.mssClamp = opts.mssClamp ?? 1360;
    this.allowPlainL2tp = opts.allowPlainL2tp ?? false;
    this.onEvent = opts.onEvent ?? (() => {});
    this.limits = opts.limits ?? NO_LIMITS;
    this.espLog = this.log.child({ layer: 'esp' });
    this.idle = new IdleWatch(this.limits.idleMs);
    this.ike = new IkeEngine({ rng: this.rng, log: this.log.child({ layer: 'ike' }), ...opts.ike });
    this.ikePort = this.ike.cfg.ikePort;
    this.nattPort = this.ike.cfg.nattPort;
    this.l2tp = new L2tpEndpoint({
      config: { acceptTunnels: this.role === 'server', ...opts.l2tp },
      rng: this.rng,
      log: this.log.child({ layer: 'l2tp' }),
    });
    this.sad = new SaDatabase({ onPending: () => this.reschedule() });
    this.inbound = new InboundPath(this);
    this.outbound = new OutboundPath(this);
    this.timer = new DeadlineTimer(this.clock, (now) => this.tick(now));
  }

  // ----------------------------------------------------------------------------- requests from the owner

  /** Client: starts IKE Main Mode towards `server` (port 500) from `local`. */
  dial(server: OuterAddress, local: OuterAddress): void {
    const now = this.clock.now();
    const { actions } = this.ike.initiate(server, local, now);
    this.dialling = server.address;
    this.applyIke(actions, now);
    this.reschedule();
  }

  /**
   * Administrative disconnect (`l2tpsec disconnect`): each session `match` selects gets an LCP
   * Terminate-Request (RFC 1661 section 5.5); once PPP has finished, the L2TP session ends with a CDN
   * (RFC 2661 section 5.7) as for any other PPP close. The IKE and ESP SAs stay: the client decides whether
   * to tear its tunnel down or dial again. Returns the sessions being closed.
   */
  disconnect(match: (s: VpnSession) => boolean, reason: string): VpnSession[] {
    const now = this.clock.now();
    const chosen = [...this.sessions.all()].filter(match);
    for (const s of chosen) this.applyPpp(s, s.ppp.close(now, reason), now);
    this.reschedule();
    return chosen;
  }

  /**
   * Graceful teardown of everything (RFC 1661 Terminate, RFC 2661 StopCCN, RFC 2408 DELETE): the peers
   * hear about it; the returned promise resolves once the goodbyes had `graceMs` to leave.
   */
  async shutdown(graceMs = 300): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const now = this.clock.now();
    for (const s of [...this.sessions.all()]) this.applyPpp(s, s.ppp.close(now, 'shutdown'), now);
    for (const peer of this.peers.values()) {
      for (const tunnelId of this.tunnelsOf(peer.key))
        this.applyL2tp(this.l2tp.closeTunnel(tunnelId, now), now);
    }
    await new Promise((r) => setTimeout(r, graceMs));
    const later = this.clock.now();
    for (const sa of this.ike.ikeSas()) this.applyIke(this.ike.deleteIkeSa(sa.id, later), later);
    for (const sa of [...this.sad.list()]) this.sad.remove(sa);
    this.forgetCachedSas();
    this.timer.cancel();
  }

  /** Every counter of every layer, for `status` and the logs. */
  counterSnapshot(): Record<string, Record<string, number>> {
    return {
      datapath: this.counters.snapshot(),
      ike: this.ike.counters.snapshot(),
      l2tp: this.l2tp.counters.snapshot(),
      esp: this.sad.drops.snapshot(),
    };
  }

  // -------------------------------------------------------------------------- hooks from the data path

  onIke(message: Buffer, remote: OuterAddress, local: OuterAddress): void {
    const now = this.clock.now();
    this.applyIke(this.ike.receive(message, remote, local, now), now);
    this.reschedule();
  }

  onL2tpControl(peer: PeerLink, message: Buffer): void {
    const now = this.clock.now();
    this.applyL2tp(this.l2tp.receive(peer.key, message, now), now);
    this.reschedule();
  }

  onPppControl(session: VpnSession, frame: Buffer): void {
    const now = this.clock.now();
    this.applyPpp(session, session.ppp.receive(frame, now), now);
    this.reschedule();
  }

  onInboundEsp(sa: EspSa, peer: PeerLink): void {
    const now = this.clock.now();
    if (now - peer.lastLivenessNote < LIVENESS_INTERVAL_MS) return;
    peer.lastLivenessNote = now;
    const actions = this.ike.noteInboundTraffic(sa.spi, now);
    if (actions.length > 0) {
      this.applyIke(actions, now);
      this.reschedule();
    }
  }

  plainPeer(remote: OuterAddress, local: OuterAddress): PeerLink {
    const key = peerLinkKey(remote.address, remote.port);
    let peer = this.peers.get(key);
    if (peer === undefined) {
      peer = new PeerLink(key, remote, local);
      peer.plain = true;
      this.peers.set(key, peer);
    }
    return peer;
  }

  // ------------------------------------------------------------------------------------------- timers

  private tick(now: Millis): void {
    this.applyIke(this.ike.tick(now), now);
    this.applyL2tp(this.l2tp.tick(now), now);
    for (const ev of this.sad.tick(now)) this.onSaLifetime(ev, now);
    for (const s of [...this.sessions.all()]) {
      const d = s.ppp.deadline();
      if (d !== undefined && d <= now) this.applyPpp(s, s.ppp.tick(now), now);
    }
    for (const s of this.idle.due(this.sessions, now)) {
      this.log.info({ user: s.user, peer: s.peerKey }, 'session idle: closing');
      this.applyPpp(s, s.ppp.close(now, 'idle timeout'), now);
    }
    this.reschedule();
  }

  /**
   * RFC 4301 section 4.4.2.1: a soft expiry asks the key manager for a new SA. The IKEv1 initiator (our
   * client role) rekeys with a new Quick Mode on the same IKE SA (RFC 2409 section 5.5); a responder leaves
   * that to its initiator, as IKEv1 peers expect. A hard expiry has already removed the SA: if it was the
   * peer's last inbound SA, its tunnels cannot carry anything more and are cleared now (IKE may not report
   * the expiry itself when ESP's clock ran out first).
   */
  private onSaLifetime(ev: SaEvent, now: Millis): void {
    const sa = ev.sa;
    this.log.debug({ spi: hex(sa.spi), type: ev.type, cause: ev.cause }, 'ESP SA lifetime event');
    if (ev.type === 'sa-soft-expired') {
      if (this.role === 'client' && sa.direction === 'outbound' && sa.owner !== undefined) {
        this.applyIke(this.ike.startQuickMode(this.currentIkeSa(sa.owner), now), now);
      }
      return;
    }
    this.forgetCachedSas();
    const link = this.peers.get(peerLinkKey(sa.peer.address, sa.peer.port));
    if (sa.direction === 'inbound' && link !== undefined && !this.hasInboundSa(link))
      this.dropPeer(link, now, 'IPsec SA expired');
  }

  private reschedule(): void {
    let d = earliest(this.ike.deadline(), this.l2tp.deadline(), this.sad.deadline());
    for (const s of this.sessions.all()) d = earliest(d, s.ppp.deadline());
    this.timer.arm(earliest(d, this.idle.deadline(this.sessions, this.clock.now())));
  }

  // ---------------------------------------------------------------------------------------------- IKE

  private applyIke(actions: readonly IkeAction[], now: Millis): void {
    for (const a of actions) {
      switch (a.type) {
        case 'send': {
          const data = a.nonEspMarker ? Buffer.concat([NON_ESP_MARKER, a.data]) : a.data;
          this.transport.send(a.from, a.to, data, 0, data.length);
          break;
        }
        case 'install-sa':
          this.installSa(a.sa, now);
          break;
        case 'delete-sa':
          this.deleteSa(a.spiIn, a.spiOut, a.reason, now);
          break;
        case 'ike-sa-up':
          this.familyBySa.set(a.ikeSaId, a.clientFamily);
          if (a.rekeyOf !== undefined) {
            // Not a new connection: no Quick Mode, no L2TP tunnel; the old SA's ESP SAs move over.
            this.log.info({ ikeSa: a.ikeSaId, old: a.rekeyOf, suite: a.suite }, 'IKE SA rekeyed');
            this.onEvent({ type: 'ike-rekeyed', ikeSaId: a.ikeSaId, oldIkeSaId: a.rekeyOf, suite: a.suite });
            break;
          }
          this.log.info(
            { ikeSa: a.ikeSaId, peer: a.peer, client: a.clientFamily, suite: a.suite, natT: a.natT },
            'IKE SA established',
          );
          this.onEvent({
            type: 'ike-up',
            ikeSaId: a.ikeSaId,
            peer: a.peer,
            clientFamily: a.clientFamily,
            suite: a.suite,
          });
          for (const p of this.peers.values())
            if (p.remote.address === a.peer.address) p.clientFamily = a.clientFamily;
          break;
        case 'children-adopted':
          this.adoptChildren(a.fromIkeSaId, a.toIkeSaId);
          break;
        case 'ike-sa-down':
          this.log.info({ ikeSa: a.ikeSaId, reason: a.reason, notify: a.notify }, 'IKE SA down');
          this.familyBySa.delete(a.ikeSaId);
          for (const [from, to] of this.ikeSaHeirs) if (to === a.ikeSaId) this.ikeSaHeirs.delete(from);
          if (a.rekeyOf !== undefined) {
            this.log.warn({ ikeSa: a.ikeSaId, old: a.rekeyOf, reason: a.reason }, 'phase-1 rekey failed');
            this.onEvent({
              type: 'ike-rekey-failed',
              ikeSaId: a.rekeyOf,
              reason: a.reason,
              notify: a.notify,
            });
          } else if (a.reason !== 'rekeyed') {
            this.onEvent({ type: 'ike-down', ikeSaId: a.ikeSaId, reason: a.reason, notify: a.notify });
          }
          break;
        case 'child-sa-failed':
          this.log.warn({ ikeSa: a.ikeSaId, notify: a.notify }, 'Quick Mode failed: no IPsec SA');
          this.onEvent({ type: 'child-sa-failed', ikeSaId: a.ikeSaId, notify: a.notify });
          break;
        case 'peer-dead':
          this.log.warn({ ikeSa: a.ikeSaId, peer: a.peer }, 'peer dead (DPD): clearing its tunnels');
          for (const p of this.peers.values())
            if (p.ikeSaId === a.ikeSaId) this.dropPeer(p, now, 'IPsec peer dead (DPD)');
          break;
        default:
          // A new IKE action must be handled here, not silently dropped.
          unhandled(a);
      }
    }
  }

  private readonly familyBySa = new Map<string, string>();
  /**
   * IKE SAs gone after a phase-1 rekey → the SA that took over their ESP SAs (whose `owner` still names the
   * old one): a Quick Mode rekey of them runs on the heir. Entries go when the heir goes.
   */
  private readonly ikeSaHeirs = new Map<string, string>();

  private adoptChildren(from: string, to: string): void {
    this.ikeSaHeirs.set(from, to);
    for (const [older, heir] of this.ikeSaHeirs) if (heir === from) this.ikeSaHeirs.set(older, to);
    for (const link of this.peers.values()) if (link.ikeSaId === from) link.ikeSaId = to;
  }

  /** The live IKE SA that now owns ESP SAs negotiated under `ikeSaId`. */
  private currentIkeSa(ikeSaId: string): string {
    return this.ikeSaHeirs.get(ikeSaId) ?? ikeSaId;
  }

  /** RFC 2409 section 5.5 KEYMAT → one inbound and one outbound ESP SA (RFC 4303), and the peer's link. */
  private installSa(p: ChildSaParams, now: Millis): void {
    try {
      const { inbound, outbound } = espSaPair(p, { clock: this.clock, rng: this.rng, log: this.espLog });
      this.sad.add(inbound);
      this.sad.add(outbound);
    } catch (err) {
      this.log.error({ err, spiIn: p.spiIn }, 'could not install ESP SA');
      return;
    }
    const espPort = p.udpEncapsulation ? p.peer.port : undefined;
    const peer = { address: p.peer.address, port: espPort };
    const key = peerLinkKey(peer.address, peer.port);
    const remote = { address: p.peer.address, port: espPort ?? 0 };
    const local = { address: p.local.address, port: p.udpEncapsulation ? p.local.port : 0 };
    let link = this.peers.get(key);
    if (link === undefined) {
      link = new PeerLink(key, remote, local);
      this.peers.set(key, link);
    } else {
      link.remote = remote;
      link.local = local;
    }
    this.forgetCachedSas();
    link.ikeSaId = p.ikeSaId;
    link.spiIn = p.spiIn;
    link.spiOut = p.spiOut;
    link.clientFamily = this.familyBySa.get(p.ikeSaId) ?? link.clientFamily;
    this.log.info(
      {
        ikeSa: p.ikeSaId,
        spiIn: hex(p.spiIn),
        spiOut: hex(p.spiOut),
        cipher: p.cipher,
        keyBits: p.encryptionKeyBits,
        integrity: p.integrity,
        mode: p.mode,
        encap: p.udpEncapsulation,
      },
      'IPsec SA installed',
    );
    this.onEvent({ type: 'sa-installed', params: p });
    if (this.role === 'client' && this.dialling !== undefined && this.tunnelsOf(key).length === 0) {
      this.dialling = undefined;
      const { actions } = this.l2tp.openTunnel(key, now);
      this.applyL2tp(actions, now);
    }
  }

  private deleteSa(spiIn: number, spiOut: number, reason: string, now: Millis): void {
    const inbound = this.sad.inbound(spiIn);
    let peerKey: string | undefined;
    if (inbound !== undefined) {
      peerKey = peerLinkKey(inbound.peer.address, inbound.peer.port);
      this.sad.remove(inbound);
    }
    for (const sa of this.sad.list())
      if (sa.direction === 'outbound' && sa.spi === spiOut) this.sad.remove(sa);
    this.forgetCachedSas();
    this.log.info({ spiIn: hex(spiIn), spiOut: hex(spiOut), reason }, 'IPsec SA deleted');
    if (peerKey === undefined || reason === 'rekeyed') return;
    const link = this.peers.get(peerKey);
    // With no SA left, the peer's L2TP tunnels cannot carry anything more (RFC 3193): clear them now rather
    // than after L2TP's retransmissions run out, so leases and sessions are freed at once.
    if (link !== undefined && !this.hasInboundSa(link))
      this.dropPeer(link, now, `IPsec SA deleted (${reason})`);
  }

  /** The send path caches each peer's outbound SA (peer-link.ts); any SA added or removed voids those. */
  private forgetCachedSas(): void {
    for (const link of this.peers.values()) link.outboundSa = undefined;
  }

  private hasInboundSa(link: PeerLink): boolean {
    for (const sa of this.sad.list()) {
      if (sa.direction === 'inbound' && peerLinkKey(sa.peer.address, sa.peer.port) === link.key) return true;
    }
    return false;
  }

  /** Tears down every L2TP tunnel (and so every session) of `link`, and forgets it. */
  private dropPeer(link: PeerLink, now: Millis, reason: string): void {
    // Sessions first, so each ends with the real cause rather than as a casualty of its tunnel's StopCCN.
    for (const s of [...this.sessions.all()]) {
      if (s.peerKey === link.key) this.applyPpp(s, s.ppp.lowerDown(now, reason), now);
    }
    for (const tunnelId of this.tunnelsOf(link.key))
      this.applyL2tp(this.l2tp.closeTunnel(tunnelId, now), now);
    if (!this.hasInboundSa(link)) this.peers.delete(link.key);
  }

  private tunnelsOf(peerKey: string): number[] {
    return this.l2tp.tunnelIdsOf(peerKey);
  }

  // --------------------------------------------------------------------------------------------- L2TP

  private applyL2tp(actions: readonly L2tpAction[], now: Millis): void {
    for (const a of actions) {
      switch (a.type) {
        case 'send': {
          const peer = this.peers.get(a.peer);
          if (peer === undefined) this.counters.count('no-outbound-sa');
          else this.outbound.l2tp(peer, a.data);
          break;
        }
        case 'tunnel-up':
          this.log.info(
            { peer: a.peer, tunnel: a.tunnelId, peerTunnel: a.peerTunnelId, host: a.peerHostName },
            'L2TP tunnel up',
          );
          if (this.role === 'client') {
            const opened = this.l2tp.openSession(a.tunnelId, now);
            if (opened !== undefined) this.applyL2tp(opened.actions, now);
          }
          break;
        case 'tunnel-down':
          this.log.info(
            { peer: a.peer, tunnel: a.tunnelId, reason: a.reason, result: a.result },
            'L2TP tunnel down',
          );
          this.onEvent({ type: 'tunnel-down', peer: a.peer, reason: a.reason });
          break;
        case 'session-up':
          this.sessionUp(a.peer, a.tunnelId, a.sessionId, a.peerTunnelId, a.peerSessionId, a.sequencing, now);
          break;
        case 'session-down': {
          const s = this.sessions.byL2tpIds(a.tunnelId, a.sessionId);
          if (s !== undefined) {
            this.applyPpp(s, s.ppp.lowerDown(now, `L2TP session ${a.reason}`), now);
            this.removeSession(s, `L2TP ${a.reason}`);
          }
          break;
        }
        case 'ppp': {
          const s = this.sessions.byL2tpIds(a.tunnelId, a.sessionId);
          if (s !== undefined) this.applyPpp(s, s.ppp.receive(Buffer.from(a.frame), now), now);
          break;
        }
      }
    }
  }

  private sessionUp(
    peerKey: string,
    tunnelId: number,
    sessionId: number,
    peerTunnelId: number,
    peerSessionId: number,
    sequencing: boolean,
    now: Millis,
  ): void {
    const refused = refuseNewSession(this.sessions, peerKey, this.limits);
    if (refused !== undefined) {
      this.log.warn({ peer: peerKey, reason: refused }, 'L2TP session refused');
      // RFC 2661 section 4.4.2: result 4, temporary lack of facilities.
      const result = { result: CdnResult.TemporaryNoFacilities, message: refused };
      this.applyL2tp(this.l2tp.closeSession(tunnelId, sessionId, now, result), now);
      return;
    }
    const rc = this.roleConfig;
    const log = this.log.child({ layer: 'ppp', peer: peerKey, tunnel: tunnelId, session: sessionId });
    const ppp =
      rc.role === 'server'
        ? new PppSession({ ...rc.ppp, role: 'server', rng: this.rng, log })
        : new PppSession({ ...rc.ppp, role: 'client', rng: this.rng, log });
    const s = new VpnSession(tunnelId, sessionId, peerTunnelId, peerSessionId, sequencing, peerKey, ppp);
    this.sessions.add(s);
    this.log.info({ peer: peerKey, tunnel: tunnelId, session: sessionId }, 'L2TP session up; starting PPP');
    this.applyPpp(s, ppp.start(now), now);
  }

  private removeSession(s: VpnSession, reason: string): void {
    if (this.sessions.byL2tpIds(s.tunnelId, s.sessionId) !== s) return;
    this.sessions.remove(s);
    if (this.clientSession === s) this.clientSession = undefined;
    s.ipUp = false;
    this.onEvent({ type: 'session-down', session: s, reason });
  }

  // ---------------------------------------------------------------------------------------------- PPP

  private applyPpp(s: VpnSession, actions: readonly PppAction[], now: Millis): void {
    for (const a of actions) {
      switch (a.type) {
        case 'send':
          this.outbound.pppFrame(s, a.frame);
          break;
        case 'verify':
          this.verify(s, a.token, a.request);
          break;
        case 'up': {
          s.user = a.user ?? s.user;
          const overLimit =
            this.role === 'server' ? refuseUser(this.sessions, s, s.user, this.limits) : undefined;
          if (overLimit !== undefined) {
            this.log.warn({ user: s.user, peer: s.peerKey, reason: overLimit }, 'session refused');
            this.applyPpp(s, s.ppp.close(now, overLimit), now);
            break;
          }
          s.dns = a.dns;
          s.peerMtu = a.mtu;
          s.upAt = now;
          s.upAtWall = Date.now();
          const inner = this.role === 'server' ? a.peerAddress : a.localAddress;
          s.innerAddressText = inner;
          s.peerInnerAddressText = this.role === 'server' ? a.localAddress : a.peerAddress;
          this.sessions.bindInner(s, ipv4ToInt(inner));
          s.ipUp = true;
          if (this.role === 'client') this.clientSession = s;
          this.log.info({ user: s.user, address: inner, peer: s.peerKey }, 'PPP up: session established');
          this.onEvent({
            type: 'session-up',
            session: s,
            user: s.user,
            localAddress: a.localAddress,
            peerAddress: a.peerAddress,
            dns: a.dns,
          });
          break;
        }
        case 'down':
          s.ipUp = false;
          this.sessions.unbindInner(s);
          this.log.info({ user: s.user, reason: a.reason }, 'PPP down');
          break;
        case 'finished': {
          this.removeSession(s, a.reason);
          const t = this.l2tp.tunnel(s.tunnelId);
          if (t !== undefined) this.applyL2tp(this.l2tp.closeSession(s.tunnelId, s.sessionId, now), now);
          break;
        }
        case 'auth-failed':
          this.log.warn(
            { user: a.user, method: a.method, reason: a.reason, peer: s.peerKey },
            'PPP authentication failed',
          );
          this.onEvent({ type: 'auth-failed', user: a.user, method: a.method, reason: a.reason });
          break;
        case 'data':
          if (a.protocol === 0x0021 && this.device !== undefined)
            this.device.write(a.packet, 0, a.packet.length);
          break;
        case 'ipv6-up':
          this.log.info({ local: a.localLinkLocal, peer: a.peerLinkLocal }, 'IPv6CP up');
          break;
      }
    }
  }

  /** Runs the (asynchronous) user lookup and hands the verdict back to PPP. */
  private verify(s: VpnSession, token: number, request: Parameters<Authenticator['verify']>[0]): void {
    const rc = this.roleConfig;
    if (rc.role !== 'server') return;
    const peer = this.peers.get(s.peerKey);
    rc.authenticator
      .verify(peer === undefined ? request : { ...request, callingStationId: peer.remote.address })
      .catch((err: unknown): AuthResult => {
        this.log.error({ err }, 'authenticator failed');
        return { ok: false, reason: 'authenticator error' };
      })
      .then((result) => {
        if (this.sessions.byL2tpIds(s.tunnelId, s.sessionId) !== s) return;
        const now = this.clock.now();
        this.applyPpp(s, s.ppp.verified(token, result, now), now);
        this.reschedule();
      });
  }
}

function hex(spi: number): string {
  return spi.toString(16).padStart(8, '0');
}

function unhandled(_action: never): void {}
