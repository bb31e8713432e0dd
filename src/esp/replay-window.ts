/**
 * The ESP anti-replay window (RFC 4303 section 3.4.3), as a ring of 32-bit words in the style of RFC 6479:
 * sliding the window forward clears whole words instead of shifting the bitmap, so both the check and the
 * update cost O(1) for any window size.
 *
 * IKEv1 negotiates no extended sequence numbers, so sequence numbers are 32 bits and 0 is never sent
 * (RFC 4303 section 3.3.3: the first packet carries 1).
 */

/** Default window: RFC 4303 section 3.4.3 asks for at least 32 and recommends 64; we keep 1024 packets so
 * that reordering across two busy cores or a multi-path network does not cost real packets. */
export const DEFAULT_REPLAY_WINDOW = 1024;

export type ReplayVerdict = 'fresh' | 'replay' | 'too-old' | 'zero';

export class ReplayWindow {
  /** Window size in packets (a multiple of 32). */
  readonly size: number;
  /** The ring: one word more than the window so the word holding `top` never aliases the oldest word. */
  private readonly ring: Uint32Array;
  private readonly mask: number;
  /** Highest sequence number accepted so far; 0 before the first packet. */
  private top = 0;

  constructor(size = DEFAULT_REPLAY_WINDOW) {
    if (!Number.isInteger(size) || size < 32 || size % 32 !== 0) {
      throw new RangeError(`replay window must be a positive multiple of 32, not ${size}`);
    }
    this.size = size;
    // A power-of-two word count lets the ring index be a mask.
    let words = 1;
    while (words < size / 32 + 1) words <<= 1;
    this.ring = new Uint32Array(words);
    this.mask = words - 1;
  }

  /** Highest sequence number accepted so far (0 = none). */
  get highest(): number {
    return this.top;
  }

  /**
   * The pre-integrity check (RFC 4303 section 3.4.3: "the receiver SHOULD check ... before" verifying the
   * ICV, so a flood of replays costs no HMAC). Never changes state.
   */
  check(seq: number): ReplayVerdict {
    if (seq === 0) return 'zero';
    if (seq > this.top) return 'fresh';
    if (this.top - seq >= this.size) return 'too-old';
    const word = this.ring[(seq >>> 5) & this.mask];
    return (word >>> (seq & 31)) & 1 ? 'replay' : 'fresh';
  }

  /**
   * Marks `seq` as received. Call only after the packet's ICV verified (RFC 4303 section 3.4.3: the window
   * is updated only for packets that pass integrity verification), and only after `check` said 'fresh'.
   */
  accept(seq: number): void {
    if (seq > this.top) {
      const from = this.top >>> 5;
      const to = seq >>> 5;
      const steps = to - from;
      if (steps > this.mask) {
        this.ring.fill(0);
      } else {
        for (let w = from + 1; w <= to; w++) this.ring[w & this.mask] = 0;
      }
      this.top = seq;
    }
    this.ring[(seq >>> 5) & this.mask] |= 1 << (seq & 31);
  }
}
