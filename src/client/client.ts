/**
 * `l2tpsec connect`: the built-in client. One VpnEndpoint in the client role — IKE initiator (Main Mode +
 * Quick Mode, RFC 2409), L2TP LAC (RFC 2661), PPP authenticating peer (RFC 1661, 1994, 2759) — on the real
 * edges; once IPCP is up, a TUN carries the assigned address with a route to the server's tunnel address
 * (and any extra routes asked for).
 */

import { createSocket } from 'node:dgram';
import type { EndpointEvent } from '../endpoint/vpn-endpoint.js';
import { VpnEndpoint } from '../endpoint/vpn-endpoint.js';
import type { CertCredentials } from '../ike/auth/credentials.js';
import { NotifyType } from '../ike/codec/constants.js';
import type { InitiatorSuite } from '../ike/config.js';
import type { EspSuiteChoice } from '../ike/esp-policy.js';
import { Tun } from '../net/tun.js';
import type { AuthMethod } from '../ppp/auth-protocol.js';
import { RealOuterTransport } from '../runtime/outer-transport.js';
import { BatchedTunDevice } from '../runtime/tun-device.js';
import type { Logger } from '../util/log.js';

export interface ConnectOptions {
  readonly server: string;
  readonly psk: string;
  readonly user: string;
  readonly password: string;
  /** TUN name or pattern (default "l2tpsec%d"). */
  readonly tunName?: string;
  /** Extra routes (CIDR) through the tunnel, e.g. the network behind the server. */
  readonly routes?: readonly string[];
  readonly authMethods?: readonly AuthMethod[];
  readonly ikeSuites?: readonly InitiatorSuite[];
  readonly espSuites?: readonly EspSuiteChoice[];
  /**
   * IKE SA lifetime to propose (default 28800 s); the client re-keys phase 1 itself at ~90% of it (or of the
   * responder's RESPONDER-LIFETIME), so the connection outlives it.
   */
  readonly ikeLifetimeSeconds?: number;
  /**
   * X.509 credentials: Main Mode then proposes RSA-signature authentication (RFC 2409 section 5.1) instead
   * of the pre-shared key.
   */
  readonly certificates?: CertCredentials;
  /** Give up when the session is not up after this long (default 30 s). */
  readonly timeoutMs?: number;
  readonly mtu?: number;
  /** Aborting it gives up a connection attempt still in progress (SIGINT/SIGTERM during set-up). */
  readonly signal?: AbortSignal;
  readonly log: Logger;
}

export interface ClientSessionInfo {
  readonly address: string;
  readonly serverAddress: string;
  readonly dns: readonly string[];
  readonly tun: string;
  readonly user: string;
}

/** Which stage a failed connection got stuck in. */
export type ConnectStage = 'ike' | 'l2tp' | 'ppp';

export class ConnectError extends Error {
  constructor(
    readonly stage: ConnectStage,
    message: string,
  ) {
    super(message);
    this.name = 'ConnectError';
  }
}

const NOTIFY_NAMES = new Map<number, string>(Object.entries(NotifyType).map(([name, code]) => [code, name]));

/**
 * A Main Mode that ends in PAYLOAD-MALFORMED, INVALID-HASH-INFORMATION or AUTHENTICATION-FAILED (ours or the
 * server's) means MM5/MM6 could not be decrypted or verified (RFC 2409 section 5.4): with pre-shared keys,
 * almost always a key that differs from the server's. Say so, with the notify's name (RFC 2408 3.14.1).
 */
export function describeIkeFailure(reason: string, notify: number | undefined): string {
  if (notify === undefined) return `IKE failed: ${reason}`;
  const name = NOTIFY_NAMES.get(notify) ?? 'unknown';
  const hint =
    notify === NotifyType.PayloadMalformed ||
    notify === NotifyType.InvalidHashInformation ||
    notify === NotifyType.AuthenticationFailed
      ? ': Main Mode could not be authenticated; is the pre-shared key right?'
      : notify === NotifyType.NoProposalChosen
        ? ': the server accepts none of our proposals'
        : '';
  return `IKE failed: ${reason}, notify ${notify} (${name})${hint}`;
}

/** The local address the kernel would use to reach `server` (no packet is sent: UDP connect only). */
export async function localAddressFor(server: string): Promise<string> {
  const s = createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.connect(500, server, () => resolve());
    });
    return s.address().address;
  } finally {
    s.close();
  }
}

export class L2tpsecClient {
  private tun: Tun | undefined;
  private stage: ConnectStage = 'ike';
  private closed = false;
  /** Resolves when the connection ends after having been up (peer or local teardown). */
  readonly ended: Promise<string>;
  private endedResolve: (reason: string) => void = () => {};
  info: ClientSessionInfo | undefined;

  private constructor(
    private readonly opts: ConnectOptions,
    private readonly transport: RealOuterTransport,
  ) {
    this.ended = new Promise((r) => {
      this.endedResolve = r;
    });
  }

