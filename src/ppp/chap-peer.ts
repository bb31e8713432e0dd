/**
 * CHAP as the peer that proves its identity (RFC 1994 section 4, client side), for MD5 and MS-CHAPv2
 * (RFC 2759). A retransmitted Challenge (same Identifier) gets the same Response; MS-CHAPv2's Success must
 * carry the authenticator response we expect (section 5), otherwise the server is not who it claims.
 */
import { challengeUserName } from '../aaa/authenticator.js';
import { hash } from '../crypto/hash.js';
import { generateAuthenticatorResponse, generateNtResponse, ntPasswordHash } from '../crypto/mschapv2.js';
import type { Millis, Rng } from '../util/clock.js';
import { Counters } from '../util/counters.js';
import {
  type AuthAction,
  type AuthDropReason,
  type AuthTiming,
  DEFAULT_AUTH_TIMING,
  type PeerRole,
} from './auth-action.js';
import { CHAP_CODE, type ChapPacket, decodeChapPacket, encodeChapPacket } from './chap.js';
import {
  encodeMsChapV2Response,
  MSCHAPV2_CHALLENGE_LENGTH,
  parseFailureMessage,
  parseSuccessMessage,
} from './mschapv2-messages.js';
import { PPP_PROTOCOL } from './protocol.js';

export interface ChapPeerConfig {
  readonly method: 'chap-md5' | 'mschapv2';
  /** Sent in the Response's Name field (for MS-CHAPv2 possibly DOMAIN\user). */
  readonly user: string;
  readonly password: string;
  readonly rng: Rng;
  /** Repeats of an unanswered Response (see `tick`). */
  readonly timing?: AuthTiming;
}

export class ChapPeer implements PeerRole {
  readonly method: 'chap-md5' | 'mschapv2';
  readonly counters = new Counters<AuthDropReason>();
  private lastChallengeId: number | undefined;
  private lastResponse: Buffer | undefined;
  private expectedAuthenticatorResponse: string | undefined;
  private done = false;
  private transmits = 0;
  private retransmitAt: Millis | undefined;
  private readonly timing: AuthTiming;

  constructor(private readonly config: ChapPeerConfig) {
    this.method = config.method;
    this.timing = config.timing ?? DEFAULT_AUTH_TIMING;
  }

  start(_now: Millis): AuthAction[] {
    return [];
  }

  deadline(): Millis | undefined {
    return this.retransmitAt;
  }

  /**
   * A lost Success would leave us waiting forever while the server, already in the Network phase, sends
   * IPCP we may not accept yet (RFC 1661 section 3.5). So an unanswered Response is repeated: RFC 1994
   * section 4.2 has the authenticator accept repeated Responses after its Success and answer them again.
   */
  tick(now: Millis): AuthAction[] {
    if (this.retransmitAt === undefined || now < this.retransmitAt || this.lastResponse === undefined)
      return [];
    if (this.done || this.transmits >= this.timing.maxTransmits) {
      this.retransmitAt = undefined;
      return [];
    }
    this.transmits++;
    this.retransmitAt = now + this.timing.retransmitMs;
    return [this.send(this.lastResponse)];
  }

  receive(packet: Uint8Array, now: Millis): AuthAction[] {
    let p: ChapPacket;
    try {
      p = decodeChapPacket(packet);
    } catch {
      this.counters.count('malformed');
      return [];
    }
    if (p.code === CHAP_CODE.CHALLENGE) {
      if (p.id === this.lastChallengeId && this.lastResponse) return [this.send(this.lastResponse)];
      const response = this.respond(p.id, p.value);
      if (!response) {
        this.counters.count('bad-value');
        return [];
      }
      // A new Challenge (RFC 1994 section 3 allows re-challenges at any time) opens a new round.
      this.lastChallengeId = p.id;
      this.lastResponse = response;
      this.done = false;
      this.transmits = 1;
      this.retransmitAt = now + this.timing.retransmitMs;
      return [this.send(response)];
    }
    if (!('message' in p)) {
      this.counters.count('unexpected-code');
      return [];
    }
    if (p.id !== this.lastChallengeId) {
      this.counters.count('stale-id');
      return [];
    }
    if (this.done) {
      this.counters.count('duplicate');
      return [];
    }
    this.done = true;
    this.retransmitAt = undefined;
    if (p.code === CHAP_CODE.SUCCESS) {
      if (this.method === 'mschapv2') {
        const got = parseSuccessMessage(p.message);
        if (got === undefined || got !== this.expectedAuthenticatorResponse) {
          return [this.failure('the server did not prove knowledge of the password (bad S=)')];
        }
      }
      return [{ type: 'auth-success', user: this.config.user, attributes: {} }];
    }
    const failure = this.method === 'mschapv2' ? parseFailureMessage(p.message) : undefined;
    const reason = failure
      ? `E=${failure.error} R=${failure.retry ? 1 : 0}${failure.text ? `: ${failure.text}` : ''}`
      : p.message || 'rejected';
    return [this.failure(reason)];
  }

  private respond(id: number, challenge: Buffer): Buffer | undefined {
    const { user, password } = this.config;
    if (this.method === 'chap-md5') {
      // RFC 1994 section 4.1: MD5 over Identifier, secret, Challenge.
      const value = hash('md5', Buffer.of(id), Buffer.from(password, 'utf8'), challenge);
      return encodeChapPacket({ code: CHAP_CODE.RESPONSE, id, value, name: user });
    }
    if (challenge.length !== MSCHAPV2_CHALLENGE_LENGTH) return undefined;
    const peerChallenge = this.config.rng(16);
    const passwordHash = ntPasswordHash(password);
    const hashedName = challengeUserName(user);
    const ntResponse = generateNtResponse(challenge, peerChallenge, hashedName, passwordHash);
    this.expectedAuthenticatorResponse = generateAuthenticatorResponse(
      passwordHash,
      ntResponse,
      peerChallenge,
      challenge,
      hashedName,
    );
    const value = encodeMsChapV2Response({ peerChallenge, ntResponse, flags: 0 });
    return encodeChapPacket({ code: CHAP_CODE.RESPONSE, id, value, name: user });
  }

  private failure(reason: string): AuthAction {
    return { type: 'auth-failure', method: this.method, user: this.config.user, reason };
  }

  private send(packet: Buffer): AuthAction {
    return { type: 'send', protocol: PPP_PROTOCOL.CHAP, packet };
  }
}
