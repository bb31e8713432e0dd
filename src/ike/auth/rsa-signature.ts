/**
 * The IKEv1 RSA signature (RFC 2409 section 5.1: SIG_I / SIG_R are HASH_I / HASH_R signed with the private
 * key). The RFC names no encoding; every implementation that interoperates (strongSwan's
 * SIGN_RSA_EMSA_PKCS1_NULL in its IKEv1 pubkey authenticator, Windows, racoon) applies PKCS#1 v1.5 type-1
 * padding (RFC 8017 section 9.2 step 5, without the DigestInfo of step 2) to the raw hash. That is
 * OpenSSL's private-key "encrypt" with PKCS#1 padding, and its inverse with the public key.
 */
import { constants, type KeyObject, privateEncrypt, publicDecrypt, timingSafeEqual } from 'node:crypto';

/** SIG_I / SIG_R: PKCS#1 v1.5 type-1 padding of the raw `hash`, signed with `key`. */
export function signIkeHash(key: KeyObject, hash: Buffer): Buffer {
  return privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, hash);
}

/** Whether `signature` is `hash` signed by the holder of `key`'s private half (constant-time compare). */
export function verifyIkeHash(key: KeyObject, hash: Buffer, signature: Buffer): boolean {
  let recovered: Buffer;
  try {
    recovered = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    // Wrong length, bad padding: not a signature by this key.
    return false;
  }
  return recovered.length === hash.length && timingSafeEqual(recovered, hash);
}
