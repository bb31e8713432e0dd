/**
 * What the key manager hands ESP to build an SA (RFC 4301 section 4.4.2.1's SAD fields that matter in
 * IKEv1 + RFC 3948 land), and the choice of transform it implies.
 */
import type { CipherSpec, IntegritySpec } from '../crypto/registry.js';
import { INTEGRITY } from '../crypto/registry.js';
import type { Clock, Rng } from '../util/clock.js';
import { systemRng } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { CbcHmacTransform } from './cbc-hmac.js';
import { GcmTransform } from './gcm.js';
import { IcvHmac } from './icv-hmac.js';
import type { EspLifetime } from './lifetime.js';
import type { EspTransform } from './transform.js';

export type EspDirection = 'inbound' | 'outbound';

/** Transport mode carries the upper-layer payload (L2TP's UDP, next header 17); tunnel mode a whole IPv4
 * packet (next header 4). RFC 4303 section 3.1. */
export type EspMode = 'transport' | 'tunnel';

export const NEXT_HEADER_IPV4 = 4;
export const NEXT_HEADER_TCP = 6;
export const NEXT_HEADER_UDP = 17;
export const NEXT_HEADER_IPV6 = 41;
/** RFC 4303 section 2.6: "no next header", marks dummy packets. */
export const NEXT_HEADER_NONE = 59;

export interface EspPeer {
  readonly address: string;
  /** The peer's UDP port when the SA is UDP-encapsulated (RFC 3948); undefined for raw ESP. */
  readonly port?: number | undefined;
}

export interface EspSaConfig {
  readonly spi: number;
  readonly direction: EspDirection;
  readonly mode: EspMode;
  readonly cipher: CipherSpec;
  /** Cipher key length in bits (the Key Length attribute; 192 for 3DES). */
  readonly keyBits: number;
  /** Cipher key as KEYMAT gives it; for AES-GCM followed by the 4-byte salt (RFC 4106 section 8.1). */
  readonly encryptionKey: Uint8Array;
  /** 'none' for AES-GCM (its tag is the ICV), or for an encryption-only SA (RFC 4303 section 3.2 allows it;
   * only RFC 3602's test vectors use one here). */
  readonly integrity: IntegritySpec | 'none';
  readonly integrityKey?: Uint8Array;
  /**
   * Android 6/7 (and old Linux) truncate HMAC-SHA2-256 to 96 bits instead of RFC 4868's 128: set this to
   * interoperate with them. Only valid with hmac-sha256-128.
   */
  readonly sha2TruncBug?: boolean;
  readonly peer: EspPeer;
  /** Whatever the key manager uses to find this SA again (e.g. its IKE SA), for outbound lookup. */
  readonly owner?: string;
  readonly lifetime?: EspLifetime;
  /** Inbound only: anti-replay window in packets (multiple of 32, at least 1024 by default). */
  readonly replayWindow?: number;
  /** Inbound only: Next Header values to accept. Default: [17] in transport mode, [4] in tunnel mode. */
  readonly acceptNextHeaders?: readonly number[];
  readonly clock?: Clock;
  readonly rng?: Rng;
  readonly logger?: Logger;
}

/** An SA configuration the key manager should never have produced; thrown at construction only. */
export class EspConfigError extends Error {
  override readonly name = 'EspConfigError';
}

/** The cryptographic half of the SA for this configuration. */
export function createTransform(config: EspSaConfig): EspTransform {
  const { cipher, keyBits, integrity } = config;
  const rng = config.rng ?? systemRng;
  if (cipher.kind === 'aead') {
    if (integrity !== 'none')
      throw new EspConfigError(`${cipher.name} carries its own ICV; integrity must be 'none'`);
    return new GcmTransform(cipher, keyBits, config.encryptionKey);
  }
  if (integrity === 'none') {
    if (config.sha2TruncBug) throw new EspConfigError('sha2TruncBug needs hmac-sha256-128');
    return new CbcHmacTransform(cipher, keyBits, config.encryptionKey, null, rng);
  }
  const key = config.integrityKey;
  if (key === undefined || key.length !== integrity.keySize) {
    throw new EspConfigError(
      `${integrity.name} needs a ${integrity.keySize}-byte key, got ${key?.length ?? 0}`,
    );
  }
  let icvSize = integrity.icvSize;
  if (config.sha2TruncBug) {
    if (integrity !== INTEGRITY['hmac-sha256-128'])
      throw new EspConfigError('sha2TruncBug needs hmac-sha256-128');
    icvSize = 12; // the draft-ietf-ipsec-ciph-sha-256-00 truncation those stacks kept
  }
  return new CbcHmacTransform(
    cipher,
    keyBits,
    config.encryptionKey,
    new IcvHmac(integrity, key, icvSize),
    rng,
  );
}
