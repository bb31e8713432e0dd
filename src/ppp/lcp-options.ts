/**
 * LCP's configuration options (RFC 1661 section 6, RFC 1662 section 7.1 for ACCM) and how each role judges
 * them. On L2TP the link is synchronous and framed by L2TP, so ACCM
 * is accepted and ignored; PFC and ACFC are accepted; multilink (MRRU, RFC 1990), Endpoint-Discriminator,
 * Callback (RFC 1570) and anything unknown are Rejected.
 */
import type { Rng } from '../util/clock.js';
import { type AuthMethod, decodeAuthOption, encodeAuthOption, LCP_AUTH_OPTION } from './auth-protocol.js';
import type { Negotiator, ReplyOutcome, Verdict } from './negotiator.js';
import { type CpOption, u16Option, u32Option } from './packet.js';

export const LCP_OPTION = {
  MRU: 1,
  ACCM: 2,
  AUTH_PROTOCOL: LCP_AUTH_OPTION,
  QUALITY_PROTOCOL: 4,
  MAGIC_NUMBER: 5,
  PFC: 7,
  ACFC: 8,
  CALLBACK: 13,
  MRRU: 17,
  ENDPOINT_DISCRIMINATOR: 19,
} as const;

/** RFC 1661 section 6.1: the MRU assumed until negotiated. */
export const DEFAULT_MRU = 1500;
/** Smallest MRU we agree to (pppd's floor): anything lower is Nak'd up to this. */
export const MIN_MRU = 128;

export interface LcpOptionsConfig {
  /** `authenticator` demands authentication (server); `peer` authenticates itself (client). */
  readonly role: 'authenticator' | 'peer';
  /** The MRU we ask for: what the peer may send us. 1400 fits L2TP/IPsec inside a 1500-byte path. */
  readonly mru: number;
  /** Authenticator: methods to demand, most preferred first. Peer: methods we accept, preferred first. */
  readonly authMethods: readonly AuthMethod[];
  /** Configure-Naks about the magic number before the link is declared looped back (Max-Failure). */
  readonly maxLoopSuspicions: number;
  readonly rng: Rng;
}

/** What LCP agreed, read when the layer comes up. */
export interface LcpNegotiated {
  /** The largest frame the peer accepts from us. */
  readonly peerMru: number;
  readonly ourMagic: number;
  readonly peerMagic: number;
  /** The peer accepts compressed protocol fields / omitted address-control from us. */
  readonly pfc: boolean;
  readonly acfc: boolean;
  /** The authentication that will run: ours as authenticator, or the one the peer demands of us. */
  readonly auth: AuthMethod | undefined;
}

export class LcpOptions implements Negotiator {
  private wantMru: number | undefined;
  private magic = 0;
  private magicRejected = false;
  private authIndex = 0;
  private readonly refusedAuth = new Set<AuthMethod>();
  private lastNakMagic: number | undefined;
  private loopSuspicions = 0;

  private peerMru = DEFAULT_MRU;
  private peerMagic = 0;
  private pfc = false;
  private acfc = false;
  private peerDemandsAuth: AuthMethod | undefined;

  constructor(private readonly config: LcpOptionsConfig) {}

  get negotiated(): LcpNegotiated {
    return {
      peerMru: this.peerMru,
      ourMagic: this.magic,
      peerMagic: this.peerMagic,
      pfc: this.pfc,
      acfc: this.acfc,
      auth:
        this.config.role === 'authenticator' ? this.config.authMethods[this.authIndex] : this.peerDemandsAuth,
    };
  }

  resetRequest(): void {
    this.wantMru = this.config.mru === DEFAULT_MRU ? undefined : this.config.mru;
    this.magicRejected = false;
    this.magic = this.freshMagic(0);
    this.authIndex = 0;
    this.refusedAuth.clear();
    this.loopSuspicions = 0;
  }

  buildRequest(): CpOption[] {
    const out: CpOption[] = [];
    if (this.wantMru !== undefined) out.push(u16Option(LCP_OPTION.MRU, this.wantMru));
    if (this.config.role === 'authenticator') {
      const method = this.config.authMethods[this.authIndex];
      if (method) out.push(encodeAuthOption(method));
    }
    if (!this.magicRejected) out.push(u32Option(LCP_OPTION.MAGIC_NUMBER, this.magic));
    return out;
  }

