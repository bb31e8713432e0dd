import { describe, expect, it } from 'vitest';
import { installs, pair, CLIENT, SERVER } from './harness.js';

describe('Main Mode + Quick Mode, l2tpsec initiator ↔ l2tpsec responder', () => {
  it('completes all 9 messages and installs matching SA pairs', () => {
    const { link, initiator } = pair();
    const { actions } = initiator.initiate(SERVER, CLIENT, link.clock.now());
    const seen = link.run(actions);
    const up = seen.filter((a) => a.type === 'ike-sa-up');
    expect(up).toHaveLength(2);
    const inst = installs(seen);
    expect(inst).toHaveLength(2);
    const [a, b] = inst;
    expect(a.sa.spiIn).toBe(b.sa.spiOut);
    expect(a.sa.spiOut).toBe(b.sa.spiIn);
    expect(a.sa.inbound.encryption.equals(b.sa.outbound.encryption)).toBe(true);
    expect(a.sa.outbound.integrity.equals(b.sa.inbound.integrity)).toBe(true);
    expect(link.sent).toHaveLength(9);
  });
});
