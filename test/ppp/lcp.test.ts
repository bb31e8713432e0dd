import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CpAction } from '../../src/ppp/control-protocol.js';
import { Lcp } from '../../src/ppp/lcp.js';
import { decodeCpPacket, decodeOptions, encodeCpPacket, encodeOptions } from '../../src/ppp/packet.js';
import { CP_CODE } from '../../src/ppp/protocol.js';
import { seededRng } from './harness.js';

interface Fixture {
  name: string;
  source: string;
  role: 'server' | 'client';
  exchanges: { request: string; response: string }[];
}

const fixtures = (
  JSON.parse(readFileSync(new URL('../../vectors/ppp-lcp-fixtures.json', import.meta.url), 'utf8')) as {
    fixtures: Fixture[];
  }
).fixtures;

function sends(actions: readonly CpAction[]): Buffer[] {
  return actions.flatMap((a) => (a.type === 'send' ? [a.packet] : []));
}

function lcp(role: 'authenticator' | 'peer', extra: Partial<ConstructorParameters<typeof Lcp>[0]> = {}) {
  return new Lcp({ role, rng: seededRng(7), ...extra });
}

/** An LCP whose own request went out at time 0; returns it and that request. */
function started(role: 'authenticator' | 'peer', extra: Partial<ConstructorParameters<typeof Lcp>[0]> = {}) {
  const l = lcp(role, extra);
  l.up(0);
  const [req] = sends(l.open(0));
  return { l, req: decodeCpPacket(req) };
}

describe('LCP against real clients (vectors/ppp-lcp-fixtures.json)', () => {
  for (const f of fixtures) {
    it(f.name, () => {
      const { l } = started(f.role === 'server' ? 'authenticator' : 'peer');
      for (const x of f.exchanges) {
        const out = sends(l.receive(Buffer.from(x.request, 'hex'), 0));
        expect(out.map((b) => b.toString('hex'))).toEqual([x.response]);
      }
    });
  }

  it('server opens with Windows after the Reject round and learns MRU 1400, PFC, ACFC', () => {
    const { l, req } = started('authenticator');
    for (const x of fixtures[0].exchanges) l.receive(Buffer.from(x.request, 'hex'), 0);
    const ack = encodeCpPacket({ code: CP_CODE.CONFIGURE_ACK, id: req.id, data: req.data });
    expect(l.receive(ack, 0)).toEqual([{ type: 'layer-up' }]);
    expect(l.negotiated).toMatchObject({ peerMru: 1400, pfc: true, acfc: true, peerMagic: 0x6f593c72 });
    expect(l.negotiated.auth).toBe('mschapv2');
  });

  it('our server request is MRU 1400, Auth-Protocol CHAP/MS-CHAPv2, Magic-Number', () => {
    const { req } = started('authenticator');
    const opts = decodeOptions(req.data);
    expect(opts.map((o) => o.type)).toEqual([1, 3, 5]);
    expect(opts[0].data.toString('hex')).toBe('0578');
    expect(opts[1].data.toString('hex')).toBe('c22381');
  });
});

