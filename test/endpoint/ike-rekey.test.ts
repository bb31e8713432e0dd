/**
 * A client whose IKE SA has a short lifetime re-keys phase 1 on its own (RFC 2409 section 5 leaves the
 * timing to policy) and its L2TP tunnel, PPP session and ESP SAs carry on across two rekeys: the endpoint
 * must not mistake the new IKE SA for a new connection, and the server must keep the session when the old
 * ISAKMP SA is deleted. Time is faked (vitest timers drive performance.now and setTimeout); the in-memory
 * network still delivers on real event-loop turns (setImmediate).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { icmpEcho, udpPacket } from './support/ipv4.js';
import type { Pair, Side } from './support/pair.js';
import { SERVER_TUNNEL_ADDRESS } from './support/pair.js';
import { clientUp, pairLifecycle } from './support/scenario.js';

const pairs = pairLifecycle();
// Registered after pairLifecycle's hook, so it runs first: the pairs close on real timers.
afterEach(() => {
  vi.useRealTimers();
});

const LIFETIME_S = 60;

/** Moves fake time on by `ms` in small steps, letting the network deliver after each. */
async function run(p: Pair, ms: number, until?: () => boolean): Promise<void> {
  for (let t = 0; t < ms; t += 100) {
    await vi.advanceTimersByTimeAsync(100);
    await p.net.settle();
    if (until?.()) return;
  }
}

/** Carries `packet` from `from`'s TUN side to `to`'s device (or fails). */
async function carry(p: Pair, from: Side, to: Side, packet: Buffer): Promise<void> {
  const before = to.device.packets.length;
  from.endpoint.outbound.packet(packet, 0, packet.length);
  await p.net.settle();
  expect(to.device.packets.length).toBe(before + 1);
  expect(to.device.packets[before]).toEqual(packet);
}

async function roundTrip(p: Pair, tag: string): Promise<void> {
  const c = p.client;
  const address = clientUp(c).localAddress;
  await carry(p, c, p.server, icmpEcho(address, SERVER_TUNNEL_ADDRESS, 7, Buffer.from(`ping ${tag}`)));
  await carry(
    p,
    p.server,
    c,
    udpPacket(SERVER_TUNNEL_ADDRESS, address, 53, 40000, Buffer.from(`answer ${tag}`)),
  );
}

describe('endpoint pair: the client re-keys phase 1 and keeps its session', () => {
  for (const nat of [false, true]) {
    it(`two phase-1 rekeys of a ${LIFETIME_S} s IKE SA${nat ? ' behind NAT' : ''}: same session, same ESP SAs, data flows`, async () => {
      vi.useFakeTimers({
        toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance', 'Date'],
      });
      const p = pairs.make({ nat, clients: [{ ike: { initiatorLifetimeSeconds: LIFETIME_S } }] });
      const c = p.client;
      p.dial();
      await run(p, 20_000, () => c.of('session-up').length === 1 && p.server.of('session-up').length === 1);
      expect(c.of('session-up')).toHaveLength(1);
      const espBefore = c.endpoint.sad
        .list()
        .map((s) => s.spi)
        .sort();
      const serverEspBefore = p.server.endpoint.sad
        .list()
        .map((s) => s.spi)
        .sort();
      const firstIke = c.endpoint.ike.ikeSas()[0].id;
      await roundTrip(p, 'before');

      // Through two rekeys (at ~54 s and ~108 s), with traffic now and then.
      for (let i = 0; i < 12; i++) {
        await run(p, 10_000);
        await roundTrip(p, `t${i}`);
      }

      const rekeyed = c.of('ike-rekeyed');
      expect(rekeyed).toHaveLength(2);
      expect(rekeyed[0].oldIkeSaId).toBe(firstIke);
      expect(rekeyed[1].oldIkeSaId).toBe(rekeyed[0].ikeSaId);
      expect(c.of('ike-rekey-failed')).toHaveLength(0);
      // Neither side took the rekey for a new connection or lost anything.
      expect(c.of('ike-up')).toHaveLength(1);
      expect(c.of('ike-down')).toHaveLength(0);
      expect(c.of('sa-installed')).toHaveLength(1);
      expect(p.server.of('sa-installed')).toHaveLength(1);
      for (const side of [c, p.server]) {
        expect(side.of('session-up')).toHaveLength(1);
        expect(side.of('session-down')).toHaveLength(0);
        expect(side.of('tunnel-down')).toHaveLength(0);
      }
      expect(c.endpoint.ike.ikeSas().map((s) => s.id)).toEqual([rekeyed[1].ikeSaId]);
      expect(p.server.endpoint.ike.ikeSas()).toHaveLength(1);
      expect(
        c.endpoint.sad
          .list()
          .map((s) => s.spi)
          .sort(),
      ).toEqual(espBefore);
      expect(
        p.server.endpoint.sad
          .list()
          .map((s) => s.spi)
          .sort(),
      ).toEqual(serverEspBefore);
      // The ESP SAs now belong to the newest IKE SA on both sides (DPD and Quick Mode rekeys run there).
      expect(c.endpoint.ike.ikeSas()[0].children).toHaveLength(1);
      expect(p.server.endpoint.ike.ikeSas()[0].children).toHaveLength(1);
      for (const link of c.endpoint.peers.values()) expect(link.ikeSaId).toBe(rekeyed[1].ikeSaId);
      expect(p.server.endpoint.sessions.size).toBe(1);
      expect(c.endpoint.sessions.size).toBe(1);
    }, 60_000);
  }

  it('an ESP soft expiry after a phase-1 rekey re-keys the ESP SA on the new IKE SA', async () => {
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance', 'Date'],
    });
    // IKE SA 60 s (rekey at ~54 s), ESP SA 100 s (soft expiry at 90 s, after the IKE rekey).
    const p = pairs.make({
      clients: [{ ike: { initiatorLifetimeSeconds: LIFETIME_S, initiatorEspLifetimeSeconds: 100 } }],
    });
    const c = p.client;
    p.dial();
    await run(p, 20_000, () => c.of('session-up').length === 1 && p.server.of('session-up').length === 1);
    for (let i = 0; i < 10; i++) {
      await run(p, 10_000);
      await roundTrip(p, `q${i}`);
    }
    const rekeyed = c.of('ike-rekeyed');
    expect(rekeyed.length).toBeGreaterThanOrEqual(1);
    const installed = c.of('sa-installed');
    expect(installed.length).toBeGreaterThanOrEqual(2);
    // The Quick Mode rekey ran under the IKE SA that adopted the first ESP SA, not the one that is gone.
    expect(installed[1].params.ikeSaId).toBe(rekeyed[0].ikeSaId);
    expect(c.of('child-sa-failed')).toHaveLength(0);
    expect(c.of('session-down')).toHaveLength(0);
    expect(p.server.of('session-down')).toHaveLength(0);
  }, 60_000);
});
