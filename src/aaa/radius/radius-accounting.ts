/**
 * RADIUS accounting (RFC 2866): an Accounting-Request Start when a session comes up, Interim-Update on
 * request, and a Stop when it goes down, carrying the session's time, octets and packets (sections 5.3-5.9,
 * with RFC 2869 section 5.1/5.2 Gigawords for counts past 2^32) and why it ended (section 5.10). The
 * embedding calls `sessionUp`/`sessionDown` with its own key; a Stop is only sent for a session whose
 * Start was, so the pair always matches on Acct-Session-Id. Failures are logged, never thrown: accounting
 * must not take a session down.
 */
import { type Rng, systemRng } from '../../util/clock.js';
import { type Logger, silentLogger } from '../../util/log.js';
import {
  AcctAuthentic,
  AcctStatusType,
  AcctTerminateCause,
  AttributeType,
  addressAttribute,
  integerAttribute,
  textAttribute,
} from './attributes.js';
import type { RadiusAttribute } from './packet.js';
import { RadiusCode } from './packet.js';
import { nasAttributes, type RadiusNasOptions } from './radius-authenticator.js';
import type { RadiusClient } from './radius-client.js';

export interface AccountingSessionStart {
  readonly user: string;
  /** The inner address the peer was given (Framed-IP-Address, section 5.8 of RFC 2865). */
  readonly framedAddress?: string;
  /** The peer's outer address (Calling-Station-Id). */
  readonly callingStationId?: string;
  /** Whether RADIUS or a local user table authenticated this user (section 5.6). */
  readonly authentic?: 'radius' | 'local';
}

export interface AccountingUsage {
  readonly sessionSeconds: number;
  readonly inputOctets: number;
  readonly outputOctets: number;
  readonly inputPackets: number;
  readonly outputPackets: number;
}

interface Started {
  readonly sessionId: string;
  readonly start: AccountingSessionStart;
}

const TWO_32 = 2 ** 32;

/**
 * Section 5.10: the embedding's free-text reason mapped to Acct-Terminate-Cause. The endpoint's reasons
 * are PPP's ("peer-terminated", "LCP echo timeout") or L2TP's ("L2TP peer" for a CDN, "L2TP tunnel" for a
 * StopCCN, "L2TP timeout", "L2TP local", "L2TP error"). A peer closing the call or tunnel is the user
 * leaving; unknown reasons count as NAS-Request (the NAS ended it for its own reason).
 */
export function terminateCauseFor(reason: string): number {
  const r = reason.toLowerCase();
  if (/idle/.test(r)) return AcctTerminateCause.IdleTimeout;
  if (/session.?timeout|lifetime/.test(r)) return AcctTerminateCause.SessionTimeout;
  if (/shutdown|admin/.test(r)) return AcctTerminateCause.AdminReset;
  if (/echo|dpd|dead|lost|timeout|carrier/.test(r)) return AcctTerminateCause.LostCarrier;
  if (/error/.test(r)) return AcctTerminateCause.NasError;
  if (/peer|terminat|user|cdn|stopccn|delete|tunnel/.test(r)) return AcctTerminateCause.UserRequest;
  return AcctTerminateCause.NasRequest;
}

function counterAttributes(u: AccountingUsage): RadiusAttribute[] {
  const split = (n: number) => {
    const v = Math.max(0, Math.floor(n));
    return { low: v % TWO_32, high: Math.floor(v / TWO_32) };
  };
  const input = split(u.inputOctets);
  const output = split(u.outputOctets);
  const attrs = [
    integerAttribute(AttributeType.AcctSessionTime, Math.max(0, Math.floor(u.sessionSeconds))),
    integerAttribute(AttributeType.AcctInputOctets, input.low),
    integerAttribute(AttributeType.AcctOutputOctets, output.low),
    integerAttribute(AttributeType.AcctInputPackets, split(u.inputPackets).low),
    integerAttribute(AttributeType.AcctOutputPackets, split(u.outputPackets).low),
  ];
  if (input.high > 0) attrs.push(integerAttribute(AttributeType.AcctInputGigawords, input.high));
  if (output.high > 0) attrs.push(integerAttribute(AttributeType.AcctOutputGigawords, output.high));
  return attrs;
}

export class RadiusAccounting {
  private readonly started = new Map<string, Started>();

  constructor(
    private readonly client: RadiusClient,
    private readonly nas: RadiusNasOptions = {},
    private readonly log: Logger = silentLogger,
    private readonly rng: Rng = systemRng,
    /** Wall clock in ms for Event-Timestamp (RFC 2869 section 5.3). */
    private readonly wallClock: () => number = Date.now,
  ) {}

  /** Sessions with a Start sent and no Stop yet. */
  get activeSessions(): number {
    return this.started.size;
  }

  /** The Acct-Session-Id given to `key`, while it is active. */
  sessionId(key: string): string | undefined {
    return this.started.get(key)?.sessionId;
  }

  /** Sends Start; resolves true when the server acknowledged it. */
  sessionUp(key: string, start: AccountingSessionStart): Promise<boolean> {
    // Section 5.5: unique per session on this NAS; random, so a restart does not reuse an id.
    const sessionId = this.rng(8).toString('hex').toUpperCase();
    const s: Started = { sessionId, start };
    this.started.set(key, s);
    return this.send(s, AcctStatusType.Start, []);
  }

  /** Sends Interim-Update for an active session (no-op, false, for an unknown key). */
  interim(key: string, usage: AccountingUsage): Promise<boolean> {
    const s = this.started.get(key);
    if (s === undefined) return Promise.resolve(false);
    return this.send(s, AcctStatusType.InterimUpdate, counterAttributes(usage));
  }

  /** Sends Stop with the final usage; false without a matching Start. */
  sessionDown(key: string, usage: AccountingUsage, reason: string): Promise<boolean> {
    const s = this.started.get(key);
    if (s === undefined) return Promise.resolve(false);
    this.started.delete(key);
    return this.send(s, AcctStatusType.Stop, [
      ...counterAttributes(usage),
      integerAttribute(AttributeType.AcctTerminateCause, terminateCauseFor(reason)),
    ]);
  }

  private async send(s: Started, status: number, extra: RadiusAttribute[]): Promise<boolean> {
    const attrs: RadiusAttribute[] = [
      integerAttribute(AttributeType.AcctStatusType, status),
      textAttribute(AttributeType.AcctSessionId, s.sessionId),
      textAttribute(AttributeType.UserName, s.start.user),
      ...nasAttributes(this.nas, s.start.callingStationId),
      integerAttribute(AttributeType.EventTimestamp, Math.floor(this.wallClock() / 1000)),
      ...extra,
    ];
    if (s.start.authentic !== undefined) {
      attrs.push(
        integerAttribute(
          AttributeType.AcctAuthentic,
          s.start.authentic === 'local' ? AcctAuthentic.Local : AcctAuthentic.RADIUS,
        ),
      );
    }
    if (s.start.framedAddress !== undefined && s.start.framedAddress !== '') {
      attrs.push(addressAttribute(AttributeType.FramedIpAddress, s.start.framedAddress));
    }
    try {
      await this.client.exchange({
        service: 'acct',
        code: RadiusCode.AccountingRequest,
        attributes: () => attrs,
      });
      return true;
    } catch (err) {
      this.log.warn(
        { sessionId: s.sessionId, status, err: (err as Error).message },
        'RADIUS accounting request unanswered',
      );
      return false;
    }
  }
}
