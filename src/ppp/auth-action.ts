/**
 * What the authentication phase (RFC 1661 section 3.5) returns to the session: packets to send, a request
 * for the (asynchronous) authenticator to verify, and the outcome.
 */
import type { AuthRequest, AuthResult, UserAttributes } from '../aaa/authenticator.js';
import type { Millis } from '../util/clock.js';
import type { AuthMethod } from './auth-protocol.js';

export type AuthAction =
  | { readonly type: 'send'; readonly protocol: number; readonly packet: Buffer }
  | { readonly type: 'verify'; readonly request: AuthRequest }
  | { readonly type: 'auth-success'; readonly user: string; readonly attributes: UserAttributes }
  | {
      readonly type: 'auth-failure';
      readonly method: AuthMethod;
      readonly user?: string;
      readonly reason: string;
    };

export type AuthDropReason = 'malformed' | 'unexpected-code' | 'stale-id' | 'bad-value' | 'duplicate';

/** The side that demands proof (the server). */
export interface AuthenticatorRole {
  readonly method: AuthMethod;
  start(now: Millis): AuthAction[];
  receive(packet: Uint8Array, now: Millis): AuthAction[];
  /** The authenticator's answer to the last `verify` action. */
  verified(result: AuthResult, now: Millis): AuthAction[];
  tick(now: Millis): AuthAction[];
  deadline(): Millis | undefined;
}

/** The side that proves its identity (the client). */
export interface PeerRole {
  readonly method: AuthMethod;
  start(now: Millis): AuthAction[];
  receive(packet: Uint8Array, now: Millis): AuthAction[];
  tick(now: Millis): AuthAction[];
  deadline(): Millis | undefined;
}

/** Retransmission of Challenge (RFC 1994 section 4.1) and Authenticate-Request (RFC 1334 section 2.2.1). */
export interface AuthTiming {
  readonly retransmitMs: Millis;
  readonly maxTransmits: number;
}

export const DEFAULT_AUTH_TIMING: AuthTiming = { retransmitMs: 3000, maxTransmits: 10 };
