/**
 * A server VpnEndpoint and one or more client VpnEndpoints on a MemoryNetwork, with short retransmission
 * timers (so a lossy link converges in seconds on the real clock), an address pool, a users file, and a
 * recorder of every event each side emits.
 */

import { LocalAuthenticator } from '../../../src/aaa/local-authenticator.js';
import type { OuterTransport } from '../../../src/endpoint/links.js';
import type { SessionLimits } from '../../../src/endpoint/session-limits.js';
import type { EndpointEvent } from '../../../src/endpoint/vpn-endpoint.js';
import { VpnEndpoint } from '../../../src/endpoint/vpn-endpoint.js';
import type { IkeConfigInput } from '../../../src/ike/config.js';
import type { EspSuiteChoice } from '../../../src/ike/esp-policy.js';
import type { L2tpConfig } from '../../../src/l2tp/config.js';
import type { AuthMethod } from '../../../src/ppp/auth-protocol.js';
import { AddressPool } from '../../../src/server/pool.js';
import { PoolAddressSource } from '../../../src/server/pool-address-source.js';
import { createLogger, type Logger, silentLogger } from '../../../src/util/log.js';
import { MemoryNetwork, type MemoryNetworkOptions, RecordingDevice, seededRng } from './memory-link.js';

export const SERVER_ADDRESS = '10.0.0.1';
export const SERVER_TUNNEL_ADDRESS = '192.168.42.1';
export const POOL_RANGE = '192.168.42.10-192.168.42.20';
export const DNS = ['192.0.2.53', '192.0.2.54'];
export const PSK = 'pair-test-psk';
export const USER = 'alice';
export const PASSWORD = 'correct horse';

/** One endpoint and what it has said. */
export class Side {
  readonly events: EndpointEvent[] = [];
  readonly device = new RecordingDevice();
  endpoint!: VpnEndpoint;

  constructor(readonly address: string) {}

  of<T extends EndpointEvent['type']>(type: T): Extract<EndpointEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<EndpointEvent, { type: T }> => e.type === type);
  }
}

export interface ClientSpec {
  readonly address?: string;
  readonly user?: string;
  readonly password?: string;
  readonly psk?: string;
  readonly authMethods?: readonly AuthMethod[];
  readonly esp?: readonly EspSuiteChoice[];
  /** Extra IKE settings (ESP lifetime, …). */
  readonly ike?: Partial<Omit<IkeConfigInput, 'psk'>>;
  /** Extra L2TP settings (data sequencing, …). */
  readonly l2tp?: Partial<L2tpConfig>;
}

export interface PairOptions {
  readonly net?: MemoryNetworkOptions;
  /** Clients sit behind the network's NAT. */
  readonly nat?: boolean;
  readonly serverPsk?: string;
  readonly serverAuthMethods?: readonly AuthMethod[];
  readonly clients?: readonly ClientSpec[];
  readonly seed?: string;
  /** Extra IKE settings for the server (DPD timers, …). */
  readonly serverIke?: Partial<Omit<IkeConfigInput, 'psk'>>;
  /** Session admission and idle limits on the server. */
  readonly serverLimits?: SessionLimits;
}

const SHORT_IKE = { retransmitInitialMs: 150, retransmitTries: 8 } as const;
const SHORT_L2TP = {
  retransmit: { initialTimeout: 150, maxTimeout: 1000, maxRetries: 10 },
  closeHold: 300,
} as const;
const SHORT_PPP = {
  limits: { restartMs: 200, maxConfigure: 20, maxTerminate: 2, maxFailure: 5 },
  authTiming: { retransmitMs: 200, maxTransmits: 20 },
} as const;

function testLogger(name: string): Logger {
  const level = process.env.L2TPSEC_TEST_LOG;
  return level === undefined ? silentLogger : createLogger({ level, pretty: false }).child({ side: name });
}

export class Pair {
  readonly net: MemoryNetwork;
  readonly pool = new AddressPool({ range: POOL_RANGE, exclude: [SERVER_TUNNEL_ADDRESS] });
  readonly addresses = new PoolAddressSource(this.pool);
  readonly server = new Side(SERVER_ADDRESS);
  readonly clients: Side[] = [];

