import { afterEach, expect, it } from 'vitest';
import { Pair, waitFor } from './support/pair.js';

let pair: Pair | undefined;
afterEach(async () => { await pair?.close(); pair = undefined; });
for (let seed = 1; seed <= 24; seed++) {
  it(`seed ${seed}`, async () => {
    const p = new Pair({ net: { loss: 0.1, duplicate: 0.05, seed: `x${seed}` }, seed: `s${seed}`, nat: seed % 2 === 0 });
    pair = p;
    p.dial();
    try {
      await waitFor('up', () => p.server.of('session-up').length === 1 && p.client.of('session-up').length === 1, 20000);
    } catch (e) {
      const st = (e: typeof p.server.endpoint) => [...e.sessions.all()].map((s) => ({ phase: s.ppp.phase, lcp: s.ppp.lcp.state, ipcp: s.ppp.ipcp.state, up: s.ipUp, ppp: s.ppp.counters.snapshot() }));
      console.log(seed, JSON.stringify({ srv: p.server.endpoint.counterSnapshot(), cli: p.client.endpoint.counterSnapshot(), srvS: st(p.server.endpoint), cliS: st(p.client.endpoint), ev: [p.server.events.map(e=>e.type + ("reason" in e ? ":" + e.reason : "")), p.client.events.map(e=>e.type + ("reason" in e ? ":" + e.reason : ""))], ike: [p.server.endpoint.ike.ikeSas().map(s=>s.state), p.client.endpoint.ike.ikeSas().map(s=>s.state)], l2tp: [p.server.endpoint.l2tp.tunnelCount, p.server.endpoint.l2tp.sessionCount, p.client.endpoint.l2tp.tunnelCount, p.client.endpoint.l2tp.sessionCount] }));
      throw e;
    }
    expect(p.pool.leased).toBe(1);
  }, 25000);
}
