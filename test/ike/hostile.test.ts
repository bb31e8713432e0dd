import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExchangeType, NotifyType, PayloadType } from '../../src/ike/codec/constants.js';
import { decodeMessage, encodeMessage } from '../../src/ike/codec/message.js';
import type { NotifyPayload } from '../../src/ike/codec/notification.js';
import type { OpaquePayload } from '../../src/ike/codec/opaque.js';
import { IkeEngine } from '../../src/ike/engine.js';
import { VendorId } from '../../src/ike/vendor-ids.js';
import { CLIENT, installs, pair, SERVER, seededRng } from './harness.js';

function capture(seed: string) {
  const { link, initiator } = pair({}, {}, seed);
  link.run(initiator.initiate(SERVER, CLIENT, link.clock.now()).actions);
  return link.sent.map((s) => s.data);
}

describe('bad input is dropped or answered with the right notify, never a crash', () => {
  const msgs = capture('hostile');

  it('truncated, extended, bit-flipped and random datagrams at every stage', () => {
    const { responder } = pair({}, {}, 'hostile');
    const now = 5000;
    for (const m of msgs) {
      for (let n = 0; n < m.length; n += 7)
        expect(() => responder.receive(m.subarray(0, n), CLIENT, SERVER, now)).not.toThrow();
      expect(() =>
        responder.receive(Buffer.concat([m, Buffer.alloc(64)]), CLIENT, SERVER, now),
      ).not.toThrow();
      for (let i = 0; i < m.length; i += 5) {
        const f = Buffer.from(m);
        f[i] ^= 0x41;
        expect(() => responder.receive(f, CLIENT, SERVER, now)).not.toThrow();
      }
    }
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 600 }), (b) => {
        expect(() => responder.receive(Buffer.from(b), CLIENT, SERVER, now)).not.toThrow();
      }),
      { numRuns: 2000 },
    );
    expect(responder.counters.get('malformed')).toBeGreaterThan(0);
  });

  it('an oversized datagram claiming a huge length is refused before any allocation', () => {
    const { responder } = pair();
    const m = Buffer.from(msgs[0]);
    m.writeUInt32BE(0xffffffff, 24);
    expect(responder.receive(m, CLIENT, SERVER, 0)).toEqual([]);
    expect(responder.counters.get('malformed')).toBe(1);
  });

  it('out of order: MM3 or MM5 without MM1 is unknown; MM5 before MM3 is unexpected', () => {
    const { responder } = pair({}, {}, 'hostile');
    expect(responder.receive(msgs[2], CLIENT, SERVER, 0)).toEqual([]);
    expect(responder.receive(msgs[4], CLIENT, SERVER, 0)).toEqual([]);
    expect(responder.counters.get('unknown-sa')).toBe(2);
    const reply = responder.receive(msgs[0], CLIENT, SERVER, 0);
    expect(reply).toHaveLength(1);
    // Re-address MM5 to the new SA's cookies: it arrives while MM3 is awaited.
    const mm2 = decodeMessage((reply[0] as { data: Buffer }).data);
    const mm5 = Buffer.from(msgs[4]);
    mm2.header.responderCookie.copy(mm5, 8);
    expect(responder.receive(mm5, CLIENT, SERVER, 0)).toEqual([]);
    expect(responder.counters.get('unexpected-message')).toBe(1);
  });

  it('an unauthenticated Quick Mode (bad HASH(1)) keeps no state and gets no answer', () => {
    const { link, initiator, responder } = pair({}, {}, 'qm-forge');
    link.filter = (_a, i) => (i === 6 ? 'drop' : 'pass');
    link.run(initiator.initiate(SERVER, CLIENT, link.clock.now()).actions);
    const qm1 = Buffer.from(link.sent[6].data);
    qm1[qm1.length - 1] ^= 1; // last cipher block: garbles the tail of the plaintext
    expect(
      responder.receive(
        qm1,
        { address: CLIENT.address, port: 4500 },
        { address: SERVER.address, port: 4500 },
        link.clock.now(),
      ),
    ).toEqual([]);
    expect(responder.counters.get('bad-hash')).toBe(1);
  });

  it('Aggressive Mode is refused with NO-PROPOSAL-CHOSEN unless enabled', () => {
    const { responder } = pair();
    const am = encodeMessage(
      {
        initiatorCookie: Buffer.alloc(8, 7),
        responderCookie: Buffer.alloc(8),
        exchangeType: ExchangeType.Aggressive,
        flags: 0,
        messageId: 0,
      },
      [{ type: PayloadType.VID, data: VendorId.dpd }],
    );
    const out = responder.receive(am, CLIENT, SERVER, 0);
    const n = decodeMessage((out[0] as { data: Buffer }).data).chain.payloads[0] as NotifyPayload;
    expect(n.notifyType).toBe(NotifyType.NoProposalChosen);
    expect(responder.counters.get('aggressive-refused')).toBe(1);
  });
});

