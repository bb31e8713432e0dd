/**
 * ESP with a CBC cipher (AES-CBC, RFC 3602; 3DES-CBC, RFC 2451) and an HMAC ICV (RFC 2403, 2404, 4868), or
 * no ICV for the encryption-only SAs of RFC 3602's test cases.
 *
 * The hot path keeps ONE cipher object per SA and direction for the SA's life:
 *
 * Seal. The encrypting CBC context is never finalised; its chaining value after a packet is that packet's
 * last ciphertext block. Each packet is fed as R || payload || padding || Pad Length || Next Header, where R
 * is a fresh random block. The first output block, E(R xor previous-block), is sent as the packet's IV, and
 * the following blocks are exactly CBC encryption of the payload under that IV. Security (RFC 3602 section
 * 2.1 wants an IV the adversary cannot predict): R is fresh from the CSPRNG and unknown to the adversary, so
 * R xor previous-block is a uniformly random block whatever the adversary saw or chose, and so is its
 * encryption. This is the "random first block" construction; it is not the predictable chained IV of
 * SSL 3.0/TLS 1.0 (which sent the previous ciphertext block itself as the IV).
 *
 * Open. The decrypting CBC context is likewise reused. Each packet is fed as IV || ciphertext: the first
 * output block (D(IV) xor the previous packet's last block) is discarded, and each following block is
 * D(C[i]) xor C[i-1] with C[0] = IV, which is CBC decryption under the packet's IV. Nothing secret depends on
 * the discarded block. Decryption only happens after the ICV verified.
 *
 * The ICV covers SPI || Sequence Number || IV || ciphertext (RFC 4303 section 3.3.4); it is computed by
 * `IcvHmac` over a per-SA buffer that holds the HMAC ipad block immediately before the ESP header.
 */
import { type Cipher, createCipheriv, createDecipheriv, type Decipher } from 'node:crypto';
import { type CipherSpec, opensslCipherName } from '../crypto/registry.js';
import type { Rng } from '../util/clock.js';
import { type IcvHmac, icvMatches } from './icv-hmac.js';
import { RandomPool } from './random-pool.js';
import type { OpenResult } from './result.js';
import {
  checkPadding,
  ESP_HEADER_SIZE,
  type EspTransform,
  ensureSize,
  type TransformOpenStatus,
  writePadding,
} from './transform.js';

const INITIAL_BUFFER = 2048;

export class CbcHmacTransform implements EspTransform {
  readonly ivSize: number;
  readonly icvSize: number;
  readonly padBlock: number;
  private readonly block: number;
  private readonly algorithm: string;
  private readonly key: Buffer;
  private readonly random: RandomPool;
  private encryptor: Cipher | undefined;
  private decryptor: Decipher | undefined;
  /** The encryptor's chaining value (its last output block); needed only to honour `setNextIv`. */
  private readonly chain: Buffer;
  /** Plaintext staging for seal: R || payload || trailer. */
  private plain: Buffer;
  /** Ciphertext staging for batch open. */
  private stage: Buffer;
  /** HMAC input: ipad block || ESP header || IV || ciphertext. */
  private authed: Buffer;
  private forcedIv: Buffer | undefined;

  constructor(
    cipher: CipherSpec,
    keyBits: number,
    key: Uint8Array,
    private readonly icv: IcvHmac | null,
    rng: Rng,
  ) {
    this.block = cipher.blockSize;
    this.ivSize = cipher.ivSize;
    this.padBlock = cipher.blockSize;
    this.icvSize = icv?.icvSize ?? 0;
    this.algorithm = opensslCipherName(cipher, keyBits);
    this.key = Buffer.from(key);
    this.random = new RandomPool(rng);
    this.chain = Buffer.alloc(this.block);
    this.plain = Buffer.alloc(INITIAL_BUFFER);
    this.stage = Buffer.alloc(INITIAL_BUFFER);
    const prefix = icv?.blockSize ?? 0;
    this.authed = Buffer.alloc(prefix + INITIAL_BUFFER);
    icv?.ipadBlock.copy(this.authed, 0);
  }

  sealedLength(payloadLength: number): number {
    const b = this.block;
    return ESP_HEADER_SIZE + this.ivSize + Math.ceil((payloadLength + 2) / b) * b + this.icvSize;
  }

  seal(spi: number, seq: number, payload: Uint8Array, nextHeader: number, out: Buffer, off: number): number {
    const bodyLength = this.bodyLength(payload.length);
    if (this.plain.length < bodyLength) this.plain = ensureSize(this.plain, bodyLength);
    if (this.forcedIv !== undefined) {
      if (this.encryptor === undefined) this.encryptor = this.newEncryptor();
      this.firstBlockFor(this.forcedIv, this.plain);
      this.forcedIv = undefined;
      this.layOut(0, payload, nextHeader, false);
    } else {
      this.layOut(0, payload, nextHeader, true);
    }
    const ivAndCt = this.encrypt(bodyLength);
    return this.finish(spi, seq, ivAndCt, 0, bodyLength, out, off);
  }

