/**
 * Session limits (issue 7: `limits`, `timeouts.idle`) through the whole in-process stack: a server over its
 * limit refuses the new L2TP session (CDN) or closes the PPP session, and an idle session is closed.
 */
import { describe, expect, it } from 'vitest';
import { NO_LIMITS } from '../../src/endpoint/session-limits.js';
import { waitFor } from './support/pair.js';
import { pairLifecycle } from './support/scenario.js';

const pairs = pairLifecycle();

describe('session limits', () => {
  it('maxSessionsPerUser: a second session of the same user is closed, the first keeps running', async () => {
    const p = pairs.make({ clients: [{}, {}], serverLimits: { ...NO_LIMITS, maxSessionsPerUser: 1 } });
    const [a, b] = p.clients;
    p.dial(a);
    await waitFor('first client up', () => a.of('session-up').length === 1);
    p.dial(b);
    await waitFor('second session refused', () => b.of('session-down').length === 1, 15_000);
    // The client's own IPCP may finish before the server's LCP Terminate reaches it; the server never
    // counted it as up.
    expect(p.server.of('session-up')).toHaveLength(1);
    expect(p.server.endpoint.sessions.size).toBe(1);
    expect(p.pool.leased).toBe(1);
    expect(a.of('session-down')).toHaveLength(0);
  });

  it('maxSessions: the L2TP session beyond the limit is refused with a CDN, nothing is leased for it', async () => {
    const p = pairs.make({
      clients: [{}, { user: 'bob', password: "bob's secret" }],
      serverLimits: { ...NO_LIMITS, maxSessions: 1 },
    });
    const [a, b] = p.clients;
    p.dial(a);
    await waitFor('first client up', () => a.of('session-up').length === 1);
    p.dial(b);
    await waitFor(
      'second client told',
      () => b.of('session-down').length + b.of('tunnel-down').length > 0,
      15_000,
    );
    expect(b.of('session-up')).toHaveLength(0);
    expect(p.server.endpoint.sessions.size).toBe(1);
    expect(p.pool.leased).toBe(1);
  });

  it('idle timeout: a session that carries nothing is closed and its lease freed', async () => {
    const p = await pairs.up({ serverLimits: { ...NO_LIMITS, idleMs: 1500 } });
    await waitFor('idle session closed', () => p.server.of('session-down').length === 1, 15_000);
    expect(p.server.of('session-down')[0].reason).toMatch(/idle/);
    await waitFor('lease freed', () => p.pool.leased === 0);
  });
});
