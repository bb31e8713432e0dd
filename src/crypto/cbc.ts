/**
 * CBC encryption without padding, as IKEv1 (RFC 2409 Appendix B) and ESP (RFC 2406 section 2.4, RFC 3602)
 * use it: each protocol adds its own padding, so data that is not a block multiple is a caller error.
 */
import { activeBackend } from './backend.js';
import type { CbcCipher } from './checks.js';

export type { CbcCipher } from './checks.js';

export function cbcEncrypt(cipher: CbcCipher, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer {
  return activeBackend().cbcEncrypt(cipher, key, iv, data);
}

export function cbcDecrypt(cipher: CbcCipher, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer {
  return activeBackend().cbcDecrypt(cipher, key, iv, data);
}
