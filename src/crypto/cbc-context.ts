/**
 * A keyed CBC context: one long-lived OpenSSL cipher and decipher per key instead of a new cipher object
 * per message, which measured about 3x faster on small packets. ESP can hold one per SA; IKE holds one per
 * ISAKMP SA for its phase-1 key (RFC 2409 Appendix B: every encrypted message under that SA is CBC under
 * the same key, only the IV differs).
 *
 * It relies on CBC's chaining (NIST SP 800-38A section 6.2): a streaming CBC object keeps the last
 * ciphertext block as its chaining value `chain`, and only the first block of a message depends on it.
 * - Encrypt: C_1 = E(P_1 xor IV), but the stream computes E(X_1 xor chain). Feeding X_1 = P_1 xor IV xor
 *   chain gives C_1 exactly; every later block chains from C_(i-1) as a fresh CBC encryption would.
 * - Decrypt: P_1 = D(C_1) xor IV, but the stream outputs D(C_1) xor chain, so the first output block is
 *   corrected by xor (IV xor chain); later blocks need nothing.
 * `chain` is, for each stream, the last ciphertext block it has seen (zero at creation). Each direction's
 * OpenSSL object is made on first use: an IKE responder may decrypt before it ever encrypts.
 * Results are byte-identical to cbcEncrypt / cbcDecrypt (property-tested).
 */
import { type Cipher, createCipheriv, createDecipheriv, type Decipher } from 'node:crypto';
import { type CbcCipher, checkCbcArgs, checkCbcBlocks } from './checks.js';

function cipherName(cipher: CbcCipher, keyLength: number): string {
  return cipher === '3des-cbc' ? 'des-ede3-cbc' : `aes-${keyLength * 8}-cbc`;
}

export class CbcContext {
  readonly blockSize: number;
  private readonly name: string;
  private readonly key: Buffer;
  private enc: Cipher | undefined;
  private dec: Decipher | undefined;
  /** The encrypt stream's chaining value: its last output block. */
  private readonly encChain: Buffer;
  /** The decrypt stream's chaining value: the last ciphertext block fed to it. */
  private readonly decChain: Buffer;
  private scratch: Buffer;

  constructor(
    readonly cipher: CbcCipher,
    key: Uint8Array,
  ) {
    this.blockSize = checkCbcArgs(cipher, key, Buffer.alloc(cipher === 'aes-cbc' ? 16 : 8), Buffer.alloc(0));
    this.name = cipherName(cipher, key.length);
    // A private copy: the caller's key buffer may be reused or wiped while this context lives.
    this.key = Buffer.from(key);
    this.encChain = Buffer.alloc(this.blockSize);
    this.decChain = Buffer.alloc(this.blockSize);
    this.scratch = Buffer.allocUnsafe(0);
  }

  private input(len: number): Buffer {
    if (this.scratch.length < len) {
      this.scratch = Buffer.allocUnsafe(Math.max(len, 2 * this.scratch.length, 512));
    }
    return this.scratch.subarray(0, len);
  }

  /** CBC-encrypts whole blocks under `iv`; same result as cbcEncrypt(cipher, key, iv, data). */
  encrypt(iv: Uint8Array, data: Uint8Array): Buffer {
    const bs = this.blockSize;
    checkCbcBlocks(this.cipher, bs, iv, data);
    if (data.length === 0) return Buffer.alloc(0);
    if (this.enc === undefined) {
      this.enc = createCipheriv(this.name, this.key, this.encChain);
      this.enc.setAutoPadding(false);
    }
    const inp = this.input(data.length);
    inp.set(data);
    const chain = this.encChain;
    for (let i = 0; i < bs; i++) inp[i] ^= iv[i] ^ chain[i];
    const out = this.enc.update(inp);
    out.copy(chain, 0, out.length - bs);
    return out;
  }

  /** CBC-decrypts whole blocks under `iv`; same result as cbcDecrypt(cipher, key, iv, data). */
  decrypt(iv: Uint8Array, data: Uint8Array): Buffer {
    const bs = this.blockSize;
    checkCbcBlocks(this.cipher, bs, iv, data);
    if (data.length === 0) return Buffer.alloc(0);
    if (this.dec === undefined) {
      this.dec = createDecipheriv(this.name, this.key, this.decChain);
      this.dec.setAutoPadding(false);
    }
    // With padding off OpenSSL holds no block back: update() returns every block, in a fresh buffer.
    const out = this.dec.update(data);
    const chain = this.decChain;
    for (let i = 0; i < bs; i++) out[i] ^= iv[i] ^ chain[i];
    chain.set(data.subarray(data.length - bs));
    return out;
  }
}
