/**
 * `l2tpsec server`: one VpnEndpoint in the server role (IKE responder, L2TP LNS, PPP authenticator) wired to
 * the real edges — UDP 500/4500 (and raw ESP where possible), one TUN carrying the server's tunnel address
 * for the whole client network — plus the address pool, the users, and the control socket `status` reads.
 */
import type { Authenticator, AuthRequest, AuthResult } from '../aaa/authenticator.js';
import { LocalAuthenticator, verifyAgainst } from '../aaa/local-authenticator.js';
import { RadiusAaa } from '../aaa/radius/radius-aaa.js';
import type { AccountingUsage } from '../aaa/radius/radius-accounting.js';
import type { UserRecord } from '../aaa/users-file.js';
import { l2tpKey, type VpnSession } from '../endpoint/session.js';
import { type EndpointEvent, VpnEndpoint } from '../endpoint/vpn-endpoint.js';
import type { IkeConfigInput } from '../ike/config.js';
import { DEFAULT_ESP_POLICY, type EspPolicy } from '../ike/esp-policy.js';
import { DEFAULT_PHASE1_POLICY, type Phase1Policy } from '../ike/policy.js';
import { DEFAULT_RETRANSMIT } from '../l2tp/reliable.js';
import { parseCidr } from '../net/ipv4-address.js';
import { Tun } from '../net/tun.js';
import { RealOuterTransport } from '../runtime/outer-transport.js';
import { BatchedTunDevice } from '../runtime/tun-device.js';
import type { Logger } from '../util/log.js';
import type { ServerConfig } from './config.js';
import {
  ControlSocket,
  type DisconnectResult,
  type SessionStatus,
  type StatusSnapshot,
} from './control-socket.js';
import { MetricsRegistry, MetricsServer } from './metrics.js';
import { AddressPool } from './pool.js';
import { PoolAddressSource } from './pool-address-source.js';

const VERSION = '0.1.0';
const DPD_RETRY_MS = 5000;

/**
 * Users from the environment (VPN_USER, VPN_ADDL_USERS) first, then the users file, then RADIUS (when
 * configured): the first that accepts wins, so a local user never waits on the network.
 */
export class ServerAuthenticator implements Authenticator {
  constructor(
    private readonly envUsers: ReadonlyMap<string, UserRecord>,
    private readonly file: LocalAuthenticator | undefined,
    private readonly radius: RadiusAaa | undefined,
  ) {}

  async verify(request: AuthRequest): Promise<AuthResult> {
    let r = verifyAgainst(this.envUsers, request);
    if (r.ok) return r;
    if (this.file !== undefined) {
      r = await this.file.verify(request);
      if (r.ok) return r;
    }
    return this.radius === undefined ? r : this.radius.authenticator.verify(request);
  }

  async reload(): Promise<void> {
    await this.file?.reload();
  }
}

