/**
 * The PPP losses the endpoint pair's lossy-link runs exposed, each reproduced deterministically on a PPP
 * client/server pair (test/ppp/harness.ts) by losing exactly one frame: the session must still come up,
 * without tearing anything down on the way.
 *   - A lost CHAP/MS-CHAPv2 Success: the peer repeats its Response, the authenticator answers it again
 *     (RFC 1994 section 4.2).
 *   - A lost Configure-Ack after the other side reached Opened: the repeated Configure-Request gets its Ack
 *     again instead of a renegotiation that took the whole link down (RFC 1661 sections 4.1, 5.1).
 */
import { describe, expect, it } from 'vitest';
import { Pair } from '../ppp/harness.js';

const LCP = 0xc021;
const IPCP = 0x8021;
const CHAP = 0xc223;
const CONFIGURE_REQUEST = 1;
const CONFIGURE_ACK = 2;
const CHAP_SUCCESS = 3;

type Side = 'server' | 'client';

/** Loses the first frame `from` sends with this protocol and code (frames start FF 03 protocol code). */
function loseFirst(from: Side, protocol: number, code: number) {
  let lost = 0;
  const drop = (side: Side, frame: Buffer) => {
    if (lost > 0 || side !== from || frame.readUInt16BE(2) !== protocol || frame[4] !== code) return false;
    lost++;
    return true;
  };
  return { drop, lost: () => lost };
}

async function runPair(
  from: Side,
  protocol: number,
  code: number,
  method: 'mschapv2' | 'chap-md5' = 'mschapv2',
  expectLoss = true,
) {
  const loss = loseFirst(from, protocol, code);
  const p = new Pair({ drop: loss.drop, server: { authMethods: [method] } });
  p.start();
  await p.run(() => p.of('server', 'up').length > 0 && p.of('client', 'up').length > 0, 60_000);
  expect(loss.lost()).toBe(expectLoss ? 1 : 0);
  for (const side of ['server', 'client'] as const) {
    expect(p.of(side, 'up')).toHaveLength(1);
    expect(p.of(side, 'down')).toHaveLength(0);
    expect(p.of(side, 'finished')).toHaveLength(0);
  }
  expect(p.of('client', 'up')[0].localAddress).toBe(p.of('server', 'up')[0].peerAddress);
  return p;
}

describe('PPP recovers from one lost frame without tearing the link down', () => {
  for (const method of ['mschapv2', 'chap-md5'] as const) {
    it(`lost ${method} Success: the repeated Response is answered again`, async () => {
      const p = await runPair('server', CHAP, CHAP_SUCCESS, method);
      // One verification only: the repeat was answered from the stored verdict.
      expect(p.of('server', 'verify')).toHaveLength(1);
      const responses = p.wire.filter((w) => w.from === 'client' && w.frame.readUInt16BE(2) === CHAP);
      expect(responses.length).toBeGreaterThanOrEqual(2);
    });
  }

  for (const [name, protocol] of [
    ['LCP', LCP],
    ['IPCP', IPCP],
  ] as const) {
    for (const from of ['server', 'client'] as const) {
      it(`lost ${name} Configure-Ack from the ${from}: the repeated Configure-Request is acked again`, async () => {
        const requestsFrom = (p: Pair, side: Side) =>
          p.wire.filter(
            (w) =>
              w.from === side && w.frame.readUInt16BE(2) === protocol && w.frame[4] === CONFIGURE_REQUEST,
          ).length;
        const baseline = await runPair(from, 0, 0, 'mschapv2', false);
        const p = await runPair(from, protocol, CONFIGURE_ACK);
        const other: Side = from === 'server' ? 'client' : 'server';
        // The peer did repeat its request (it never saw the Ack)…
        expect(requestsFrom(p, other)).toBeGreaterThan(requestsFrom(baseline, other));
        // …and the side that lost its Ack, already Opened, answered it without restarting its own
        // negotiation (RFC 1661's tld/scr/sca would have sent one more Configure-Request).
        expect(requestsFrom(p, from)).toBe(requestsFrom(baseline, from));
      });
    }
  }

  it('a genuine IPCP renegotiation (new Configure-Request while Opened) keeps the session and its lease', async () => {
    const p = await runPair('server', 0, 0, 'mschapv2', false);
    const address = p.of('client', 'up')[0].localAddress;
    // RFC 1332 section 3.3: IP-Address option (type 3, length 6) with the address already assigned.
    const request = Buffer.from([0xff, 0x03, 0x80, 0x21, CONFIGURE_REQUEST, 0x77, 0, 10, 3, 6, 0, 0, 0, 0]);
    request.writeUInt32BE(
      address.split('.').reduce((a, o) => a * 256 + Number(o), 0),
      10,
    );
    p.handle('server', p.server.receive(request, p.clock.now()));
    expect(p.server.ipcp.state).not.toBe('opened');
    await p.run(() => p.server.ipcp.state === 'opened' && p.client.ipcp.state === 'opened', 60_000);
    expect(p.server.ipcp.state).toBe('opened');
    expect(p.client.ipcp.state).toBe('opened');
    for (const side of ['server', 'client'] as const) {
      expect(p.of(side, 'down')).toHaveLength(0);
      expect(p.of(side, 'finished')).toHaveLength(0);
    }
    expect([...p.pool.outstanding]).toEqual([address]);
  });
});