  /**
   * Batching (the measured technique): the plaintexts of all packets, each behind its own random
   * first block, go through the SA's CBC context in ONE native call. Chaining across packet boundaries is
   * exactly what the single-packet path does between calls, so every packet still gets an IV of
   * E(R xor previous block) with a fresh R; the security argument above is unchanged. The ICVs are then
   * computed per packet.
   */
  sealMany(
    spi: number,
    firstSeq: number,
    payloads: readonly Uint8Array[],
    nextHeader: number,
    outs: readonly Buffer[],
    outOffset: number,
    lengths: Int32Array,
  ): void {
    let total = 0;
    for (const p of payloads) total += this.bodyLength(p.length);
    if (this.plain.length < total) this.plain = ensureSize(this.plain, total);
    let at = 0;
    for (const p of payloads) at = this.layOut(at, p, nextHeader, true);
    const ivAndCt = this.encrypt(total);
    at = 0;
    for (let i = 0; i < payloads.length; i++) {
      const bodyLength = this.bodyLength(payloads[i].length);
      lengths[i] = this.finish(spi, firstSeq + i, ivAndCt, at, bodyLength, outs[i], outOffset);
      at += bodyLength;
    }
  }

  open(packet: Buffer, off: number, len: number, result: OpenResult): TransformOpenStatus {
    const verdict = this.verify(packet, off, len);
    if (verdict !== 'ok') return verdict;
    const bodyLength = len - ESP_HEADER_SIZE - this.icvSize;
    // Output block 0 is discarded; blocks 1.. are the plaintext (see the file comment).
    const plain = this.decrypt(packet, off + ESP_HEADER_SIZE, bodyLength);
    return this.unpad(plain, 0, bodyLength, result);
  }

  /**
   * Batch open: every packet's ICV is verified first; the IV || ciphertext of the verified ones are then
   * staged back to back and decrypted in ONE native call. Feeding each packet's IV block ahead of its
   * ciphertext resets the chaining exactly as in the single-packet path, so the output is per-packet CBC
   * decryption. `statuses[i]` is set for every i with `todo[i] !== 0`.
   */
  openMany(
    packets: readonly Buffer[],
    offsets: ArrayLike<number>,
    lengths: ArrayLike<number>,
    todo: Uint8Array,
    results: readonly OpenResult[],
    statuses: TransformOpenStatus[],
  ): void {
    const n = packets.length;
    let total = 0;
    for (let i = 0; i < n; i++) {
      if (todo[i] === 0) continue;
      statuses[i] = this.verify(packets[i], offsets[i], lengths[i]);
      if (statuses[i] === 'ok') total += lengths[i] - ESP_HEADER_SIZE - this.icvSize;
    }
    if (total === 0) return;
    if (this.stage.length < total) this.stage = ensureSize(this.stage, total);
    let at = 0;
    for (let i = 0; i < n; i++) {
      if (todo[i] === 0 || statuses[i] !== 'ok') continue;
      const start = offsets[i] + ESP_HEADER_SIZE;
      at += packets[i].copy(this.stage, at, start, start + lengths[i] - ESP_HEADER_SIZE - this.icvSize);
    }
    const plain = this.decrypt(this.stage, 0, total);
    at = 0;
    for (let i = 0; i < n; i++) {
      if (todo[i] === 0 || statuses[i] !== 'ok') continue;
      const bodyLength = lengths[i] - ESP_HEADER_SIZE - this.icvSize;
      statuses[i] = this.unpad(plain, at, at + bodyLength, results[i]);
      at += bodyLength;
    }
  }

  /** Framing and ICV (RFC 4303 section 3.4.4), compared in constant time before anything is decrypted. */
  private verify(packet: Buffer, off: number, len: number): 'ok' | 'truncated' | 'bad-icv' {
    const b = this.block;
    const bodyLength = len - ESP_HEADER_SIZE - this.icvSize; // IV || ciphertext
    if (bodyLength < 2 * b || bodyLength % b !== 0) return 'truncated';
    const icv = this.icv;
    if (icv === null) return 'ok';
    const p = icv.blockSize;
    const authedEnd = p + ESP_HEADER_SIZE + bodyLength;
    if (this.authed.length < authedEnd) this.growAuthed(authedEnd);
    packet.copy(this.authed, p, off, off + ESP_HEADER_SIZE + bodyLength);
    const mac = icv.macOfPrefixed(this.authed, authedEnd);
    return icvMatches(mac, packet, off + ESP_HEADER_SIZE + bodyLength, icv.icvSize) ? 'ok' : 'bad-icv';
  }

