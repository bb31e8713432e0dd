/**
 * Typed L2TP errors. A decode error means "drop and count" (RFC 2661 gives no reply for a malformed header);
 * a protocol error carries the Result and Error Code (section 4.4.2) that the StopCCN or CDN must send back.
 */

/** Why an incoming datagram was dropped; the counters use these names. */
export type L2tpDropReason =
  | 'short'
  | 'bad-version'
  | 'bad-flags'
  | 'bad-length'
  | 'bad-avp'
  | 'no-message-type'
  | 'unknown-tunnel'
  | 'unknown-session'
  | 'wrong-peer'
  | 'duplicate'
  | 'out-of-window'
  | 'closing'
  | 'unexpected-message'
  | 'data-out-of-order'
  | 'data-before-up'
  | 'tunnel-limit'
  | 'peer-tunnel-limit'
  | 'session-limit'
  | 'ignored-message';

export class L2tpDecodeError extends Error {
  override readonly name = 'L2tpDecodeError';
  constructor(
    readonly reason: L2tpDropReason,
    message: string,
  ) {
    super(message);
  }
}

/** Which side of the control connection a protocol error ends (section 4.1). */
export type L2tpErrorScope = 'tunnel' | 'session';

export class L2tpProtocolError extends Error {
  override readonly name = 'L2tpProtocolError';
  constructor(
    readonly scope: L2tpErrorScope,
    /** Result Code for the StopCCN or CDN (section 4.4.2). */
    readonly resultCode: number,
    /** General Error Code (section 4.4.2). */
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}
