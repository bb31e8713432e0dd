import { describe, expect, it } from 'vitest';
import type { L2tpAction } from '../../src/l2tp/actions.js';
import { StopCcnResult } from '../../src/l2tp/constants.js';
import { decodeControl } from '../../src/l2tp/header.js';
import { LNS_ADDR, SimPair } from './support/sim.js';

const LOSSY = { drop: 0.1, duplicate: 0.1, reorder: 0.1 };

type Up = Extract<L2tpAction, { type: 'session-up' }>;

/** Opens a tunnel with `n` sessions from the LAC and runs until they are up (or 60 s of simulated time). */
function establish(sim: SimPair, n: number): { tunnelId: number; sessions: number[] } {
  const { tunnelId, actions } = sim.lac.openTunnel(LNS_ADDR, sim.now);
  sim.apply('lac', actions);
  const sessions: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = sim.lac.openSession(tunnelId, sim.now)!;
    sessions.push(r.sessionId);
    sim.apply('lac', r.actions);
  }
  sim.run(sim.now + 60_000);
  return { tunnelId, sessions };
}

function pppFrame(i: number): Buffer {
  const b = Buffer.alloc(24);
  b.writeUInt16BE(0x0021, 0); // PPP protocol: IPv4
  b.writeUInt32BE(i, 2);
  return b;
}

describe('LAC ↔ LNS over a link dropping, duplicating and reordering 10% (seeded)', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`seed ${seed}: tunnel and sessions establish, data flows, LAC teardown frees everything`, () => {
      const sim = new SimPair(seed, LOSSY, { requireDataSequencing: seed % 2 === 0 });
      const { tunnelId, sessions } = establish(sim, 3);
      expect(sim.find('lac', 'tunnel-up')).toHaveLength(1);
      expect(sim.find('lns', 'tunnel-up')).toHaveLength(1);
      const lacUp = sim.find('lac', 'session-up') as Up[];
      const lnsUp = sim.find('lns', 'session-up') as Up[];
      expect(lacUp.map((u) => u.sessionId).sort()).toEqual([...sessions].sort());
      expect(lnsUp).toHaveLength(3);
      // Each side's view of the IDs agrees with the other's.
      for (const u of lacUp) {
        const peer = lnsUp.find((p) => p.sessionId === u.peerSessionId)!;
        expect(peer.peerSessionId).toBe(u.sessionId);
        expect(peer.peerTunnelId).toBe(tunnelId);
        expect(peer.sequencing).toBe(seed % 2 === 0);
      }
      expect(sim.lns.tunnelCount).toBe(1);
      expect(sim.lns.sessionCount).toBe(3);

      // Data both ways on every session.
      for (let i = 0; i < 100; i++) {
        const u = lacUp[i % 3];
        sim.apply('lac', sim.lac.sendPpp(u.tunnelId, u.sessionId, pppFrame(i)));
        const p = lnsUp[i % 3];
        sim.apply('lns', sim.lns.sendPpp(p.tunnelId, p.sessionId, pppFrame(1000 + i)));
        sim.run(sim.now + 1);
      }
      sim.run(sim.now + 100);
      const atLns = sim.frames.lns.map((f) => f.readUInt32BE(2));
      const atLac = sim.frames.lac.map((f) => f.readUInt32BE(2));
      expect(atLns.length).toBeGreaterThan(70);
      expect(atLac.length).toBeGreaterThan(70);
      expect(atLns.every((v) => v < 100)).toBe(true);
      expect(atLac.every((v) => v >= 1000 && v < 1100)).toBe(true);
      if (seed % 2 === 0) {
        // Sequenced data: nothing stale or duplicated gets through, per session.
        for (const u of lnsUp) {
          const mine = sim.frames.lns
            .map((f) => f.readUInt32BE(2))
            .filter((v) => lacUp[v % 3].peerSessionId === u.sessionId);
          for (let i = 1; i < mine.length; i++) expect(mine[i]).toBeGreaterThan(mine[i - 1]);
        }
      }

      sim.apply('lac', sim.lac.closeTunnel(tunnelId, sim.now));
      sim.run(sim.now + 120_000);
      expect(sim.find('lac', 'session-down')).toHaveLength(3);
      expect(sim.find('lns', 'session-down')).toHaveLength(3);
      const down = sim.find('lns', 'tunnel-down')[0] as Extract<L2tpAction, { type: 'tunnel-down' }>;
      expect(down.reason).toBe('peer');
      expect(down.result?.result).toBe(StopCcnResult.GeneralClear);
      expect(sim.lac.tunnelCount + sim.lns.tunnelCount).toBe(0);
      expect(sim.lac.deadline()).toBeUndefined();
      expect(sim.lns.deadline()).toBeUndefined();
    });
  }

  for (const seed of [11, 12, 13]) {
    it(`seed ${seed}: LNS closes a session then the tunnel; both sides free everything`, () => {
      const sim = new SimPair(seed, LOSSY);
      const { tunnelId } = establish(sim, 2);
      const lnsUp = sim.find('lns', 'session-up') as Up[];
      expect(lnsUp).toHaveLength(2);
      sim.apply('lns', sim.lns.closeSession(lnsUp[0].tunnelId, lnsUp[0].sessionId, sim.now));
      sim.run(sim.now + 30_000);
      const lacDown = sim.find('lac', 'session-down') as Extract<L2tpAction, { type: 'session-down' }>[];
      expect(lacDown).toHaveLength(1);
      expect(lacDown[0]).toMatchObject({ reason: 'peer', sessionId: lnsUp[0].peerSessionId });
      expect(sim.lac.tunnel(tunnelId)?.sessions.size).toBe(1);
      sim.apply('lns', sim.lns.closeTunnel(lnsUp[0].tunnelId, sim.now));
      sim.run(sim.now + 120_000);
      expect(sim.find('lac', 'tunnel-down')).toHaveLength(1);
      expect(sim.find('lac', 'session-down')).toHaveLength(2);
      expect(sim.lac.tunnelCount + sim.lns.tunnelCount).toBe(0);
    });
  }

  it('HELLO keeps an idle tunnel alive; a dead peer tears down the tunnel and its sessions', () => {
    const sim = new SimPair(21, LOSSY, { helloInterval: 10_000 }, { helloInterval: 10_000 });
    establish(sim, 2);
    const sentBefore = sim.sent;
    sim.run(sim.now + 300_000);
    expect(sim.sent).toBeGreaterThan(sentBefore + 20); // HELLOs and their acks
    expect(sim.find('lac', 'tunnel-down')).toHaveLength(0);
    expect(sim.lns.counters.get('rx-control')).toBeGreaterThan(20);
    sim.linkUp = false;
    sim.run(sim.now + 300_000);
    for (const side of ['lac', 'lns'] as const) {
      const down = sim.find(side, 'tunnel-down') as Extract<L2tpAction, { type: 'tunnel-down' }>[];
      expect(down).toHaveLength(1);
      expect(down[0].reason).toBe('dead-peer');
      expect(sim.find(side, 'session-down')).toHaveLength(2);
      expect(sim.endpoint(side).tunnelCount).toBe(0);
    }
  });

  it('tunnel authentication and hidden AVPs with a shared secret, over the lossy link', () => {
    const secret = Buffer.from('correct horse');
    const cfg = { secret, hideAvps: true };
    const sim = new SimPair(31, LOSSY, cfg, cfg);
    establish(sim, 2);
    expect(sim.find('lac', 'session-up')).toHaveLength(2);
    expect(sim.find('lns', 'session-up')).toHaveLength(2);
    expect(sim.lns.counters.get('auth-failure')).toBe(0);
  });

  for (const [name, lacSecret, lnsSecret, failing] of [
    ['secrets differ: the LAC rejects the LNS response first', 'one', 'two', 'lac'],
    ['LAC challenges an LNS with no secret', 'one', undefined, 'lns'],
    ['LAC without a secret meets an LNS that challenges', undefined, 'two', 'lac'],
  ] as const) {
    it(`wrong secret: ${name} → StopCCN result 4, nothing left`, () => {
      const sim = new SimPair(
        41,
        { drop: 0, duplicate: 0, reorder: 0 },
        { secret: lacSecret ? Buffer.from(lacSecret) : undefined },
        { secret: lnsSecret ? Buffer.from(lnsSecret) : undefined },
      );
      establish(sim, 1);
      expect(sim.find('lns', 'session-up')).toHaveLength(0);
      expect(sim.find('lns', 'tunnel-up')).toHaveLength(0);
      expect(sim.find('lns', 'tunnel-down')).toHaveLength(0);
      const down = sim.find('lac', 'tunnel-down')[0] as Extract<L2tpAction, { type: 'tunnel-down' }>;
      expect(down.result?.result).toBe(StopCcnResult.NotAuthorized);
      expect(down.reason).toBe(failing === 'lac' ? 'error' : 'peer');
      sim.run(sim.now + 60_000);
      expect(sim.lac.tunnelCount + sim.lns.tunnelCount).toBe(0);
    });
  }
});