export function ikeConfigFor(cfg: ServerConfig, rawEspAvailable: boolean): IkeConfigInput {
  const phase1: Phase1Policy = {
    ...DEFAULT_PHASE1_POLICY,
    ...(cfg.ike.ciphers ? { ciphers: cfg.ike.ciphers } : {}),
    ...(cfg.ike.hashes ? { hashes: cfg.ike.hashes } : {}),
    ...(cfg.ike.groups ? { groups: cfg.ike.groups } : {}),
    ...(cfg.ike.prefer ? { prefer: cfg.ike.prefer } : {}),
    ...(cfg.ike.maxLifetimeSeconds ? { maxLifetimeSeconds: cfg.ike.maxLifetimeSeconds } : {}),
    authMethods: cfg.ike.authMethods,
  };
  const esp: EspPolicy = {
    ...DEFAULT_ESP_POLICY,
    ...(cfg.esp.suites ? { suites: cfg.esp.suites } : {}),
    ...(cfg.esp.pfsGroups ? { pfsGroups: cfg.esp.pfsGroups } : {}),
    ...(cfg.esp.maxLifetimeSeconds ? { maxLifetimeSeconds: cfg.esp.maxLifetimeSeconds } : {}),
    allowRawEsp: rawEspAvailable && !cfg.ike.forceEncapsulation,
    sha256Truncated96: cfg.esp.sha2Truncbug,
  };
  return {
    psk: cfg.psk,
    phase1,
    esp,
    forceEncapsulation: cfg.ike.forceEncapsulation,
    aggressiveMode: cfg.ike.aggressiveMode,
    dpdIdleMs: cfg.ike.dpdDelaySeconds * 1000,
    // RFC 3706 section 5.5: a peer silent for dpdTimeout after the first probe is dead.
    dpdRetryMs: DPD_RETRY_MS,
    dpdTries: Math.max(1, Math.ceil((cfg.ike.dpdTimeoutSeconds * 1000) / DPD_RETRY_MS)),
    ...(cfg.ike.halfOpenPerSource ? { halfOpenPerSource: cfg.ike.halfOpenPerSource } : {}),
    ...(cfg.ike.halfOpenTotal ? { halfOpenTotal: cfg.ike.halfOpenTotal } : {}),
    ...(cfg.ike.certificates ? { certificates: cfg.ike.certificates } : {}),
  };
}

export class L2tpsecServer {
  private readonly startedAt = Date.now();

  private constructor(
    readonly endpoint: VpnEndpoint,
    private readonly transport: RealOuterTransport,
    readonly tun: Tun,
    private readonly pool: AddressPool,
    private readonly authenticator: ServerAuthenticator,
    private control: ControlSocket | undefined,
    private readonly log: Logger,
    private readonly radius: RadiusAaa | undefined,
  ) {}

  private metrics: MetricsServer | undefined;
  private interimTimer: ReturnType<typeof setInterval> | undefined;

