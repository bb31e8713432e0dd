/**
 * The initiator re-keys its ISAKMP SA before it expires (RFC 2409 section 5 leaves the timing to policy;
 * strongSwan and racoon start a new Main Mode at a soft margin, keep the old SA until the new one is up, then
 * DELETE the old ISAKMP SA alone while the ESP SAs live on). Engine pair on a manual clock, no real waiting.
 */
import { describe, expect, it } from 'vitest';
import type { IkeAction, IkeSaDownAction, SendAction } from '../../src/ike/actions.js';
import { ExchangeType, NotifyType } from '../../src/ike/codec/constants.js';
import { decodeHeader } from '../../src/ike/codec/header.js';
import type { IkeConfigInput } from '../../src/ike/config.js';
import { DEFAULT_PHASE1_POLICY } from '../../src/ike/policy.js';
import { CLIENT, installs, pair, SERVER } from './harness.js';

const LIFETIME_S = 60;

function connect(seed: string, client: Partial<IkeConfigInput> = {}, server: Partial<IkeConfigInput> = {}) {
  const p = pair(server, { initiatorLifetimeSeconds: LIFETIME_S, ...client }, seed);
  const start = p.link.clock.now();
  const seen = p.link.run(p.initiator.initiate(SERVER, CLIENT, start).actions);
  expect(installs(seen)).toHaveLength(2);
  const oldI = p.initiator.ikeSas()[0];
  const oldR = p.responder.ikeSas()[0];
  return { ...p, start, oldI, oldR };
}

function exchangeOf(a: SendAction): number {
  return a.data.length >= 28 ? decodeHeader(a.data).exchangeType : -1;
}

function isMainMode(a: SendAction): boolean {
  return exchangeOf(a) === ExchangeType.IdentityProtection;
}

function cookieOf(a: SendAction): string {
  return a.data.subarray(0, 8).toString('hex');
}

const ofType = <T extends IkeAction['type']>(seen: readonly IkeAction[], type: T) =>
  seen.filter((a): a is Extract<IkeAction, { type: T }> => a.type === type);

