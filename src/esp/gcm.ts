/**
 * ESP with AES-GCM and a 16-byte ICV (RFC 4106).
 *
 * Nonce = salt (the last 4 bytes of the SA's KEYMAT, RFC 4106 section 8.1) || the 8-byte explicit IV sent in
 * the packet (section 3.1). The IV only has to be unique per key (section 3.1: "MUST NOT ... repeat"); we
 * send the 64-bit big-endian value of the packet's sequence number, which an SA never repeats because
 * sequence exhaustion ends it (RFC 4303 section 3.3.3, no ESN in IKEv1). This is the counter IV the RFC
 * suggests, and it leaks nothing the ESP header does not already show.
 *
 * AAD = SPI || Sequence Number (section 5, 32-bit sequence numbers). Padding is to 4 bytes (section 3.2).
 *
 * Node cannot re-key a GCM context with a new nonce, so each packet costs one `createCipheriv`; that one
 * object still replaces the cipher + HMAC pair a CBC packet needed in the naive design. The tag is checked
 * by `final()` before the plaintext is handed to anyone: GCM's GHASH runs over the ciphertext alongside
 * decryption, and a packet whose tag fails is dropped with its plaintext unread.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { type CipherSpec, opensslCipherName } from '../crypto/registry.js';
import type { OpenResult } from './result.js';
import {
  checkPadding,
  ESP_HEADER_SIZE,
  type EspTransform,
  ensureSize,
  type TransformOpenStatus,
  writePadding,
} from './transform.js';

const SALT_SIZE = 4;
const IV_SIZE = 8;
const TAG_SIZE = 16;
const PAD_BLOCK = 4;

export class GcmTransform implements EspTransform {
  readonly ivSize = IV_SIZE;
  readonly icvSize = TAG_SIZE;
  readonly padBlock = PAD_BLOCK;
  private readonly algorithm: string;
  private readonly key: Buffer;
  /** salt || explicit IV, reused. */
  private readonly nonce: Buffer;
  private readonly aad: Buffer;
  private plain: Buffer;
  private forcedIv: Buffer | undefined;

  /** `keymat` is the cipher key followed by the 4-byte salt, as IKE derives it. */
  constructor(cipher: CipherSpec, keyBits: number, keymat: Uint8Array) {
    this.algorithm = opensslCipherName(cipher, keyBits);
    const k = keyBits / 8;
    this.key = Buffer.from(keymat.subarray(0, k));
    this.nonce = Buffer.alloc(SALT_SIZE + IV_SIZE);
    this.nonce.set(keymat.subarray(k, k + SALT_SIZE), 0);
    this.aad = Buffer.alloc(ESP_HEADER_SIZE);
    this.plain = Buffer.alloc(2048);
  }

  sealedLength(payloadLength: number): number {
    return ESP_HEADER_SIZE + IV_SIZE + Math.ceil((payloadLength + 2) / PAD_BLOCK) * PAD_BLOCK + TAG_SIZE;
  }

  seal(spi: number, seq: number, payload: Uint8Array, nextHeader: number, out: Buffer, off: number): number {
    const padded = Math.ceil((payload.length + 2) / PAD_BLOCK) * PAD_BLOCK;
    const padLength = padded - payload.length - 2;
    if (this.plain.length < padded) this.plain = ensureSize(this.plain, padded);
    const plain = this.plain;
    plain.set(payload, 0);
    writePadding(plain, payload.length, padLength);
    plain[padded - 2] = padLength;
    plain[padded - 1] = nextHeader;

    if (this.forcedIv !== undefined) {
      this.forcedIv.copy(this.nonce, SALT_SIZE);
      this.forcedIv = undefined;
    } else {
      this.nonce.writeUInt32BE(0, SALT_SIZE);
      this.nonce.writeUInt32BE(seq, SALT_SIZE + 4);
    }
    this.aad.writeUInt32BE(spi, 0);
    this.aad.writeUInt32BE(seq, 4);
    const c = createCipheriv(this.algorithm as 'aes-128-gcm', this.key, this.nonce, {
      authTagLength: TAG_SIZE,
    });
    c.setAAD(this.aad);
    const ct = c.update(plain.subarray(0, padded));
    c.final();
    const tag = c.getAuthTag();
    this.aad.copy(out, off);
    this.nonce.copy(out, off + ESP_HEADER_SIZE, SALT_SIZE);
    ct.copy(out, off + ESP_HEADER_SIZE + IV_SIZE);
    tag.copy(out, off + ESP_HEADER_SIZE + IV_SIZE + padded);
    return ESP_HEADER_SIZE + IV_SIZE + padded + TAG_SIZE;
  }

  /** GCM takes a new context per nonce, so a batch is just a loop. */
  sealMany(
    spi: number,
    firstSeq: number,
    payloads: readonly Uint8Array[],
    nextHeader: number,
    outs: readonly Buffer[],
    outOffset: number,
    lengths: Int32Array,
  ): void {
    for (let i = 0; i < payloads.length; i++) {
      lengths[i] = this.seal(spi, firstSeq + i, payloads[i], nextHeader, outs[i], outOffset);
    }
  }

  /** A new context per nonce here too: a loop. */
  openMany(
    packets: readonly Buffer[],
    offsets: ArrayLike<number>,
    lengths: ArrayLike<number>,
    todo: Uint8Array,
    results: readonly OpenResult[],
    statuses: TransformOpenStatus[],
  ): void {
    for (let i = 0; i < packets.length; i++) {
      if (todo[i] !== 0) statuses[i] = this.open(packets[i], offsets[i], lengths[i], results[i]);
    }
  }

  open(packet: Buffer, off: number, len: number, result: OpenResult): TransformOpenStatus {
    const ctLength = len - ESP_HEADER_SIZE - IV_SIZE - TAG_SIZE;
    if (ctLength < PAD_BLOCK || ctLength % PAD_BLOCK !== 0) return 'truncated';
    packet.copy(this.nonce, SALT_SIZE, off + ESP_HEADER_SIZE, off + ESP_HEADER_SIZE + IV_SIZE);
    const d = createDecipheriv(this.algorithm as 'aes-128-gcm', this.key, this.nonce, {
      authTagLength: TAG_SIZE,
    });
    const ctStart = off + ESP_HEADER_SIZE + IV_SIZE;
    d.setAuthTag(packet.subarray(ctStart + ctLength, ctStart + ctLength + TAG_SIZE));
    d.setAAD(packet.subarray(off, off + ESP_HEADER_SIZE));
    const plain = d.update(packet.subarray(ctStart, ctStart + ctLength));
    try {
      d.final();
    } catch {
      // OpenSSL reports a tag mismatch as an exception from final(); it is a verdict here, not an error.
      return 'bad-icv';
    }
    const payloadLength = checkPadding(plain, 0, ctLength);
    if (payloadLength < 0) return 'bad-padding';
    result.data = plain;
    result.offset = 0;
    result.length = payloadLength;
    result.nextHeader = plain[ctLength - 1];
    return 'ok';
  }

  setNextIv(iv: Uint8Array): void {
    if (iv.length !== IV_SIZE) throw new RangeError(`IV must be ${IV_SIZE} bytes`);
    this.forcedIv = Buffer.from(iv);
  }
}
