/**
 * Unpredictable bytes for per-packet IVs, drawn from a pool refilled a page at a time: one call to the
 * injected `Rng` per 256 AES blocks instead of one per packet (a `randomFillSync` of 16 bytes costs about as
 * much as encrypting a 1400-byte packet).
 */
import type { Rng } from '../util/clock.js';

const POOL_SIZE = 4096;

export class RandomPool {
  private pool: Buffer;
  private used: number;

  constructor(private readonly rng: Rng) {
    this.pool = Buffer.alloc(0);
    this.used = 0;
  }

  /** Copies `n` (≤ 4096) fresh random bytes into `target` at `offset`; no byte is ever handed out twice. */
  fill(target: Buffer, offset: number, n: number): void {
    if (this.used + n > this.pool.length) {
      this.pool = this.rng(POOL_SIZE);
      this.used = 0;
    }
    this.pool.copy(target, offset, this.used, this.used + n);
    this.used += n;
  }
}
