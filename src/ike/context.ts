/**
 * What every exchange handler shares: configuration, counters, the logger, the clock reading of the
 * current event and the list of actions being built.
 */

import type { Millis } from '../util/clock.js';
import type { Counters } from '../util/counters.js';
import type { Logger } from '../util/log.js';
import type { IkeAction } from './actions.js';
import type { IkeConfig } from './config.js';
import type { IkeSa } from './ike-sa.js';

/** Every drop and event counted by the IKE engine (docs/architecture.md: every drop has a reason). */
export type IkeCounter =
  | 'malformed'
  | 'unknown-sa'
  | 'unexpected-message'
  | 'duplicate'
  | 'retransmit'
  | 'half-open-limit'
  | 'half-open-source-limit'
  | 'half-open-evicted'
  | 'half-open-timeout'
  | 'no-proposal-chosen'
  | 'authentication-failed'
  | 'invalid-key-information'
  /** X.509 authentication (RFC 2409 section 5.1): the peer's certificate or signature was refused. */
  | 'invalid-certificate'
  | 'invalid-signature'
  | 'cert-type-unsupported'
  | 'certificate-unavailable'
  | 'invalid-id-information'
  | 'bad-hash'
  | 'decrypt-failed'
  | 'aggressive-refused'
  | 'unsupported-exchange'
  | 'no-psk'
  | 'notify-received'
  | 'ike-sa-established'
  | 'child-sa-installed'
  | 'nat-keepalive'
  | 'dpd-sent'
  | 'dpd-ack'
  | 'peer-dead'
  | 'initiator-gave-up'
  | 'responder-gave-up'
  /** Our phase-1 rekey (initiator): a new Main Mode started, finished, or ended without an SA. */
  | 'ike-rekey-started'
  | 'ike-rekeyed'
  | 'ike-rekey-failed';

export interface EngineContext {
  readonly cfg: IkeConfig;
  readonly counters: Counters<IkeCounter>;
  readonly log: Logger;
  readonly out: IkeAction[];
  readonly now: Millis;
  /** A fresh inbound ESP SPI, unique in this engine and never in the reserved range 1..255 (RFC 4303 s2.1). */
  readonly allocateSpi: () => Buffer;
  /** A fresh non-zero message ID unused on `sa` (RFC 2408 section 3.1). */
  readonly allocateMessageId: (sa: IkeSa) => number;
}

/** Queues a datagram to the SA's peer from the SA's local endpoint; port 4500 carries the non-ESP marker. */
export function sendTo(ctx: EngineContext, sa: IkeSa, data: Buffer): void {
  ctx.out.push({
    type: 'send',
    to: sa.peer,
    from: sa.local,
    data,
    nonEspMarker: sa.local.port === ctx.cfg.nattPort,
  });
}

/** Records `data` as the message to repeat and, for the initiator role, arms the back-off timer. */
export function sendReliably(ctx: EngineContext, sa: IkeSa, data: Buffer, retransmit: boolean): void {
  sa.lastSent = data;
  if (retransmit) {
    sa.retransmitWait = ctx.cfg.retransmitInitialMs;
    sa.retransmitAt = ctx.now + sa.retransmitWait;
    sa.tries = 1;
  } else {
    sa.retransmitAt = undefined;
  }
  sendTo(ctx, sa, data);
}