describe('MM1 flood', () => {
  it('from many sources does not stop a real client, and the half-open table stays bounded', () => {
    const { link, initiator, responder } = pair({ halfOpenTotal: 256 }, {}, 'flood');
    const mm1 = capture('flood')[0];
    for (let i = 0; i < 5000; i++) {
      const m = Buffer.from(mm1);
      m.writeUInt32BE(i, 0); // a fresh initiator cookie each time
      const src = { address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, port: 500 };
      responder.receive(m, src, SERVER, link.clock.now());
      if (i === 2500) {
        // The real client arrives mid-flood; its MM3 comes back within a round trip.
        const seen = link.run(initiator.initiate(SERVER, CLIENT, link.clock.now()).actions);
        expect(installs(seen)).toHaveLength(2);
      }
      expect(responder.halfOpen).toBeLessThanOrEqual(256);
    }
    expect(responder.counters.get('half-open-evicted')).toBeGreaterThan(4000);
    expect(responder.ikeSas().filter((s) => s.state === 'established')).toHaveLength(1);
    link.advance(31_000);
    expect(responder.halfOpen).toBe(0);
  });

  it('from one source is capped per source', () => {
    const { responder } = pair({ halfOpenPerSource: 8 });
    const mm1 = capture('flood1')[0];
    for (let i = 0; i < 100; i++) {
      const m = Buffer.from(mm1);
      m.writeUInt32BE(i, 0);
      responder.receive(m, CLIENT, SERVER, 0);
    }
    expect(responder.halfOpen).toBe(8);
    expect(responder.counters.get('half-open-source-limit')).toBe(92);
  });
});

describe('NAT-T detection and forced encapsulation (RFC 3947 s3.2)', () => {
  it('the responder sends a client NAT-D that cannot match and its own that does', () => {
    const { link, initiator } = pair({}, {}, 'natd');
    link.run(initiator.initiate(SERVER, CLIENT, link.clock.now()).actions);
    const mm4 = decodeMessage(link.sent[3].data).chain.payloads.filter(
      (p): p is OpaquePayload => p.type === PayloadType.NatD,
    );
    expect(mm4).toHaveLength(2);
    expect(initiator.ikeSas()[0].natT).toBe(true);
    const mm3 = decodeMessage(link.sent[2].data).chain.payloads.filter(
      (p): p is OpaquePayload => p.type === PayloadType.NatD,
    );
    // The client's hash of itself (mm3[1]) differs from what the server reports for it (mm4[0]) …
    expect(mm4[0].data.equals(mm3[1].data)).toBe(false);
    // … while the server's own hash matches the client's view of the server.
    expect(mm4[1].data.equals(mm3[0].data)).toBe(true);
  });

  it('Windows (MS NT5 ISAKMPOAKLEY) gets its own hash of the server echoed even when it differs', () => {
    const { link, initiator } = pair({}, {}, 'windows');
    const foreign = Buffer.alloc(20, 0xab);
    link.filter = (a, i) => {
      if (i !== 0 && i !== 2) return 'pass';
      const m = decodeMessage(a.data);
      if (i === 0) {
        return encodeMessage(m.header, [
          ...m.chain.payloads,
          { type: PayloadType.VID, data: Buffer.concat([VendorId.msNt5, Buffer.from('00000009', 'hex')]) },
        ]);
      }
      {
        // Windows saw the server at another address (the server is behind a 1:1 NAT).
        const ps = m.chain.payloads.map((p, j) => (j === 2 ? { type: PayloadType.NatD, data: foreign } : p));
        return encodeMessage(m.header, ps as typeof m.chain.payloads);
      }
    };
    link.run(initiator.initiate(SERVER, CLIENT, link.clock.now()).actions);
    const mm4 = decodeMessage(link.sent[3].data).chain.payloads.filter(
      (p): p is OpaquePayload => p.type === PayloadType.NatD,
    );
    expect(mm4[1].data.equals(foreign)).toBe(true);
  });

  it('draft NAT-T peers get the draft vendor ID, payload numbers 130/131 and mode 61444', () => {
    const { link, initiator } = pair({}, {}, 'draft');
    link.filter = (a, i) => {
      if (i !== 0) return 'pass';
      const m = decodeMessage(a.data);
      const ps = m.chain.payloads.filter(
        (p) => !(p.type === PayloadType.VID && p.data.equals(VendorId.natTRfc3947)),
      );
      return encodeMessage(m.header, ps);
    };
    const seen = link.run(initiator.initiate(SERVER, CLIENT, link.clock.now()).actions);
    expect(
      decodeMessage(link.sent[1].data).chain.payloads.some(
        (p) => p.type === PayloadType.VID && p.data.equals(VendorId.natTDraft02n),
      ),
    ).toBe(true);
    expect(
      decodeMessage(link.sent[3].data).chain.payloads.filter((p) => p.type === PayloadType.NatDDraft),
    ).toHaveLength(2);
    expect(installs(seen)).toHaveLength(2);
    expect(installs(seen)[0].sa.udpEncapsulation).toBe(true);
  });
});

describe('the engine without a peer', () => {
  it('deadline() is undefined when idle and tick() is harmless', () => {
    const e = new IkeEngine({ psk: 'x', rng: seededRng('idle') });
    expect(e.deadline()).toBeUndefined();
    expect(e.tick(1e9)).toEqual([]);
  });
});
