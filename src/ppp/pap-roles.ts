/**
 * PAP (RFC 1334 section 2): the peer repeats its Authenticate-Request until answered; the authenticator
 * verifies it and answers Ack or Nak, repeating the same answer to a repeated request.
 */
import type { AuthResult } from '../aaa/authenticator.js';
import type { Millis } from '../util/clock.js';
import { Counters } from '../util/counters.js';
import {
  type AuthAction,
  type AuthDropReason,
  type AuthenticatorRole,
  type AuthTiming,
  DEFAULT_AUTH_TIMING,
  type PeerRole,
} from './auth-action.js';
import { decodePapPacket, encodePapPacket, PAP_CODE, type PapPacket } from './pap.js';
import { PPP_PROTOCOL } from './protocol.js';

function send(packet: Buffer): AuthAction {
  return { type: 'send', protocol: PPP_PROTOCOL.PAP, packet };
}

function decode(packet: Uint8Array, counters: Counters<AuthDropReason>): PapPacket | undefined {
  try {
    return decodePapPacket(packet);
  } catch {
    counters.count('malformed');
    return undefined;
  }
}

export class PapAuthenticator implements AuthenticatorRole {
  readonly method = 'pap' as const;
  readonly counters = new Counters<AuthDropReason>();
  private phase: 'waiting' | 'verifying' | 'done' = 'waiting';
  private requestId = -1;
  private user = '';
  private verdictPacket: Buffer | undefined;
  private waitUntil: Millis | undefined;
  private readonly timing: AuthTiming;

  constructor(timing?: AuthTiming) {
    this.timing = timing ?? DEFAULT_AUTH_TIMING;
  }

  start(now: Millis): AuthAction[] {
    this.waitUntil = now + this.timing.retransmitMs * this.timing.maxTransmits;
    return [];
  }

  deadline(): Millis | undefined {
    return this.waitUntil;
  }

  tick(now: Millis): AuthAction[] {
    if (this.waitUntil === undefined || now < this.waitUntil) return [];
    this.waitUntil = undefined;
    this.phase = 'done';
    return [{ type: 'auth-failure', method: 'pap', reason: 'no PAP Authenticate-Request' }];
  }

  receive(packet: Uint8Array, _now: Millis): AuthAction[] {
    const p = decode(packet, this.counters);
    if (!p) return [];
    if (p.code !== PAP_CODE.REQUEST) {
      this.counters.count('unexpected-code');
      return [];
    }
    if (this.phase === 'done') {
      if (p.id === this.requestId && this.verdictPacket) return [send(this.verdictPacket)];
      this.counters.count('stale-id');
      return [];
    }
    if (this.phase === 'verifying') {
      this.counters.count('duplicate');
      return [];
    }
    this.phase = 'verifying';
    this.requestId = p.id;
    this.user = p.peerId;
    this.waitUntil = undefined;
    return [{ type: 'verify', request: { method: 'pap', user: p.peerId, password: p.password } }];
  }

  verified(result: AuthResult, _now: Millis): AuthAction[] {
    if (this.phase !== 'verifying') return [];
    this.phase = 'done';
    const code = result.ok ? PAP_CODE.ACK : PAP_CODE.NAK;
    const message = result.ok ? 'Login ok' : 'Login incorrect';
    this.verdictPacket = encodePapPacket({ code, id: this.requestId, message });
    return [
      send(this.verdictPacket),
      result.ok
        ? { type: 'auth-success', user: result.user, attributes: result.attributes }
        : { type: 'auth-failure', method: 'pap', user: this.user, reason: result.reason },
    ];
  }
}

export interface PapPeerConfig {
  readonly user: string;
  readonly password: string;
  readonly timing?: AuthTiming;
}

export class PapPeer implements PeerRole {
  readonly method = 'pap' as const;
  readonly counters = new Counters<AuthDropReason>();
  private id = 0;
  private request: Buffer = Buffer.alloc(0);
  private transmits = 0;
  private retransmitAt: Millis | undefined;
  private done = false;
  private readonly timing: AuthTiming;

  constructor(private readonly config: PapPeerConfig) {
    this.timing = config.timing ?? DEFAULT_AUTH_TIMING;
  }

  start(now: Millis): AuthAction[] {
    this.id = (this.id + 1) & 0xff;
    this.request = encodePapPacket({
      code: PAP_CODE.REQUEST,
      id: this.id,
      peerId: this.config.user,
      password: this.config.password,
    });
    this.transmits = 0;
    return [this.transmit(now)];
  }

  deadline(): Millis | undefined {
    return this.retransmitAt;
  }

  tick(now: Millis): AuthAction[] {
    if (this.retransmitAt === undefined || now < this.retransmitAt) return [];
    this.retransmitAt = undefined;
    if (this.transmits >= this.timing.maxTransmits) {
      this.done = true;
      return [{ type: 'auth-failure', method: 'pap', user: this.config.user, reason: 'no answer to PAP' }];
    }
    return [this.transmit(now)];
  }

  receive(packet: Uint8Array, _now: Millis): AuthAction[] {
    const p = decode(packet, this.counters);
    if (!p) return [];
    if (p.code === PAP_CODE.REQUEST) {
      this.counters.count('unexpected-code');
      return [];
    }
    if (p.id !== this.id || this.done) {
      this.counters.count(this.done ? 'duplicate' : 'stale-id');
      return [];
    }
    this.done = true;
    this.retransmitAt = undefined;
    if (p.code === PAP_CODE.ACK) return [{ type: 'auth-success', user: this.config.user, attributes: {} }];
    return [
      {
        type: 'auth-failure',
        method: 'pap',
        user: this.config.user,
        reason: p.message || 'Authenticate-Nak',
      },
    ];
  }

  private transmit(now: Millis): AuthAction {
    this.transmits++;
    this.retransmitAt = now + this.timing.retransmitMs;
    return send(this.request);
  }
}
