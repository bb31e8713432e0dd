/**
 * Errors the peer must hear about carry the Notify Message Type to send back (RFC 2408 section 3.14.1),
 * per docs/architecture.md. Decode errors and policy refusals are both `IkeNotifyError`s.
 */
import { NotifyType } from './constants.js';

export class IkeNotifyError extends Error {
  /** The RFC 2408 notify type to answer with (e.g. PAYLOAD-MALFORMED = 16). */
  readonly notify: number;

  constructor(notify: number, message: string) {
    super(message);
    this.name = 'IkeNotifyError';
    this.notify = notify;
  }
}

/** A malformed or truncated message (RFC 2408 section 5.1: PAYLOAD-MALFORMED unless a more precise type applies). */
export class IkeDecodeError extends IkeNotifyError {
  constructor(message: string, notify: number = NotifyType.PayloadMalformed) {
    super(notify, message);
    this.name = 'IkeDecodeError';
  }
}
