import { describe, expect, it } from 'vitest';
import { ControlProtocol, type CpAction } from '../../src/ppp/control-protocol.js';
import type { Negotiator } from '../../src/ppp/negotiator.js';
import { decodeCpPacket, encodeCpPacket } from '../../src/ppp/packet.js';
import { CP_CODE } from '../../src/ppp/protocol.js';

/** Options that agree with everything: the automaton's timers and counters are what is under test. */
const agreeable: Negotiator = {
  resetRequest: () => {},
  buildRequest: () => [],
  judgeRequest: () => ({ kind: 'ack' }),
  applyNak: () => 'ok',
  applyReject: () => 'ok',
};

function codes(actions: readonly CpAction[]): (number | string)[] {
  return actions.map((a) => (a.type === 'send' ? a.packet[0] : a.type));
}

function opened() {
  const cp = new ControlProtocol(0x8021, 'IPCP', agreeable);
  cp.up(0);
  const [req] = cp.open(0);
  if (req.type !== 'send') throw new Error('no request');
  const id = decodeCpPacket(req.packet).id;
  cp.receive(encodeCpPacket({ code: 1, id: 50, data: Buffer.alloc(0) }), 0);
  expect(codes(cp.receive(encodeCpPacket({ code: 2, id, data: Buffer.alloc(0) }), 0))).toEqual(['layer-up']);
  return cp;
}

describe('control protocol timers and counters (RFC 1661 s4.6)', () => {
  it('Max-Terminate: Close against a silent peer sends 2 Terminate-Requests, then finishes', () => {
    const cp = opened();
    expect(codes(cp.close(0, 'admin'))).toEqual(['layer-down', CP_CODE.TERMINATE_REQUEST]);
    expect(cp.deadline()).toBe(3000);
    expect(codes(cp.tick(3000))).toEqual([CP_CODE.TERMINATE_REQUEST]);
    expect(codes(cp.tick(6000))).toEqual(['layer-finished']);
    expect(cp.state).toBe('closed');
    expect(cp.deadline()).toBeUndefined();
  });

  it('Terminate-Request in Opened: Ack, zero the counter, one restart period in Stopping, then finished', () => {
    const cp = opened();
    const out = cp.receive(encodeCpPacket({ code: 5, id: 77, data: Buffer.alloc(0) }), 0);
    expect(codes(out)).toEqual(['layer-down', CP_CODE.TERMINATE_ACK]);
    expect(out[1].type === 'send' && out[1].packet[1]).toBe(77);
    expect(cp.state).toBe('stopping');
    expect(cp.tick(2999)).toEqual([]);
    expect(cp.tick(3000)).toEqual([{ type: 'layer-finished', reason: 'peer-terminated' }]);
    expect(cp.state).toBe('stopped');
  });

  it('a retransmitted request keeps its Identifier and bytes; a new one after a Nak gets a new Identifier', () => {
    const cp = new ControlProtocol(0x8021, 'IPCP', agreeable);
    cp.up(0);
    const [a] = cp.open(0);
    const [b] = cp.tick(3000);
    if (a.type !== 'send' || b.type !== 'send') throw new Error('expected sends');
    expect(b.packet.equals(a.packet)).toBe(true);
    const [c] = cp.receive(encodeCpPacket({ code: 3, id: a.packet[1], data: Buffer.alloc(0) }), 3000);
    expect(c.type === 'send' && c.packet[1]).not.toBe(a.packet[1]);
  });

  it('illegal events are counted, not thrown', () => {
    const cp = new ControlProtocol(0x8021, 'IPCP', agreeable);
    expect(cp.down(0)).toEqual([]);
    expect(cp.receive(encodeCpPacket({ code: 1, id: 1, data: Buffer.alloc(0) }), 0)).toEqual([]);
    expect(cp.counters.get('illegal-event')).toBe(2);
  });

  it('Code-Reject of a required code is catastrophic (RXJ-); an unknown code gets Code-Reject', () => {
    const cp = opened();
    const unknown = encodeCpPacket({ code: 9, id: 1, data: Buffer.alloc(0) });
    expect(codes(cp.receive(unknown, 0))).toEqual([CP_CODE.CODE_REJECT]); // IPCP has no Echo
    const out = cp.receive(encodeCpPacket({ code: 7, id: 2, data: Buffer.from('01010004', 'hex') }), 0);
    expect(codes(out)).toEqual(['layer-down', CP_CODE.TERMINATE_REQUEST]);
    expect(cp.state).toBe('stopping');
  });
});
