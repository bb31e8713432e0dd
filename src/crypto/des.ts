/**
 * Single DES from a 7-byte key, as MS-CHAP's ChallengeResponse uses it (RFC 2759 section 8.6, DesEncrypt).
 * Node 20's OpenSSL 3 offers no single DES in its default provider, but 3DES with K1 = K2 = K3 computes
 * E(K, D(K, E(K, x))) = E(K, x), so des-ede3-ecb with the key repeated three times is single DES.
 */
import { createCipheriv } from 'node:crypto';
import { CryptoError } from './errors.js';

/**
 * Spreads 56 key bits over 8 bytes, seven bits each in the high positions, and sets each byte's low bit to
 * odd parity (FIPS 46-3 section "key": every eighth bit is parity; RFC 2759 section 8.6 MakeKey/DesEncrypt).
 */
export function desKeyFrom7(key7: Uint8Array): Buffer {
  if (key7.length !== 7) throw new CryptoError('key-length', `DES 7-byte key expected, got ${key7.length}`);
  const out = Buffer.alloc(8);
  let acc = 0n;
  for (const b of key7) acc = (acc << 8n) | BigInt(b);
  for (let i = 0; i < 8; i++) {
    const seven = Number((acc >> BigInt(49 - 7 * i)) & 0x7fn);
    let v = seven << 1;
    // Odd parity: the low bit makes the number of one bits odd.
    let ones = 0;
    for (let x = seven; x; x >>= 1) ones += x & 1;
    if (ones % 2 === 0) v |= 1;
    out[i] = v;
  }
  return out;
}

/** DES-ECB of one 8-byte block under a key given as 7 bytes (56 bits, parity added here). */
export function desEncryptBlock7(key7: Uint8Array, block8: Uint8Array): Buffer {
  if (block8.length !== 8)
    throw new CryptoError('input-length', `DES block must be 8 bytes, got ${block8.length}`);
  return desEncryptBlock8(desKeyFrom7(key7), block8);
}

/** DES-ECB of one 8-byte block under an 8-byte key (parity bits ignored, as DES does). */
export function desEncryptBlock8(key8: Uint8Array, block8: Uint8Array): Buffer {
  if (key8.length !== 8) throw new CryptoError('key-length', `DES key must be 8 bytes, got ${key8.length}`);
  if (block8.length !== 8)
    throw new CryptoError('input-length', `DES block must be 8 bytes, got ${block8.length}`);
  const c = createCipheriv('des-ede3-ecb', Buffer.concat([key8, key8, key8]), null);
  c.setAutoPadding(false);
  return c.update(block8);
}
