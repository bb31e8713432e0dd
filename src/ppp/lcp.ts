/**
 * The Link Control Protocol (RFC 1661): the shared automaton plus LCP's own codes — Protocol-Reject
 * (section 5.7), Echo-Request/Reply and Discard-Request (section 5.8) used as a keep-alive with a dead-peer
 * timeout, and RFC 1570's Identification and Time-Remaining, which Windows sends and which are ignored.
 */
import type { Millis, Rng } from '../util/clock.js';
import { Counters } from '../util/counters.js';
import type { Logger } from '../util/log.js';
import { AUTH_METHODS, type AuthMethod } from './auth-protocol.js';
import { ControlProtocol, type CpAction, type CpLimits, DEFAULT_CP_LIMITS } from './control-protocol.js';
import { countDrop } from './drop-log.js';
import { type LcpNegotiated, LcpOptions } from './lcp-options.js';
import type { CpPacket } from './packet.js';
import { CP_CODE, PPP_PROTOCOL } from './protocol.js';

export interface LcpConfig {
  readonly role: 'authenticator' | 'peer';
  /** Default 1400. */
  readonly mru?: number;
  /** Default: MS-CHAPv2 then CHAP-MD5 (authenticator); all three (peer). */
  readonly authMethods?: readonly AuthMethod[];
  /** Echo-Request period once Opened; 0 turns the keep-alive off. Default 10 s. */
  readonly echoIntervalMs?: Millis;
  /** Unanswered Echo-Requests before the peer is declared dead. Default 3. */
  readonly echoFailures?: number;
  readonly limits?: CpLimits;
  readonly rng: Rng;
  readonly log?: Logger;
}

export type LcpDropReason = 'echo-not-opened' | 'looped-echo' | 'short-echo' | 'short-protocol-reject';

export class Lcp extends ControlProtocol {
  private readonly options: LcpOptions;
  private readonly echoIntervalMs: Millis;
  private readonly echoFailures: number;
  private echoEnabled = true;
  private nextEchoAt: Millis | undefined;
  private echoOutstanding = 0;
  private echoId = 0;
  /** RFC 1570 packets received (Identification, Time-Remaining): informational only. */
  informational = 0;
  readonly lcpCounters = new Counters<LcpDropReason>();

  constructor(config: LcpConfig) {
    const limits = config.limits ?? DEFAULT_CP_LIMITS;
    const options = new LcpOptions({
      role: config.role,
      mru: config.mru ?? 1400,
      authMethods:
        config.authMethods ?? (config.role === 'authenticator' ? ['mschapv2', 'chap-md5'] : AUTH_METHODS),
      maxLoopSuspicions: limits.maxFailure,
      rng: config.rng,
    });
    super(PPP_PROTOCOL.LCP, 'LCP', options, limits, config.log);
    this.options = options;
    this.echoIntervalMs = config.echoIntervalMs ?? 10_000;
    this.echoFailures = config.echoFailures ?? 3;
  }

  get negotiated(): LcpNegotiated {
    return this.options.negotiated;
  }

  override deadline(): Millis | undefined {
    const restart = super.deadline();
    if (this.nextEchoAt === undefined) return restart;
    return restart === undefined ? this.nextEchoAt : Math.min(restart, this.nextEchoAt);
  }

  override tick(now: Millis): CpAction[] {
    const out = super.tick(now);
    if (this.nextEchoAt !== undefined && now >= this.nextEchoAt && this.fsmState === 'opened') {
      if (this.echoOutstanding >= this.echoFailures) {
        this.nextEchoAt = undefined;
        out.push(...this.close(now, `LCP: no reply to ${this.echoFailures} Echo-Requests (dead peer)`));
      } else {
        this.echoOutstanding++;
        this.nextEchoAt = now + this.echoIntervalMs;
        this.echoId = (this.echoId + 1) & 0xff;
        out.push(this.packet(CP_CODE.ECHO_REQUEST, this.echoId, this.magicField()));
      }
    }
    return out;
  }

  /**
   * Section 5.7: a packet of a protocol we do not run is answered, in the Opened state only, with a
   * Protocol-Reject carrying the protocol and as much of the information as fits the peer's MRU.
   */
  protocolReject(protocol: number, information: Uint8Array): CpAction[] {
    if (this.fsmState !== 'opened') return [];
    const room = Math.max(0, this.negotiated.peerMru - 6);
    const data = Buffer.allocUnsafe(2 + Math.min(room, information.length));
    data.writeUInt16BE(protocol, 0);
    data.set(information.subarray(0, data.length - 2), 2);
    return [this.packet(CP_CODE.PROTOCOL_REJECT, this.nextIdentifier(), data)];
  }

  protected override peerMaxPacket(): number {
    return this.negotiated.peerMru;
  }

  protected override codeRejected(code: number): void {
    if (code === CP_CODE.ECHO_REQUEST) {
      this.echoEnabled = false;
      this.nextEchoAt = undefined;
    }
  }

  protected override run(...args: Parameters<ControlProtocol['run']>): CpAction[] {
    const wasOpened = this.fsmState === 'opened';
    const out = super.run(...args);
    const isOpened = this.fsmState === 'opened';
    if (isOpened && !wasOpened) {
      this.echoOutstanding = 0;
      this.nextEchoAt =
        this.echoEnabled && this.echoIntervalMs > 0 ? args[1] + this.echoIntervalMs : undefined;
    } else if (!isOpened) this.nextEchoAt = undefined;
    return out;
  }

  protected override receiveExtension(p: CpPacket, now: Millis): CpAction[] | undefined {
    switch (p.code) {
      case CP_CODE.PROTOCOL_REJECT:
        if (p.data.length < 2) {
          this.dropped('short-protocol-reject');
          return [];
        }
        if (this.fsmState !== 'opened') return [];
        return [{ type: 'protocol-rejected', protocol: p.data.readUInt16BE(0) }];
      case CP_CODE.ECHO_REQUEST:
      case CP_CODE.ECHO_REPLY:
      case CP_CODE.DISCARD_REQUEST: {
        // Section 5.8: silently discarded outside Opened; a Magic-Number equal to ours means a loop.
        if (this.fsmState !== 'opened') {
          this.dropped('echo-not-opened');
          return [];
        }
        if (p.data.length < 4) {
          this.dropped('short-echo');
          return [];
        }
        const magic = p.data.readUInt32BE(0);
        const ours = this.negotiated.ourMagic;
        if (ours !== 0 && magic === ours) {
          this.dropped('looped-echo');
          return [];
        }
        if (p.code === CP_CODE.ECHO_REPLY) this.echoOutstanding = 0;
        if (p.code !== CP_CODE.ECHO_REQUEST) return this.run('rxr', now);
        // Section 5.8: the data comes back, truncated so the reply fits the peer's MRU.
        const reply = Buffer.allocUnsafe(Math.min(4 + p.data.length, this.negotiated.peerMru));
        reply[0] = CP_CODE.ECHO_REPLY;
        reply[1] = p.id;
        reply.writeUInt16BE(reply.length, 2);
        reply.writeUInt32BE(ours >>> 0, 4);
        p.data.copy(reply, 8, 4, reply.length - 4);
        return this.run('rxr', now, { echoReply: reply });
      }
      case CP_CODE.IDENTIFICATION:
      case CP_CODE.TIME_REMAINING:
        this.informational++;
        return [];
      default:
        return undefined;
    }
  }

  private magicField(): Buffer {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32BE(this.negotiated.ourMagic >>> 0);
    return b;
  }

  private dropped(reason: LcpDropReason): void {
    countDrop(this.lcpCounters, reason, this.log, 'LCP');
  }
}
