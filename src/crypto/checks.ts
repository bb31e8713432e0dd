/**
 * Argument checks shared by both backends, so that a wrong key length or a partial block raises the same
 * typed error whichever backend runs (and never reaches OpenSSL, whose messages are not protocol codes).
 */
import { CryptoError } from './errors.js';

export type CbcCipher = 'aes-cbc' | '3des-cbc';

/** AES key lengths (FIPS 197) and the 3DES bundle K1‖K2‖K3 (RFC 2451 section 2.2). */
export function checkCbcArgs(cipher: CbcCipher, key: Uint8Array, iv: Uint8Array, data: Uint8Array): number {
  const block = cipher === 'aes-cbc' ? 16 : 8;
  if (cipher === 'aes-cbc') {
    if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
      throw new CryptoError('key-length', `aes-cbc key must be 16, 24 or 32 bytes, got ${key.length}`);
    }
  } else if (key.length !== 24) {
    throw new CryptoError('key-length', `3des-cbc key must be 24 bytes, got ${key.length}`);
  }
  checkCbcBlocks(cipher, block, iv, data);
  return block;
}

/** The IV is one block and the data whole blocks (RFC 3602 section 3, RFC 2451 section 2.3). */
export function checkCbcBlocks(cipher: CbcCipher, block: number, iv: Uint8Array, data: Uint8Array): void {
  if (iv.length !== block) {
    throw new CryptoError('input-length', `${cipher} IV must be ${block} bytes, got ${iv.length}`);
  }
  if (data.length % block !== 0) {
    throw new CryptoError(
      'input-length',
      `${cipher} data must be a multiple of ${block} bytes, got ${data.length}`,
    );
  }
}

/** AES-GCM key and nonce (RFC 4106 section 4: a 12-byte nonce = 4-byte salt ‖ 8-byte explicit IV). */
export function checkGcmArgs(key: Uint8Array, nonce: Uint8Array): void {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
    throw new CryptoError('key-length', `aes-gcm key must be 16, 24 or 32 bytes, got ${key.length}`);
  }
  if (nonce.length !== 12) {
    throw new CryptoError('input-length', `aes-gcm nonce must be 12 bytes, got ${nonce.length}`);
  }
}

export function toBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}
