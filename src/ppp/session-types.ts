/**
 * The PPP session's configuration for each role and the actions it returns to its owner (the server's or
 * client's session table): frames to send, verifications to run, and the link's up/down events.
 */
import type { AuthRequest, UserAttributes } from '../aaa/authenticator.js';
import type { Millis, Rng } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import type { AuthTiming } from './auth-action.js';
import type { AuthMethod } from './auth-protocol.js';
import type { CpLimits } from './control-protocol.js';

/** Where the server gets peer addresses when the user has no static one (the server's pool). */
export interface AddressSource {
  allocate(user: string): string | undefined;
  release(address: string): void;
}

interface CommonConfig {
  /** The MRU we ask for; default 1400. */
  readonly mru?: number;
  /** LCP keep-alive; defaults in `Lcp`. */
  readonly echoIntervalMs?: Millis;
  readonly echoFailures?: number;
  readonly limits?: CpLimits;
  readonly authTiming?: AuthTiming;
  /** The whole Authenticate phase must finish within this; default 30 s. */
  readonly authTimeoutMs?: Millis;
  /** Negotiate IPv6CP; when false an IPv6CP packet gets a Protocol-Reject. */
  readonly ipv6?: boolean;
  readonly rng: Rng;
  readonly log?: Logger;
}

export interface PppServerConfig extends CommonConfig {
  readonly role: 'server';
  /** Methods in order of preference; default MS-CHAPv2 then CHAP-MD5. Add 'pap' to allow PAP. */
  readonly authMethods?: readonly AuthMethod[];
  /** Our name in CHAP Challenges; default "l2tpsec". */
  readonly name?: string;
  /** Our end of every point-to-point link. */
  readonly localAddress: string;
  readonly dns?: readonly string[];
  readonly wins?: readonly string[];
  readonly addresses: AddressSource;
}

export interface PppClientConfig extends CommonConfig {
  readonly role: 'client';
  readonly user: string;
  readonly password: string;
  /** Methods we agree to, preferred first (for our Naks); default all three. */
  readonly authMethods?: readonly AuthMethod[];
  /** Ask for DNS servers (RFC 1877); default true. */
  readonly requestDns?: boolean;
}

export type PppConfig = PppServerConfig | PppClientConfig;

export type PppPhase = 'dead' | 'establish' | 'authenticate' | 'network' | 'terminate';

export type PppAction =
  /** A PPP frame (FF 03, Protocol, information) for the L2TP session to carry. */
  | { readonly type: 'send'; readonly protocol: number; readonly frame: Buffer }
  /** Ask the authenticator; answer with `verified(token, result)`. */
  | { readonly type: 'verify'; readonly token: number; readonly request: AuthRequest }
  | {
      readonly type: 'up';
      readonly user: string | undefined;
      readonly attributes: UserAttributes;
      readonly localAddress: string;
      readonly peerAddress: string;
      readonly dns: readonly string[];
      readonly wins: readonly string[];
      /** The largest frame the peer accepts (its MRU). */
      readonly mtu: number;
    }
  | { readonly type: 'ipv6-up'; readonly localLinkLocal: string; readonly peerLinkLocal: string }
  | {
      readonly type: 'auth-failed';
      readonly method: AuthMethod;
      readonly user?: string;
      readonly reason: string;
    }
  /** The data path must stop: emitted once. */
  | { readonly type: 'down'; readonly reason: string }
  /** PPP is over (LCP Closed/Stopped): the L2TP session may be torn down. Emitted once, last. */
  | { readonly type: 'finished'; readonly reason: string }
  /** An IPv4/IPv6 packet that reached the control path (the data path normally parses frames itself). */
  | { readonly type: 'data'; readonly protocol: number; readonly packet: Buffer };

export type PppDropReason =
  | 'malformed-frame'
  | 'not-in-phase'
  | 'auth-not-running'
  | 'data-before-network'
  | 'protocol-rejected';
