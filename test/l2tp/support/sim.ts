/**
 * An in-process LAC ↔ LNS pair over a simulated link that drops, duplicates and reorders datagrams from a
 * seeded generator, driven by a manual clock: every run with the same seed is the same run.
 */
import type { L2tpAction } from '../../../src/l2tp/actions.js';
import type { L2tpConfig } from '../../../src/l2tp/config.js';
import { L2tpEndpoint } from '../../../src/l2tp/endpoint.js';
import { ManualClock, type Millis, type Rng } from '../../../src/util/clock.js';

/** mulberry32: a small seeded PRNG (deterministic test randomness, not cryptography). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function seededRng(seed: number): Rng {
  const r = seeded(seed);
  return (n) => {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
    return b;
  };
}

export interface Impairment {
  drop: number;
  duplicate: number;
  reorder: number;
}

type Side = 'lac' | 'lns';

interface InFlight {
  at: Millis;
  seq: number;
  to: Side;
  data: Buffer;
}

export interface Event {
  side: Side;
  at: Millis;
  action: L2tpAction;
}

export const LAC_ADDR = 'lac:1701';
export const LNS_ADDR = 'lns:1701';

export class SimPair {
  readonly clock = new ManualClock(0);
  readonly lac: L2tpEndpoint;
  readonly lns: L2tpEndpoint;
  readonly events: Event[] = [];
  readonly frames: { lac: Buffer[]; lns: Buffer[] } = { lac: [], lns: [] };
  /** Every datagram as a side sent it (`tx`, before the link's losses) or received it (`rx`), in order. */
  readonly trace: { side: Side; dir: 'tx' | 'rx'; data: Buffer }[] = [];
  private readonly wire: InFlight[] = [];
  private readonly rand: () => number;
  private seq = 0;
  /** When false, everything sent is lost (a dead peer). */
  linkUp = true;
  sent = 0;
  lost = 0;

  constructor(
    seed: number,
    private readonly impair: Impairment,
    lacCfg: Partial<L2tpConfig> = {},
    lnsCfg: Partial<L2tpConfig> = {},
    private readonly latency: Millis = 5,
  ) {
    this.rand = seeded(seed);
    this.lac = new L2tpEndpoint({
      rng: seededRng(seed + 1),
      config: { acceptTunnels: false, hostName: 'lac', ...lacCfg },
    });
    this.lns = new L2tpEndpoint({ rng: seededRng(seed + 2), config: { hostName: 'lns', ...lnsCfg } });
  }

  get now(): Millis {
    return this.clock.now();
  }

  /** Applies actions produced by `side`: sends go on the wire, the rest are recorded. */
  apply(side: Side, actions: readonly L2tpAction[]): void {
    for (const action of actions) {
      if (action.type === 'send') {
        this.trace.push({ side, dir: 'tx', data: action.data });
        this.transmit(side === 'lac' ? 'lns' : 'lac', action.data);
      } else if (action.type === 'ppp') this.frames[side].push(Buffer.from(action.frame));
      else this.events.push({ side, at: this.now, action });
    }
  }

  private transmit(to: Side, data: Buffer): void {
    this.sent++;
    if (!this.linkUp || this.rand() < this.impair.drop) {
      this.lost++;
      return;
    }
    const copies = this.rand() < this.impair.duplicate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const delay =
        this.latency + (this.rand() < this.impair.reorder ? 3 * this.latency + this.rand() * 20 : 0);
      this.wire.push({ at: this.now + delay, seq: this.seq++, to, data: Buffer.from(data) });
    }
  }

  /** Runs the pair until `until` (absolute time) or until nothing is pending, whichever comes first. */
  run(until: Millis): void {
    for (;;) {
      let next = Number.POSITIVE_INFINITY;
      for (const w of this.wire) next = Math.min(next, w.at);
      for (const ep of [this.lac, this.lns]) next = Math.min(next, ep.deadline() ?? Number.POSITIVE_INFINITY);
      if (next > until) {
        if (until !== Number.POSITIVE_INFINITY && this.now < until) this.clock.advance(until - this.now);
        return;
      }
      if (next > this.now) this.clock.advance(next - this.now);
      const due = this.wire.filter((w) => w.at <= this.now).sort((a, b) => a.at - b.at || a.seq - b.seq);
      for (const w of due) {
        this.wire.splice(this.wire.indexOf(w), 1);
        const from = w.to === 'lac' ? LNS_ADDR : LAC_ADDR;
        this.trace.push({ side: w.to, dir: 'rx', data: w.data });
        this.apply(w.to, this.endpoint(w.to).receive(from, w.data, this.now));
      }
      this.apply('lac', this.lac.tick(this.now));
      this.apply('lns', this.lns.tick(this.now));
    }
  }

  endpoint(side: Side): L2tpEndpoint {
    return side === 'lac' ? this.lac : this.lns;
  }

  find(side: Side, type: L2tpAction['type']): L2tpAction[] {
    return this.events.filter((e) => e.side === side && e.action.type === type).map((e) => e.action);
  }
}
