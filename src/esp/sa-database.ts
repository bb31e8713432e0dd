/**
 * The SA database (RFC 4301 section 4.4.2, the SAD): inbound SAs by SPI, outbound SAs by peer and by owner,
 * all O(1). It owns lifetimes: `tick(now)` turns passed time limits (and byte or sequence limits the packet
 * path hit) into events for the key manager, which rekeys on 'soft' (RFC 4301 section 4.4.2.1); SAs past a
 * hard limit are removed before their event is returned.
 *
 * Like the protocol machines (docs/architecture.md) it owns no timer: the owner calls `tick` at
 * `deadline()`; `onPending` tells it when the packet path produced an event that wants a tick now.
 */
import type { Millis, Rng } from '../util/clock.js';
import { Counters } from '../util/counters.js';
import type { LifetimeCause } from './lifetime.js';
import { OpenResult } from './result.js';
import type { EspSa } from './sa.js';
import { ESP_HEADER_SIZE } from './transform.js';

export interface SaEvent {
  readonly type: 'sa-soft-expired' | 'sa-hard-expired';
  readonly sa: EspSa;
  readonly cause: LifetimeCause;
}

export type SaDatabaseDrop = 'unknown-spi' | 'truncated';

export interface SaDatabaseOptions {
  /** Called synchronously when the packet path queued an event (at most once until the next `tick`). */
  readonly onPending?: () => void;
}

/** Key for outbound lookup by peer: address and UDP port (0 for raw ESP). */
export function peerKey(address: string, port: number | undefined): string {
  return `${address}|${port ?? 0}`;
}

export class SaDatabase {
  /** Drops before any SA was found. */
  readonly drops = new Counters<SaDatabaseDrop>();
  private readonly inboundBySpi = new Map<number, EspSa>();
  private readonly outboundByPeer = new Map<string, EspSa>();
  private readonly outboundByOwner = new Map<string, EspSa>();
  private readonly all = new Set<EspSa>();
  private readonly pending: SaEvent[] = [];
  private readonly miss = new OpenResult();
  private readonly onPending: (() => void) | undefined;

  constructor(options: SaDatabaseOptions = {}) {
    this.onPending = options.onPending;
  }

  get size(): number {
    return this.all.size;
  }

  /**
   * Installs an SA. An inbound SPI must be unique (we chose it: see `allocateSpi`). A new outbound SA for a
   * peer or owner replaces the previous one for lookups (a rekey: new traffic moves to the new SA), while the
   * old one lives on until it is removed or expires.
   */
  add(sa: EspSa): void {
    if (sa.direction === 'inbound') {
      if (this.inboundBySpi.has(sa.spi))
        throw new Error(`inbound SPI 0x${sa.spi.toString(16)} already installed`);
      this.inboundBySpi.set(sa.spi, sa);
    } else {
      this.outboundByPeer.set(peerKey(sa.peer.address, sa.peer.port), sa);
      if (sa.owner !== undefined) this.outboundByOwner.set(sa.owner, sa);
    }
    this.all.add(sa);
    sa.lifetimeListener = (s, limit, cause) => this.onLifetime(s, limit, cause);
  }

  /** Removes an SA (IKE delete, or expiry). Lookups stop finding it at once. */
  remove(sa: EspSa): void {
    if (!this.all.delete(sa)) return;
    sa.lifetimeListener = undefined;
    if (sa.direction === 'inbound') {
      if (this.inboundBySpi.get(sa.spi) === sa) this.inboundBySpi.delete(sa.spi);
      return;
    }
    const pk = peerKey(sa.peer.address, sa.peer.port);
    if (this.outboundByPeer.get(pk) === sa) {
      this.outboundByPeer.delete(pk);
      const successor = this.newestOutbound((s) => peerKey(s.peer.address, s.peer.port) === pk);
      if (successor !== undefined) this.outboundByPeer.set(pk, successor);
    }
    if (sa.owner !== undefined && this.outboundByOwner.get(sa.owner) === sa) {
      this.outboundByOwner.delete(sa.owner);
      const owner = sa.owner;
      const successor = this.newestOutbound((s) => s.owner === owner);
      if (successor !== undefined) this.outboundByOwner.set(owner, successor);
    }
  }

  inbound(spi: number): EspSa | undefined {
    return this.inboundBySpi.get(spi);
  }

  outboundForPeer(address: string, port?: number): EspSa | undefined {
    return this.outboundByPeer.get(peerKey(address, port));
  }

  outboundForOwner(owner: string): EspSa | undefined {
    return this.outboundByOwner.get(owner);
  }

  /** Every installed SA (status output). */
  list(): readonly EspSa[] {
    return [...this.all];
  }

  /**
   * Looks up the SA by the packet's SPI and opens it (RFC 4303 section 3.4.2). Unknown SPIs and packets too
   * short to carry one are counted here and answered with the database's own reused result.
   */
  open(packet: Buffer, offset: number, length: number): OpenResult {
    if (length < ESP_HEADER_SIZE) return this.refuse('truncated');
    const sa = this.inboundBySpi.get(packet.readUInt32BE(offset));
    if (sa === undefined) return this.refuse('unknown-spi');
    return sa.openFrom(packet, offset, length);
  }

  /** A fresh random inbound SPI in 256..2^32-1 not in use (RFC 4303 section 2.1 reserves 1-255). */
  allocateSpi(rng: Rng): number {
    for (;;) {
      const spi = rng(4).readUInt32BE(0);
      if (spi >= 256 && !this.inboundBySpi.has(spi)) return spi;
    }
  }

  /** Expires SAs whose time limits passed and returns every event queued since the last call. */
  tick(now: Millis): readonly SaEvent[] {
    for (const sa of this.all) {
      if (now >= sa.hardAt) sa.expire('hard', 'time');
      else if (now >= sa.softAt) sa.expire('soft', 'time');
    }
    if (this.pending.length === 0) return NO_EVENTS;
    const events = this.pending.splice(0, this.pending.length);
    return events;
  }

  /** The next time `tick` has work: a queued event (then `-Infinity`, meaning now) or a time limit. */
  deadline(): Millis | undefined {
    if (this.pending.length > 0) return Number.NEGATIVE_INFINITY;
    let next = Number.POSITIVE_INFINITY;
    for (const sa of this.all) {
      if (sa.state === 'active' && sa.softAt < next) next = sa.softAt;
      if (sa.hardAt < next) next = sa.hardAt;
    }
    return next === Number.POSITIVE_INFINITY ? undefined : next;
  }

  private onLifetime(sa: EspSa, limit: 'soft' | 'hard', cause: LifetimeCause): void {
    if (limit === 'hard') this.remove(sa);
    this.pending.push({ type: limit === 'soft' ? 'sa-soft-expired' : 'sa-hard-expired', sa, cause });
    if (this.pending.length === 1) this.onPending?.();
  }

  private newestOutbound(match: (sa: EspSa) => boolean): EspSa | undefined {
    let best: EspSa | undefined;
    for (const s of this.all) {
      if (s.direction === 'outbound' && s.state !== 'dead' && match(s)) {
        if (best === undefined || s.createdAt >= best.createdAt) best = s;
      }
    }
    return best;
  }

  private refuse(reason: SaDatabaseDrop): OpenResult {
    this.drops.count(reason);
    const r = this.miss;
    r.status = reason;
    r.sa = undefined;
    r.length = 0;
    r.seq = 0;
    return r;
  }
}

const NO_EVENTS: readonly SaEvent[] = Object.freeze([]);
