import { afterEach, expect, it } from 'vitest';
import { Pair, waitFor } from './support/pair.js';

let pair: Pair | undefined;
afterEach(async () => { await pair?.close(); pair = undefined; });
for (let seed = 1; seed <= 12; seed++) {
  it(`seed ${seed}`, async () => {
    const p = new Pair({ net: { loss: 0.1, duplicate: 0.05, seed: `x${seed}` }, seed: `s${seed}`, nat: seed % 2 === 0 });
    pair = p;
    p.dial();
    try {
      await waitFor('up', () => p.server.of('session-up').length === 1 && p.client.of('session-up').length === 1, 20000);
    } catch (e) {
      console.log(seed, JSON.stringify(p.server.endpoint.counterSnapshot()), JSON.stringify(p.client.endpoint.counterSnapshot()), p.server.events.map(e=>e.type), p.client.events.map(e=>e.type));
      throw e;
    }
    expect(p.pool.leased).toBe(1);
  }, 25000);
}