  /** Connects and resolves once PPP is up and the TUN configured; rejects with a ConnectError. */
  static async connect(opts: ConnectOptions): Promise<L2tpsecClient> {
    const local = await localAddressFor(opts.server);
    const transport = await RealOuterTransport.open({
      listen: [local],
      ports: [500, 4500],
      rawEsp: false,
      log: opts.log.child({ layer: 'net' }),
    });
    const client = new L2tpsecClient(opts, transport);
    try {
      await client.run(local);
    } catch (err) {
      await client.close();
      throw err;
    }
    return client;
  }

  private endpoint: VpnEndpoint | undefined;

  private run(local: string): Promise<void> {
    const opts = this.opts;
    return new Promise<void>((resolve, reject) => {
      let up = false;
      const fail = (stage: ConnectStage, message: string) => {
        if (up) return;
        clearTimeout(timer);
        reject(new ConnectError(stage, message));
      };
      const timer = setTimeout(
        () =>
          fail(
            this.stage,
            `timed out after ${(opts.timeoutMs ?? 30_000) / 1000} s in the ${this.stage} stage`,
          ),
        opts.timeoutMs ?? 30_000,
      );
      if (opts.signal?.aborted) {
        fail(this.stage, 'interrupted before connecting');
        return;
      }
      opts.signal?.addEventListener(
        'abort',
        () => fail(this.stage, `interrupted in the ${this.stage} stage`),
        {
          once: true,
        },
      );
      const onEvent = (e: EndpointEvent) => {
        switch (e.type) {
          case 'sa-installed':
            this.stage = 'l2tp';
            break;
          case 'ike-down':
            if (!up && this.stage === 'ike') {
              fail('ike', describeIkeFailure(e.reason, e.notify));
            } else if (up) this.endedResolve(`IKE SA ${e.reason}`);
            break;
          case 'tunnel-down':
            if (!up) fail(this.stage, `L2TP tunnel closed: ${e.reason}`);
            else this.endedResolve(`L2TP tunnel ${e.reason}`);
            break;
          case 'auth-failed':
            fail('ppp', `PPP authentication failed (${e.method}): ${e.reason}`);
            break;
          case 'session-down':
            if (!up) fail('ppp', `PPP session ended: ${e.reason}`);
            else this.endedResolve(`session ${e.reason}`);
            break;
          case 'session-up':
            try {
              this.bringUpTun(e.localAddress, e.peerAddress, e.dns, e.user);
            } catch (err) {
              fail('ppp', `could not configure the TUN: ${(err as Error).message}`);
              return;
            }
            up = true;
            clearTimeout(timer);
            resolve();
            break;
          case 'ike-up':
            break;
        }
        if (e.type === 'session-up' || e.type === 'auth-failed') this.stage = 'ppp';
        if (e.type === 'sa-installed') this.stage = 'l2tp';
      };
      const endpoint = new VpnEndpoint({
        roleConfig: {
          role: 'client',
          ppp: {
            user: opts.user,
            password: opts.password,
            mru: opts.mtu ?? 1400,
            ...(opts.authMethods ? { authMethods: opts.authMethods } : {}),
          },
        },
        ike: {
          psk: opts.psk,
          ...(opts.ikeSuites ? { initiatorSuites: opts.ikeSuites } : {}),
          ...(opts.espSuites ? { initiatorEsp: opts.espSuites } : {}),
          ...(opts.ikeLifetimeSeconds ? { initiatorLifetimeSeconds: opts.ikeLifetimeSeconds } : {}),
          ...(opts.certificates ? { certificates: opts.certificates } : {}),
        },
        l2tp: { acceptTunnels: false },
        transport: this.transport,
        log: opts.log,
        onEvent,
      });
      this.endpoint = endpoint;
      this.transport.attach(endpoint.inbound);
      endpoint.dial({ address: opts.server, port: 500 }, { address: local, port: 500 });
    });
  }

  private bringUpTun(address: string, serverAddress: string, dns: readonly string[], user: string): void {
    const endpoint = this.endpoint!;
    const tun = Tun.open((buf, off, len) => endpoint.outbound.packet(buf, off, len), {
      name: this.opts.tunName ?? 'l2tpsec%d',
      logger: this.opts.log,
    });
    this.tun = tun;
    tun.configure({
      address,
      peer: serverAddress,
      mtu: this.opts.mtu ?? 1400,
      routes: this.opts.routes ?? [],
    });
    endpoint.device = new BatchedTunDevice(tun);
    this.info = { address, serverAddress, dns, tun: tun.name, user };
  }

  /** Tears down (LCP Terminate, StopCCN, IKE DELETE) and closes the edges. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.endpoint?.shutdown();
    this.transport.close();
    this.tun?.close();
    this.endedResolve('local');
  }
}
