/**
 * One interface, two independent implementations of every primitive: node:crypto (OpenSSL, AES-NI; the
 * default and the data path) and noble (@noble/ciphers, @noble/hashes, @noble/curves, plus this folder's
 * DES and bigint MODP). The property tests run random inputs through both and require identical bytes, so
 * a bug in either shows up as a disagreement, not as a silent wrong answer.
 *
 * Both backends check key, IV and block lengths themselves (checks.ts) and raise CryptoError. Diffie-Hellman
 * peer values are validated once, by dh.ts, before they reach a backend, except where a backend's ECP key
 * pair says it checks the peer point itself (`checksPeerPoint`: OpenSSL decodes and validates it anyway).
 */

import { nobleBackend } from './backend-noble.js';
import { nodeBackend } from './backend-node.js';
import type { CbcCipher } from './checks.js';
import type { ModpGroupId } from './modp-groups.js';
import type { HashName } from './registry.js';

export type BackendName = 'node' | 'noble';

/** The ECP groups of RFC 5903: 19 = P-256, 20 = P-384, 21 = P-521. */
export type EcpGroupId = 19 | 20 | 21;

/** An ECP private key with its public point, kept together so the secret needs no second set-up. */
export interface EcpKeyPair {
  /** x ‖ y (RFC 5903 section 7). */
  readonly publicValue: Buffer;
  /**
   * True when `secret` itself rejects a peer value that is not a point on the curve (coordinates >= p
   * included) with CryptoError('dh-public-value'); dh.ts then checks only the length.
   */
  readonly checksPeerPoint: boolean;
  /** The x coordinate of the shared point (RFC 5903 section 9). */
  secret(peerPublic: Uint8Array): Buffer;
}

export interface CryptoBackend {
  readonly name: BackendName;
  hash(alg: HashName, parts: readonly Uint8Array[]): Buffer;
  hmac(alg: HashName, key: Uint8Array, parts: readonly Uint8Array[]): Buffer;
  cbcEncrypt(cipher: CbcCipher, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer;
  cbcDecrypt(cipher: CbcCipher, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer;
  /** AES-GCM with a 12-byte nonce and a 16-byte tag: returns ciphertext ‖ tag. */
  gcmSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Buffer;
  /** Inverse of gcmSeal; `undefined` when the tag does not verify (never a partial plaintext). */
  gcmOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Buffer | undefined;
  /** g^x mod p, left-padded to the prime length (RFC 2409 section 5: the KE payload is the full length). */
  modpPublic(group: ModpGroupId, privateKey: Uint8Array): Buffer;
  /** peer^x mod p, left-padded to the prime length. The peer value must already be validated. */
  modpSecret(group: ModpGroupId, privateKey: Uint8Array, peerPublic: Uint8Array): Buffer;
  /** The public point as x ‖ y (RFC 5903 section 7), each coordinate the field length. */
  ecpPublic(group: EcpGroupId, privateKey: Uint8Array): Buffer;
  /** The x coordinate of the shared point (RFC 5903 section 9). The peer point must already be validated. */
  ecpSecret(group: EcpGroupId, privateKey: Uint8Array, peerPublic: Uint8Array): Buffer;
  /** A key pair for repeated use: what dh.ts holds between sending its KE and computing g^xy. */
  ecpKeyPair(group: EcpGroupId, privateKey: Uint8Array): EcpKeyPair;
}

const BACKENDS: Readonly<Record<BackendName, CryptoBackend>> = { node: nodeBackend, noble: nobleBackend };

let active: CryptoBackend = nodeBackend;

export function backend(name: BackendName): CryptoBackend {
  return BACKENDS[name];
}

/** The backend the module-level functions (hash, hmac, cbcEncrypt, …) use. */
export function activeBackend(): CryptoBackend {
  return active;
}

/** Switches every module-level function to `name` (tests and benchmarks; the server keeps node). */
export function useBackend(name: BackendName): void {
  active = BACKENDS[name];
}