  judgeRequest(options: readonly CpOption[], rejectInsteadOfNak: boolean): Verdict {
    this.peerMru = DEFAULT_MRU;
    this.peerMagic = 0;
    this.pfc = false;
    this.acfc = false;
    this.peerDemandsAuth = undefined;
    const naks: CpOption[] = [];
    const nakked: CpOption[] = [];
    const rejects: CpOption[] = [];
    const nak = (original: CpOption, suggestion: CpOption) => {
      naks.push(suggestion);
      nakked.push(original);
    };
    for (const o of options) {
      const len = o.data.length;
      switch (o.type) {
        case LCP_OPTION.MRU: {
          if (len !== 2) rejects.push(o);
          else if (o.data.readUInt16BE(0) < MIN_MRU) nak(o, u16Option(LCP_OPTION.MRU, MIN_MRU));
          else this.peerMru = o.data.readUInt16BE(0);
          break;
        }
        case LCP_OPTION.ACCM:
          if (len !== 4) rejects.push(o);
          break;
        case LCP_OPTION.AUTH_PROTOCOL: {
          if (this.config.role === 'authenticator') {
            rejects.push(o);
            break;
          }
          const asked = decodeAuthOption(o.data);
          const preferred = this.config.authMethods[0];
          if (asked === 'malformed' || !preferred) rejects.push(o);
          else if (asked !== 'eap' && asked !== 'mschapv1' && asked !== 'other' && this.accepts(asked)) {
            this.peerDemandsAuth = asked;
          } else nak(o, encodeAuthOption(preferred));
          break;
        }
        case LCP_OPTION.MAGIC_NUMBER: {
          if (len !== 4) {
            rejects.push(o);
            break;
          }
          const v = o.data.readUInt32BE(0);
          // RFC 1661 section 6.4: our own number coming back may mean a looped link; Nak with another.
          if (v === 0 || (v === this.magic && !this.magicRejected)) {
            if (v !== 0 && ++this.loopSuspicions >= this.config.maxLoopSuspicions) {
              return { kind: 'fail', reason: 'LCP: link looped back (magic number)' };
            }
            this.lastNakMagic = this.freshMagic(v);
            nak(o, u32Option(LCP_OPTION.MAGIC_NUMBER, this.lastNakMagic));
          } else this.peerMagic = v;
          break;
        }
        case LCP_OPTION.PFC:
          if (len !== 0) rejects.push(o);
          else this.pfc = true;
          break;
        case LCP_OPTION.ACFC:
          if (len !== 0) rejects.push(o);
          else this.acfc = true;
          break;
        default:
          rejects.push(o);
      }
    }
    if (rejects.length > 0) return { kind: 'reject', options: rejects };
    if (naks.length > 0) {
      return rejectInsteadOfNak ? { kind: 'reject', options: nakked } : { kind: 'nak', options: naks };
    }
    return { kind: 'ack' };
  }

  applyNak(options: readonly CpOption[]): ReplyOutcome {
    for (const o of options) {
      switch (o.type) {
        case LCP_OPTION.MRU: {
          if (o.data.length !== 2) return 'invalid';
          const v = o.data.readUInt16BE(0);
          if (v >= MIN_MRU && v <= DEFAULT_MRU) this.wantMru = v;
          break;
        }
        case LCP_OPTION.AUTH_PROTOCOL: {
          if (this.config.role !== 'authenticator') break;
          const current = this.config.authMethods[this.authIndex];
          if (current) this.refusedAuth.add(current);
          const suggested = decodeAuthOption(o.data);
          const idx = this.config.authMethods.findIndex((m) => m === suggested && !this.refusedAuth.has(m));
          const next = idx >= 0 ? idx : this.config.authMethods.findIndex((m) => !this.refusedAuth.has(m));
          if (next < 0) return { fail: 'LCP: peer refused every authentication method we allow' };
          this.authIndex = next;
          break;
        }
        case LCP_OPTION.MAGIC_NUMBER: {
          if (o.data.length !== 4) return 'invalid';
          const v = o.data.readUInt32BE(0);
          if (this.lastNakMagic !== undefined && v === this.lastNakMagic) {
            if (++this.loopSuspicions >= this.config.maxLoopSuspicions) {
              return { fail: 'LCP: link looped back (magic number)' };
            }
          }
          this.magic = this.freshMagic(v);
          break;
        }
        default:
          // Hints about options we did not request (section 5.3) are not taken up.
          break;
      }
    }
    return 'ok';
  }

  applyReject(options: readonly CpOption[]): ReplyOutcome {
    for (const o of options) {
      switch (o.type) {
        case LCP_OPTION.MRU:
          this.wantMru = undefined;
          break;
        case LCP_OPTION.MAGIC_NUMBER:
          this.magicRejected = true;
          this.magic = 0;
          break;
        case LCP_OPTION.AUTH_PROTOCOL:
          if (this.config.role === 'authenticator') {
            return { fail: 'LCP: peer refuses to authenticate' };
          }
          return 'invalid';
        default:
          return 'invalid';
      }
    }
    return 'ok';
  }

  private accepts(m: AuthMethod): boolean {
    return this.config.authMethods.includes(m);
  }

  /** A non-zero magic number different from `avoid` (section 6.4: zero is never sent). */
  private freshMagic(avoid: number): number {
    for (let i = 0; i < 8; i++) {
      const v = this.config.rng(4).readUInt32BE(0);
      if (v !== 0 && v !== avoid && v !== this.magic) return v;
    }
    // A degenerate Rng (tests) must not hang the negotiation: step away from both values.
    let v = (avoid + 0x9e3779b9) >>> 0;
    while (v === 0 || v === avoid || v === this.magic) v = (v + 1) >>> 0;
    return v;
  }
}
