import { describe, expect, it } from 'vitest';
import type { IkeAction } from '../../src/ike/actions.js';
import { IkeEngine } from '../../src/ike/engine.js';
import { CLIENT, installs, pair, SERVER, seededRng } from './harness.js';

const NAMES = ['MM1', 'MM2', 'MM3', 'MM4', 'MM5', 'MM6', 'QM1', 'QM2', 'QM3'];

function summary(seen: readonly IkeAction[]) {
  return {
    up: seen.filter((a) => a.type === 'ike-sa-up').length,
    installs: installs(seen).length,
    down: seen.filter((a) => a.type === 'ike-sa-down').length,
  };
}

describe('retransmission: each of the 9 messages lost once, then duplicated once', () => {
  NAMES.forEach((name, idx) => {
    it(`${name} dropped once: the exchange still completes, one SA pair each side`, () => {
      const { link, initiator, responder } = pair({}, {}, `drop-${idx}`);
      let dropped = false;
      link.filter = (_a, i) => {
        if (i === idx && !dropped) {
          dropped = true;
          return 'drop';
        }
        return 'pass';
      };
      const seen = link.run(initiator.initiate(SERVER, CLIENT, link.clock.now()).actions);
      seen.push(...link.advance(20_000));
      expect(dropped).toBe(true);
      expect(summary(seen)).toEqual({ up: 2, installs: 2, down: 0 });
      expect(responder.ikeSas()[0].children).toHaveLength(1);
      expect(initiator.ikeSas()[0].children).toHaveLength(1);
      expect(initiator.counters.get('retransmit') + responder.counters.get('retransmit')).toBeGreaterThan(0);
    });

    it(`${name} duplicated once: answered or ignored, never a second SA`, () => {
      const { link, initiator, responder } = pair({}, {}, `dup-${idx}`);
      link.filter = (_a, i) => (i === idx ? 'dup' : 'pass');
      const seen = link.run(initiator.initiate(SERVER, CLIENT, link.clock.now()).actions);
      seen.push(...link.advance(20_000));
      expect(summary(seen)).toEqual({ up: 2, installs: 2, down: 0 });
      expect(responder.ikeSas()).toHaveLength(1);
      expect(initiator.counters.get('duplicate') + responder.counters.get('duplicate')).toBeGreaterThan(0);
    });
  });

  it('the initiator backs off (1, 2, 4 s …) and gives up when the responder never answers', () => {
    const { link, initiator } = pair();
    const times: number[] = [];
    link.filter = () => {
      times.push(link.clock.now());
      return 'drop';
    };
    link.run(initiator.initiate(SERVER, CLIENT, link.clock.now()).actions);
    const seen = link.advance(300_000);
    expect(times.length).toBe(initiator.cfg.retransmitTries);
    expect(times.slice(1).map((t, i) => t - times[i])).toEqual([1000, 2000, 4000, 8000, 16000]);
    expect(seen.find((a) => a.type === 'ike-sa-down')).toMatchObject({ reason: 'failed' });
    expect(initiator.ikeSas()).toHaveLength(0);
  });
});

function connect(seed: string) {
  const p = pair({ dpdIdleMs: 10_000 }, { dpdIdleMs: 1e9 }, seed);
  const seen = p.link.run(p.initiator.initiate(SERVER, CLIENT, p.link.clock.now()).actions);
  expect(summary(seen)).toEqual({ up: 2, installs: 2, down: 0 });
  return { ...p, seen };
}

