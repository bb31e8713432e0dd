/**
 * Counting a dropped packet and logging it at debug, rate-limited by count: the 1st, 2nd, 4th, 8th … drop
 * of each reason is logged, so a flood costs a logarithmic number of log lines (docs/architecture.md:
 * every drop is counted under a reason and logged at debug with rate limiting).
 */
import type { Counters } from '../util/counters.js';
import type { Logger } from '../util/log.js';

export function countDrop<R extends string>(
  counters: Counters<R>,
  reason: R,
  log: Logger | undefined,
  layer: string,
): void {
  const n = counters.count(reason);
  if (log && (n & (n - 1)) === 0) log.debug({ layer, reason, count: n }, 'dropped PPP packet');
}