describe('LCP negotiation limits', () => {
  it('Nak loop (peer insists on MRU 64): Naked Max-Failure times, then Rejected', () => {
    const { l } = started('authenticator');
    const codes: number[] = [];
    for (let id = 0; id < 8; id++) {
      const req = encodeCpPacket({ code: 1, id, data: Buffer.from('01040040', 'hex') });
      const [reply] = sends(l.receive(req, 0));
      codes.push(reply[0]);
    }
    expect(codes).toEqual([3, 3, 3, 3, 3, 4, 4, 4]);
  });

  it('Nak loop (peer keeps Nak-ing our MRU with nonsense): after Max-Failure the Nak counts as Reject', () => {
    const { l, req } = started('authenticator');
    let id = req.id;
    const requests: string[] = [];
    for (let i = 0; i < 7; i++) {
      const nak = encodeCpPacket({ code: 3, id, data: Buffer.from('01040010', 'hex') });
      const [next] = sends(l.receive(nak, 0));
      const p = decodeCpPacket(next);
      id = p.id;
      requests.push(
        decodeOptions(p.data)
          .map((o) => o.type)
          .join(','),
      );
    }
    // Five Naks are taken as Naks (MRU kept), the sixth as a Reject of MRU.
    expect(requests).toEqual(['1,3,5', '1,3,5', '1,3,5', '1,3,5', '1,3,5', '3,5', '3,5']);
  });

  it('a peer that Naks every authentication method away ends LCP', () => {
    const { l, req } = started('authenticator');
    const eap = encodeCpPacket({ code: 3, id: req.id, data: Buffer.from('0304c227', 'hex') });
    const [second] = sends(l.receive(eap, 0));
    const s = decodeCpPacket(second);
    expect(decodeOptions(s.data)[1].data.toString('hex')).toBe('c22305');
    const again = encodeCpPacket({ code: 3, id: s.id, data: Buffer.from('0304c227', 'hex') });
    const out = l.receive(again, 0);
    expect(sends(out).map((p) => p[0])).toEqual([CP_CODE.TERMINATE_REQUEST]);
    expect(l.state).toBe('closing');
    expect(l.reason).toMatch(/refused every authentication method/);
  });

  it('a peer that Rejects Auth-Protocol ends LCP', () => {
    const { l, req } = started('authenticator');
    const rej = encodeCpPacket({ code: 4, id: req.id, data: Buffer.from('0305c22381', 'hex') });
    expect(sends(l.receive(rej, 0)).map((p) => p[0])).toEqual([CP_CODE.TERMINATE_REQUEST]);
    expect(l.reason).toMatch(/refuses to authenticate/);
  });

  it('a looped-back link is detected by the magic number (RFC 1661 s6.4) and LCP gives up', () => {
    const l = lcp('peer');
    let pending = sends([...l.up(0), ...l.open(0)]);
    let finished: CpAction | undefined;
    for (let step = 0; step < 200 && pending.length > 0 && !finished; step++) {
      const next: Buffer[] = [];
      for (const p of pending) {
        const out = l.receive(p, 0);
        finished ??= out.find((a) => a.type === 'layer-finished');
        next.push(...sends(out));
      }
      pending = next;
    }
    expect(finished).toMatchObject({ type: 'layer-finished', reason: expect.stringMatching(/looped back/) });
  });

  it('stale and mismatched Acks are dropped and counted', () => {
    const { l, req } = started('authenticator');
    expect(l.receive(encodeCpPacket({ code: 2, id: (req.id + 1) & 0xff, data: req.data }), 0)).toEqual([]);
    expect(l.counters.get('stale-reply')).toBe(1);
    expect(l.receive(encodeCpPacket({ code: 2, id: req.id, data: Buffer.alloc(0) }), 0)).toEqual([]);
    expect(l.counters.get('bad-ack')).toBe(1);
    expect(l.state).toBe('req-sent');
  });
});

