/**
 * SA lifetimes (RFC 4301 section 4.4.2.1: a soft limit warns the key manager to rekey, a hard limit ends
 * the SA). IKEv1 negotiates them in seconds and kilobytes (RFC 2407 section 4.5, SA Life Type/Duration).
 */

export interface EspLifetime {
  readonly softSeconds?: number;
  readonly hardSeconds?: number;
  /** Payload bytes through the SA. */
  readonly softBytes?: number;
  readonly hardBytes?: number;
}

export type LifetimeCause = 'time' | 'bytes' | 'sequence';

/** 'dying' = soft limit passed (still usable); 'dead' = hard limit passed or removed (drops everything). */
export type EspSaState = 'active' | 'dying' | 'dead';

/**
 * Outbound sequence numbers past this raise the soft event: 2^24 packets before the 32-bit counter runs
 * out (RFC 4303 section 3.3.3: the sender must rekey before it would cycle), enough for IKE to finish a
 * Quick Mode at any packet rate we reach.
 */
export const SEQUENCE_SOFT_LIMIT = 0xffffffff - 0x1000000;
