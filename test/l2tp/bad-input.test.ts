import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { L2tpAction } from '../../src/l2tp/actions.js';
import { encodeAvp } from '../../src/l2tp/avp.js';
import type { L2tpConfig } from '../../src/l2tp/config.js';
import { CdnResult, ErrorCode, MessageType, StopCcnResult } from '../../src/l2tp/constants.js';
import { L2tpEndpoint } from '../../src/l2tp/endpoint.js';
import { decodeControl, encodeControl } from '../../src/l2tp/header.js';
import { type ControlMessage, decodeMessage, encodeMessage } from '../../src/l2tp/message.js';
import { seededRng } from './support/sim.js';

const PEER = '192.0.2.1:1701';

/** A hand-driven LAC: builds messages itself and reads the LNS's replies, to poke at the LNS. */
class RawLac {
  readonly lns: L2tpEndpoint;
  ns = 0;
  nr = 0;
  lnsTunnelId = 0;
  now = 0;
  readonly events: L2tpAction[] = [];

  constructor(cfg: Partial<L2tpConfig> = {}) {
    this.lns = new L2tpEndpoint({ rng: seededRng(99), config: cfg });
  }

  /** Sends a control message; returns the replies decoded (ZLBs as `undefined` messages). */
  send(msg: ControlMessage | Buffer, sessionId = 0, peer = PEER, extra: Buffer = Buffer.alloc(0)): Reply[] {
    const body = Buffer.concat([Buffer.isBuffer(msg) ? msg : encodeMessage(msg), extra]);
    const data = encodeControl({ tunnelId: this.lnsTunnelId, sessionId, ns: this.ns, nr: this.nr }, body);
    if (body.length > 0) this.ns = (this.ns + 1) & 0xffff;
    return this.raw(data, peer);
  }

  raw(data: Buffer, peer = PEER): Reply[] {
    return this.replies(this.lns.receive(peer, data, this.now));
  }

  replies(actions: L2tpAction[]): Reply[] {
    const out: Reply[] = [];
    for (const a of actions) {
      if (a.type !== 'send') {
        this.events.push(a);
        continue;
      }
      const h = decodeControl(a.data);
      const m = h.body.length ? decodeMessage(h.body).message : undefined;
      if (m) this.nr = (h.ns + 1) & 0xffff;
      out.push({ tunnelId: h.tunnelId, sessionId: h.sessionId, message: m });
    }
    return out;
  }

  /** SCCRQ → SCCRP → SCCCN. */
  establish(assignedTunnelId = 0x77): void {
    const r = this.send({
      type: MessageType.SCCRQ,
      protocolVersion: { version: 1, revision: 0 },
      hostName: 'raw',
      framingCapabilities: 3,
      assignedTunnelId,
    });
    const sccrp = r.find((x) => x.message?.type === MessageType.SCCRP)!;
    this.lnsTunnelId = sccrp.message!.assignedTunnelId!;
    this.send({ type: MessageType.SCCCN });
  }
}

interface Reply {
  tunnelId: number;
  sessionId: number;
  message: ControlMessage | undefined;
}

const unknownMandatory = encodeAvp({
  mandatory: true,
  hidden: false,
  vendorId: 0,
  type: 250,
  value: Buffer.alloc(4),
});
const unknownOptional = encodeAvp({
  mandatory: false,
  hidden: false,
  vendorId: 43,
  type: 7,
  value: Buffer.alloc(4),
});

