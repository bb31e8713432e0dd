/**
 * What ESP tells its caller about one packet: drop reasons (counted per SA and per database, DESIGN.md:
 * every drop has a reason) and the reused result of `open`.
 */
import type { EspSa } from './sa.js';

/** Why an inbound packet was dropped (RFC 4303 section 3.4 processing steps, in order). */
export type EspDropReason =
  /** No SA for the SPI (RFC 4303 section 3.4.2: "the receiver MUST discard"). */
  | 'unknown-spi'
  /** Shorter than header + IV + one block + ICV, or the ciphertext is not a whole number of blocks. */
  | 'truncated'
  /** Sequence number seen before, older than the window, or 0 (RFC 4303 section 3.4.3). */
  | 'replay'
  /** Integrity check failed (RFC 4303 section 3.4.4). */
  | 'bad-icv'
  /** Pad Length larger than the plaintext, or pad bytes not 1, 2, 3, ... (RFC 4303 section 2.4). */
  | 'bad-padding'
  /** Next Header not one this SA's mode carries. */
  | 'unexpected-next-header'
  /** A dummy packet, Next Header 59 (RFC 4303 section 2.6: "MUST be discarded"); counted, not an error. */
  | 'dummy'
  /** The SA reached a hard lifetime (time, bytes, or sequence exhaustion). */
  | 'expired'
  /** `open` on an outbound SA, or `seal` on an inbound one. */
  | 'wrong-direction';

/** Why `sealInto` wrote nothing (it then returns 0). */
export type EspSealFailure = 'expired' | 'no-room' | 'too-large' | 'wrong-direction';

export type OpenStatus = 'ok' | EspDropReason;

/**
 * The outcome of `open`. One object per SA (and one per database for unknown SPIs) is reused for every
 * packet: read it before the next `open` on the same SA. On 'ok', the inner payload is
 * `data[offset, offset + length)`, also valid only until the next `open` on that SA.
 */
export class OpenResult {
  status: OpenStatus = 'unknown-spi';
  /** The SA that handled the packet (undefined for unknown SPIs and runts). */
  sa: EspSa | undefined = undefined;
  /** Sequence number from the ESP header (0 when the packet was too short to carry one). */
  seq = 0;
  /** Next Header from the ESP trailer: 17 (UDP) in transport mode, 4 (IPv4) in tunnel mode. */
  nextHeader = 0;
  data: Buffer = EMPTY;
  offset = 0;
  length = 0;

  /** The inner payload as a view (allocates a view object: for tests and slow paths). */
  payload(): Buffer {
    return this.data.subarray(this.offset, this.offset + this.length);
  }
}

const EMPTY = Buffer.alloc(0);