  /** Runs `buf[start, start+length)` (IV || ciphertext, one or more packets) through the reused decryptor. */
  private decrypt(buf: Buffer, start: number, length: number): Buffer {
    if (this.decryptor === undefined) {
      this.decryptor = createDecipheriv(this.algorithm, this.key, Buffer.alloc(this.block));
      this.decryptor.setAutoPadding(false);
    }
    return this.decryptor.update(new Uint8Array(buf.buffer, buf.byteOffset + start, length));
  }

  /** Checks the trailer of one packet's plaintext `plain[at, end)` (first block discarded) into `result`. */
  private unpad(plain: Buffer, at: number, end: number, result: OpenResult): TransformOpenStatus {
    const payloadStart = at + this.block;
    const payloadLength = checkPadding(plain, payloadStart, end);
    if (payloadLength < 0) return 'bad-padding';
    result.data = plain;
    result.offset = payloadStart;
    result.length = payloadLength;
    result.nextHeader = plain[end - 1];
    return 'ok';
  }

  /** IV + padded plaintext length: the first block, then payload + padding + trailer to a block boundary. */
  private bodyLength(payloadLength: number): number {
    const b = this.block;
    return b + Math.ceil((payloadLength + 2) / b) * b;
  }

  /**
   * Writes R || payload || padding 1, 2, ... || Pad Length || Next Header into the staging buffer at `at`
   * (R random unless the caller already placed a chosen first block); returns the end.
   */
  private layOut(at: number, payload: Uint8Array, nextHeader: number, randomFirstBlock: boolean): number {
    const b = this.block;
    const plain = this.plain;
    const end = at + this.bodyLength(payload.length);
    const padLength = end - at - b - payload.length - 2;
    if (randomFirstBlock) this.random.fill(plain, at, b);
    plain.set(payload, at + b);
    writePadding(plain, at + b + payload.length, padLength);
    plain[end - 2] = padLength;
    plain[end - 1] = nextHeader;
    return end;
  }

  /** One native call over `plain[0, length)`; returns IV || ciphertext for every packet laid out there. */
  private encrypt(length: number): Buffer {
    if (this.encryptor === undefined) this.encryptor = this.newEncryptor();
    const out = this.encryptor.update(new Uint8Array(this.plain.buffer, this.plain.byteOffset, length));
    out.copy(this.chain, 0, length - this.block, length);
    return out;
  }

  /** Header, IV || ciphertext (`ct[at, at+bodyLength)`) and ICV into `out[off...]`; returns the length. */
  private finish(
    spi: number,
    seq: number,
    ct: Buffer,
    at: number,
    bodyLength: number,
    out: Buffer,
    off: number,
  ): number {
    const icv = this.icv;
    if (icv === null) {
      out.writeUInt32BE(spi, off);
      out.writeUInt32BE(seq, off + 4);
      ct.copy(out, off + ESP_HEADER_SIZE, at, at + bodyLength);
      return ESP_HEADER_SIZE + bodyLength;
    }
    const p = icv.blockSize;
    const authedEnd = p + ESP_HEADER_SIZE + bodyLength;
    if (this.authed.length < authedEnd) this.growAuthed(authedEnd);
    const authed = this.authed;
    authed.writeUInt32BE(spi, p);
    authed.writeUInt32BE(seq, p + 4);
    ct.copy(authed, p + ESP_HEADER_SIZE, at, at + bodyLength);
    const mac = icv.macOfPrefixed(authed, authedEnd);
    authed.copy(out, off, p, authedEnd);
    out.write(mac, off + ESP_HEADER_SIZE + bodyLength, icv.icvSize, 'latin1');
    return ESP_HEADER_SIZE + bodyLength + icv.icvSize;
  }

  setNextIv(iv: Uint8Array): void {
    if (iv.length !== this.ivSize) throw new RangeError(`IV must be ${this.ivSize} bytes`);
    this.forcedIv = Buffer.from(iv);
  }

  private newEncryptor(): Cipher {
    this.random.fill(this.chain, 0, this.block);
    const c = createCipheriv(this.algorithm, this.key, this.chain);
    c.setAutoPadding(false);
    return c;
  }

  /** The first block R that makes E(R xor chain) equal `iv`: R = D(iv) xor chain. Test vectors only. */
  private firstBlockFor(iv: Buffer, into: Buffer): void {
    const ecb = createDecipheriv(this.algorithm.replace(/-cbc$/, '-ecb'), this.key, null);
    ecb.setAutoPadding(false);
    const d = ecb.update(iv);
    for (let i = 0; i < this.block; i++) into[i] = d[i] ^ this.chain[i];
  }

  private growAuthed(n: number): void {
    this.authed = ensureSize(this.authed, n);
    this.icv?.ipadBlock.copy(this.authed, 0);
  }
}
