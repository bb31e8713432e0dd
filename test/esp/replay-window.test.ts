import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReplayWindow } from '../../src/esp/replay-window.js';

/** The obvious model of RFC 4303 section 3.4.3: a set of accepted numbers and the highest one. */
class ModelWindow {
  private readonly seen = new Set<number>();
  private top = 0;
  constructor(private readonly size: number) {}
  receive(seq: number): boolean {
    if (seq === 0) return false;
    if (seq <= this.top && (this.top - seq >= this.size || this.seen.has(seq))) return false;
    this.seen.add(seq);
    if (seq > this.top) this.top = seq;
    return true;
  }
}

describe('ReplayWindow (RFC 4303 section 3.4.3, bitmap of 1024+ packets)', () => {
  it('accepts each number once, rejects 0, and forgets nothing inside the window', () => {
    const w = new ReplayWindow(1024);
    expect(w.check(0)).toBe('zero');
    for (let s = 1; s <= 3000; s++) {
      expect(w.check(s)).toBe('fresh');
      w.accept(s);
      expect(w.check(s)).toBe('replay');
    }
    expect(w.check(3000 - 1023)).toBe('replay');
    expect(w.check(3000 - 1024)).toBe('too-old');
  });

  it('handles jumps larger than the ring, and the top of the 32-bit space', () => {
    const w = new ReplayWindow(1024);
    w.accept(5);
    w.accept(1_000_000);
    expect(w.check(5)).toBe('too-old');
    expect(w.check(999_999)).toBe('fresh');
    w.accept(0xffffffff);
    expect(w.check(0xffffffff)).toBe('replay');
    expect(w.check(0xffffffff - 1023)).toBe('fresh');
    expect(w.check(0xffffffff - 1024)).toBe('too-old');
    w.accept(0xffffffff - 31);
    expect(w.check(0xffffffff - 31)).toBe('replay');
    expect(w.check(0xffffffff - 32)).toBe('fresh');
  });

  it('property: agrees with the set model on any arrival order', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(32, 64, 1024, 4096),
        fc.array(fc.oneof(fc.integer({ min: 0, max: 6000 }), fc.integer({ min: 0, max: 0xffffffff })), {
          maxLength: 3000,
        }),
        (size, arrivals) => {
          const w = new ReplayWindow(size);
          const m = new ModelWindow(size);
          for (const seq of arrivals) {
            const ok = w.check(seq) === 'fresh';
            if (ok) w.accept(seq);
            if (ok !== m.receive(seq)) return false;
          }
          return true;
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rejects window sizes that are not multiples of 32', () => {
    expect(() => new ReplayWindow(100)).toThrow(RangeError);
    expect(() => new ReplayWindow(0)).toThrow(RangeError);
  });
});
