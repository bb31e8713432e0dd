/**
 * IKEv1 key derivation (RFC 2409 section 5 and Appendix B). `prf` is HMAC over the negotiated phase-1 hash
 * (RFC 2409 section 4: without a negotiated PRF, the HMAC version of the hash is the PRF). Notation follows
 * the RFC: Ni_b / Nr_b are nonce payload bodies, CKY-I / CKY-R the ISAKMP cookies, g^xy the shared secret.
 */

import { uint32be } from './bytes.js';
import { CryptoError } from './errors.js';
import { hash, hmac, hmacParts } from './hash.js';
import type { HashName } from './registry.js';

/** The one-octet constants of RFC 2409 section 5 (SKEYID_d/a/e, K1, HASH(3)), laid out once; only read. */
const OCTET: readonly Buffer[] = [Buffer.of(0), Buffer.of(1), Buffer.of(2)];
const EMPTY = Buffer.alloc(0);

/** SKEYID = prf(pre-shared-key, Ni_b | Nr_b) (RFC 2409 section 5, pre-shared key authentication). */
export function skeyidPsk(prf: HashName, psk: Uint8Array, niB: Uint8Array, nrB: Uint8Array): Buffer {
  return hmac(prf, psk, niB, nrB);
}

/** SKEYID = prf(Ni_b | Nr_b, g^xy) (RFC 2409 section 5, signature authentication). */
export function skeyidSig(prf: HashName, niB: Uint8Array, nrB: Uint8Array, gxy: Uint8Array): Buffer {
  return hmac(prf, Buffer.concat([niB, nrB]), gxy);
}

/**
 * SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0)
 * SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1)
 * SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2)   (RFC 2409 section 5)
 */
export function deriveSkeyids(
  prf: HashName,
  skeyid: Uint8Array,
  gxy: Uint8Array,
  ckyI: Uint8Array,
  ckyR: Uint8Array,
): { d: Buffer; a: Buffer; e: Buffer } {
  const d = hmac(prf, skeyid, gxy, ckyI, ckyR, OCTET[0]);
  const a = hmac(prf, skeyid, d, gxy, ckyI, ckyR, OCTET[1]);
  const e = hmac(prf, skeyid, a, gxy, ckyI, ckyR, OCTET[2]);
  return { d, a, e };
}

/**
 * The phase-1 cipher key from SKEYID_e (RFC 2409 Appendix B): its first bytes when long enough, otherwise
 * Ka = K1 | K2 | … with K1 = prf(SKEYID_e, 0) (a single zero octet) and Kn = prf(SKEYID_e, Kn-1).
 * (3DES with SHA-1 and AES-256 with SHA-1 take the expansion path.)
 */
export function phase1EncryptionKey(prf: HashName, skeyidE: Uint8Array, keyBytes: number): Buffer {
  if (!Number.isInteger(keyBytes) || keyBytes <= 0 || keyBytes > 1024) {
    throw new CryptoError('key-length', `phase-1 key length ${keyBytes} bytes`);
  }
  if (skeyidE.length >= keyBytes) return Buffer.from(skeyidE.subarray(0, keyBytes));
  const blocks: Buffer[] = [];
  let k = hmac(prf, skeyidE, OCTET[0]);
  let have = 0;
  for (;;) {
    blocks.push(k);
    have += k.length;
    if (have >= keyBytes) break;
    k = hmac(prf, skeyidE, k);
  }
  return Buffer.concat(blocks).subarray(0, keyBytes);
}

function checkBlockSize(blockSize: number, digest: Buffer): void {
  if (!Number.isInteger(blockSize) || blockSize <= 0 || blockSize > digest.length) {
    throw new CryptoError('input-length', `IV of ${blockSize} bytes from a ${digest.length}-byte hash`);
  }
}

/** The first phase-1 IV: hash(g^xi | g^xr), truncated to the block size (RFC 2409 Appendix B). */
export function phase1Iv(alg: HashName, gxi: Uint8Array, gxr: Uint8Array, blockSize: number): Buffer {
  const h = hash(alg, gxi, gxr);
  checkBlockSize(blockSize, h);
  return h.subarray(0, blockSize);
}

/**
 * The IV of a Quick Mode or informational exchange: hash(last phase-1 CBC output block | M-ID), truncated
 * to the block size (RFC 2409 Appendix B; M-ID as the 4 octets of the ISAKMP header).
 */
