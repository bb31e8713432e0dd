/**
 * Splitting an IPsec SA's KEYMAT (RFC 2409 section 5.5) into ESP keys. The encryption key comes first and
 * the integrity key after it: the order the IPsec DOI implementations agree on and RFC 7296 section 2.17
 * later wrote down. For AES-GCM the 4-byte salt follows the key (RFC 4106 section 8.1) and stays with it.
 */
import type { CipherSpec, IntegritySpec } from '../crypto/registry.js';

export interface EspKeys {
  /** The cipher key, followed for AES-GCM by the salt. */
  readonly encryptionKey: Buffer;
  /** The HMAC key, empty for AES-GCM. */
  readonly integrityKey: Buffer;
}

/** Bytes of KEYMAT an SA of this suite consumes, in one direction. */
export function keymatLength(cipher: CipherSpec, keyBits: number, integrity: IntegritySpec | 'none'): number {
  return keyBits / 8 + cipher.saltSize + (integrity === 'none' ? 0 : integrity.keySize);
}

export function splitKeymat(
  cipher: CipherSpec,
  keyBits: number,
  integrity: IntegritySpec | 'none',
  keymat: Uint8Array,
): EspKeys {
  const need = keymatLength(cipher, keyBits, integrity);
  if (keymat.length < need)
    throw new RangeError(`KEYMAT is ${keymat.length} bytes; this suite needs ${need}`);
  const e = keyBits / 8 + cipher.saltSize;
  return {
    encryptionKey: Buffer.from(keymat.subarray(0, e)),
    integrityKey: Buffer.from(keymat.subarray(e, need)),
  };
}