  constructor(opts: PairOptions = {}) {
    const seed = opts.seed ?? 'pair';
    this.net = new MemoryNetwork({ seed, ...opts.net });
    const users = `users:\n  ${USER}:\n    password: ${JSON.stringify(PASSWORD)}\n  bob:\n    password: "bob's secret"\n`;
    this.server.endpoint = new VpnEndpoint({
      roleConfig: {
        role: 'server',
        authenticator: LocalAuthenticator.fromText(users, 'users.yaml', 'yaml'),
        ppp: {
          localAddress: SERVER_TUNNEL_ADDRESS,
          dns: DNS,
          addresses: this.addresses,
          ...(opts.serverAuthMethods !== undefined ? { authMethods: opts.serverAuthMethods } : {}),
          ...SHORT_PPP,
        },
      },
      ike: { psk: opts.serverPsk ?? PSK, ...SHORT_IKE, ...opts.serverIke },
      l2tp: { hostName: 'server', ...SHORT_L2TP },
      transport: this.net.host(SERVER_ADDRESS),
      device: this.server.device,
      ...(opts.serverLimits !== undefined ? { limits: opts.serverLimits } : {}),
      rng: seededRng(`${seed}:server`),
      log: testLogger('server'),
      onEvent: (e) => this.server.events.push(e),
    });
    this.net.attach(SERVER_ADDRESS, this.server.endpoint);
    this.specs = opts.clients ?? [{}];
    this.nat = opts.nat === true;
    this.seed = seed;
    this.specs.forEach((spec, i) => {
      const side = new Side(spec.address ?? `10.0.0.${2 + i}`);
      side.endpoint = this.makeClient(spec, i, side, this.net.host(side.address, { behindNat: this.nat }));
      this.clients.push(side);
    });
  }

  private readonly specs: readonly ClientSpec[];
  private readonly nat: boolean;
  private readonly seed: string;
  /** Endpoints of crashed clients (shut down, silently, at close). */
  private readonly retired: VpnEndpoint[] = [];

  private makeClient(spec: ClientSpec, i: number, side: Side, transport: OuterTransport): VpnEndpoint {
    const endpoint = new VpnEndpoint({
      roleConfig: {
        role: 'client',
        ppp: {
          user: spec.user ?? USER,
          password: spec.password ?? PASSWORD,
          ...(spec.authMethods !== undefined ? { authMethods: spec.authMethods } : {}),
          ...SHORT_PPP,
        },
      },
      ike: {
        psk: spec.psk ?? PSK,
        ...SHORT_IKE,
        ...(spec.esp !== undefined ? { initiatorEsp: spec.esp } : {}),
        ...spec.ike,
      },
      l2tp: { hostName: `client${i}`, ...SHORT_L2TP, ...spec.l2tp },
      transport,
      device: side.device,
      rng: seededRng(`${this.seed}:client${i}:${this.retired.length}`),
      log: testLogger(`client${i}`),
      onEvent: (e) => side.events.push(e),
    });
    this.net.attach(side.address, endpoint);
    return endpoint;
  }

  /**
   * Client `i` crashes (no goodbye) and a fresh process takes its place at the same address and ports; its
   * events start afresh. Dial again to reconnect.
   */
  restartClient(i = 0): Side {
    const side = this.clients[i];
    this.retired.push(side.endpoint);
    side.events.length = 0;
    side.device.clear();
    side.endpoint = this.makeClient(this.specs[i], i, side, this.net.restart(side.address));
    return side;
  }

  get client(): Side {
    return this.clients[0];
  }

  dial(client: Side = this.client): void {
    client.endpoint.dial({ address: SERVER_ADDRESS, port: 500 }, { address: client.address, port: 500 });
  }

  /** Everything the server still holds: sessions, L2TP tunnels and sessions, ESP SAs, IKE SAs, leases. */
  serverHoldings(): Record<string, number> {
    return holdings(this.server.endpoint, this.pool.leased);
  }

  clientHoldings(client: Side = this.client): Record<string, number> {
    return holdings(client.endpoint, 0);
  }

  async close(): Promise<void> {
    this.net.close();
    for (const e of [this.server.endpoint, ...this.clients.map((c) => c.endpoint), ...this.retired])
      await e.shutdown(0);
  }
}

function holdings(e: VpnEndpoint, leases: number): Record<string, number> {
  return {
    sessions: e.sessions.size,
    l2tpTunnels: e.l2tp.tunnelCount,
    l2tpSessions: e.l2tp.sessionCount,
    espSas: e.sad.list().length,
    ikeSas: e.ike.ikeSas().length,
    peers: e.peers.size,
    leases,
  };
}

/** Polls `cond` every few milliseconds until it holds; throws with `what` after `timeoutMs`. */
export async function waitFor(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
