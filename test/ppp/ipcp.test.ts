import { describe, expect, it } from 'vitest';
import { ControlProtocol, type CpAction } from '../../src/ppp/control-protocol.js';
import { IpcpOptions } from '../../src/ppp/ipcp.js';
import { Ipv6cpOptions } from '../../src/ppp/ipv6cp.js';
import { decodeCpPacket, encodeCpPacket } from '../../src/ppp/packet.js';
import { CP_CODE, PPP_PROTOCOL } from '../../src/ppp/protocol.js';
import { Pair, seededRng } from './harness.js';

function sends(actions: readonly CpAction[]): Buffer[] {
  return actions.flatMap((a) => (a.type === 'send' ? [a.packet] : []));
}

function serverIpcp(assign: () => string | undefined, dns = ['10.0.0.53']) {
  const cp = new ControlProtocol(
    PPP_PROTOCOL.IPCP,
    'IPCP',
    new IpcpOptions({
      role: 'server',
      localAddress: '10.0.0.1',
      dns,
      wins: ['10.0.0.137'],
      assignPeerAddress: assign,
    }),
  );
  cp.up(0);
  const [req] = sends(cp.open(0));
  return { cp, req: decodeCpPacket(req) };
}

describe('IPCP server (RFC 1332, RFC 1877)', () => {
  it('sends its own address; Naks 0.0.0.0 with the assigned address and DNS (macOS request)', () => {
    const { cp, req } = serverIpcp(() => '10.0.0.9');
    expect(req.data.toString('hex')).toBe('03060a000001');
    // <addr 0.0.0.0> <ms-dns1 0.0.0.0> <ms-dns3 0.0.0.0>
    const mac = encodeCpPacket({
      code: 1,
      id: 1,
      data: Buffer.from('030600000000810600000000830600000000', 'hex'),
    });
    const [r] = sends(cp.receive(mac, 0));
    // Primary DNS is Nak'd with ours; no secondary is configured, so 131 is Rejected first.
    expect(r.toString('hex')).toBe(
      encodeCpPacket({ code: 4, id: 1, data: Buffer.from('830600000000', 'hex') }).toString('hex'),
    );
    const again = encodeCpPacket({ code: 1, id: 2, data: Buffer.from('030600000000810600000000', 'hex') });
    const [nak] = sends(cp.receive(again, 0));
    expect(nak.toString('hex')).toBe(
      encodeCpPacket({ code: 3, id: 2, data: Buffer.from('03060a00000981060a000035', 'hex') }).toString(
        'hex',
      ),
    );
    const agreed = encodeCpPacket({ code: 1, id: 3, data: Buffer.from('03060a00000981060a000035', 'hex') });
    expect(sends(cp.receive(agreed, 0))[0][0]).toBe(CP_CODE.CONFIGURE_ACK);
  });

  it('Rejects Van Jacobson compression (pppd default request)', () => {
    const { cp } = serverIpcp(() => '10.0.0.9');
    const pppd = encodeCpPacket({ code: 1, id: 1, data: Buffer.from('0206002d0f01030600000000', 'hex') });
    const [r] = sends(cp.receive(pppd, 0));
    expect(decodeCpPacket(r)).toMatchObject({
      code: CP_CODE.CONFIGURE_REJECT,
      data: Buffer.from('0206002d0f01', 'hex'),
    });
  });

  it('a request without IP-Address gets one appended in the Nak (RFC 1332 s3.3)', () => {
    const { cp } = serverIpcp(() => '10.0.0.9');
    const [r] = sends(cp.receive(encodeCpPacket({ code: 1, id: 4, data: Buffer.alloc(0) }), 0));
    expect(r.toString('hex')).toBe(
      encodeCpPacket({ code: 3, id: 4, data: Buffer.from('03060a000009', 'hex') }).toString('hex'),
    );
  });

  it('no address left: IPCP closes', () => {
    const { cp } = serverIpcp(() => undefined);
    const out = cp.receive(encodeCpPacket({ code: 1, id: 1, data: Buffer.from('030600000000', 'hex') }), 0);
    expect(sends(out).map((p) => p[0])).toEqual([CP_CODE.TERMINATE_REQUEST]);
    expect(cp.reason).toMatch(/no address/);
  });

  it('an exhausted pool ends the session with no address leaked', async () => {
    const pair = new Pair();
    pair.pool.outstanding.add('10.99.0.10');
    pair.pool.outstanding.add('10.99.0.11');
    pair.pool.outstanding.add('10.99.0.12');
    pair.start();
    await pair.run(() => pair.bothFinished());
    expect(pair.of('server', 'up')).toHaveLength(0);
    expect(pair.of('server', 'down')[0].reason).toMatch(/no address/);
    expect(pair.pool.outstanding.size).toBe(3);
  });
});

describe('IPCP client', () => {
  it('asks 0.0.0.0 with DNS, adopts the Nak, and Rejects a server asking us for DNS', () => {
    const opts = new IpcpOptions({ role: 'client', requestDns: true });
    const cp = new ControlProtocol(PPP_PROTOCOL.IPCP, 'IPCP', opts);
    cp.up(0);
    const [req] = sends(cp.open(0));
    const r = decodeCpPacket(req);
    expect(r.data.toString('hex')).toBe('030600000000810600000000830600000000');
    const nak = encodeCpPacket({ code: 3, id: r.id, data: Buffer.from('03060a00000981060a000035', 'hex') });
    const [req2] = sends(cp.receive(nak, 0));
    expect(decodeCpPacket(req2).data.toString('hex')).toBe('03060a00000981060a000035830600000000');
    const srv = encodeCpPacket({ code: 1, id: 1, data: Buffer.from('03060a000001810600000000', 'hex') });
    const [rej] = sends(cp.receive(srv, 0));
    expect(rej.toString('hex')).toBe(
      encodeCpPacket({ code: 4, id: 1, data: Buffer.from('810600000000', 'hex') }).toString('hex'),
    );
  });
});

describe('IPv6CP (RFC 5072)', () => {
  it('Naks a zero or colliding Interface-Identifier with a fresh one', () => {
    const opts = new Ipv6cpOptions(seededRng(3));
    const cp = new ControlProtocol(PPP_PROTOCOL.IPV6CP, 'IPv6CP', opts);
    cp.up(0);
    const [req] = sends(cp.open(0));
    const ours = decodeCpPacket(req).data.subarray(2);
    const zero = encodeCpPacket({ code: 1, id: 1, data: Buffer.from('010a0000000000000000', 'hex') });
    const [nak] = sends(cp.receive(zero, 0));
    const n = decodeCpPacket(nak);
    expect(n.code).toBe(CP_CODE.CONFIGURE_NAK);
    expect(n.data.subarray(2).equals(Buffer.alloc(8))).toBe(false);
    const same = encodeCpPacket({ code: 1, id: 2, data: Buffer.concat([Buffer.from('010a', 'hex'), ours]) });
    expect(decodeCpPacket(sends(cp.receive(same, 0))[0]).code).toBe(CP_CODE.CONFIGURE_NAK);
    const fine = encodeCpPacket({ code: 1, id: 3, data: Buffer.from('010a0123456789abcdef', 'hex') });
    expect(decodeCpPacket(sends(cp.receive(fine, 0))[0]).code).toBe(CP_CODE.CONFIGURE_ACK);
  });
});