export function phase2Iv(
  alg: HashName,
  lastPhase1Block: Uint8Array,
  messageId: number,
  blockSize: number,
): Buffer {
  const h = hash(alg, lastPhase1Block, uint32be(messageId));
  checkBlockSize(blockSize, h);
  return h.subarray(0, blockSize);
}

/** HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b) (RFC 2409 section 5). */
export function hashI(
  prf: HashName,
  skeyid: Uint8Array,
  gxi: Uint8Array,
  gxr: Uint8Array,
  ckyI: Uint8Array,
  ckyR: Uint8Array,
  saiB: Uint8Array,
  idiiB: Uint8Array,
): Buffer {
  return hmac(prf, skeyid, gxi, gxr, ckyI, ckyR, saiB, idiiB);
}

/** HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b) (RFC 2409 section 5). */
export function hashR(
  prf: HashName,
  skeyid: Uint8Array,
  gxr: Uint8Array,
  gxi: Uint8Array,
  ckyR: Uint8Array,
  ckyI: Uint8Array,
  saiB: Uint8Array,
  idirB: Uint8Array,
): Buffer {
  return hmac(prf, skeyid, gxr, gxi, ckyR, ckyI, saiB, idirB);
}

/**
 * Quick Mode HASH(1) = prf(SKEYID_a, M-ID | the payloads after HASH) (RFC 2409 section 5.5); the same form
 * authenticates informational exchanges (section 5.7).
 */
export function quickModeHash1(
  prf: HashName,
  skeyidA: Uint8Array,
  messageId: number,
  payloads: Uint8Array,
): Buffer {
  return hmac(prf, skeyidA, uint32be(messageId), payloads);
}

/** Quick Mode HASH(2) = prf(SKEYID_a, M-ID | Ni_b | the payloads after HASH) (RFC 2409 section 5.5). */
export function quickModeHash2(
  prf: HashName,
  skeyidA: Uint8Array,
  messageId: number,
  niB: Uint8Array,
  payloads: Uint8Array,
): Buffer {
  return hmac(prf, skeyidA, uint32be(messageId), niB, payloads);
}

/** Quick Mode HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b) (RFC 2409 section 5.5). */
export function quickModeHash3(
  prf: HashName,
  skeyidA: Uint8Array,
  messageId: number,
  niB: Uint8Array,
  nrB: Uint8Array,
): Buffer {
  return hmac(prf, skeyidA, OCTET[0], uint32be(messageId), niB, nrB);
}

/**
 * KEYMAT for one SA direction (RFC 2409 section 5.5):
 *   KEYMAT = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b), expanded as
 *   K1 = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b),
 *   K2 = prf(SKEYID_d, K1 | [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b), …
 * `protocol` is the one-octet protocol ID (3 = ESP) and `spi` the SPI of the receiving side.
 * `gxy` is the Quick Mode PFS secret, when the exchange carried KE payloads.
 */
export function keymat(
  prf: HashName,
  skeyidD: Uint8Array,
  protocol: number,
  spi: Uint8Array,
  niB: Uint8Array,
  nrB: Uint8Array,
  bytes: number,
  gxy?: Uint8Array,
): Buffer {
  if (!Number.isInteger(bytes) || bytes <= 0 || bytes > 1024) {
    throw new CryptoError('key-length', `KEYMAT length ${bytes} bytes`);
  }
  if (!Number.isInteger(protocol) || protocol < 0 || protocol > 255) {
    throw new CryptoError('input-length', `protocol ID ${protocol} is not one octet`);
  }
  // Parts of K1 after the key; Kn (n > 1) adds K(n-1) in front, in the slot at index 0.
  const parts: Uint8Array[] = [EMPTY];
  if (gxy) parts.push(gxy);
  parts.push(Buffer.of(protocol), spi, niB, nrB);
  const out = Buffer.allocUnsafe(bytes);
  let have = 0;
  let k = hmacParts(prf, skeyidD, parts);
  for (;;) {
    const n = Math.min(k.length, bytes - have);
    k.copy(out, have, 0, n);
    have += n;
    if (have >= bytes) break;
    parts[0] = k;
    k = hmacParts(prf, skeyidD, parts);
  }
  return out;
}
