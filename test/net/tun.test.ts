/**
 * The TUN device through the native edge, for real: a TUN opened here, moved into a namespace of its own,
 * configured with `ip`; an ICMP echo request written into it is answered by that namespace's kernel
 * (RFC 792), and the reply comes back through the batched packet port.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ip } from '../../src/net/ip-command.js';
import { intToIpv4, ipv4ToInt } from '../../src/net/ipv4-address.js';
import { Tun } from '../../src/net/tun.js';
import { NetnsLab, netnsUnavailable } from '../support/netns.js';
import { icmpEcho, internetChecksum, parseIpv4 } from './support/packets.js';

const LOCAL = '10.77.0.1';
const PEER = '10.77.0.2';

interface Received {
  bytes: Buffer;
}

const unavailable = netnsUnavailable();

describe.skipIf(unavailable !== undefined)(`TUN in a namespace (${unavailable ?? 'root'})`, () => {
  const lab = new NetnsLab();
  let ns: string;
  let tun: Tun;
  const received: Received[] = [];
  let waiter: (() => void) | undefined;

  beforeAll(async () => {
    ns = (await lab.addNetns('tun')).name;
    tun = Tun.open(
      (buf, off, len) => {
        received.push({ bytes: Buffer.from(buf.subarray(off, off + len)) });
        waiter?.();
      },
      { name: 'l2stun%d' },
    );
    ip(['link', 'set', 'dev', tun.name, 'netns', ns]);
    tun.configure({ address: LOCAL, peer: PEER, mtu: 1400, netns: ns });
  });

  afterAll(async () => {
    tun?.close();
    await lab.cleanup();
  });

  async function waitFor(pred: () => boolean, ms = 3000): Promise<void> {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end) throw new Error('timed out waiting for packets from the TUN');
      await new Promise<void>((r) => {
        waiter = r;
        setTimeout(r, 50);
      });
    }
  }

  it('resolves the name pattern and carries address, peer and MTU', () => {
    expect(tun.name).toMatch(/^l2stun\d+$/);
    const show = ip(['-o', 'addr', 'show', 'dev', tun.name], ns);
    expect(show).toContain(`inet ${LOCAL} peer ${PEER}/32`);
    expect(ip(['-o', 'link', 'show', 'dev', tun.name], ns)).toMatch(/mtu 1400 .*state (UNKNOWN|UP)/);
  });

  it('an ICMP echo written into the TUN is answered by the kernel through the TUN', async () => {
    received.length = 0;
    const payload = Buffer.from('l2tpsec tun echo test payload');
    const ok = tun.write(icmpEcho(PEER, LOCAL, 0x1234, 7, payload), 0, 28 + payload.length);
    expect(ok).toBe(true);
    await waitFor(() => received.some((r) => r.bytes[9] === 1 && r.bytes[20] === 0));
    const reply = received.find((r) => r.bytes[9] === 1 && r.bytes[20] === 0)!.bytes;
    const h = parseIpv4(reply, 0);
    expect(intToIpv4(h.src)).toBe(LOCAL);
    expect(h.dst).toBe(ipv4ToInt(PEER));
    expect(reply.readUInt16BE(24)).toBe(0x1234);
    expect(reply.readUInt16BE(26)).toBe(7);
    expect(reply.subarray(28)).toEqual(payload);
    expect(internetChecksum(reply, 20, reply.length - 20)).toBe(0);
    expect(tun.rxPackets).toBeGreaterThanOrEqual(1);
    expect(tun.txPackets).toBe(1);
  });

  it('a batch of 200 echoes comes back complete (batched reads lose nothing)', async () => {
    received.length = 0;
    for (let seq = 0; seq < 200; seq++) {
      const pkt = icmpEcho(PEER, LOCAL, 0x4321, seq, Buffer.alloc(64, seq));
      expect(tun.write(pkt, 0, pkt.length)).toBe(true);
    }
    const replies = () => received.filter((r) => r.bytes[20] === 0 && r.bytes.readUInt16BE(24) === 0x4321);
    await waitFor(() => replies().length === 200);
    const seqs = new Set(replies().map((r) => r.bytes.readUInt16BE(26)));
    expect(seqs.size).toBe(200);
  });

  it('batched writes through the write arena (one native call) are all answered', async () => {
    received.length = 0;
    for (let seq = 0; seq < 150; seq++) {
      const pkt = icmpEcho(PEER, LOCAL, 0x6262, seq, Buffer.alloc(32, seq));
      pkt.copy(tun.sendBuffer, tun.sendOffset);
      tun.commit(pkt.length); // flushes by itself every 64
    }
    const before = tun.txPackets;
    expect(tun.flush()).toBe(150 % 64);
    expect(tun.txPackets - before).toBe(150 % 64);
    const replies = () => received.filter((r) => r.bytes[20] === 0 && r.bytes.readUInt16BE(24) === 0x6262);
    await waitFor(() => replies().length === 150);
    expect(new Set(replies().map((r) => r.bytes.readUInt16BE(26))).size).toBe(150);
    expect(tun.counters.total()).toBe(0);
  });

  it('bad port parameters are a RangeError and leave no interface behind', () => {
    expect(() => Tun.open(() => {}, { name: 'l2sbad%d', batch: 0 })).toThrow(RangeError);
    expect(ip(['-o', 'link', 'show'])).not.toMatch(/l2sbad\d/);
  });

  it('closing the TUN removes the interface', () => {
    const name = tun.name;
    tun.close();
    expect(() => ip(['link', 'show', 'dev', name], ns)).toThrow(/does not exist/);
  });
});
