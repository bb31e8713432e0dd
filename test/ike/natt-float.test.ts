/**
 * RFC 3947 section 4: the initiator moves IKE to UDP 4500 after MM4 only when the NAT-D payloads show a NAT.
 * Without one (a responder that does not force encapsulation, no translation on the path) IKE stays on 500,
 * the ESP SAs are the raw modes, and ike-sa-up reports port 500 together with natT false (as charon's IKEv1
 * initiator does; found by the strongSwan interop test with `encap = no`).
 */
import { describe, expect, it } from 'vitest';
import type { IkeAction, IkeSaUpAction } from '../../src/ike/actions.js';
import { DEFAULT_ESP_POLICY } from '../../src/ike/esp-policy.js';
import { CLIENT, installs, pair, SERVER } from './harness.js';

function ups(seen: readonly IkeAction[]): IkeSaUpAction[] {
  return seen.filter((a): a is IkeSaUpAction => a.type === 'ike-sa-up');
}

describe('NAT-T port float (RFC 3947 s4)', () => {
  it('no NAT detected: all 9 messages on port 500, raw ESP, ike-sa-up says 500 and natT false', () => {
    const { link, initiator } = pair({
      forceEncapsulation: false,
      esp: { ...DEFAULT_ESP_POLICY, allowRawEsp: true },
    });
    const seen = link.run(initiator.initiate(SERVER, CLIENT, link.clock.now()).actions);
    expect(link.sent).toHaveLength(9);
    expect(link.sent.map((s) => [s.from.port, s.to.port, s.nonEspMarker])).toEqual(
      Array.from({ length: 9 }, () => [500, 500, false]),
    );
    const up = ups(seen);
    expect(up).toHaveLength(2);
    for (const u of up) {
      expect(u.natT).toBe(false);
      expect([u.local.port, u.peer.port]).toEqual([500, 500]);
    }
    const inst = installs(seen);
    expect(inst).toHaveLength(2);
    for (const i of inst) expect(i.sa.udpEncapsulation).toBe(false);
  });

  it('NAT detected (the initiator behind a NAT): floats to 4500 and ike-sa-up says 4500 and natT true', () => {
    const { link, initiator } = pair({ forceEncapsulation: false });
    link.natBehind(CLIENT.address, '203.0.113.9');
    const seen = link.run(initiator.initiate(SERVER, CLIENT, link.clock.now()).actions);
    // What the initiator sent (the responder's replies go to the NAT's mapped ports).
    const fromClient = link.sent.filter((s) => s.from.address === CLIENT.address);
    expect(fromClient.map((s) => s.to.port)).toEqual([500, 500, 4500, 4500, 4500]);
    const up = ups(seen);
    expect(up).toHaveLength(2);
    for (const u of up) {
      expect(u.natT).toBe(true);
      expect(u.local.port).toBe(4500);
    }
  });
});
