/**
 * AES-GCM-16 as ESP uses it (RFC 4106): the key material is the AES key followed by a 4-octet salt
 * (section 8.1); each packet carries an 8-octet explicit IV; the GCM nonce is salt ‖ IV (section 4); the
 * ICV is the full 16-octet tag; the AAD is SPI ‖ sequence number (section 5). The ESP layer frames the
 * packet; this module only seals and opens.
 */
import { activeBackend } from './backend.js';
import { CryptoError } from './errors.js';

export const GCM_ICV_SIZE = 16;
export const GCM_SALT_SIZE = 4;
export const GCM_IV_SIZE = 8;

function nonceOf(salt: Uint8Array, iv: Uint8Array): Buffer {
  if (salt.length !== GCM_SALT_SIZE)
    throw new CryptoError('key-length', `GCM salt must be 4 bytes, got ${salt.length}`);
  if (iv.length !== GCM_IV_SIZE)
    throw new CryptoError('input-length', `GCM IV must be 8 bytes, got ${iv.length}`);
  const n = Buffer.allocUnsafe(12);
  n.set(salt, 0);
  n.set(iv, 4);
  return n;
}

/** Splits RFC 4106 KEYMAT (key ‖ 4-octet salt) into the AES key and the salt. */
export function splitGcmKeymat(keymat: Uint8Array): { key: Buffer; salt: Buffer } {
  const keyLen = keymat.length - GCM_SALT_SIZE;
  if (keyLen !== 16 && keyLen !== 24 && keyLen !== 32) {
    throw new CryptoError('key-length', `AES-GCM KEYMAT must be 20, 28 or 36 bytes, got ${keymat.length}`);
  }
  const b = Buffer.from(keymat);
  return { key: b.subarray(0, keyLen), salt: b.subarray(keyLen) };
}

/** Encrypts `plaintext` and returns ciphertext ‖ 16-octet ICV. */
export function gcmSeal(
  key: Uint8Array,
  salt: Uint8Array,
  iv: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
): Buffer {
  return activeBackend().gcmSeal(key, nonceOf(salt, iv), aad, plaintext);
}

/**
 * Verifies and decrypts ciphertext ‖ ICV. Returns `undefined` when the ICV does not verify (the ESP layer
 * counts and drops; RFC 4303 section 3.4.4), never a plaintext that failed authentication.
 */
export function gcmOpen(
  key: Uint8Array,
  salt: Uint8Array,
  iv: Uint8Array,
  aad: Uint8Array,
  sealed: Uint8Array,
): Buffer | undefined {
  return activeBackend().gcmOpen(key, nonceOf(salt, iv), aad, sealed);
}