describe('LCP codes and keep-alive', () => {
  function opened() {
    const { l, req } = started('authenticator', { echoIntervalMs: 1000, echoFailures: 2 });
    l.receive(encodeCpPacket({ code: 1, id: 9, data: Buffer.from('01040578050612345678', 'hex') }), 0);
    l.receive(encodeCpPacket({ code: 2, id: req.id, data: req.data }), 0);
    expect(l.state).toBe('opened');
    return l;
  }

  it('unknown code -> Code-Reject carrying the packet', () => {
    const l = opened();
    const weird = encodeCpPacket({ code: 42, id: 5, data: Buffer.from('abcd', 'hex') });
    const [rej] = sends(l.receive(weird, 0));
    const p = decodeCpPacket(rej);
    expect(p.code).toBe(CP_CODE.CODE_REJECT);
    expect(p.data.equals(weird)).toBe(true);
  });

  it('Echo-Request -> Echo-Reply with our magic; own magic in an echo is a loop and dropped', () => {
    const l = opened();
    const [rep] = sends(
      l.receive(encodeCpPacket({ code: 9, id: 3, data: Buffer.from('12345678cafe', 'hex') }), 0),
    );
    const p = decodeCpPacket(rep);
    expect(p).toMatchObject({ code: CP_CODE.ECHO_REPLY, id: 3 });
    expect(p.data.readUInt32BE(0)).toBe(l.negotiated.ourMagic);
    expect(p.data.subarray(4).toString('hex')).toBe('cafe');
    const own = Buffer.alloc(4);
    own.writeUInt32BE(l.negotiated.ourMagic);
    expect(l.receive(encodeCpPacket({ code: 9, id: 4, data: own }), 0)).toEqual([]);
    expect(l.lcpCounters.get('looped-echo')).toBe(1);
  });

  it('Identification (RFC 1570, sent by Windows) is accepted silently', () => {
    const l = opened();
    expect(
      l.receive(encodeCpPacket({ code: 12, id: 1, data: Buffer.from('12345678MSRASV5.20') }), 0),
    ).toEqual([]);
    expect(l.informational).toBe(1);
  });

  it('keep-alive: Echo-Requests every interval; no reply for echoFailures intervals closes LCP', () => {
    const l = opened();
    expect(l.deadline()).toBe(1000);
    const sent1 = sends(l.tick(1000));
    expect(decodeCpPacket(sent1[0]).code).toBe(CP_CODE.ECHO_REQUEST);
    sends(l.tick(2000));
    const last = sends(l.tick(3000));
    expect(decodeCpPacket(last[0]).code).toBe(CP_CODE.TERMINATE_REQUEST);
    expect(l.reason).toMatch(/dead peer/);
  });

  it('Protocol-Reject for a protocol we do not run (CCP), information truncated to the peer MRU', () => {
    const l = opened();
    const [pr] = sends(l.protocolReject(0x80fd, Buffer.alloc(3000, 7)));
    const p = decodeCpPacket(pr);
    expect(p.code).toBe(CP_CODE.PROTOCOL_REJECT);
    expect(p.data.readUInt16BE(0)).toBe(0x80fd);
    expect(pr.length).toBe(1400);
  });
});

describe('LCP bad input never throws', () => {
  it('random packets in every state: no exception, drops counted', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 30 }),
        fc.boolean(),
        (packets, server) => {
          const { l } = started(server ? 'authenticator' : 'peer');
          let t = 0;
          for (const p of packets) {
            l.receive(p, t);
            t += 500;
            l.tick(t);
          }
          return true;
        },
      ),
      { numRuns: 300 },
    );
  });

  it('malformed lengths and options are dropped and counted', () => {
    const { l } = started('authenticator');
    expect(l.receive(Buffer.from('0101', 'hex'), 0)).toEqual([]);
    expect(l.receive(Buffer.from('01010010', 'hex'), 0)).toEqual([]); // Length past the packet
    expect(l.receive(Buffer.from('0101000701', 'hex').subarray(0, 4), 0)).toEqual([]);
    expect(l.receive(Buffer.from('010100060100', 'hex'), 0)).toEqual([]); // option Length 0
    expect(l.counters.get('short-packet')).toBe(1);
    expect(l.counters.get('bad-length')).toBe(2);
    expect(l.counters.get('bad-option-length')).toBe(1);
    expect(l.state).toBe('req-sent');
  });

  it('option codec round-trips', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ type: fc.integer({ min: 0, max: 255 }), data: fc.uint8Array({ maxLength: 40 }) }),
        ),
        (opts) => {
          const enc = encodeOptions(opts.map((o) => ({ type: o.type, data: Buffer.from(o.data) })));
          const dec = decodeOptions(enc);
          return dec.length === opts.length && encodeOptions(dec).equals(enc);
        },
      ),
    );
  });
});