describe('data messages on the wire', () => {
  for (const withAddressControl of [true, false]) {
    it(`a PPP frame ${withAddressControl ? 'with' : 'without'} FF 03 goes as given; the receiver strips FF 03`, () => {
      const sim = new SimPair(51, { drop: 0, duplicate: 0, reorder: 0 });
      establish(sim, 1);
      const up = sim.find('lns', 'session-up')[0] as Up;
      const frame = withAddressControl
        ? Buffer.concat([Buffer.from([0xff, 0x03]), pppFrame(7)])
        : pppFrame(7);
      const [send] = sim.lns.sendPpp(up.tunnelId, up.sessionId, frame);
      const data = (send as Extract<L2tpAction, { type: 'send' }>).data;
      // flags 0002, peer tunnel, peer session, then the frame
      expect(data.readUInt16BE(0)).toBe(0x0002);
      expect(data.readUInt16BE(2)).toBe(up.peerTunnelId);
      expect(data.readUInt16BE(4)).toBe(up.peerSessionId);
      expect(data.subarray(6).equals(frame)).toBe(true);
      sim.apply('lns', [send]);
      sim.run(sim.now + 100);
      expect(sim.frames.lac.map((f) => f.toString('hex'))).toEqual([pppFrame(7).toString('hex')]);
    });
  }
});

describe('receive windows', () => {
  it('an LNS advertising a window of 1 still gets ten sessions through a lossy link', () => {
    const sim = new SimPair(61, LOSSY, { receiveWindow: 8 }, { receiveWindow: 1 });
    establish(sim, 10);
    expect(sim.find('lac', 'session-up')).toHaveLength(10);
    expect(sim.find('lns', 'session-up')).toHaveLength(10);
    // The LAC never sends a new message before the previous one is acknowledged (window 1, section 5.8).
    let acked = 0;
    let checked = 0;
    for (const e of sim.trace) {
      if (e.side !== 'lac' || (e.data.readUInt16BE(0) & 0x8000) === 0) continue;
      const h = decodeControl(e.data);
      if (e.dir === 'rx') acked = Math.max(acked, h.nr);
      else if (h.body.length > 0) {
        expect(h.ns).toBeLessThanOrEqual(acked);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });
});
