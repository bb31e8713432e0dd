/**
 * Hash and HMAC (RFC 2104) over the negotiated hash. IKEv1's PRF is HMAC with the phase-1 hash
 * (RFC 2409 section 4), and ESP's integrity transforms are truncated HMACs (RFC 2404, RFC 4868), so every
 * layer calls these two. They run on the active backend (node:crypto unless a test chooses noble).
 */
import { activeBackend } from './backend.js';
import type { HashName } from './registry.js';

/** `alg(parts[0] ‖ parts[1] ‖ …)`. */
export function hash(alg: HashName, ...parts: Uint8Array[]): Buffer {
  return activeBackend().hash(alg, parts);
}

/** `HMAC-alg(key, parts[0] ‖ parts[1] ‖ …)` (RFC 2104). */
export function hmac(alg: HashName, key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  return activeBackend().hmac(alg, key, parts);
}

/** `hmac` over an array the caller lays out (and may reuse between calls, as KEYMAT's expansion does). */
export function hmacParts(alg: HashName, key: Uint8Array, parts: readonly Uint8Array[]): Buffer {
  return activeBackend().hmac(alg, key, parts);
}
