/**
 * A keyed CBC context for the ESP data path: one long-lived OpenSSL cipher and decipher per SA instead
 * of a new cipher object per packet, which measured about 3x faster on small packets.
 *
 * It relies on CBC's chaining (NIST SP 800-38A section 6.2): a streaming CBC object keeps the last
 * ciphertext block as its chaining value.
 * - Decrypt: P_i = D(C_i) xor C_(i-1). Feeding IV ‖ C makes the IV the "previous ciphertext block" of
 *   C_1, so every output block after the first (discarded) is the packet's plaintext.
 * - Encrypt: the stream chains from its last output block `prev`. Feeding X = D(IV) xor prev first
 *   yields E(X xor prev) = IV as the first (discarded) output block, after which the stream chains from
 *   the chosen IV, exactly as a fresh CBC encryption under that IV would.
 * Results are byte-identical to cbcEncrypt / cbcDecrypt (property-tested).
 */
import { type Cipher, createCipheriv, createDecipheriv, type Decipher } from 'node:crypto';
import { type CbcCipher, checkCbcArgs, checkCbcBlocks } from './checks.js';

function cipherName(cipher: CbcCipher, keyLength: number, mode: 'cbc' | 'ecb'): string {
  return cipher === '3des-cbc'
    ? `des-ede3${mode === 'ecb' ? '-ecb' : '-cbc'}`
    : `aes-${keyLength * 8}-${mode}`;
}

export class CbcContext {
  readonly blockSize: number;
  private readonly enc: Cipher;
  private readonly dec: Decipher;
  /** Single-block ECB decryption of the chosen IV (the X of the encrypt trick). */
  private readonly ecbDec: Decipher;
  /** The encrypt stream's chaining value: its last output block. */
  private readonly prev: Buffer;
  private scratch: Buffer;

  constructor(
    readonly cipher: CbcCipher,
    key: Uint8Array,
  ) {
    this.blockSize = checkCbcArgs(cipher, key, Buffer.alloc(cipher === 'aes-cbc' ? 16 : 8), Buffer.alloc(0));
    const zeroIv = Buffer.alloc(this.blockSize);
    this.enc = createCipheriv(cipherName(cipher, key.length, 'cbc'), key, zeroIv);
    this.enc.setAutoPadding(false);
    this.dec = createDecipheriv(cipherName(cipher, key.length, 'cbc'), key, zeroIv);
    this.dec.setAutoPadding(false);
    this.ecbDec = createDecipheriv(cipherName(cipher, key.length, 'ecb'), key, null);
    this.ecbDec.setAutoPadding(false);
    this.prev = Buffer.from(zeroIv);
    this.scratch = Buffer.allocUnsafe(2048);
  }

  private input(len: number): Buffer {
    if (this.scratch.length < len) this.scratch = Buffer.allocUnsafe(Math.max(len, 2 * this.scratch.length));
    return this.scratch.subarray(0, len);
  }

  /** CBC-encrypts whole blocks under `iv`; same result as cbcEncrypt(cipher, key, iv, data). */
  encrypt(iv: Uint8Array, data: Uint8Array): Buffer {
    const bs = this.blockSize;
    checkCbcBlocks(this.cipher, bs, iv, data);
    if (data.length === 0) return Buffer.alloc(0);
    const inp = this.input(bs + data.length);
    const x = this.ecbDec.update(iv);
    for (let i = 0; i < bs; i++) inp[i] = x[i] ^ this.prev[i];
    inp.set(data, bs);
    const out = this.enc.update(inp);
    out.copy(this.prev, 0, out.length - bs);
    return out.subarray(bs);
  }

  /** CBC-decrypts whole blocks under `iv`; same result as cbcDecrypt(cipher, key, iv, data). */
  decrypt(iv: Uint8Array, data: Uint8Array): Buffer {
    const bs = this.blockSize;
    checkCbcBlocks(this.cipher, bs, iv, data);
    if (data.length === 0) return Buffer.alloc(0);
    const inp = this.input(bs + data.length);
    inp.set(iv, 0);
    inp.set(data, bs);
    return this.dec.update(inp).subarray(bs);
  }
}