  static async start(cfg: ServerConfig, log: Logger): Promise<L2tpsecServer> {
    const envUsers = new Map<string, UserRecord>();
    for (const u of cfg.users) envUsers.set(u.name, { name: u.name, password: u.password });
    const file = cfg.usersFile === undefined ? undefined : await LocalAuthenticator.open(cfg.usersFile);
    const radius =
      cfg.radius === undefined ? undefined : await RadiusAaa.open(cfg.radius, log.child({ layer: 'radius' }));
    const authenticator = new ServerAuthenticator(envUsers, file, radius);

    const statics = new Map<string, string>();
    for (const u of cfg.users) if (u.staticAddress !== undefined) statics.set(u.name, u.staticAddress);
    const pool = new AddressPool({
      range: cfg.l2tp.pool,
      exclude: [cfg.l2tp.localAddress, ...cfg.dns],
      staticAddresses: statics,
      network: cfg.l2tp.network,
    });

    let transport: RealOuterTransport;
    try {
      transport = await RealOuterTransport.open({
        listen: cfg.listen,
        rawEsp: cfg.rawEsp,
        ports: cfg.allowPlainL2tp ? [500, 4500, 1701] : [500, 4500],
        log: log.child({ layer: 'net' }),
      });
    } catch (err) {
      await radius?.close(0);
      throw err;
    }
    let endpoint: VpnEndpoint | undefined;
    let tun: Tun;
    try {
      tun = Tun.open((buf, off, len) => endpoint?.outbound.packet(buf, off, len), {
        name: cfg.tun.name,
        logger: log,
      });
      tun.configure({
        address: cfg.l2tp.localAddress,
        prefixLength: parseCidr(cfg.l2tp.network).prefixLength,
        mtu: cfg.tun.mtu,
      });
    } catch (err) {
      transport.close();
      await radius?.close(0);
      throw err;
    }
    // Endpoint events reach the server once it exists (none arrive before: they need network input).
    let accountingTarget: L2tpsecServer | undefined;
    endpoint = new VpnEndpoint({
      roleConfig: {
        role: 'server',
        authenticator,
        ppp: {
          localAddress: cfg.l2tp.localAddress,
          dns: cfg.dns,
          addresses: new PoolAddressSource(pool, log),
          mru: cfg.tun.mtu,
          echoIntervalMs: cfg.timeouts.lcpEchoIntervalSeconds * 1000,
          echoFailures: cfg.timeouts.lcpEchoFailures,
          authTimeoutMs: cfg.timeouts.authenticationSeconds * 1000,
          ...(cfg.ppp.authMethods ? { authMethods: cfg.ppp.authMethods } : {}),
        },
      },
      ike: ikeConfigFor(cfg, transport.rawEspAvailable),
      l2tp: {
        helloInterval: cfg.timeouts.l2tpHelloSeconds * 1000,
        retransmit: { ...DEFAULT_RETRANSMIT, initialTimeout: cfg.timeouts.l2tpRetransmitSeconds * 1000 },
      },
      transport,
      device: new BatchedTunDevice(tun),
      mssClamp: cfg.mssClamp ? cfg.tun.mtu - 40 : 0,
      limits: { ...cfg.limits, idleMs: cfg.timeouts.idleSeconds * 1000 },
      allowPlainL2tp: cfg.allowPlainL2tp,
      log,
      onEvent: (e) => accountingTarget?.accountingEvent(e),
    });
    transport.attach(endpoint.inbound);
    const server = new L2tpsecServer(endpoint, transport, tun, pool, authenticator, undefined, log, radius);
    accountingTarget = server;
    server.startInterimAccounting(cfg.radius?.interimIntervalSeconds ?? 0);
    try {
      server.control = await ControlSocket.listen(
        cfg.controlSocket,
        { status: () => server.status(), disconnect: (target) => server.disconnect(target) },
        log,
      );
      if (cfg.metricsListen !== undefined) {
        const registry = new MetricsRegistry(() => server.status());
        server.metrics = await MetricsServer.listen(
          registry,
          cfg.metricsListen,
          log.child({ layer: 'metrics' }),
        );
      }
    } catch (err) {
      await server.stop();
      throw err;
    }
    log.info(
      {
        tun: tun.name,
        tunnelAddress: cfg.l2tp.localAddress,
        pool: cfg.l2tp.pool,
        listen: cfg.listen ?? 'all',
        rawEsp: transport.rawEspAvailable,
        control: cfg.controlSocket,
      },
      'l2tpsec server listening on UDP 500 and 4500',
    );
    return server;
  }

  /** RFC 2866 accounting: Start when a session's IPCP is up, Stop (with its counters) when it goes down. */
  private accountingEvent(e: EndpointEvent): void {
    const acct = this.radius?.accounting;
    if (acct === undefined) return;
    if (e.type === 'session-up') {
      const s = e.session;
      const peer = this.endpoint.peers.get(s.peerKey);
      const start = {
        user: e.user,
        framedAddress: e.peerAddress,
        ...(peer !== undefined ? { callingStationId: peer.remote.address } : {}),
      };
      this.radius?.track(acct.sessionUp(accountingKey(s), start));
    } else if (e.type === 'session-down') {
      const s = e.session;
      this.radius?.track(acct.sessionDown(accountingKey(s), accountingUsage(s), e.reason));
    }
  }

  /** RFC 2866 Interim-Update for every session with its IP link up, every `seconds`. */
  private startInterimAccounting(seconds: number): void {
    const acct = this.radius?.accounting;
    if (acct === undefined || seconds <= 0) return;
    this.interimTimer = setInterval(() => {
      for (const s of this.endpoint.sessions.all())
        if (s.ipUp) this.radius?.track(acct.interim(accountingKey(s), accountingUsage(s)));
    }, seconds * 1000);
    this.interimTimer.unref();
  }