describe('informational exchanges', () => {
  it('DELETE of the ISAKMP SA and its ESP SAs from the initiator reaches the responder', () => {
    const { link, initiator, responder } = connect('delete');
    const id = initiator.ikeSas()[0].id;
    const seen = link.run(initiator.deleteIkeSa(id, link.clock.now()));
    const atResponder = seen.filter((a) => a.type === 'delete-sa' && a.reason === 'peer-delete');
    expect(atResponder).toHaveLength(1);
    expect(
      seen.filter((a) => a.type === 'ike-sa-down').map((a) => a.type === 'ike-sa-down' && a.reason),
    ).toEqual(['local', 'peer-delete']);
    expect(responder.ikeSas()).toHaveLength(0);
  });

  it('DELETE of one ESP SA from the responder reaches the initiator', () => {
    const { link, initiator, responder } = connect('delete-esp');
    const spi = responder.ikeSas()[0].children[0].spiIn;
    const seen = link.run(responder.deleteChildSa(spi, link.clock.now()));
    expect(seen.filter((a) => a.type === 'delete-sa').map((a) => a.type === 'delete-sa' && a.reason)).toEqual(
      ['local', 'peer-delete'],
    );
    expect(initiator.ikeSas()[0].children).toHaveLength(0);
    expect(initiator.ikeSas()).toHaveLength(1);
  });

  it('DPD (RFC 3706): an idle peer is probed and answers; a silent one is declared dead', () => {
    const { link, responder } = connect('dpd');
    link.advance(11_000);
    expect(responder.counters.get('dpd-sent')).toBe(1);
    expect(responder.counters.get('dpd-ack')).toBe(1);
    // ESP traffic counts as life: no probe while it flows.
    const spi = responder.ikeSas()[0].children[0].spiIn;
    for (let t = 0; t < 5; t++) {
      link.clock.advance(5000);
      link.run(responder.noteInboundTraffic(spi, link.clock.now()));
      link.run(responder.tick(link.clock.now()));
    }
    expect(responder.counters.get('dpd-sent')).toBe(1);
    link.filter = () => 'drop';
    const seen = link.advance(120_000);
    expect(seen.find((a) => a.type === 'peer-dead')).toBeDefined();
    expect(seen.find((a) => a.type === 'delete-sa')).toMatchObject({ reason: 'peer-dead' });
    expect(responder.ikeSas()).toHaveLength(0);
  });

  it('INITIAL-CONTACT from a restarted client removes its older SAs', () => {
    const { link, responder } = connect('ic');
    const again = new IkeEngine({ psk: 'secret', rng: seededRng('ic-reborn') });
    link.add(CLIENT.address, again);
    const seen = link.run(again.initiate(SERVER, CLIENT, link.clock.now()).actions);
    expect(seen.filter((a) => a.type === 'delete-sa').map((a) => a.type === 'delete-sa' && a.reason)).toEqual(
      ['initial-contact'],
    );
    expect(
      seen.filter((a) => a.type === 'ike-sa-down').map((a) => a.type === 'ike-sa-down' && a.reason),
    ).toEqual(['initial-contact']);
    expect(responder.ikeSas()).toHaveLength(1);
    expect(installs(seen)).toHaveLength(2);
  });

  it('responder-side rekey: a new Quick Mode while the old SA lives; the old one goes once traffic moves', () => {
    const { link, initiator, responder } = connect('rekey');
    const id = initiator.ikeSas()[0].id;
    const oldSpi = responder.ikeSas()[0].children[0].spiIn;
    link.clock.advance(3_000);
    const seen = link.run(initiator.startQuickMode(id, link.clock.now()));
    expect(installs(seen)).toHaveLength(2);
    expect(responder.ikeSas()[0].children).toHaveLength(2);
    // Traffic still on the old SA: nothing removed.
    expect(link.run(responder.noteInboundTraffic(oldSpi, link.clock.now()))).toHaveLength(0);
    const newSpi = responder.ikeSas()[0].children[1].spiIn;
    const moved = link.run(responder.noteInboundTraffic(newSpi, link.clock.now()));
    expect(
      moved
        .filter((a) => a.type === 'delete-sa')
        .map((a) => a.type === 'delete-sa' && [a.reason, a.spiIn === oldSpi || a.spiOut === oldSpi]),
    ).toEqual([
      ['rekeyed', true],
      ['peer-delete', true],
    ]);
    expect(initiator.ikeSas()[0].children).toHaveLength(1);
  });

  it('responder-side rekey of Main Mode: a second IKE SA from the same client lives beside the first', () => {
    const { link, responder } = connect('mm-rekey');
    // Phase-1 rekey (Windows every 8 h): a new Main Mode, without INITIAL-CONTACT, same address and port.
    const second = new IkeEngine({
      psk: 'secret',
      rng: seededRng('mm-rekey-2'),
      autoQuickMode: false,
      initialContact: false,
    });
    link.add(CLIENT.address, second);
    const seen = link.run(second.initiate(SERVER, CLIENT, link.clock.now()).actions);
    expect(seen.filter((a) => a.type === 'ike-sa-up')).toHaveLength(2);
    expect(responder.ikeSas()).toHaveLength(2);
  });

  it('after a phase-1 rekey the client deletes only the old ISAKMP SA: its ESP SA is adopted, not deleted', () => {
    const { link, initiator, responder } = pair({}, { initialContact: false }, 'adopt');
    link.run(initiator.initiate(SERVER, CLIENT, link.clock.now()).actions);
    const first = initiator.ikeSas()[0].id;
    link.clock.advance(1000);
    link.run(initiator.initiate(SERVER, CLIENT, link.clock.now()).actions);
    expect(responder.ikeSas()).toHaveLength(2);
    const seen = link.run(initiator.deleteIkeSa(first, link.clock.now(), { keepChildren: true }));
    expect(seen.filter((a) => a.type === 'delete-sa')).toEqual([]);
    expect(responder.ikeSas()).toHaveLength(1);
    expect(responder.ikeSas()[0].children).toHaveLength(2);
    expect(initiator.ikeSas()[0].children).toHaveLength(2);
    // The adopted SA is still managed: deleting it by SPI works through the new IKE SA.
    const adopted = responder.ikeSas()[0].children[1].spiIn;
    const del = link.run(responder.deleteChildSa(adopted, link.clock.now()));
    expect(del.filter((a) => a.type === 'delete-sa').map((a) => a.type === 'delete-sa' && a.reason)).toEqual([
      'local',
      'peer-delete',
    ]);
  });

  it('child SAs expire at their lifetime with a DELETE to the peer', () => {
    const { link, initiator, responder } = connect('expiry');
    const seen = link.advance(3_600_000 + 1000);
    expect(seen.filter((a) => a.type === 'delete-sa' && a.reason === 'expired').length).toBeGreaterThan(0);
    expect(responder.ikeSas()[0]?.children ?? []).toHaveLength(0);
    expect(initiator.ikeSas()[0]?.children ?? []).toHaveLength(0);
  });
});

