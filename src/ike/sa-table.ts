/**
 * The IKE SA table: ISAKMP SAs keyed by both cookies (issue 4: never by address alone, so several clients
 * behind one NAT stay apart), the half-open accounting that bounds unauthenticated state, the inbound-SPI
 * index of child SAs, and the removals that turn into `delete-sa` / `ike-sa-down` actions.
 */
import type { DeleteSaAction, IkeSaDownAction } from './actions.js';
import type { IkeConfig } from './config.js';
import type { EngineContext } from './context.js';
import { type ChildSa, type IkeSa, ikeSaKey } from './ike-sa.js';
import { retryRekey } from './timers.js';

export class IkeSaTable {
  readonly byKey = new Map<string, IkeSa>();
  readonly byId = new Map<string, IkeSa>();
  /** Responder half-open SAs by initiator cookie and source, to answer a repeated MM1. */
  readonly byMm1 = new Map<string, IkeSa>();
  /** Initiator SAs awaiting MM2 (responder cookie still unknown), by initiator cookie. */
  readonly awaitingMm2 = new Map<string, IkeSa>();
  readonly childBySpiIn = new Map<number, IkeSa>();
  private readonly halfOpenBySource = new Map<string, number>();
  /**
   * Responder SAs not yet authenticated, oldest first (a Set keeps insertion order). Eviction under an MM1
   * flood walks this, never the whole table: unauthenticated packets must not cost time in proportion to
   * the number of established clients.
   */
  private readonly halfOpenResponders = new Set<IkeSa>();
  private readonly spisInUse = new Set<number>();
  halfOpenTotal = 0;

  constructor(private readonly cfg: IkeConfig) {}

  find(ckyI: Buffer, ckyR: Buffer): IkeSa | undefined {
    return this.byKey.get(ikeSaKey(ckyI, ckyR));
  }

  /** A fresh inbound SPI, unique here and outside the reserved range 1..255 (RFC 4303 section 2.1). */
  allocateSpi(): Buffer {
    for (;;) {
      const b = this.cfg.rng(4);
      const v = b.readUInt32BE(0);
      if (v >= 256 && !this.spisInUse.has(v)) {
        this.spisInUse.add(v);
        return b;
      }
    }
  }

  releaseSpi(spi: Buffer | number): void {
    this.spisInUse.delete(typeof spi === 'number' ? spi : spi.readUInt32BE(0));
  }

  sourceFull(address: string): boolean {
    return (this.halfOpenBySource.get(address) ?? 0) >= this.cfg.halfOpenPerSource;
  }

  addInitiator(sa: IkeSa): void {
    this.awaitingMm2.set(sa.ckyI.toString('hex'), sa);
    this.byId.set(sa.id, sa);
  }

  /** MM2 told us the responder cookie: the SA gets its full key. */
  keyInitiator(sa: IkeSa): void {
    this.awaitingMm2.delete(sa.ckyI.toString('hex'));
    this.byKey.set(sa.key, sa);
  }

  addResponder(sa: IkeSa, mm1Key: string, source: string): void {
    while (this.byId.has(sa.id)) sa.ckyR = this.cfg.rng(8);
    this.byKey.set(sa.key, sa);
    this.byId.set(sa.id, sa);
    this.byMm1.set(mm1Key, sa);
    sa.mm1Key = mm1Key;
    sa.halfOpen = true;
    sa.halfOpenSource = source;
    this.halfOpenResponders.add(sa);
    this.halfOpenTotal++;
    this.halfOpenBySource.set(source, (this.halfOpenBySource.get(source) ?? 0) + 1);
  }

  clearHalfOpen(sa: IkeSa): void {
    if (!sa.halfOpen) return;
    sa.halfOpen = false;
    this.halfOpenResponders.delete(sa);
    this.halfOpenTotal--;
    const src = sa.halfOpenSource ?? sa.peer.address;
    const n = (this.halfOpenBySource.get(src) ?? 1) - 1;
    if (n <= 0) this.halfOpenBySource.delete(src);
    else this.halfOpenBySource.set(src, n);
  }

  /**
   * Under an MM1 flood the oldest SA still waiting for MM3 makes room: a real client answers MM2 within a
   * round trip and so moves out of reach, while spoofed sources never do.
   */
  evictHalfOpen(ctx: EngineContext): boolean {
    for (const sa of this.halfOpenResponders) {
      if (sa.state === 'mm2' || sa.state === 'am2') {
        ctx.counters.count('half-open-evicted');
        this.removeSa(ctx, sa, undefined);
        return true;
      }
    }
    return false;
  }

  indexChildren(sa: IkeSa): void {
    for (const c of sa.children) this.childBySpiIn.set(c.params.spiIn, sa);
  }

  removeChildren(
    ctx: EngineContext,
    sa: IkeSa,
    children: readonly ChildSa[],
    reason: DeleteSaAction['reason'],
  ): void {
    for (const c of children) {
      const i = sa.children.indexOf(c);
      if (i < 0) continue;
      sa.children.splice(i, 1);
      this.childBySpiIn.delete(c.params.spiIn);
      this.spisInUse.delete(c.params.spiIn);
      ctx.out.push({
        type: 'delete-sa',
        ikeSaId: sa.id,
        spiIn: c.params.spiIn,
        spiOut: c.params.spiOut,
        reason,
      });
    }
  }