  /** SIGHUP: re-read the users file without touching running sessions. */
  async reload(): Promise<void> {
    try {
      await this.authenticator.reload();
      this.log.info('users reloaded');
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'users reload failed; keeping the previous users');
    }
  }

  /** SIGTERM/SIGINT: LCP Terminate, StopCCN, IKE DELETE for every SA, then close the edges. */
  async stop(): Promise<void> {
    this.log.info({ sessions: this.endpoint.sessions.size }, 'shutting down');
    if (this.interimTimer !== undefined) clearInterval(this.interimTimer);
    await this.endpoint.shutdown();
    // After shutdown: the sessions' Accounting-Request Stops are in flight; let them out first.
    await this.radius?.close();
    await this.metrics?.close();
    await this.control?.close();
    this.transport.close();
    this.tun.close();
  }

  /**
   * Gauges of what is alive right now (not counters: they fall back to 0), so `status --json` shows that a
   * teardown left no IKE SA, ESP SA, L2TP tunnel or session behind.
   */
  liveState(): Record<string, number> {
    const e = this.endpoint;
    return {
      ikeSas: e.ike.ikeSas().length,
      ikeHalfOpen: e.ike.halfOpen,
      espSas: e.sad.size,
      l2tpTunnels: e.l2tp.tunnelCount,
      l2tpSessions: e.l2tp.sessionCount,
      pppSessions: e.sessions.size,
      peers: e.peers.size,
    };
  }

  /** Ends the sessions whose user name or assigned address is `target` (the control socket's `disconnect`). */
  disconnect(target: string): DisconnectResult {
    const closed = this.endpoint.disconnect(
      (s) => s.ipUp && (s.user === target || s.innerAddressText === target),
      'disconnected by the administrator',
    );
    return { disconnected: closed.map((s) => ({ user: s.user, assignedAddress: s.innerAddressText })) };
  }

  status(): StatusSnapshot {
    const now = Date.now();
    const sessions: SessionStatus[] = [];
    for (const s of this.endpoint.sessions.all()) {
      if (!s.ipUp) continue;
      const peer = this.endpoint.peers.get(s.peerKey);
      sessions.push({
        user: s.user,
        peer: { address: peer?.remote.address ?? '', port: peer?.remote.port ?? 0 },
        assignedAddress: s.innerAddressText,
        clientFamily: peer?.clientFamily ?? 'unknown',
        establishedAt: new Date(s.upAtWall).toISOString(),
        uptimeSeconds: Math.round((now - s.upAtWall) / 1000),
        bytesIn: s.bytesIn,
        bytesOut: s.bytesOut,
        packetsIn: s.packetsIn,
        packetsOut: s.packetsOut,
        spis: { inbound: hex(peer?.spiIn ?? 0), outbound: hex(peer?.spiOut ?? 0) },
        encapsulation: peer !== undefined && peer.remote.port === 0 ? 'esp' : 'udp',
        details: { l2tpTunnel: s.tunnelId, l2tpSession: s.sessionId, ikeSa: peer?.ikeSaId ?? '' },
      });
    }
    return {
      version: VERSION,
      pid: process.pid,
      startedAt: new Date(this.startedAt).toISOString(),
      uptimeSeconds: Math.round((now - this.startedAt) / 1000),
      sessions,
      counters: {
        ...this.endpoint.counterSnapshot(),
        ...(this.radius !== undefined ? { radius: this.radius.client.counters.snapshot() } : {}),
      },
      live: this.liveState(),
      pool: { size: this.pool.size, available: this.pool.available, leased: this.pool.leased },
    };
  }
}

function hex(spi: number): string {
  return spi.toString(16).padStart(8, '0');
}

/** A session's accounting key: its L2TP ids, unique while it lives. */
function accountingKey(s: VpnSession): string {
  return String(l2tpKey(s.tunnelId, s.sessionId));
}

/** A session's counters as RFC 2866 accounting reports them (section 5.3-5.8). */
function accountingUsage(s: VpnSession): AccountingUsage {
  return {
    sessionSeconds: s.upAtWall > 0 ? (Date.now() - s.upAtWall) / 1000 : 0,
    inputOctets: s.bytesIn,
    outputOctets: s.bytesOut,
    inputPackets: s.packetsIn,
    outputPackets: s.packetsOut,
  };
}