describe('several clients behind one NAT', () => {
  it('are kept apart by cookies: same public address, different ports, two IKE SAs and two SA pairs', () => {
    const { link, responder } = pair({}, {}, 'nat-a');
    const a1 = { address: '10.0.0.2', port: 500 };
    const b1 = { address: '10.0.0.3', port: 500 };
    const one = link.add(a1.address, new IkeEngine({ psk: 'secret', rng: seededRng('nat-1') }));
    const two = link.add(b1.address, new IkeEngine({ psk: 'secret', rng: seededRng('nat-2') }));
    link.natBehind(a1.address, '203.0.113.5');
    link.natBehind(b1.address, '203.0.113.5');
    const a = link.run(one.initiate(SERVER, a1, link.clock.now()).actions);
    const b = link.run(two.initiate(SERVER, b1, link.clock.now()).actions);
    expect(installs(b).find((x) => x.sa.role === 'responder')?.sa.natOaInitiator).toBe('10.0.0.3');
    expect(responder.ikeSas().map((s) => s.peer.address)).toEqual(['203.0.113.5', '203.0.113.5']);
    expect(installs(a)).toHaveLength(2);
    expect(installs(b)).toHaveLength(2);
    const sas = responder.ikeSas();
    expect(sas).toHaveLength(2);
    expect(new Set(sas.map((s) => s.children[0].spiIn)).size).toBe(2);
  });
});
