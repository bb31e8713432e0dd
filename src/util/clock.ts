/**
 * Time and randomness are injected into every protocol state machine (DESIGN.md: no clocks or randomness of
 * their own), so a test drives a client/server pair with a fake clock and deterministic bytes.
 */
import { randomBytes } from 'node:crypto';

/** Milliseconds on a monotonic scale. */
export type Millis = number;

export interface Clock {
  now(): Millis;
}

/** Returns `n` unpredictable bytes. */
export type Rng = (n: number) => Buffer;

export const systemClock: Clock = { now: () => performance.now() };

export const systemRng: Rng = (n) => randomBytes(n);

/** A clock that only moves when a test says so. */
export class ManualClock implements Clock {
  constructor(private t: Millis = 0) {}
  now(): Millis {
    return this.t;
  }
  advance(ms: Millis): void {
    this.t += ms;
  }
}
