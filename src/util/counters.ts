/**
 * Drop and event counters. Every packet a layer refuses is counted under a named reason so that
 * `status --json`, the logs and the tests read the same numbers (DESIGN.md: every drop has a reason).
 */
export class Counters<Reason extends string> {
  private readonly values = new Map<Reason, number>();

  /** Adds `n` (default 1) to `reason`; returns the new total. */
  count(reason: Reason, n = 1): number {
    const v = (this.values.get(reason) ?? 0) + n;
    this.values.set(reason, v);
    return v;
  }

  get(reason: Reason): number {
    return this.values.get(reason) ?? 0;
  }

  /** Sum over all reasons. */
  total(): number {
    let t = 0;
    for (const v of this.values.values()) t += v;
    return t;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.values);
  }
}
