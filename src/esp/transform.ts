/**
 * The cryptographic half of an ESP SA: it turns (SPI, sequence number, payload, next header) into the bytes
 * from the SPI to the ICV (RFC 4303 section 2), and back. The SA around it owns sequence numbers, replay,
 * lifetimes and counters; the caller owns the transport (UDP 4500 per RFC 3948, or raw IP protocol 50), so
 * one transform serves both.
 */
import type { OpenResult } from './result.js';

/** SPI (4) + Sequence Number (4): RFC 4303 section 2. */
export const ESP_HEADER_SIZE = 8;

/** Largest payload an ESP packet can carry inside one IPv4 datagram (65535 - 20 IPv4 - 8 UDP - 80 slack). */
export const MAX_ESP_PAYLOAD = 65_427;

export type TransformOpenStatus = 'ok' | 'truncated' | 'bad-icv' | 'bad-padding';

export interface EspTransform {
  readonly ivSize: number;
  readonly icvSize: number;
  /** Padding boundary for payload + Pad Length + Next Header (RFC 4303 section 2.4). */
  readonly padBlock: number;
  /** Bytes from SPI to the end of the ICV for a payload of `payloadLength` bytes. */
  sealedLength(payloadLength: number): number;
  /** Writes the whole ESP packet at `out[off]`; the caller has checked the room. Returns its length. */
  seal(spi: number, seq: number, payload: Uint8Array, nextHeader: number, out: Buffer, off: number): number;
  /**
   * Verifies the ICV, then decrypts and checks the padding. On 'ok' or 'bad-padding' the ICV verified. On
   * 'ok' fills `result.data/offset/length/nextHeader`.
   */
  open(packet: Buffer, off: number, len: number, result: OpenResult): TransformOpenStatus;
  /**
   * Seals `payloads[i]` with sequence number `firstSeq + i` into `outs[i]` at `outOffset`, writing each
   * packet's length to `lengths[i]`; the caller has checked sizes and room. Transforms that cannot batch
   * loop over `seal`.
   */
  sealMany(
    spi: number,
    firstSeq: number,
    payloads: readonly Uint8Array[],
    nextHeader: number,
    outs: readonly Buffer[],
    outOffset: number,
    lengths: Int32Array,
  ): void;
  /**
   * Opens `packets[i]` (at `offsets[i]`, `lengths[i]` bytes) for every i with `todo[i] !== 0`, into
   * `results[i]`, with the verdict in `statuses[i]`: the same verdicts as `open`, every ICV checked before
   * any decryption. Transforms that cannot batch loop over `open`.
   */
  openMany(
    packets: readonly Buffer[],
    offsets: ArrayLike<number>,
    lengths: ArrayLike<number>,
    todo: Uint8Array,
    results: readonly OpenResult[],
    statuses: TransformOpenStatus[],
  ): void;
  /** Use this IV for the next `seal` only (published test vectors; never in production). */
  setNextIv(iv: Uint8Array): void;
}

/** Padding 1, 2, 3, ... (RFC 4303 section 2.4 default) written after the payload at `buf[at]`. */
export function writePadding(buf: Buffer, at: number, padLength: number): void {
  for (let i = 0; i < padLength; i++) buf[at + i] = i + 1;
}

/**
 * Checks the trailer of a decrypted plaintext `buf[start, end)` whose last two bytes are Pad Length and Next
 * Header. Returns the payload length, or -1 when the Pad Length overruns the plaintext or a pad byte is not
 * its index (RFC 4303 section 2.4: the receiver SHOULD inspect the padding).
 */
export function checkPadding(buf: Buffer, start: number, end: number): number {
  const padLength = buf[end - 2];
  const payloadLength = end - start - 2 - padLength;
  if (payloadLength < 0) return -1;
  let bad = 0;
  for (let i = 0; i < padLength; i++) bad |= buf[start + payloadLength + i] ^ (i + 1);
  return bad === 0 ? payloadLength : -1;
}

/** A reusable buffer that grows (rarely: jumbo payloads) and never shrinks. */
export function ensureSize(buf: Buffer, n: number): Buffer {
  if (buf.length >= n) return buf;
  let size = buf.length;
  while (size < n) size *= 2;
  return Buffer.alloc(size);
}