describe('bad input to the LNS', () => {
  it('unknown AVP with the M bit in SCCRQ → StopCCN General Error / error 8 (section 4.1)', () => {
    const lac = new RawLac();
    const sccrq = encodeMessage({
      type: MessageType.SCCRQ,
      protocolVersion: { version: 1, revision: 0 },
      hostName: 'raw',
      framingCapabilities: 3,
      assignedTunnelId: 0x55,
    });
    const r = lac.send(sccrq, 0, PEER, unknownMandatory);
    const stop = r.find((x) => x.message?.type === MessageType.StopCCN)!;
    expect(stop.tunnelId).toBe(0x55);
    expect(stop.message!.resultCode).toMatchObject({
      result: StopCcnResult.GeneralError,
      error: ErrorCode.UnknownMandatoryAvp,
    });
    expect(lac.lns.counters.get('protocol-error')).toBe(1);
  });

  it('unknown AVP with the M bit in ICRQ → CDN error 8, the tunnel survives', () => {
    const lac = new RawLac();
    lac.establish();
    const icrq = encodeMessage({ type: MessageType.ICRQ, assignedSessionId: 0x99, callSerialNumber: 1 });
    const r = lac.send(icrq, 0, PEER, unknownMandatory);
    const cdn = r.find((x) => x.message?.type === MessageType.CDN)!;
    expect(cdn.sessionId).toBe(0x99);
    expect(cdn.message!.resultCode).toMatchObject({ result: CdnResult.GeneralError, error: 8 });
    expect(lac.lns.tunnel(lac.lnsTunnelId)?.established).toBe(true);
    expect(lac.lns.sessionCount).toBe(0);
  });

  it('unknown optional AVPs are ignored: the session comes up', () => {
    const lac = new RawLac();
    lac.establish();
    const icrq = encodeMessage({ type: MessageType.ICRQ, assignedSessionId: 0x99, callSerialNumber: 1 });
    const icrp = lac.send(icrq, 0, PEER, unknownOptional).find((x) => x.message?.type === MessageType.ICRP)!;
    expect(icrp.sessionId).toBe(0x99);
    const iccn = encodeMessage({ type: MessageType.ICCN, txConnectSpeed: 1, framingType: 1 });
    lac.send(iccn, icrp.message!.assignedSessionId!, PEER, unknownOptional);
    expect(lac.events.filter((e) => e.type === 'session-up')).toHaveLength(1);
    expect(lac.lns.counters.get('unknown-optional-avp')).toBe(2);
  });

  it('bad lengths, wrong version, unknown or closed tunnel, wrong peer: dropped and counted', () => {
    const lac = new RawLac();
    lac.establish();
    const hello = encodeControl(
      { tunnelId: lac.lnsTunnelId, sessionId: 0, ns: lac.ns, nr: lac.nr },
      encodeMessage({ type: MessageType.HELLO }),
    );
    const c = lac.lns.counters;
    const variant = (f: (b: Buffer) => void): Buffer => {
      const b = Buffer.from(hello);
      f(b);
      return b;
    };
    expect(lac.raw(variant((b) => b.writeUInt16BE(0xc803, 0)))).toEqual([]);
    expect(c.get('bad-version')).toBe(1);
    expect(lac.raw(variant((b) => b.writeUInt16BE(999, 2)))).toEqual([]);
    expect(c.get('bad-length')).toBe(1);
    expect(lac.raw(variant((b) => b.writeUInt16BE(0x8007, 12)))).toEqual([]); // AVP length 7 over 8 bytes left
    expect(lac.raw(variant((b) => b.writeUInt16BE(0x8003, 12)))).toEqual([]); // AVP shorter than its header
    expect(c.get('bad-avp')).toBe(2);
    expect(lac.raw(variant((b) => b.writeUInt16BE((lac.lnsTunnelId + 1) & 0xffff, 4)))).toEqual([]);
    expect(c.get('unknown-tunnel')).toBe(1);
    expect(lac.raw(hello, '198.51.100.9:1701')).toEqual([]);
    expect(c.get('wrong-peer')).toBe(1);
    expect(lac.raw(Buffer.from([0xc8]))).toEqual([]);
    expect(c.get('short')).toBe(1);
    // Apple's HELLO before the tunnel exists: tunnel 0, not an SCCRQ.
    expect(
      lac.raw(
        encodeControl(
          { tunnelId: 0, sessionId: 0, ns: 0, nr: 0 },
          encodeMessage({ type: MessageType.HELLO }),
        ),
      ),
    ).toEqual([]);
    expect(c.get('unknown-tunnel')).toBe(2);
    // Closed tunnel: after StopCCN and the hold time, control for it is dropped.
    lac.send({ type: MessageType.StopCCN, assignedTunnelId: 0x77, resultCode: { result: 1 } });
    lac.now += 40_000;
    lac.lns.tick(lac.now);
    expect(lac.lns.tunnelCount).toBe(0);
    expect(lac.send({ type: MessageType.HELLO })).toEqual([]);
    expect(c.get('unknown-tunnel')).toBe(3);
    // data for a tunnel that is gone
    expect(
      lac.raw(Buffer.from(`0002${lac.lnsTunnelId.toString(16).padStart(4, '0')}0001c021`, 'hex')),
    ).toEqual([]);
    expect(c.get('unknown-tunnel')).toBe(4);
  });

  it('never throws on arbitrary bytes or mutated valid messages', () => {
    const lac = new RawLac({ secret: Buffer.from('x') });
    lac.establish();
    const samples = [
      encodeControl(
        { tunnelId: lac.lnsTunnelId, sessionId: 0, ns: 5, nr: 0 },
        encodeMessage({ type: MessageType.ICRQ, assignedSessionId: 1, callSerialNumber: 2 }),
      ),
      encodeControl(
        { tunnelId: 0, sessionId: 0, ns: 0, nr: 0 },
        encodeMessage({
          type: MessageType.SCCRQ,
          protocolVersion: { version: 1, revision: 0 },
          hostName: 'h',
          framingCapabilities: 1,
          assignedTunnelId: 9,
        }),
      ),
    ];
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.nat(1),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        (junk, which, flips) => {
          lac.lns.receive(PEER, Buffer.from(junk), lac.now);
          const m = Buffer.from(samples[which]);
          for (const [pos, val] of flips) m[pos % m.length] = val;
          lac.lns.receive(PEER, m, lac.now);
          lac.now += 100;
          lac.lns.tick(lac.now);
        },
      ),
      { numRuns: 2000, seed: 42 },
    );
    expect(lac.lns.counters.total()).toBeGreaterThan(2000);
  });

  it("accepts Apple's little-endian Result Code in CDN", () => {
    const lac = new RawLac();
    lac.establish();
    const icrp = lac
      .send({ type: MessageType.ICRQ, assignedSessionId: 5, callSerialNumber: 1 })
      .find((x) => x.message)!;
    const sid = icrp.message!.assignedSessionId!;
    lac.send({ type: MessageType.ICCN, txConnectSpeed: 1, framingType: 1 }, sid);
    const cdn = Buffer.concat([
      encodeMessage({ type: MessageType.CDN, assignedSessionId: 5 }),
      encodeAvp({ mandatory: true, hidden: false, vendorId: 0, type: 1, value: Buffer.from([3, 0, 0, 0]) }),
    ]);
    lac.send(cdn, sid);
    const down = lac.events.find((e) => e.type === 'session-down') as Extract<
      L2tpAction,
      { type: 'session-down' }
    >;
    expect(down.result).toEqual({ result: CdnResult.Administrative, error: 0 });
  });

  it('OCRQ is refused with CDN result 5; OCRP with CDN invalid session', () => {
    const lac = new RawLac();
    lac.establish();
    const r = lac.send({
      type: MessageType.OCRQ,
      assignedSessionId: 0x31,
      callSerialNumber: 1,
      minimumBps: 1,
      maximumBps: 2,
      bearerType: 1,
      framingType: 1,
      calledNumber: '1',
    });
    const cdn = r.find((x) => x.message?.type === MessageType.CDN)!;
    expect(cdn.sessionId).toBe(0x31);
    expect(cdn.message!.resultCode?.result).toBe(CdnResult.PermanentNoFacilities);
    const r2 = lac.send({ type: MessageType.OCRP, assignedSessionId: 0x32 });
    expect(r2.find((x) => x.message?.type === MessageType.CDN)!.message!.resultCode).toMatchObject({
      result: 2,
      error: ErrorCode.InvalidSessionId,
    });
  });

  it('session messages before the tunnel is up → StopCCN FSM error', () => {
    const lac = new RawLac();
    const r = lac.send({
      type: MessageType.SCCRQ,
      protocolVersion: { version: 1, revision: 0 },
      hostName: 'raw',
      framingCapabilities: 3,
      assignedTunnelId: 3,
    });
    lac.lnsTunnelId = r.find((x) => x.message)!.message!.assignedTunnelId!;
    const r2 = lac.send({ type: MessageType.ICRQ, assignedSessionId: 1, callSerialNumber: 1 });
    expect(r2.find((x) => x.message?.type === MessageType.StopCCN)!.message!.resultCode?.result).toBe(
      StopCcnResult.FsmError,
    );
  });

  it('a setup message on an established tunnel is counted and ignored', () => {
    const lac = new RawLac();
    lac.establish();
    const r = lac.send({
      type: MessageType.SCCRQ,
      protocolVersion: { version: 1, revision: 0 },
      hostName: 'raw',
      framingCapabilities: 3,
      assignedTunnelId: 0x77,
    });
    expect(r.map((x) => x.message)).toEqual([undefined]); // only the acknowledgement
    expect(lac.lns.counters.get('unexpected-message')).toBe(1);
    expect(lac.lns.tunnel(lac.lnsTunnelId)?.established).toBe(true);
  });

  it('a protocol version other than 1.0 → StopCCN result 5', () => {
    const lac = new RawLac();
    const r = lac.send({
      type: MessageType.SCCRQ,
      protocolVersion: { version: 2, revision: 0 },
      hostName: 'raw',
      framingCapabilities: 3,
      assignedTunnelId: 3,
    });
    expect(r.find((x) => x.message)!.message!.resultCode?.result).toBe(StopCcnResult.UnsupportedVersion);
  });
});

