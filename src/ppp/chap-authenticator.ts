/**
 * CHAP as authenticator (RFC 1994 section 4, server side), for MD5 and MS-CHAPv2 (RFC 2759). The Challenge
 * is retransmitted until a Response arrives: pppd discards a Challenge that reaches it before its own LCP is
 * Opened. A repeated Response after the verdict gets the same Success/Failure again (section 4.2).
 */
import type { AuthResult } from '../aaa/authenticator.js';
import type { Millis, Rng } from '../util/clock.js';
import { Counters } from '../util/counters.js';
import {
  type AuthAction,
  type AuthDropReason,
  type AuthenticatorRole,
  type AuthTiming,
  DEFAULT_AUTH_TIMING,
} from './auth-action.js';
import { CHAP_CODE, type ChapPacket, decodeChapPacket, encodeChapPacket } from './chap.js';
import {
  decodeMsChapV2Response,
  ERROR_AUTHENTICATION_FAILURE,
  formatFailureMessage,
  formatSuccessMessage,
  MSCHAPV2_CHALLENGE_LENGTH,
} from './mschapv2-messages.js';
import { PPP_PROTOCOL } from './protocol.js';

export interface ChapAuthenticatorConfig {
  readonly method: 'chap-md5' | 'mschapv2';
  /** Our name in the Challenge's Name field. */
  readonly name: string;
  readonly rng: Rng;
  readonly timing?: AuthTiming;
}

type Phase = 'idle' | 'challenged' | 'verifying' | 'succeeded' | 'failed';

export class ChapAuthenticator implements AuthenticatorRole {
  readonly method: 'chap-md5' | 'mschapv2';
  readonly counters = new Counters<AuthDropReason>();
  private phase: Phase = 'idle';
  private id = 0;
  private challenge: Buffer = Buffer.alloc(0);
  private challengePacket: Buffer = Buffer.alloc(0);
  private verdictPacket: Buffer | undefined;
  private transmits = 0;
  private retransmitAt: Millis | undefined;
  private user: string | undefined;
  private readonly timing: AuthTiming;

  constructor(private readonly config: ChapAuthenticatorConfig) {
    this.method = config.method;
    this.timing = config.timing ?? DEFAULT_AUTH_TIMING;
  }

  start(now: Millis): AuthAction[] {
    // RFC 2759 section 3: an MS-CHAPv2 challenge is exactly 16 octets; 16 suits MD5 too (RFC 1994 s2.3).
    this.challenge = this.config.rng(MSCHAPV2_CHALLENGE_LENGTH);
    this.id = this.config.rng(1)[0];
    this.challengePacket = encodeChapPacket({
      code: CHAP_CODE.CHALLENGE,
      id: this.id,
      value: this.challenge,
      name: this.config.name,
    });
    this.phase = 'challenged';
    this.transmits = 0;
    return [this.sendChallenge(now)];
  }

  deadline(): Millis | undefined {
    return this.retransmitAt;
  }

  tick(now: Millis): AuthAction[] {
    if (this.retransmitAt === undefined || now < this.retransmitAt) return [];
    this.retransmitAt = undefined;
    if (this.transmits >= this.timing.maxTransmits) {
      this.phase = 'failed';
      return [{ type: 'auth-failure', method: this.method, reason: 'no Response to the CHAP Challenge' }];
    }
    return [this.sendChallenge(now)];
  }

  receive(packet: Uint8Array, _now: Millis): AuthAction[] {
    let p: ChapPacket;
    try {
      p = decodeChapPacket(packet);
    } catch {
      this.counters.count('malformed');
      return [];
    }
    if (p.code !== CHAP_CODE.RESPONSE) {
      this.counters.count('unexpected-code');
      return [];
    }
    if (p.id !== this.id) {
      this.counters.count('stale-id');
      return [];
    }
    switch (this.phase) {
      case 'succeeded':
      case 'failed':
        return this.verdictPacket ? [this.send(this.verdictPacket)] : [];
      case 'challenged':
        break;
      default:
        this.counters.count('duplicate');
        return [];
    }
    if (this.method === 'chap-md5') {
      if (p.value.length !== 16) {
        this.counters.count('bad-value');
        return [];
      }
      this.enterVerifying(p.name);
      return [
        {
          type: 'verify',
          request: {
            method: 'chap-md5',
            user: p.name,
            id: p.id,
            challenge: this.challenge,
            response: p.value,
          },
        },
      ];
    }
    const v = decodeMsChapV2Response(p.value);
    if (!v) {
      this.counters.count('bad-value');
      return [];
    }
    this.enterVerifying(p.name);
    return [
      {
        type: 'verify',
        request: {
          method: 'mschapv2',
          user: p.name,
          id: p.id,
          authenticatorChallenge: this.challenge,
          peerChallenge: v.peerChallenge,
          ntResponse: v.ntResponse,
        },
      },
    ];
  }

  verified(result: AuthResult, _now: Millis): AuthAction[] {
    if (this.phase !== 'verifying') return [];
    const user = this.user ?? '';
    // MS-CHAPv2 is mutual (RFC 2759 section 5): without an authenticator response we cannot say Success.
    const ok = result.ok && (this.method === 'chap-md5' || result.authenticatorResponse !== undefined);
    if (result.ok && ok) {
      this.phase = 'succeeded';
      const message =
        this.method === 'mschapv2'
          ? formatSuccessMessage(result.authenticatorResponse ?? '', 'Access granted')
          : 'Access granted';
      this.verdictPacket = encodeChapPacket({ code: CHAP_CODE.SUCCESS, id: this.id, message });
      return [
        this.send(this.verdictPacket),
        { type: 'auth-success', user: result.user, attributes: result.attributes },
      ];
    }
    this.phase = 'failed';
    const message =
      this.method === 'mschapv2'
        ? formatFailureMessage({
            error: ERROR_AUTHENTICATION_FAILURE,
            retry: false,
            challenge: this.challenge,
            version: 3,
            text: 'Authentication failure',
          })
        : 'Access denied';
    this.verdictPacket = encodeChapPacket({ code: CHAP_CODE.FAILURE, id: this.id, message });
    return [
      this.send(this.verdictPacket),
      {
        type: 'auth-failure',
        method: this.method,
        user,
        reason: result.ok ? 'no MS-CHAPv2 authenticator response' : result.reason,
      },
    ];
  }

  private enterVerifying(user: string): void {
    this.phase = 'verifying';
    this.user = user;
    this.retransmitAt = undefined;
  }

  private sendChallenge(now: Millis): AuthAction {
    this.transmits++;
    this.retransmitAt = now + this.timing.retransmitMs;
    return this.send(this.challengePacket);
  }

  private send(packet: Buffer): AuthAction {
    return { type: 'send', protocol: PPP_PROTOCOL.CHAP, packet };
  }
}
