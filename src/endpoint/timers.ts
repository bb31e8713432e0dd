/**
 * The endpoint's only timer. Every protocol machine reports the next time it wants `tick` through
 * `deadline()`; after each event the endpoint re-arms this one timer for the earliest of them
 * (docs/architecture.md: one owner per timer, machines keep none).
 */
import type { Clock, Millis } from '../util/clock.js';

export class DeadlineTimer {
  private handle: NodeJS.Timeout | undefined;
  private armedAt: Millis | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly fire: (now: Millis) => void,
  ) {}

  /** Fires at `deadline` (or never, when undefined), replacing any earlier arming. */
  arm(deadline: Millis | undefined): void {
    if (deadline === this.armedAt && this.handle !== undefined) return;
    this.cancel();
    if (deadline === undefined) return;
    this.armedAt = deadline;
    const delay = Math.max(0, Math.ceil(deadline - this.clock.now()));
    this.handle = setTimeout(() => {
      this.handle = undefined;
      this.armedAt = undefined;
      this.fire(this.clock.now());
    }, delay);
    // The sockets and the TUN keep a process alive; a pending protocol timer alone should not.
    this.handle.unref();
  }

  cancel(): void {
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
    this.armedAt = undefined;
  }
}

export function earliest(...deadlines: (Millis | undefined)[]): Millis | undefined {
  let min: Millis | undefined;
  for (const d of deadlines) if (d !== undefined && (min === undefined || d < min)) min = d;
  return min;
}