describe('limits and retransmitted setup', () => {
  const sccrq = (tid: number): ControlMessage => ({
    type: MessageType.SCCRQ,
    protocolVersion: { version: 1, revision: 0 },
    hostName: 'raw',
    framingCapabilities: 3,
    assignedTunnelId: tid,
  });

  it('a retransmitted SCCRQ reaches the tunnel it created (xl2tpd re-sends after 1 s)', () => {
    const lac = new RawLac();
    const first = encodeControl({ tunnelId: 0, sessionId: 0, ns: 0, nr: 0 }, encodeMessage(sccrq(0x42)));
    const a = lac.raw(first);
    lac.now += 1000;
    const b = lac.raw(first);
    expect(lac.lns.tunnelCount).toBe(1);
    expect(a[0].message?.type).toBe(MessageType.SCCRP);
    expect(b).toHaveLength(1);
    expect(b[0].message).toBeUndefined(); // a ZLB: duplicate acknowledged, not answered twice
    expect(lac.lns.counters.get('duplicate')).toBe(1);
  });

  it('a StopCCN sent to Tunnel ID 0 by a peer that never learnt ours ends the half-open tunnel', () => {
    const lac = new RawLac();
    lac.send(sccrq(0x42));
    expect(lac.lns.tunnelCount).toBe(1);
    lac.send({ type: MessageType.StopCCN, assignedTunnelId: 0x43, resultCode: { result: 2, error: 6 } });
    expect(lac.lns.tunnelCount).toBe(1); // another peer tunnel ID: not this tunnel's
    expect(lac.lns.counters.get('unknown-tunnel')).toBe(1);
    lac.ns--; // that one never reached a tunnel, so its Ns is free again
    const r = lac.send({
      type: MessageType.StopCCN,
      assignedTunnelId: 0x42,
      resultCode: { result: 2, error: 6 },
    });
    expect(r.map((x) => x.message)).toEqual([undefined]); // acknowledged
    lac.now += 40_000;
    lac.lns.tick(lac.now);
    expect(lac.lns.tunnelCount).toBe(0);
  });

  it('tunnels per peer and in total: StopCCN insufficient resources, no state kept', () => {
    const lac = new RawLac({ maxTunnelsPerPeer: 2, maxTunnels: 3 });
    for (let i = 1; i <= 3; i++) {
      const r = lac.raw(encodeControl({ tunnelId: 0, sessionId: 0, ns: 0, nr: 0 }, encodeMessage(sccrq(i))));
      expect(r[0].message?.type).toBe(i <= 2 ? MessageType.SCCRP : MessageType.StopCCN);
      if (i === 3)
        expect(r[0].message?.resultCode).toEqual({ result: 2, error: ErrorCode.InsufficientResources });
    }
    expect(lac.lns.counters.get('peer-tunnel-limit')).toBe(1);
    lac.raw(
      encodeControl({ tunnelId: 0, sessionId: 0, ns: 0, nr: 0 }, encodeMessage(sccrq(4))),
      '203.0.113.5:1701',
    );
    const r = lac.raw(
      encodeControl({ tunnelId: 0, sessionId: 0, ns: 0, nr: 0 }, encodeMessage(sccrq(5))),
      '203.0.113.6:1701',
    );
    expect(r[0].message?.type).toBe(MessageType.StopCCN);
    expect(lac.lns.counters.get('tunnel-limit')).toBe(1);
    expect(lac.lns.tunnelCount).toBe(3);
  });

  it('half-open tunnels and sessions expire', () => {
    const lac = new RawLac({ halfOpenTimeout: 10_000, closeHold: 1000 });
    lac.send(sccrq(0x10)); // never completes
    expect(lac.lns.tunnelCount).toBe(1);
    for (let t = 0; t < 40; t++) {
      lac.now += 1000;
      lac.replies(lac.lns.tick(lac.now));
    }
    expect(lac.lns.tunnelCount).toBe(0);

    const lac2 = new RawLac({ halfOpenTimeout: 10_000 });
    lac2.establish();
    lac2.send({ type: MessageType.ICRQ, assignedSessionId: 5, callSerialNumber: 1 });
    expect(lac2.lns.sessionCount).toBe(1);
    let cdn: Reply | undefined;
    for (let t = 0; t < 12; t++) {
      lac2.now += 1000;
      const r = lac2.replies(lac2.lns.tick(lac2.now));
      lac2.send(Buffer.alloc(0)); // ZLB: keep acknowledging
      cdn ??= r.find((x) => x.message?.type === MessageType.CDN);
    }
    expect(cdn?.message?.resultCode?.result).toBe(CdnResult.Timeout);
    expect(lac2.lns.sessionCount).toBe(0);
  });

  it('sessions per tunnel: CDN result 4 / error 4 beyond the limit', () => {
    const lac = new RawLac({ maxSessionsPerTunnel: 2 });
    lac.establish();
    for (let i = 1; i <= 3; i++) {
      const r = lac.send({ type: MessageType.ICRQ, assignedSessionId: i, callSerialNumber: i });
      const m = r.find((x) => x.message)!.message!;
      expect(m.type).toBe(i <= 2 ? MessageType.ICRP : MessageType.CDN);
      if (i === 3)
        expect(m.resultCode).toEqual({
          result: CdnResult.TemporaryNoFacilities,
          error: ErrorCode.InsufficientResources,
        });
    }
    expect(lac.lns.sessionCount).toBe(2);
  });
});