  /**
   * A peer deleting its ISAKMP SA after a phase-1 rekey keeps its ESP SAs: a newer IKE SA adopts them
   * (`preferred`, our own rekey's new SA, else the newest established one to the same peer).
   */
  adoptOrDeleteChildren(
    ctx: EngineContext,
    sa: IkeSa,
    reason: DeleteSaAction['reason'] = 'peer-delete',
    preferred?: IkeSa,
  ): void {
    let heir = preferred?.state === 'established' && preferred !== sa ? preferred : undefined;
    if (heir === undefined) {
      for (const o of this.byKey.values()) {
        if (o === sa || o.state !== 'established' || !samePeer(o, sa)) continue;
        if (heir === undefined || (o.establishedAt ?? 0) >= (heir.establishedAt ?? 0)) heir = o;
      }
    }
    if (heir) {
      heir.children.push(...sa.children);
      for (const c of sa.children) this.childBySpiIn.set(c.params.spiIn, heir);
      ctx.out.push({
        type: 'children-adopted',
        fromIkeSaId: sa.id,
        toIkeSaId: heir.id,
        spisIn: sa.children.map((c) => c.params.spiIn),
      });
      sa.children.length = 0;
    } else {
      this.removeChildren(ctx, sa, sa.children.slice(), reason);
    }
  }

  /**
   * Responder-side rekey (issue 4): once traffic arrives on `child`, older SAs to the same peer with the
   * same selectors are retired (`announce` tells the peer, then they are removed as 'rekeyed').
   */
  retireOlderSiblings(
    ctx: EngineContext,
    sa: IkeSa,
    child: ChildSa,
    announce: (owner: IkeSa, c: ChildSa) => void,
  ): void {
    const key = selectorsKey(child);
    for (const other of [...this.byKey.values()]) {
      if (!samePeer(other, sa)) continue;
      const older = other.children.filter(
        (c) => c !== child && c.createdAt < child.createdAt && selectorsKey(c) === key,
      );
      for (const c of older) announce(other, c);
      this.removeChildren(ctx, other, older, 'rekeyed');
    }
  }

  /** RFC 2407 section 4.6.3.3: the peer says it holds no other SAs with us; drop what we still have for it. */
  initialContact(ctx: EngineContext, sa: IkeSa): void {
    for (const other of [...this.byKey.values()]) {
      if (other === sa || other.peer.address !== sa.peer.address) continue;
      const samePort = other.peer.port === sa.peer.port;
      const sameId =
        other.peerId !== undefined && sa.peerId !== undefined && other.peerId.data.equals(sa.peerId.data);
      if (!samePort && !sameId) continue;
      this.removeChildren(ctx, other, other.children.slice(), 'initial-contact');
      this.removeSa(ctx, other, 'initial-contact');
    }
  }

  /** Forgets an IKE SA (children must already be removed or adopted, or they go silently with it). */
  removeSa(
    ctx: EngineContext,
    sa: IkeSa,
    reason: IkeSaDownAction['reason'] | undefined,
    notify?: number,
  ): void {
    let rekeyOf: string | undefined;
    if (sa.rekeyOf !== undefined && sa.state !== 'established' && sa.state !== 'deleted') {
      // A phase-1 rekey attempt ended without an SA: the old one serves on and tries again later.
      rekeyOf = sa.rekeyOf;
      const old = this.byId.get(sa.rekeyOf);
      if (old?.rekeyedBy === sa.id) {
        old.rekeyedBy = undefined;
        retryRekey(this.cfg, old, ctx.now);
        ctx.counters.count('ike-rekey-failed');
        ctx.log.info({ ike: old.id, attempt: old.rekeyTries, reason }, 'phase-1 rekey attempt failed');
      }
    }
    if (sa.rekeyedBy !== undefined) {
      // The SA being replaced is gone (expired, deleted, dead) before its successor came up: stop that too.
      const next = this.byId.get(sa.rekeyedBy);
      sa.rekeyedBy = undefined;
      if (next !== undefined && next.state !== 'established') this.removeSa(ctx, next, 'failed');
    }
    this.clearHalfOpen(sa);
    for (const ex of sa.exchanges.values())
      if (ex.state !== 'done') this.spisInUse.delete(ex.spiIn.readUInt32BE(0));
    for (const c of sa.children) {
      this.childBySpiIn.delete(c.params.spiIn);
      this.spisInUse.delete(c.params.spiIn);
    }
    sa.state = 'deleted';
    this.byKey.delete(sa.key);
    this.byId.delete(sa.id);
    this.awaitingMm2.delete(sa.ckyI.toString('hex'));
    if (sa.mm1Key) this.byMm1.delete(sa.mm1Key);
    if (reason && (sa.establishedAt !== undefined || sa.role === 'initiator')) {
      ctx.out.push({
        type: 'ike-sa-down',
        ikeSaId: sa.id,
        reason,
        ...(notify === undefined ? {} : { notify }),
        ...(rekeyOf === undefined ? {} : { rekeyOf }),
      });
    }
  }
}

export function samePeer(a: IkeSa, b: IkeSa): boolean {
  return a.peer.address === b.peer.address && a.peer.port === b.peer.port;
}

function selectorsKey(c: ChildSa): string {
  return JSON.stringify([c.params.localSelector, c.params.remoteSelector]);
}