describe('phase-1 rekey by the initiator', () => {
  it('rekeys at ~90% of a 60 s lifetime: one IKE SA each side, the same ESP SAs, old ISAKMP SA deleted', () => {
    const { link, initiator, responder, start, oldI, oldR } = connect('rekey');
    const before = link.sent.length;
    // Nothing before the soft point (54 s less at most 2% jitter).
    let seen = link.advance(52_700);
    expect(link.sent.slice(before).filter(isMainMode)).toHaveLength(0);
    seen = link.advance(1400);
    const mm = link.sent.slice(before).filter(isMainMode);
    expect(mm).toHaveLength(6);
    const t = link.clock.now() - start;
    expect(t).toBeGreaterThanOrEqual(52_800);
    expect(t).toBeLessThanOrEqual(54_100);
    // A new Main Mode from the same endpoints as the first one (port 500: no NAT here).
    expect(mm[0].from).toEqual(CLIENT);
    expect(mm[0].to).toEqual(SERVER);
    expect(cookieOf(mm[0])).not.toBe(oldI.id);

    const upI = ofType(seen, 'ike-sa-up').filter((a) => a.role === 'initiator');
    expect(upI).toHaveLength(1);
    expect(upI[0].rekeyOf).toBe(oldI.id);
    // No Quick Mode on the new SA, no ESP SA installed or removed anywhere.
    expect(installs(seen)).toHaveLength(0);
    expect(ofType(seen, 'delete-sa')).toHaveLength(0);
    // INITIAL-CONTACT is not in the rekeying MM5 (RFC 2407 s4.6.3.3), so the responder kept the old SAs
    // until our DELETE of the old ISAKMP SA, then handed its ESP SAs to the new one.
    const downs = ofType(seen, 'ike-sa-down');
    expect(downs.map((d) => [d.ikeSaId, d.reason])).toEqual([
      [oldI.id, 'rekeyed'],
      [oldR.id, 'peer-delete'],
    ]);
    const adopted = ofType(seen, 'children-adopted');
    expect(adopted).toHaveLength(2);
    expect(adopted[0]).toMatchObject({ fromIkeSaId: oldI.id, spisIn: [oldI.children[0].spiIn] });
    expect(adopted[1]).toMatchObject({ fromIkeSaId: oldR.id, spisIn: [oldR.children[0].spiIn] });

    const [newI] = initiator.ikeSas();
    const [newR] = responder.ikeSas();
    expect(initiator.ikeSas()).toHaveLength(1);
    expect(responder.ikeSas()).toHaveLength(1);
    expect(newI.id).not.toBe(oldI.id);
    expect(newR.id).not.toBe(oldR.id);
    expect(newI.children).toEqual(oldI.children);
    expect(newR.children).toEqual(oldR.children);
    expect(adopted[0].toIkeSaId).toBe(newI.id);
    expect(adopted[1].toIkeSaId).toBe(newR.id);
  });

  it("the responder's RESPONDER-LIFETIME in MM6 (RFC 2407 s4.6.3.1) sets when we rekey", () => {
    // We propose 8 h; the responder enforces 60 s and says so.
    const { link, initiator, responder, start, oldI } = connect(
      'rekey-capped',
      { initiatorLifetimeSeconds: 28_800 },
      { phase1: { ...DEFAULT_PHASE1_POLICY, maxLifetimeSeconds: LIFETIME_S } },
    );
    const before = link.sent.length;
    link.advance(52_700);
    expect(link.sent.slice(before).filter(isMainMode)).toHaveLength(0);
    const seen = link.advance(1400);
    expect(link.sent.slice(before).filter(isMainMode)).toHaveLength(6);
    expect(link.clock.now() - start).toBeLessThan(LIFETIME_S * 1000);
    expect(ofType(seen, 'delete-sa')).toHaveLength(0);
    expect(initiator.ikeSas()[0].id).not.toBe(oldI.id);
    expect(initiator.ikeSas()[0].children).toEqual(oldI.children);
    expect(responder.ikeSas()).toHaveLength(1);
  });

  it('DPD and a later Quick Mode rekey run on the new IKE SA', () => {
    // Only the initiator probes (RFC 3706 section 5), so its probe and the answer are what we see.
    const { link, initiator, responder, oldI } = connect('rekey-dpd', {}, { dpdIdleMs: 1e9 });
    link.advance(55_000);
    const [newI] = initiator.ikeSas();
    expect(newI.id).not.toBe(oldI.id);
    const newCookies = `${newI.id}`;
    // The initiator probes an idle peer after 30 s; only the new SA carries it.
    const from = link.sent.length;
    const dpdBefore = initiator.counters.get('dpd-ack');
    link.advance(31_000);
    expect(initiator.counters.get('dpd-ack')).toBeGreaterThan(dpdBefore);
    const infos = link.sent.slice(from).filter((a) => exchangeOf(a) === ExchangeType.Informational);
    expect(infos.length).toBeGreaterThan(0);
    for (const a of infos) expect(cookieOf(a)).toBe(newCookies);
    expect(initiator.ikeSas()).toHaveLength(1);

    // A Quick Mode rekey of the ESP SA (what the endpoint does on soft expiry) runs on the new SA.
    const seen = link.run(initiator.startQuickMode(newI.id, link.clock.now()));
    const inst = installs(seen);
    expect(inst).toHaveLength(2);
    expect(inst.map((i) => i.sa.ikeSaId).sort()).toEqual([newI.id, responder.ikeSas()[0].id].sort());
    expect(initiator.ikeSas()[0].children).toHaveLength(2);
    expect(responder.ikeSas()[0].children).toHaveLength(2);
  });

  it('a Quick Mode still unanswered on the old SA when the rekey completes runs again on the new SA', () => {
    const { link, initiator, responder, oldI } = connect('rekey-qm-in-flight');
    link.advance(50_000);
    // The ESP rekey's QM1 on the old SA never gets through.
    link.filter = (a) =>
      exchangeOf(a) === ExchangeType.QuickMode && cookieOf(a) === oldI.id ? 'drop' : 'pass';
    expect(link.run(initiator.startQuickMode(oldI.id, link.clock.now()))).toHaveLength(0);
    const seen = link.advance(6_000);
    const [newI] = initiator.ikeSas();
    expect(newI.id).not.toBe(oldI.id);
    const inst = installs(seen);
    expect(inst).toHaveLength(2);
    expect(inst.map((i) => i.sa.ikeSaId).sort()).toEqual([newI.id, responder.ikeSas()[0].id].sort());
    expect(ofType(seen, 'child-sa-failed')).toHaveLength(0);
    expect(initiator.ikeSas()[0].children).toHaveLength(2);
  });

  it('rekeys again before the new SA expires: two rekeys, the ESP SA survives both', () => {
    const { link, initiator, responder, oldI } = connect('rekey-twice');
    const seen = link.advance(115_000);
    const ups = ofType(seen, 'ike-sa-up').filter((a) => a.role === 'initiator');
    expect(ups).toHaveLength(2);
    expect(ups[1].rekeyOf).toBe(ups[0].ikeSaId);
    expect(ofType(seen, 'delete-sa')).toHaveLength(0);
    expect(initiator.ikeSas()).toHaveLength(1);
    expect(responder.ikeSas()).toHaveLength(1);
    expect(initiator.ikeSas()[0].children).toEqual(oldI.children);
  });

  [0, 1, 2, 3, 4, 5].forEach((k) => {
    it(`rekey Main Mode message ${k + 1} lost once: retransmitted, the rekey completes`, () => {
      const { link, initiator, responder, oldI, oldR } = connect(`rekey-loss-${k}`);
      let n = 0;
      let dropped = false;
      link.filter = (a) => {
        if (!isMainMode(a) || cookieOf(a) === oldI.id) return 'pass';
        if (n++ === k && !dropped) {
          dropped = true;
          return 'drop';
        }
        return 'pass';
      };
      const seen = link.advance(70_000);
      expect(dropped).toBe(true);
      expect(ofType(seen, 'delete-sa')).toHaveLength(0);
      expect(initiator.ikeSas()).toHaveLength(1);
      expect(responder.ikeSas()).toHaveLength(1);
      expect(initiator.ikeSas()[0].id).not.toBe(oldI.id);
      expect(initiator.ikeSas()[0].children).toEqual(oldI.children);
      expect(responder.ikeSas()[0].children).toEqual(oldR.children);
      expect(initiator.counters.get('retransmit') + responder.counters.get('retransmit')).toBeGreaterThan(0);
    });
  });

  it('the responder refuses every rekey: bounded retries, then the hard expiry as without rekey', () => {
    let refuse = false;
    const { link, initiator, responder, start, oldI } = connect(
      'rekey-refused',
      {},
      { psk: () => (refuse ? undefined : Buffer.from('secret')) },
    );
    refuse = true;
    const seen = link.advance(61_000);
    const failed = ofType(seen, 'ike-sa-down').filter((d) => d.rekeyOf !== undefined);
    expect(failed).toHaveLength(initiator.cfg.ikeRekeyTries);
    for (const d of failed) {
      expect(d).toMatchObject({
        rekeyOf: oldI.id,
        reason: 'failed',
        notify: NotifyType.AuthenticationFailed,
      });
    }
    const mm1s = link.sent.filter(
      (a) => isMainMode(a) && a.data.subarray(8, 16).equals(Buffer.alloc(8)) && cookieOf(a) !== oldI.id,
    );
    expect(mm1s).toHaveLength(3);
    // At the hard expiry (60 s, on both sides) the old SA goes as it always did: ESP SAs deleted on both
    // sides (whichever side's timer runs first, the other hears its DELETE).
    const hard = ofType(seen, 'ike-sa-down').filter((d) => d.rekeyOf === undefined);
    expect(hard.map((d: IkeSaDownAction) => d.reason).sort()).toEqual(['expired', 'peer-delete']);
    expect(
      ofType(seen, 'delete-sa')
        .map((d) => d.reason)
        .sort(),
    ).toEqual(['expired', 'peer-delete']);
    expect(ofType(seen, 'children-adopted')).toHaveLength(0);
    expect(initiator.ikeSas()).toHaveLength(0);
    expect(responder.ikeSas()).toHaveLength(0);
    expect(link.clock.now() - start).toBeGreaterThanOrEqual(LIFETIME_S * 1000);
  });

  it('an unanswered rekey gives up no later than the old SA, which then expires as before', () => {
    const { link, initiator, oldI } = connect('rekey-silent');
    link.filter = (a) => (isMainMode(a) && cookieOf(a) !== oldI.id ? 'drop' : 'pass');
    const seen = link.advance(61_000);
    expect(ofType(seen, 'ike-sa-up')).toHaveLength(0);
    const downs = ofType(seen, 'ike-sa-down');
    expect(['expired', 'peer-delete']).toContain(downs.find((d) => d.ikeSaId === oldI.id)?.reason);
    expect(ofType(seen, 'delete-sa')).toHaveLength(2);
    expect(downs.filter((d) => d.rekeyOf === oldI.id).length).toBeGreaterThanOrEqual(1);
    expect(initiator.ikeSas()).toHaveLength(0);
  });

  it('the rekey point: never before the minimum, jittered by the injected Rng, off when disabled', () => {
    const a = connect('rekey-min', { initiatorLifetimeSeconds: 8, ikeRekeyMinMs: 10_000 });
    a.link.advance(7_900);
    expect(a.link.sent.filter((s) => isMainMode(s) && cookieOf(s) !== a.oldI.id)).toHaveLength(0);

    const b = connect('rekey-off', { ikeRekey: false });
    const seen = b.link.advance(61_000);
    expect(ofType(seen, 'ike-sa-up')).toHaveLength(0);
    expect(ofType(seen, 'ike-sa-down').map((d) => d.reason)).toEqual(['expired', 'peer-delete']);

    // Two clients with different randomness do not rekey at the same instant.
    const times = ['jitter-a', 'jitter-b'].map((seed) => {
      const p = connect(seed);
      const before = p.link.sent.length;
      for (let t = 0; t < 6000; t += 50) {
        p.link.advance(t === 0 ? 50_000 : 50);
        if (p.link.sent.slice(before).some(isMainMode)) return p.link.clock.now() - p.start;
      }
      return -1;
    });
    expect(times[0]).toBeGreaterThan(0);
    expect(times[1]).toBeGreaterThan(0);
    expect(times[0]).not.toBe(times[1]);
  });

  it('no INITIAL-CONTACT in the rekeying MM5: with our DELETE lost, the responder keeps both SAs', () => {
    const { link, initiator, responder, oldI, oldR } = connect('rekey-ic', {}, { dpdIdleMs: 1e9 });
    // Drop every informational on the old SA (its DELETE), nothing else.
    link.filter = (a) =>
      exchangeOf(a) === ExchangeType.Informational && cookieOf(a) === oldI.id ? 'drop' : 'pass';
    let seen = link.advance(55_000);
    expect(initiator.ikeSas()).toHaveLength(1);
    // RFC 2407 s4.6.3.3: INITIAL-CONTACT would have made the responder drop the old SA and its ESP SAs.
    expect(ofType(seen, 'ike-sa-down').map((d) => d.reason)).toEqual(['rekeyed']);
    expect(responder.ikeSas().map((s) => s.id)).toContain(oldR.id);
    expect(responder.ikeSas()).toHaveLength(2);
    // At the old SA's own expiry the responder hands its ESP SA to the new SA rather than deleting it.
    seen = link.advance(6_000);
    expect(ofType(seen, 'delete-sa')).toHaveLength(0);
    expect(responder.ikeSas()).toHaveLength(1);
    expect(responder.ikeSas()[0].children).toEqual(oldR.children);
  });
});
